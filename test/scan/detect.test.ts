/**
 * Detection end to end through the CLI: against the peer (peer_numpy.py) on a crop of the
 * make_scene.py --size 2048 --seed 42 scene (fixtures by test/fixtures/make_peer_fixtures.py), recall of
 * the planted anomalies, the GeoJSON (RFC 7946), the quicklook, and parameter files.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { archeo, errorLines } from '../helpers/cli.js';
import { gdal, gdalinfo, gdalTest } from '../helpers/gdal.js';
import { root, rkhSample, tempDir, unuSample, outputEntries } from '../helpers/paths.js';
import { readRaster } from '../helpers/rasters.js';

const peerDir = join(root, 'test', 'fixtures', 'peer');
const peerScene = join(peerDir, 'scene');

interface FC {
  type: string;
  archeo: Record<string, string>;
  features: {
    type: string;
    id: number;
    bbox: number[];
    geometry: { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] };
    properties: Record<string, any>;
  }[];
}

function scan(scene: string, args: string[]): string {
  const out = tempDir();
  const r = archeo(['scan', scene, '--out', out, '-q', ...args]);
  expect(errorLines(r.stderr)).toEqual([]);
  expect(r.code).toBe(0);
  return join(out, outputEntries(out)[0]!);
}

describe("the peer's rule as a parameter file gives the peer's results", () => {
  let dir: string;
  let report: any;
  let fc: FC;
  beforeAll(() => {
    // the peer's arithmetic too: it scales DN by float32(1e-4) (--reflectance multiply)
    dir = scan(peerScene, [
      '--params',
      join(peerDir, 'peer_rule.json'),
      '--resample',
      'nearest',
      '--reflectance',
      'multiply',
      '--indices',
      'all',
    ]);
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    fc = JSON.parse(readFileSync(join(dir, 'candidates.geojson'), 'utf8'));
  });
  test("the mask after morphology is pixel-identical to the peer's mask.tif", async () => {
    const ours = await readRaster(join(dir, 'masks', 'peer.tif'));
    const peer = await readRaster(join(peerDir, 'expected', 'mask.tif'));
    expect(ours.grid).toEqual(peer.grid);
    // The peer has no nodata class: its 0 is archeo's 0 (tested, none) and 255 (nothing valid to test).
    for (let i = 0; i < ours.data.length; i++) if (ours.data[i] === 255) ours.data[i] = 0;
    expect(Buffer.compare(Buffer.from(ours.data.buffer), Buffer.from(peer.data.buffer))).toBe(0);
  });
  test('the same components, the same kept areas, means and centroids', () => {
    const timing = JSON.parse(readFileSync(join(peerDir, 'expected', 'timing.json'), 'utf8'));
    const peer = JSON.parse(readFileSync(join(peerDir, 'expected', 'features.geojson'), 'utf8')).features as {
      properties: any;
    }[];
    expect(report.detection.detectors.peer.components).toBe(timing.n_components);
    expect(report.detection.detectors.peer.maskPixels).toBe(timing.mask_pixels);
    expect(fc.features.length).toBe(peer.length);
    const areas = (list: { properties: any }[]) =>
      list.map((f) => f.properties.area_px).sort((a: number, b: number) => a - b);
    expect(areas(fc.features)).toEqual(areas(peer));
    for (const f of fc.features) {
      const p = f.properties;
      // the peer's centroid_utm is rounded to 0.01 m and its means to 1e-6
      const match = peer.find(
        (q) =>
          Math.abs(q.properties.centroid_utm[0] - p['centroid_x']) <= 0.006 &&
          Math.abs(q.properties.centroid_utm[1] - p['centroid_y']) <= 0.006,
      );
      expect(match).toBeDefined();
      expect(match!.properties.area_px).toBe(p['area_px']);
      for (const name of ['ndvi', 'ndre1', 'ndre3', 'avi', 'terra_preta', 'terra_preta_enhanced', 'clay_minerals']) {
        expect(Math.abs(match!.properties[`mean_${name}`] - p[`mean_${name}`])).toBeLessThanOrEqual(5.01e-7);
      }
    }
  });
});

describe('default detectors on the synthetic scene crop', () => {
  let dir: string;
  let fc: FC;
  let report: any;
  beforeAll(() => {
    dir = scan(peerScene, []);
    fc = JSON.parse(readFileSync(join(dir, 'candidates.geojson'), 'utf8'));
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  });

  test('terra_preta recovers at least 95 % of the planted anomalies (truth.json)', () => {
    const truth = JSON.parse(readFileSync(join(peerScene, 'truth.json'), 'utf8'));
    const [ox, px, , oy, , py] = truth.geotransform_10m;
    const centroids = fc.features
      .filter((f) => f.properties['detector'] === 'terra_preta')
      .map((f) => [(f.properties['centroid_x'] - ox) / px - 0.5, (f.properties['centroid_y'] - oy) / py - 0.5]);
    const found = truth.anomalies.filter((a: { bbox_rc: number[] }) => {
      const [r0, c0, r1, c1] = a.bbox_rc as [number, number, number, number];
      return centroids.some(([cx, cy]) => cy! >= r0 - 2 && cy! < r1 + 2 && cx! >= c0 - 2 && cx! < c1 + 2);
    });
    expect(truth.anomalies.length).toBe(5);
    expect(found.length / truth.anomalies.length).toBeGreaterThanOrEqual(0.95);
  });

  test('RFC 7946: closed rings of at least 4 positions, exteriors counter-clockwise, holes clockwise, lon/lat', () => {
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features.length).toBeGreaterThan(5);
    const signed = (ring: number[][]) =>
      ring.slice(0, -1).reduce((s, p, i) => s + p[0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * p[1]!, 0) / 2;
    for (const f of fc.features) {
      expect(f.type).toBe('Feature');
      // a candidate of corner-joined pieces is a MultiPolygon (OGC validity, compute/detect/polygons.ts)
      expect(['Polygon', 'MultiPolygon']).toContain(f.geometry.type);
      const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
      for (const rings of polygons)
        rings.forEach((ring, i) => {
          expect(ring.length).toBeGreaterThanOrEqual(4);
          expect(ring[0]).toEqual(ring[ring.length - 1]);
          if (i === 0) expect(signed(ring)).toBeGreaterThan(0);
          else expect(signed(ring)).toBeLessThan(0);
          for (const [lon, lat] of ring) {
            expect(lon).toBeGreaterThan(-57);
            expect(lon).toBeLessThan(-55); // make_scene: UTM 21S near 56° W, 10° S
            expect(lat).toBeGreaterThan(-11);
            expect(lat).toBeLessThan(-9);
          }
        });
      const p = f.properties;
      for (const key of [
        'id',
        'detector',
        'scene',
        'date',
        'area_px',
        'area_m2',
        'centroid_lon',
        'centroid_lat',
        'centroid_x',
        'centroid_y',
        'crs',
        'bbox',
        'confidence',
        'contrast',
      ]) {
        expect(p).toHaveProperty(key);
      }
      expect(p['area_m2']).toBe(p['area_px'] * 100);
      expect(p['crs']).toBe('EPSG:32721');
      expect(p['confidence']).toBeGreaterThanOrEqual(0);
      expect(p['confidence']).toBeLessThanOrEqual(1);
      for (const name of report.indices.written) expect(typeof p[`mean_${name}`]).toBe('number');
    }
    // Planted anomalies have raised red edge and lowered SWIR: brighter than their background.
    const tp = fc.features.filter((f) => f.properties['detector'] === 'terra_preta' && f.properties['area_px'] > 50);
    expect(tp.length).toBeGreaterThan(0);
    for (const f of tp) expect(f.properties['contrast']).toBeGreaterThan(0);
  });

  test('every output carries the same parameter hash', async () => {
    const hash = report.parameter_hash;
    expect(fc.archeo['parameter_hash']).toBe(hash);
    expect(fc.archeo['detectors_hash']).toBe(report.detection.parameter_hash);
    const { openGeoTiff } = await import('../../src/io/raster/geotiff.reader.js');
    for (const file of [join(dir, 'indices', 'ndvi.tif'), join(dir, 'masks', 'terra_preta.tif')]) {
      const r = await openGeoTiff(file);
      await r.close();
      const text = readFileSync(file, 'latin1');
      expect(text).toContain(`<Item name="parameter_hash">${hash}</Item>`);
    }
  });

  test('quicklook.png: long side ≤ 2048, and outline pixels drawn where candidates are', async () => {
    const { data, info } = await sharp(join(dir, 'quicklook.png')).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([640, 640]); // the window, at one pixel per 10 m
    const yellow = (x: number, y: number) =>
      data[(y * info.width + x) * info.channels] === 255 &&
      data[(y * info.width + x) * info.channels + 1] === 212 &&
      data[(y * info.width + x) * info.channels + 2] === 0;
    const [ox, px, , oy, , py] = report.grid.transform as [number, number, number, number, number, number];
    // Each candidate lies within sqrt(area) pixels of its centroid; its outline runs along its edges.
    const boxes = fc.features.map((f) => {
      const cx = (f.properties['centroid_x'] - ox) / px;
      const cy = (f.properties['centroid_y'] - oy) / py;
      const r = Math.ceil(Math.sqrt(f.properties['area_px'])) + 2;
      return {
        detector: f.properties['detector'] as string,
        x0: Math.floor(cx - r),
        x1: Math.ceil(cx + r),
        y0: Math.floor(cy - r),
        y1: Math.ceil(cy + r),
      };
    });
    for (const b of boxes.filter((x) => x.detector === 'terra_preta')) {
      let hit = false;
      for (let y = Math.max(0, b.y0); y <= Math.min(info.height - 1, b.y1) && !hit; y++) {
        for (let x = Math.max(0, b.x0); x <= Math.min(info.width - 1, b.x1) && !hit; x++) hit = yellow(x, y);
      }
      expect(hit).toBe(true);
    }
    // and no outline colour away from every candidate
    let stray = 0;
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) {
        if (yellow(x, y) && !boxes.some((b) => x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1)) stray++;
      }
    }
    expect(stray).toBe(0);
  });

  gdalTest('GDAL opens the candidates (ogrinfo) and the masks; polygons lie inside the scene footprint', () => {
    const info = gdal('ogrinfo', ['-ro', '-al', '-so', join(dir, 'candidates.geojson')]);
    expect(info).toContain(`Feature Count: ${fc.features.length}`);
    // Polygons, and MultiPolygons for candidates of corner-joined pieces: ogr then says "Unknown (any)"
    const multi = fc.features.some((f) => f.geometry.type === 'MultiPolygon');
    expect(info).toContain(multi ? 'Geometry: Unknown (any)' : 'Geometry: Polygon');
    const mask = gdalinfo(join(dir, 'masks', 'terra_preta.tif'));
    expect(mask.bands[0]!.type).toBe('Byte');
    const extent = (
      gdalinfo(join(dir, 'indices', 'ndvi.tif')) as unknown as { wgs84Extent: { coordinates: number[][][] } }
    ).wgs84Extent.coordinates[0]!;
    const lons = extent.map((p) => p[0]!);
    const lats = extent.map((p) => p[1]!);
    for (const f of fc.features) {
      const rings = f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates.flat();
      for (const [lon, lat] of rings.flat()) {
        expect(lon).toBeGreaterThanOrEqual(Math.min(...lons) - 1e-6);
        expect(lon).toBeLessThanOrEqual(Math.max(...lons) + 1e-6);
        expect(lat).toBeGreaterThanOrEqual(Math.min(...lats) - 1e-6);
        expect(lat).toBeLessThanOrEqual(Math.max(...lats) + 1e-6);
      }
    }
  });
});

describe('parameter sets and detector selection', () => {
  test('--print-params prints the default set; --params original prints the original one', () => {
    const d = JSON.parse(archeo(['scan', '--print-params']).stdout);
    expect(d.name).toBe('default');
    expect(Object.keys(d.detectors)).toEqual(['terra_preta', 'terra_preta_standard', 'crop_mark', 'earthworks']);
    const o = JSON.parse(archeo(['scan', '--print-params', '--params', 'original']).stdout);
    expect(o.name).toBe('original');
    expect(o.detectors.terra_preta.conditions).toContainEqual({ index: 'ndvi', op: '<', value: 0.8 });
    expect(o.detectors.terra_preta.area_m2.min).toBe(4500);
    expect(o.detectors.earthworks).toMatchObject({ kind: 'earthworks', index: 'ndvi', mode: 'original' });
  });
  test('a printed set, edited and passed back with --params, is used (and its hash goes into the report)', () => {
    const p = JSON.parse(archeo(['scan', '--print-params']).stdout);
    p.name = 'stricter';
    p.detectors = {
      terra_preta: {
        ...p.detectors.terra_preta,
        conditions: [...p.detectors.terra_preta.conditions, { index: 'ndvi', op: '<', value: 0.2 }],
      },
    };
    const file = join(tempDir(), 'params.json');
    writeFileSync(file, JSON.stringify(p));
    const dir = scan(peerScene, ['--params', file]);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.detection.parameter_set).toBe('stricter');
    expect(Object.keys(report.detection.detectors)).toEqual(['terra_preta']);
    expect(report.detection.candidates).toBe(0); // ndvi > 0.3 and < 0.2 never holds
  });
  test('a malformed parameter file is refused with the JSON path of the fault', () => {
    const p = JSON.parse(archeo(['scan', '--print-params']).stdout);
    p.detectors.crop_mark.morphology[0].op = 'opening';
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify(p));
    const out = tempDir();
    const r = archeo(['scan', rkhSample, '--params', file, '--out', out]);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      `archeo: ${file}: $.detectors.crop_mark.morphology[0].op: expected one of open, close, erode, dilate, got "opening"`,
    ]);
    expect(outputEntries(out)).toEqual([]);
  });
  test('--detect none writes indices only; an unknown detector is a usage error', () => {
    const dir = scan(rkhSample, ['--detect', 'none']);
    expect(readdirSync(dir).sort()).toEqual(['indices', 'report.json']);
    const r = archeo(['scan', rkhSample, '--detect', 'terra_pretta']);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)[0]).toBe(
      "archeo: --detect: unknown detector 'terra_pretta' (in default: terra_preta, terra_preta_standard, crop_mark, earthworks)",
    );
  });
  test('detectors needing B08 are skipped with a warning on a scene without it, refused when named', () => {
    const out = tempDir();
    const r = archeo(['scan', unuSample, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('detector terra_preta skipped: band B08 missing');
    const named = archeo(['scan', unuSample, '--out', tempDir(), '--detect', 'terra_preta']);
    expect(named.code).toBe(1);
    expect(errorLines(named.stderr)).toEqual([
      `archeo: ${unuSample}: detector terra_preta needs band B08, which this scene lacks`,
    ]);
  });
});
