/** Reading rasters and fixtures in tests. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { openGeoTiff } from '../../src/io/raster/geotiff.reader.js';
import type { RasterGrid, TypedArray } from '../../src/core/types.js';
import { expectedDir } from './paths.js';

export interface Manifest {
  sample: string;
  args: string[];
  width: number;
  height: number;
  transform: number[];
  epsg: number;
  indices: string[];
  nan_counts: Record<string, number>;
  aoi?: number[];
  aoi_window?: [number, number, number, number];
  aoi_small?: number[];
  aoi_small_window?: [number, number, number, number];
}

export function readManifest(caseName: string): Manifest {
  return JSON.parse(readFileSync(join(expectedDir, caseName, 'manifest.json'), 'utf8')) as Manifest;
}

/** A fixture of numpy float32 values, stored as 4 byte planes (see make_fixtures.py). */
export function readExpected(caseName: string, index: string): Float32Array {
  const planes = gunzipSync(readFileSync(join(expectedDir, caseName, `${index}.f32s.gz`)));
  const n = planes.length / 4;
  const bytes = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) for (let k = 0; k < 4; k++) bytes[i * 4 + k] = planes[k * n + i]!;
  return new Float32Array(bytes.buffer);
}

export async function readRaster(path: string): Promise<{ grid: RasterGrid; data: TypedArray }> {
  const r = await openGeoTiff(path);
  try {
    return { grid: r.grid, data: await r.readWindow({ x0: 0, y0: 0, width: r.grid.width, height: r.grid.height }) };
  } finally {
    await r.close();
  }
}

/** Largest |a - b| over pixels where both are numbers, and the count of pixels NaN in one only. */
export function compare(
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
): { maxDiff: number; nanMismatch: number; compared: number } {
  if (expected.length !== actual.length) throw new Error(`length ${actual.length}, expected ${expected.length}`);
  let maxDiff = 0;
  let nanMismatch = 0;
  let compared = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = expected[i]!;
    const b = actual[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) nanMismatch++;
      continue;
    }
    compared++;
    maxDiff = Math.max(maxDiff, Math.abs(a - b));
  }
  return { maxDiff, nanMismatch, compared };
}

/** Rows [y0, y0+h) and columns [x0, x0+w) of a row-major raster `width` wide. */
export function crop(data: Float32Array, width: number, x0: number, y0: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) out.set(data.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  return out;
}
