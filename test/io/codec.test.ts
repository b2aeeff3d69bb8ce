/** TIFF codecs: LZW both ways, predictors both ways, JPEG 2000 codestream checks. */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lzwDecode, lzwEncode } from '../../src/io/raster/lzw.js';
import { decodeSamples, floatPredictor32, horizontalPredictor8 } from '../../src/io/raster/tiff.codec.js';
import { parseJp2 } from '../../src/io/raster/jp2.boxes.js';
import { decodeTimeoutSeconds } from '../../src/io/raster/jp2.reader.js';
import { unuR60 } from '../helpers/paths.js';

describe('LZW', () => {
  test.each([
    ['empty', new Uint8Array(0)],
    ['one byte', Uint8Array.from([7])],
    ['a repeated byte (long strings, early width changes)', new Uint8Array(100000).fill(3)],
    [
      'noise (fills the table, clears it many times)',
      Uint8Array.from({ length: 200000 }, (_, i) => (i * 2654435761) >>> 27),
    ],
    ['smooth data', Uint8Array.from({ length: 70000 }, (_, i) => Math.round(127 + 120 * Math.sin(i / 300)))],
  ])('round trip: %s', (_name, data) => {
    expect(lzwDecode(lzwEncode(data), data.length)).toEqual(data);
  });
  test('a stream cut short is an error, not zeros', () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
    const enc = lzwEncode(data);
    expect(() => lzwDecode(enc.subarray(0, enc.length >> 1), data.length)).toThrow(
      /LZW data ends after \d+ of 5000 bytes/,
    );
  });
});

describe('predictors', () => {
  test('floating point (3): planes most significant first, then byte differences; and back', () => {
    const src = Float32Array.from([1, 1, 1, 1, -2.5, NaN, 3.25e-7, -0]);
    const bytes = floatPredictor32(src, 4, 2);
    // 1.0f = 0x3F800000: row 0 planes [3F x4][80 x4][00 x4][00 x4], differenced along the row:
    expect(Array.from(bytes.subarray(0, 16))).toEqual([0x3f, 0, 0, 0, 0x41, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    // row 1 starts afresh: its first byte is kept (-2.5f = 0xC0200000)
    expect(bytes[16]).toBe(0xc0);
    expect(Array.from(decodeSamples(bytes, 'float32', 4, 2, 3, true))).toEqual(Array.from(src));
  });
  test('floating point (3) on random rows equals the byte-by-byte definition', () => {
    const width = 64;
    const rows = 3;
    const src = Float32Array.from({ length: width * rows }, (_, i) => Math.sin(i * 12.9898) * 43758.5453);
    const raw = new Uint8Array(src.buffer);
    const expected = new Uint8Array(raw.length);
    for (let r = 0; r < rows; r++) {
      const o = r * width * 4;
      for (let x = 0; x < width; x++) for (let p = 0; p < 4; p++) expected[o + p * width + x] = raw[o + x * 4 + 3 - p]!;
      for (let i = o + width * 4 - 1; i > o; i--) expected[i] = (expected[i]! - expected[i - 1]!) & 0xff;
    }
    expect(floatPredictor32(src, width, rows)).toEqual(expected);
  });
  test('horizontal (2) on bytes wraps modulo 256, and back', () => {
    const src = Uint8Array.from([10, 5, 255, 0, 1, 1]);
    const bytes = horizontalPredictor8(src, 3, 2);
    expect(Array.from(bytes)).toEqual([10, 251, 250, 0, 1, 0]);
    expect(Array.from(decodeSamples(bytes, 'uint8', 3, 2, 2, true))).toEqual(Array.from(src));
  });
  test('horizontal (2), four bytes at a time (width a multiple of 4): the bytewise differences, and back', () => {
    // 16 x 5 bytes of every kind of step (wrapping both ways), and a view at an offset (byte by byte).
    const width = 16;
    const rows = 5;
    const src = Uint8Array.from({ length: width * rows }, (_, i) => (i * 2654435761) >>> 24);
    const expected = Array.from(src, (v, i) => (i % width === 0 ? v : (v - src[i - 1]!) & 0xff));
    expect(Array.from(horizontalPredictor8(src, width, rows))).toEqual(expected);
    expect(Array.from(decodeSamples(horizontalPredictor8(src, width, rows), 'uint8', width, rows, 2, true))).toEqual(
      Array.from(src),
    );
    const shifted = new Uint8Array(width * rows + 1);
    shifted.set(src, 1);
    expect(Array.from(horizontalPredictor8(shifted.subarray(1), width, rows))).toEqual(expected);
  });
  test('big-endian uint16 samples are swapped before the predictor is undone', () => {
    const be = Uint8Array.from([0x01, 0x00, 0x00, 0x02]); // 256, then +2
    expect(Array.from(decodeSamples(be, 'uint16', 2, 1, 2, false))).toEqual([256, 258]);
  });
});

describe('JPEG 2000 container', () => {
  const file = join(unuR60, 'T29UNU_20221005T115411_B04_60m.jp2');
  test('size, bit depth and GMLJP2 georeferencing (origin at the pixel corner)', () => {
    const p = parseJp2(new Uint8Array(readFileSync(file)));
    expect([p.width, p.height, p.components, p.bits, p.signed]).toEqual([256, 256, 1, 15, false]);
    // gdalinfo: Origin = (553740, 5857800), Pixel Size = (60, -60); the GML origin is the first pixel's centre
    expect(p.transform).toEqual([553740, 60, 0, 5857800, 0, -60]);
    expect(p.epsg).toBe(32629);
  });
  test('a codestream without its coding parameters is refused before decoding', () => {
    const bytes = new Uint8Array(readFileSync(file));
    const at = Buffer.from(bytes).indexOf('jp2c', 0, 'latin1') + 4;
    bytes.fill(0, at + 60, bytes.length - 2);
    expect(() => parseJp2(bytes)).toThrow(/codestream (main header is corrupt|has no COD marker)/);
  });
});

describe('JPEG 2000 decode budget', () => {
  test('grows with the work: seconds for a small band, minutes only for a full 10 m band', () => {
    // A 60 m sample-sized band (200 KB, 183 x 183 px) must fail within seconds if the decoder loops...
    expect(decodeTimeoutSeconds(200e3, 183 * 183)).toBeLessThan(15);
    // ...while a full 10 m band (about 110 MB, 10980^2 px; ~25 s on one core here) keeps ten-fold headroom.
    expect(decodeTimeoutSeconds(110e6, 10980 * 10980)).toBeGreaterThan(250);
    expect(decodeTimeoutSeconds(2e6, 4e6)).toBeLessThan(decodeTimeoutSeconds(20e6, 40e6));
  });
});
