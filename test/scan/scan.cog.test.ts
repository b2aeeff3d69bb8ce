/**
 * Every raster a scan writes is a Cloud-Optimized GeoTIFF by GDAL's own validator (full check: IFDs
 * first, tiles in row-major order with their leaders and trailers), with internal overviews equal to
 * what GDAL's `gdaladdo` makes from the same full-resolution band (test/fixtures/cog_check.py): `-r
 * average` for the float32 indices within one float32 ulp of the sources (the sums are rounded once, in
 * another order), `-r mode` for the masks exactly. Masks declare nodata 255 where their detector had no valid
 * value to test; the quicklook opens in GDAL georeferenced on the scan's grid.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { archeo } from '../helpers/cli.js';
import { cogCheck, epsgOf, gdalinfo, pythonGdalTest } from '../helpers/gdal.js';
import { outputEntries, rkhSample, tempDir } from '../helpers/paths.js';
import { readRaster } from '../helpers/rasters.js';

function scan(args: string[]): string {
  const out = tempDir();
  const r = archeo(['scan', rkhSample, '--out', out, '-q', ...args]);
  expect(r.code).toBe(0);
  return join(out, outputEntries(out)[0]!);
}

/** The rasters of a scene folder: indices (average overviews) and masks (mode overviews). */
function rasters(dir: string): { path: string; method: 'average' | 'mode' }[] {
  return [
    ...readdirSync(join(dir, 'indices')).map((f) => ({ path: join(dir, 'indices', f), method: 'average' as const })),
    ...readdirSync(join(dir, 'masks')).map((f) => ({ path: join(dir, 'masks', f), method: 'mode' as const })),
  ];
}

function expectGdalOverviews(path: string, method: 'average' | 'mode', levels: number): void {
  const check = cogCheck(path, method);
  expect({ path, errors: check.errors, warnings: check.warnings }).toEqual({ path, errors: [], warnings: [] });
  expect(check.overviews).toBe(levels);
  for (const level of check.levels) {
    expect(level.shape).toEqual(level.gdal_shape);
    if (method === 'average') {
      expect(check.nodata).toBe('nan');
      expect(level.nan_mismatch).toBe(0);
      expect(level.valid).toBeGreaterThan(0);
      // One float32 rounding, in units of the sources (an average of values of both signs can be far
      // smaller than them: 11 ulps of the result were seen for ndre1, 1 of its sources).
      expect(level.max_ulps_source).toBeLessThanOrEqual(1);
    } else {
      expect(check.nodata).toBe(255);
      expect(level.mismatch).toBe(0);
    }
  }
}

describe('COG outputs with overviews', () => {
  // An AOI window of odd height (234 x 233) with 16 px tiles: four overview levels, the odd sizes giving
  // GDAL's fractional windows (source pixels straddling two overview pixels), strips and tasks crossing
  // every level's tile rows.
  let odd: string;
  beforeAll(() => {
    odd = scan(['--block', '16', '--aoi=-11.141,25.053,-10.913,25.259']);
  });

  pythonGdalTest('odd window, 16 px tiles: every index and mask is a valid COG; overviews equal gdaladdo', () => {
    expect(gdalinfo(join(odd, 'indices', 'ndvi.tif')).size).toEqual([234, 233]);
    const files = rasters(odd);
    expect(files).toHaveLength(10);
    for (const f of files) expectGdalOverviews(f.path, f.method, 4);
  });

  test("the state file's SHA-256 of every output is the file's (rasters hashed by their writers)", () => {
    // The writers hash each COG from its pieces just before room is inserted before its full resolution
    // (insert.range.ts); a piece out of place would show here.
    const state = JSON.parse(readFileSync(join(dirname(odd), 'archeo-state.json'), 'utf8'));
    const scene = state.scenes[basename(odd)] as { outputs: { path: string; sha256: string }[] };
    const hashed = scene.outputs.map((o) => o.path).sort();
    expect(hashed).toEqual(expect.arrayContaining(rasters(odd).map((f) => relative(odd, f.path))));
    for (const o of scene.outputs) {
      const file = join(odd, o.path);
      expect({ file, sha256: o.sha256 }).toEqual({
        file,
        sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
      });
    }
  });

  test('ARCHEO_COG_COPY=1 (copy into a new file, not room inserted in place) writes the same bytes', () => {
    const out = tempDir();
    const r = archeo(['scan', rkhSample, '--out', out, '-q', '--block', '16', '--aoi=-11.141,25.053,-10.913,25.259'], {
      ARCHEO_COG_COPY: '1',
    });
    expect(r.code).toBe(0);
    const copied = join(out, outputEntries(out)[0]!);
    for (const f of rasters(odd)) {
      const other = join(copied, relative(odd, f.path));
      expect({ other, same: readFileSync(other).equals(readFileSync(f.path)) }).toEqual({ other, same: true });
    }
  });

  pythonGdalTest('the whole sample, 64 px tiles, DEFLATE: valid COGs, overviews equal gdaladdo', () => {
    const dir = scan(['--block', '64', '--compress', 'deflate']);
    expect(gdalinfo(join(dir, 'indices', 'ndvi.tif')).metadata['IMAGE_STRUCTURE']).toMatchObject({
      COMPRESSION: 'DEFLATE',
      PREDICTOR: '3',
      LAYOUT: 'COG',
    });
    for (const f of rasters(dir)) expectGdalOverviews(f.path, f.method, 2);
  });

  pythonGdalTest('masks: 1 candidate, 0 none, nodata 255 where an index the detector tests is NaN', async () => {
    // terra_preta's conditions test terra_preta and ndvi (compute/detect/params.ts).
    const mask = await readRaster(join(odd, 'masks', 'terra_preta.tif'));
    const tp = await readRaster(join(odd, 'indices', 'terra_preta.tif'));
    const ndvi = await readRaster(join(odd, 'indices', 'ndvi.tif'));
    const counts = { none: 0, candidate: 0, nodata: 0, other: 0, wrong: 0 };
    for (let i = 0; i < mask.data.length; i++) {
      const m = mask.data[i]!;
      const untested = Number.isNaN(tp.data[i]!) || Number.isNaN(ndvi.data[i]!);
      if (m === 1) counts.candidate++;
      else if (m === 0) counts[untested ? 'wrong' : 'none']++;
      else if (m === 255) counts[untested ? 'nodata' : 'wrong']++;
      else counts.other++;
    }
    expect(counts.wrong).toBe(0);
    expect(counts.other).toBe(0);
    expect(counts.none).toBeGreaterThan(0);
    expect(counts.nodata).toBeGreaterThan(0);
    const info = gdalinfo(join(odd, 'masks', 'terra_preta.tif'));
    expect(info.bands[0]!.noDataValue).toBe(255);
    expect(info.metadata['']).toMatchObject({ classes: '0 none, 1 candidate, 255 no valid value (nodata)' });
  });

  pythonGdalTest('quicklook.png opens in GDAL georeferenced: the scan grid at the picture scale, its CRS', () => {
    const png = gdalinfo(join(odd, 'quicklook.png'));
    const index = gdalinfo(join(odd, 'indices', 'ndvi.tif'));
    // 234 x 233 fits the 2048 px picture: one picture pixel per grid pixel.
    expect(png.size).toEqual(index.size);
    expect(png.geoTransform).toEqual(index.geoTransform);
    expect(epsgOf(png.coordinateSystem.wkt)).toBe(32629);
    expect(readdirSync(odd)).toEqual(expect.arrayContaining(['quicklook.pgw', 'quicklook.png.aux.xml']));
  });
});
