/**
 * End to end: `archeo scan` on the sample scenes (crops of real Sentinel-2 L2A products) writes indices
 * that agree with the numpy/OpenCV reference values of test/fixtures/expected (make_fixtures.py) within
 * 1e-6, with the same NaN pattern (masked clouds, nodata), on the same grid.
 */
import { describe, expect, test, beforeAll } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { archeo, errorLines } from '../helpers/cli.js';
import { codecsScene, rkhSample, root, tempDir, unuSample, outputEntries } from '../helpers/paths.js';
import { compare, crop, readExpected, readManifest, readRaster } from '../helpers/rasters.js';

const TOLERANCE = 1e-6;

async function expectMatches(
  caseName: string,
  sceneDir: string,
  window?: [number, number, number, number],
): Promise<void> {
  const m = readManifest(caseName);
  for (const index of m.indices) {
    let expected = readExpected(caseName, index);
    let width = m.width;
    let height = m.height;
    let origin = [m.transform[0]!, m.transform[3]!];
    if (window) {
      const [x0, y0, w, h] = window;
      expected = crop(expected, m.width, x0, y0, w, h);
      origin = [origin[0]! + x0 * m.transform[1]!, origin[1]! + y0 * m.transform[5]!];
      width = w;
      height = h;
    }
    const { grid, data } = await readRaster(join(sceneDir, 'indices', `${index}.tif`));
    expect([grid.width, grid.height]).toEqual([width, height]);
    expect([grid.transform[0], grid.transform[3]]).toEqual(origin);
    expect([grid.transform[1], grid.transform[5]]).toEqual([m.transform[1], m.transform[5]]);
    expect(grid.epsg).toBe(m.epsg);
    const c = compare(expected, data);
    expect({ index, nanMismatch: c.nanMismatch }).toEqual({ index, nanMismatch: 0 });
    expect(c.maxDiff).toBeLessThanOrEqual(TOLERANCE);
    expect(c.compared).toBeGreaterThan(1000);
  }
}

function run(scene: string, args: string[]): string {
  const out = tempDir();
  const r = archeo(['scan', scene, '--out', out, '-q', ...args]);
  expect(errorLines(r.stderr)).toEqual([]);
  expect(r.code).toBe(0);
  const dirs = outputEntries(out);
  expect(dirs).toHaveLength(1);
  return join(out, dirs[0]!);
}

describe('scan agrees with numpy on the T29RKH COG sample (baseline 02.14, no offset)', () => {
  const m = readManifest('rkh-bilinear');
  test('bilinear upsampling of the 20 m bands, all eleven indices', async () => {
    await expectMatches('rkh-bilinear', run(rkhSample, m.args));
  });
  test('nearest upsampling', async () => {
    await expectMatches('rkh-nearest', run(rkhSample, readManifest('rkh-nearest').args));
  });
  test('a 20 m grid (10 m bands averaged 2x2)', async () => {
    await expectMatches('rkh-20m', run(rkhSample, readManifest('rkh-20m').args));
  });
  test('the JavaScript kernels (--no-simd) give the same numbers as the WebAssembly SIMD ones', async () => {
    const dir = run(rkhSample, [...m.args, '--no-simd']);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).engine.kernels).toBe('javascript');
    await expectMatches('rkh-bilinear', dir);
  });
  test('strips of 32 rows and 32 px tiles give the same pixels (strip borders are invisible)', async () => {
    await expectMatches('rkh-bilinear', run(rkhSample, [...m.args, '--block', '32', '--threads', '3']));
  });
  test('every codec and layout GDAL writes (LZW, ZSTD, DEFLATE, none; tiles, strips, partial tiles; asset-key names) reads to the same pixels', async () => {
    await expectMatches('rkh-bilinear', run(codecsScene, m.args));
  });
  test('--aoi reads only a window and writes it with its own origin', async () => {
    await expectMatches('rkh-bilinear', run(rkhSample, [...m.args, '--aoi', m.aoi!.join(',')]), m.aoi_window);
  });
  test('--aoi reads only the tiles under the window', async () => {
    // This box lies inside the first of the four 128 px tiles of each 10 m band.
    const small = run(rkhSample, [...m.args, '--aoi', m.aoi_small!.join(',')]);
    await expectMatches('rkh-bilinear', small, m.aoi_small_window);
    const read = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).inputs.bands as {
        band: string;
        bytes: number;
        bytes_read: number;
      }[];
    const full = read(run(rkhSample, m.args));
    for (const band of read(small).filter((b) => ['B02', 'B03', 'B04', 'B08'].includes(b.band))) {
      const whole = full.find((b) => b.band === band.band)!.bytes_read;
      expect(band.bytes_read).toBeGreaterThan(0);
      expect(band.bytes_read).toBeLessThan(whole * 0.4); // one tile of four
    }
  });
  test('--aoi as a GeoJSON file', async () => {
    const [w, s, e, n] = m.aoi!;
    const file = join(tempDir(), 'aoi.geojson');
    const ring = [
      [w, s],
      [e, s],
      [e, n],
      [w, n],
      [w, s],
    ];
    const fc = {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } }],
    };
    (await import('node:fs')).writeFileSync(file, JSON.stringify(fc));
    await expectMatches('rkh-bilinear', run(rkhSample, [...m.args, '--aoi', file]), m.aoi_window);
  });
});

describe('scan agrees with numpy on the T29UNU SAFE/JP2 sample (baseline 04.00, offset -1000)', () => {
  let out: string;
  let stderr: string;
  beforeAll(() => {
    const dir = tempDir();
    const r = archeo(['scan', unuSample, '--out', dir, '--indices', 'all']);
    expect(r.code).toBe(0);
    stderr = r.stderr;
    out = join(dir, readdirSync(dir)[0]!);
  });
  test('the seven indices the bands allow, on the 60 m grid', async () => {
    await expectMatches('unu-60m', out);
  });
  test('indices needing B08 are skipped with a warning naming B08; B8A is not substituted', () => {
    for (const name of ['ndvi', 'terra_preta', 'ndwi', 'crop_mark']) {
      expect(stderr).toContain(`index ${name} skipped: band B08 missing`);
    }
    expect(readdirSync(join(out, 'indices')).sort()).toEqual(
      ['avi', 'brightness', 'clay_minerals', 'ndre1', 'ndre3', 's2_archaeological', 'terra_preta_enhanced'].map(
        (n) => `${n}.tif`,
      ),
    );
    expect(stderr).toContain('grid is 60 m, the finest resolution present');
  });
  test('the report records the offset, the skipped indices and the grid', () => {
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.inputs.bands.find((b: { band: string }) => b.band === 'B04').offset).toBe(-1000);
    expect(report.indices.skipped.map((s: { name: string }) => s.name).sort()).toEqual([
      'crop_mark',
      'ndvi',
      'ndwi',
      'terra_preta',
    ]);
    expect(report.grid.resolution_m).toBe(60);
    expect(report.scene.baseline).toBe('04.00');
    expect(report.stages['decode'].count).toBe(8); // seven bands and SCL, each decoded once
    expect(report.stages['decode'].bytes).toBeGreaterThan(0);
  });
});

test('asking for an index whose band is missing is an error naming the band', () => {
  const out = tempDir();
  const r = archeo(['scan', unuSample, '--out', out, '--indices', 'ndvi,ndre1']);
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n').pop()).toBe(
    `archeo: ${unuSample}: index ndvi needs band B08, which this scene lacks`,
  );
  expect(outputEntries(out)).toEqual([]);
});

test('default run writes the seven default indices and a report with per-stage timings', () => {
  const dir = run(rkhSample, []);
  expect(readdirSync(join(dir, 'indices')).sort()).toEqual(
    ['avi', 'clay_minerals', 'ndre1', 'ndre3', 'ndvi', 'terra_preta', 'terra_preta_enhanced'].map((n) => `${n}.tif`),
  );
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  expect(report.version).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  expect(report.engine.name).toBe('cpu');
  expect(report.engine.kernels).toBe('wasm-simd');
  expect(report.stages['decode']).toBeUndefined(); // GeoTIFF decoding is part of `read`
  for (const stage of ['discover', 'open', 'read', 'resample', 'indices', 'encode', 'write']) {
    const s = report.stages[stage];
    expect(s.count).toBeGreaterThan(0);
    expect(s.min_s).toBeLessThanOrEqual(s.mean_s);
    expect(s.mean_s).toBeLessThanOrEqual(s.max_s);
    expect(Math.abs(s.total_s - s.mean_s * s.count)).toBeLessThan(1e-3);
  }
  expect(report.pixels.total).toBe(256 * 256);
  expect(report.pixels.valid).toBe(256 * 256 - readManifest('rkh-bilinear').nan_counts['ndvi']!);
  expect(report.peak_rss_mb).toBeGreaterThan(10);
  expect(report.throughput.pixels_per_s).toBeGreaterThan(0);
  expect(report.inputs.bytes).toBeGreaterThan(0);
  expect(report.outputs.files.map((f: { path: string }) => f.path).sort()).toEqual([
    'candidates.geojson',
    ...['avi', 'clay_minerals', 'ndre1', 'ndre3', 'ndvi', 'terra_preta', 'terra_preta_enhanced'].map(
      (n) => `indices/${n}.tif`,
    ),
    ...['crop_mark', 'terra_preta', 'terra_preta_standard'].map((n) => `masks/${n}.tif`),
    'quicklook.pgw',
    'quicklook.png',
    'quicklook.png.aux.xml',
  ]);
  expect(report.recommendations.length).toBeGreaterThan(0);
  expect(report.parameter_hash).toMatch(/^[0-9a-f]{16}$/);
});
