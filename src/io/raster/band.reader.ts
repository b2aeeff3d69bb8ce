/** What scan needs from a single-band raster file, whatever its format (GeoTIFF/COG or JPEG 2000). */
import { InputError } from '../../core/errors.js';
import type { SourceStats } from '../source/byte.source.js';
import type { GeoTransform, PixelWindow, RasterGrid, SampleType, TypedArray } from '../../core/types.js';

export interface ReadStats {
  /** Compressed bytes read from the file. */
  bytesRead: number;
  /** Tiles (or strips, or whole JP2 images) decoded. */
  blocksDecoded: number;
  /** Seconds spent decoding, summed over concurrent decodes. */
  decodeSeconds: number;
}

export interface BandReader {
  readonly path: string;
  readonly format: 'GeoTIFF' | 'JPEG 2000';
  readonly grid: RasterGrid;
  readonly type: SampleType;
  /** Size of the file on disk. */
  readonly fileBytes: number;
  readonly stats: ReadStats;
  /** What the byte source fetched (GeoTIFF): bytes, requests, retries, network wait. */
  readonly fetched?: SourceStats;
  /**
   * Reads a window (which must lie inside the raster) as a row-major array of `height` rows of `width`
   * samples. With `shared`, the result lives in a SharedArrayBuffer that worker threads can read.
   * `into`, when given (of the reader's type and the window's size), receives the samples instead of a
   * new array: scan reuses its strip windows.
   */
  readWindow(win: PixelWindow, shared?: boolean, into?: TypedArray): Promise<TypedArray>;
  close(): Promise<void>;
}

export function newReadStats(): ReadStats {
  return { bytesRead: 0, blocksDecoded: 0, decodeSeconds: 0 };
}

/** Smallest and largest |pixel size| accepted, in CRS units (metres or degrees): anything else is garbage. */
export const pixelSizeRange = [1e-9, 1e7] as const;

/**
 * Refuses a georeferencing no real band has: a non-finite origin, or a pixel size that is not finite,
 * zero, out of `pixelSizeRange`, or not north-up (x steps east, y steps south). Every reader checks its
 * grid here before handing it on, so no output is ever placed on such a grid.
 */
export function checkGeoTransform(
  path: string,
  transform: GeoTransform,
  source: { origin: string; size: string },
): void {
  const [ox, px, rx, oy, ry, py] = transform;
  if (!Number.isFinite(ox) || !Number.isFinite(oy)) {
    throw new InputError(path, `${source.origin}: origin (${ox}, ${oy}) is not a finite coordinate`);
  }
  const [lo, hi] = pixelSizeRange;
  for (const [axis, size] of [
    ['x', px],
    ['y', py],
  ] as const) {
    if (!Number.isFinite(size) || !(Math.abs(size) >= lo && Math.abs(size) <= hi)) {
      throw new InputError(
        path,
        `${source.size}: pixel size ${axis} ${size} is not a usable size (${lo.toExponential()} to ${hi.toExponential()} units)`,
      );
    }
  }
  if (px < 0 || py > 0 || rx !== 0 || ry !== 0) {
    throw new InputError(path, `${source.size}: pixel size (${px}, ${py}) is not north-up (x east, y south)`);
  }
}
