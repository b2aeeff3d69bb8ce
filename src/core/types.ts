/** Types shared by io, compute and pipeline. Plain data only. */

/**
 * Affine geotransform in GDAL order: x = gt[0] + col*gt[1] + row*gt[2], y = gt[3] + col*gt[4] + row*gt[5],
 * where (col, row) is the top-left corner of a pixel. North-up rasters have gt[2] = gt[4] = 0 and gt[5] < 0.
 */
export type GeoTransform = readonly [number, number, number, number, number, number];

/** A raster's pixel grid on the ground. */
export interface RasterGrid {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  transform: GeoTransform;
  /** EPSG code of the CRS, when known. */
  epsg: number | undefined;
}

/** A lon/lat box: west, south, east, north in degrees. */
export interface LonLatBox {
  west: number;
  south: number;
  east: number;
  north: number;
}

/** A rectangle of pixels: columns [x0, x0+width), rows [y0, y0+height). */
export interface PixelWindow {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** A window of samples of one band: `data` holds `height` rows of `width` samples from (x0, y0). */
export interface SampleWindow extends PixelWindow {
  data: TypedArray;
}

/** Sample types archeo reads and writes. */
export type SampleType = 'uint8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

export type TypedArray = Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export function bytesPerSample(type: SampleType): number {
  switch (type) {
    case 'uint8':
      return 1;
    case 'uint16':
    case 'int16':
      return 2;
    case 'uint32':
    case 'int32':
    case 'float32':
      return 4;
    case 'float64':
      return 8;
  }
}

export function allocSamples(type: SampleType, length: number, shared = false): TypedArray {
  const bytes = bytesPerSample(type) * length;
  const buf = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return viewSamples(type, buf);
}

export function viewSamples(type: SampleType, buf: ArrayBufferLike, byteOffset = 0, length?: number): TypedArray {
  switch (type) {
    case 'uint8':
      return new Uint8Array(buf, byteOffset, length);
    case 'uint16':
      return new Uint16Array(buf, byteOffset, length);
    case 'int16':
      return new Int16Array(buf, byteOffset, length);
    case 'uint32':
      return new Uint32Array(buf, byteOffset, length);
    case 'int32':
      return new Int32Array(buf, byteOffset, length);
    case 'float32':
      return new Float32Array(buf, byteOffset, length);
    case 'float64':
      return new Float64Array(buf, byteOffset, length);
  }
}

/** Pixel size (positive) of a north-up grid. */
export function pixelSize(grid: RasterGrid): { x: number; y: number } {
  return { x: Math.abs(grid.transform[1]), y: Math.abs(grid.transform[5]) };
}
