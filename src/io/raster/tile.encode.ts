/** Encodes one raster tile for a GeoTIFF: predictor, then compression. Runs in scan workers. */
import type { TypedArray } from '../../core/types.js';
import { compress, floatPredictor32, horizontalPredictor8, type Codec } from './tiff.codec.js';

export type WritableType = 'float32' | 'uint8';

/** TIFF predictor used for a sample type when compressing: 3 (floating point) or 2 (horizontal). */
export function predictorFor(type: WritableType, codec: Codec): number {
  if (codec === 'none') return 1;
  return type === 'float32' ? 3 : 2;
}

/** Predictor + compression of a full `size` x `size` tile. */
export async function encodeTile(
  samples: TypedArray,
  size: number,
  type: WritableType,
  codec: Codec,
  level: number,
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  const predictor = predictorFor(type, codec);
  if (predictor === 3) bytes = floatPredictor32(samples as Float32Array, size, size);
  else if (predictor === 2) bytes = horizontalPredictor8(samples as Uint8Array, size, size);
  else bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  return compress(codec, bytes, level, type === 'float32');
}

/**
 * Byte buffers of one size, reused: the predictor's output lives only until its tile is compressed, and
 * a fresh megabyte per tile (zeroed, page-faulted, collected) costs more than the predictor itself.
 */
export class BytePool {
  private readonly free: Uint8Array[] = [];
  constructor(readonly size: number) {}
  take(): Uint8Array {
    return this.free.pop() ?? new Uint8Array(this.size);
  }
  give(buf: Uint8Array): void {
    if (buf.length === this.size && this.free.length < 64) this.free.push(buf);
  }
}

/**
 * Encodes the tile at tile column `tx` of a float32 strip (`rows` rows of `width` samples): read in
 * place when it lies wholly inside the strip, else cut out and padded with NaN.
 */
export async function encodeStripTile(
  strip: Float32Array,
  width: number,
  rows: number,
  tx: number,
  size: number,
  codec: Codec,
  level: number,
  pool?: BytePool,
): Promise<Uint8Array> {
  const x0 = tx * size;
  if (codec !== 'none' && rows === size && x0 + size <= width) {
    const buf = pool?.size === size * size * 4 ? pool.take() : undefined;
    const bytes = floatPredictor32(strip, size, size, width, x0, buf);
    try {
      return await compress(codec, bytes, level, true);
    } finally {
      if (buf) pool!.give(buf);
    }
  }
  const tile = cutTile(strip, width, rows, tx, size, NaN, (n) => new Float32Array(n));
  return encodeTile(tile, size, 'float32', codec, level);
}

/**
 * Copies the tile at tile column `tx` out of a strip (`rows` rows of `width` samples) into a full tile,
 * padding past the raster's right and bottom edges with `fill` (NaN for float, 0 for masks).
 */
export function cutTile<T extends Float32Array | Uint8Array>(
  strip: T,
  width: number,
  rows: number,
  tx: number,
  size: number,
  fill: number,
  make: (n: number) => T,
): T {
  const tile = make(size * size);
  const x0 = tx * size;
  const w = Math.min(size, width - x0);
  if (w < size || rows < size) tile.fill(fill);
  for (let y = 0; y < rows; y++) tile.set(strip.subarray(y * width + x0, y * width + x0 + w), y * size);
  return tile;
}

const NAN_BITS = new Uint32Array(new Float32Array([Number.NaN]).buffer)[0]!;

/**
 * The bit pattern that every sample of a tile holds, or undefined when they differ: the region of
 * `rows` x `cols` samples from `start`, rows `stride` samples apart, and, where the region is smaller
 * than the tile (the raster's right and bottom edges), the padding `fill` that cutTile adds. Most mask
 * tiles are one class, and an index is one NaN wherever the scene has no data.
 */
export function uniformBits(
  samples: Float32Array | Uint8Array,
  start: number,
  stride: number,
  rows: number,
  cols: number,
  tileSize: number,
  fill: number,
): number | undefined {
  if (rows === 0 || cols === 0) return undefined;
  const float = samples instanceof Float32Array;
  const words = float ? new Uint32Array(samples.buffer, samples.byteOffset, samples.length) : undefined;
  const bits = words ? words[start]! : samples[start]!;
  if (rows < tileSize || cols < tileSize) {
    const fillBits = float
      ? Number.isNaN(fill)
        ? NAN_BITS
        : new Uint32Array(new Float32Array([fill]).buffer)[0]!
      : fill;
    if (bits !== fillBits) return undefined;
  }
  if (words) {
    for (let y = 0; y < rows; y++) {
      const o = start + y * stride;
      for (let x = 0; x < cols; x++) if (words[o + x] !== bits) return undefined;
    }
    return bits;
  }
  const bytes = samples as Uint8Array;
  // Four bytes at a time where the rows allow (a mask's usual case), else byte by byte.
  const aligned = (bytes.byteOffset + start) % 4 === 0 && stride % 4 === 0 && cols % 4 === 0;
  if (aligned) {
    const w32 = new Uint32Array(bytes.buffer, bytes.byteOffset + start, ((rows - 1) * stride + cols) >> 2);
    const quad = (bits * 0x01010101) >>> 0;
    for (let y = 0; y < rows; y++) {
      const o = (y * stride) >> 2;
      for (let x = 0; x < cols >> 2; x++) if (w32[o + x] !== quad) return undefined;
    }
    return bits;
  }
  for (let y = 0; y < rows; y++) {
    const o = start + y * stride;
    for (let x = 0; x < cols; x++) if (bytes[o + x] !== bits) return undefined;
  }
  return bits;
}

/**
 * Encoded tiles of one value, by its bit pattern (float32 bits or a byte), made once: every such tile
 * of a raster encodes to the same bytes (the same predictor and codec), so the predictor and the
 * compressor run once per value instead of once per tile.
 */
export class UniformTiles {
  private readonly known = new Map<number, Promise<Uint8Array>>();

  constructor(
    readonly size: number,
    readonly type: WritableType,
    readonly codec: Codec,
    readonly level: number,
  ) {}

  /** Whether this cache encodes tiles as the caller does. */
  fits(size: number, type: WritableType, codec: Codec, level: number): boolean {
    return this.size === size && this.type === type && this.codec === codec && this.level === level;
  }

  bytes(bits: number): Promise<Uint8Array> {
    let encoded = this.known.get(bits);
    if (!encoded) {
      const n = this.size * this.size;
      const tile = this.type === 'float32' ? new Float32Array(n) : new Uint8Array(n);
      if (tile instanceof Float32Array) new Uint32Array(tile.buffer).fill(bits);
      else tile.fill(bits);
      encoded = encodeTile(tile, this.size, this.type, this.codec, this.level);
      this.known.set(bits, encoded);
    }
    return encoded;
  }
}
