/**
 * Tile codecs for GeoTIFF: decompression and predictor removal when reading, predictor and compression
 * when writing. Pure functions over bytes (no file access) so the scan workers can run them.
 *
 * Predictors follow libtiff: 2 = horizontal differencing of samples per row; 3 = the floating-point
 * predictor (each row's samples split into byte planes, most significant first, then byte differencing
 * along the row). Hosts are assumed little-endian (x86-64, arm64); big-endian files are byte-swapped.
 */
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import type { SampleType, TypedArray } from '../../core/types.js';
import { bytesPerSample, viewSamples } from '../../core/types.js';
import { lzwDecode, lzwEncode } from './lzw.js';

const inflate = promisify(zlib.inflate);
const deflate = promisify(zlib.deflate);

/** TIFF Compression tag values archeo knows. */
export const Compression = {
  None: 1,
  Lzw: 5,
  Deflate: 8,
  DeflateOld: 32946,
  Zstd: 50000,
} as const;

/** Output codecs offered by `--compress`. */
export type Codec = 'zstd' | 'deflate' | 'lzw' | 'none';
export const codecs: readonly Codec[] = ['zstd', 'deflate', 'lzw', 'none'];

export const compressionTag: Record<Codec, number> = {
  zstd: Compression.Zstd,
  deflate: Compression.Deflate,
  lzw: Compression.Lzw,
  none: Compression.None,
};

/** Default level per codec: the fastest level that reaches the codec's usual ratio on float32 indices. */
export const defaultLevel: Record<Codec, number> = { zstd: 1, deflate: 1, lzw: 0, none: 0 };

export function isKnownCompression(code: number): boolean {
  return Object.values(Compression).includes(code as never);
}

export function compressionName(code: number): string {
  const names: Record<number, string> = {
    1: 'none',
    2: 'CCITT RLE',
    5: 'LZW',
    6: 'old JPEG',
    7: 'JPEG',
    8: 'DEFLATE',
    32773: 'PackBits',
    32946: 'DEFLATE',
    34712: 'JPEG 2000',
    34887: 'LERC',
    34925: 'LZMA',
    50000: 'ZSTD',
    50001: 'WEBP',
    50002: 'JPEG XL',
  };
  return names[code] ?? `code ${code}`;
}

let zstdModule: Promise<typeof import('@mongodb-js/zstd')> | undefined;
/** ZSTD is a native module: loaded on first use so that commands not needing it start faster. */
function zstd(): Promise<typeof import('@mongodb-js/zstd')> {
  zstdModule ??= import('@mongodb-js/zstd');
  return zstdModule;
}

/** Decompresses one tile or strip; `expected` is its uncompressed size in bytes. */
export async function decompress(code: number, data: Uint8Array, expected: number): Promise<Uint8Array> {
  let out: Uint8Array;
  switch (code) {
    case Compression.None:
      out = data;
      break;
    case Compression.Deflate:
    case Compression.DeflateOld:
      out = await inflate(data);
      break;
    case Compression.Lzw:
      out = lzwDecode(data, expected);
      break;
    case Compression.Zstd:
      out = await (await zstd()).decompress(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      break;
    default:
      throw new Error(`unsupported compression ${compressionName(code)}`);
  }
  // A last strip may legitimately hold fewer rows than RowsPerStrip, never more bytes than declared.
  if (out.byteLength < expected) {
    const padded = new Uint8Array(expected);
    padded.set(out);
    return padded;
  }
  return out.byteLength === expected ? out : out.subarray(0, expected);
}

/** Compresses bytes that already went through the predictor. */
export async function compress(codec: Codec, data: Uint8Array, level: number): Promise<Uint8Array> {
  switch (codec) {
    case 'none':
      return data;
    case 'deflate':
      return deflate(data, { level });
    case 'lzw':
      return lzwEncode(data);
    case 'zstd':
      return (await zstd()).compress(Buffer.from(data.buffer, data.byteOffset, data.byteLength), level);
  }
}

/** Synchronous compression for worker threads (ZSTD is async only, so it is not offered here). */
export function compressSync(codec: Exclude<Codec, 'zstd'>, data: Uint8Array, level: number): Uint8Array {
  switch (codec) {
    case 'none':
      return data;
    case 'deflate':
      return zlib.deflateSync(data, { level });
    case 'lzw':
      return lzwEncode(data);
  }
}

/**
 * Turns decompressed bytes into samples: byte-swaps big-endian data, then undoes the predictor.
 * `width` is the tile (or strip) width in samples; rows follow each other.
 */
export function decodeSamples(
  bytes: Uint8Array,
  type: SampleType,
  width: number,
  rows: number,
  predictor: number,
  littleEndian: boolean,
): TypedArray {
  const bps = bytesPerSample(type);
  const n = width * rows;
  // Own, aligned copy: the decompressor's buffer may be shared or unaligned, and we modify in place.
  const own = new Uint8Array(n * bps);
  own.set(bytes.subarray(0, n * bps));
  if (predictor === 3) {
    return undoFloatPredictor(own, type, width, rows);
  }
  if (!littleEndian && bps > 1) swapBytes(own, bps);
  const samples = viewSamples(type, own.buffer);
  if (predictor === 2) undoHorizontalPredictor(samples, width, rows);
  else if (predictor !== 1) throw new Error(`unsupported predictor ${predictor}`);
  return samples;
}

function swapBytes(b: Uint8Array, bps: number): void {
  for (let i = 0; i < b.length; i += bps) {
    for (let j = 0; j < bps >> 1; j++) {
      const t = b[i + j]!;
      b[i + j] = b[i + bps - 1 - j]!;
      b[i + bps - 1 - j] = t;
    }
  }
}

function undoHorizontalPredictor(s: TypedArray, width: number, rows: number): void {
  // Integer arrays wrap on assignment, which is the modular sum the predictor needs.
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    for (let x = o + 1; x < o + width; x++) s[x] = s[x]! + s[x - 1]!;
  }
}

/** Inverse of the floating-point predictor: byte prefix sums per row, then byte planes back to samples. */
function undoFloatPredictor(b: Uint8Array, type: SampleType, width: number, rows: number): TypedArray {
  const bps = bytesPerSample(type);
  const rowBytes = width * bps;
  const out = new Uint8Array(b.length);
  for (let r = 0; r < rows; r++) {
    const o = r * rowBytes;
    for (let i = o + 1; i < o + rowBytes; i++) b[i] = (b[i]! + b[i - 1]!) & 0xff;
    // Plane p holds byte (bps-1-p) of every sample (most significant first; the file order is big-endian).
    for (let p = 0; p < bps; p++) {
      const plane = o + p * width;
      const byteInSample = bps - 1 - p;
      for (let x = 0; x < width; x++) out[o + x * bps + byteInSample] = b[plane + x]!;
    }
  }
  return viewSamples(type, out.buffer);
}

/**
 * Applies the floating-point predictor (3) to float32 samples: returns the bytes to compress.
 * Fused into one pass per byte plane (plane extraction and differencing together) because this runs
 * over every output byte of a scan: the naive two-pass version is 3x slower.
 */
export function floatPredictor32(src: Float32Array, width: number, rows: number): Uint8Array {
  const words = new Uint32Array(src.buffer, src.byteOffset, width * rows);
  const out = new Uint8Array(width * rows * 4);
  for (let r = 0; r < rows; r++) {
    const w0 = r * width;
    const o0 = w0 * 4;
    let prev = 0; // the byte before the first byte of the row is taken as 0 (the first byte is kept)
    for (let p = 0; p < 4; p++) {
      const shift = 24 - 8 * p;
      const o = o0 + p * width;
      for (let x = 0; x < width; x++) {
        const cur = (words[w0 + x]! >>> shift) & 0xff;
        out[o + x] = (cur - prev) & 0xff;
        prev = cur;
      }
    }
  }
  return out;
}

/** Applies the horizontal predictor (2) to 8-bit samples. */
export function horizontalPredictor8(src: Uint8Array, width: number, rows: number): Uint8Array {
  const out = new Uint8Array(width * rows);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    out[o] = src[o]!;
    for (let x = 1; x < width; x++) out[o + x] = (src[o + x]! - src[o + x - 1]!) & 0xff;
  }
  return out;
}
