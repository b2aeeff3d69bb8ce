/** What scan needs from a single-band raster file, whatever its format (GeoTIFF/COG or JPEG 2000). */
import type { PixelWindow, RasterGrid, SampleType, TypedArray } from '../../core/types.js';

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
