/**
 * GDAL's command-line tools, to check that outputs are GDAL-readable. Tests using them run when GDAL is
 * installed; with ARCHEO_REQUIRE_GDAL=1 (set by .ci/run) a missing GDAL fails instead of skipping.
 */
import { spawnSync } from 'node:child_process';
import { testIf } from './skip.js';

export const gdalAvailable = spawnSync('gdalinfo', ['--version'], { encoding: 'utf8' }).status === 0;
if (!gdalAvailable && process.env['ARCHEO_REQUIRE_GDAL'] === '1') {
  throw new Error('ARCHEO_REQUIRE_GDAL=1 but gdalinfo is not on PATH (apt-get install gdal-bin)');
}

/** `test` when GDAL is installed; otherwise skipped, the reason in the test's name (helpers/skip.ts). */
export const gdalTest = testIf(gdalAvailable, 'GDAL is not installed (gdalinfo not on PATH: apt-get install gdal-bin)');

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
