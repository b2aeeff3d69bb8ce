/**
 * GDAL's command-line tools, to check that outputs are GDAL-readable. Tests using them run when GDAL is
 * installed; with ARCHEO_REQUIRE_GDAL=1 (set by .ci/run) a missing GDAL fails instead of skipping.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './paths.js';
import { testIf } from './skip.js';

export const gdalAvailable = spawnSync('gdalinfo', ['--version'], { encoding: 'utf8' }).status === 0;
if (!gdalAvailable && process.env['ARCHEO_REQUIRE_GDAL'] === '1') {
  throw new Error('ARCHEO_REQUIRE_GDAL=1 but gdalinfo is not on PATH (apt-get install gdal-bin)');
}

/** `test` when GDAL is installed; otherwise skipped, the reason in the test's name (helpers/skip.ts). */
export const gdalTest = testIf(gdalAvailable, 'GDAL is not installed (gdalinfo not on PATH: apt-get install gdal-bin)');
/** GDAL's Python bindings (osgeo, osgeo_utils) under /usr/bin/python3: the COG validator and gdaladdo. */
export const pythonGdalAvailable =
  spawnSync('/usr/bin/python3', ['-c', 'import osgeo_utils.samples.validate_cloud_optimized_geotiff'], {
    encoding: 'utf8',
  }).status === 0;
if (!pythonGdalAvailable && process.env['ARCHEO_REQUIRE_GDAL'] === '1') {
  throw new Error(
    'ARCHEO_REQUIRE_GDAL=1 but /usr/bin/python3 cannot import osgeo_utils (apt-get install python3-gdal)',
  );
}

/** `test` when GDAL's Python bindings are installed (and its tools), `test.skip` otherwise. */
export const pythonGdalTest = testIf(
  gdalAvailable && pythonGdalAvailable,
  "GDAL's Python bindings are not installed (/usr/bin/python3 cannot import osgeo_utils: apt-get install python3-gdal)",
);

/** What test/fixtures/cog_check.py says of a GeoTIFF: GDAL's COG verdict and its overviews compared. */
export interface CogCheck {
  warnings: string[];
  errors: string[];
  overviews: number;
  nodata: number | 'nan' | null;
  levels: {
    shape: [number, number];
    gdal_shape: [number, number];
    nan_mismatch?: number;
    valid?: number;
    max_ulps?: number;
    max_ulps_source?: number;
    mismatch?: number;
    pixels?: number;
  }[];
}

/** Runs test/fixtures/cog_check.py on `path` with gdaladdo's resampling `method` as the reference. */
export function cogCheck(path: string, method: 'average' | 'mode'): CogCheck {
  const script = join(root, 'test', 'fixtures', 'cog_check.py');
  return JSON.parse(gdal('/usr/bin/python3', [script, path, method])) as CogCheck;
}

export function gdal(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export interface GdalInfo {
  size: [number, number];
  geoTransform: number[];
  coordinateSystem: { wkt: string };
  stac?: { 'proj:epsg'?: number };
  bands: { type: string; noDataValue?: number | string; description?: string; block: number[] }[];
  metadata: Record<string, Record<string, string>>;
}

export function gdalinfo(path: string): GdalInfo {
  return JSON.parse(gdal('gdalinfo', ['-json', path])) as GdalInfo;
}

/** The EPSG code at the end of a WKT2 CRS (its outermost ID). */
export function epsgOf(wkt: string): number | undefined {
  const ids = [...wkt.matchAll(/ID\["EPSG",(\d+)\]/g)];
  return ids.length ? Number(ids[ids.length - 1]![1]) : undefined;
}
