/**
 * One-value tiles (tile.encode.ts): found exactly (every sample's bits, the edge padding included), and
 * encoded once per value to the bytes the tile would have had on its own.
 */
import { describe, expect, test } from '@jest/globals';
import { cutTile, encodeTile, uniformBits, UniformTiles } from '../../src/io/raster/tile.encode.js';

const T = 16;

describe('one-value tiles', () => {
  test('float32: the same bits everywhere, NaN payloads and signs told apart, padding must be NaN', () => {
    const width = 40;
    const rows = 16;
    const strip = new Float32Array(width * rows).fill(0.25);
    // Whole tile 0 (columns 0-15) and 1 (16-31): one value; tile 2 (32-39) is an edge tile of 8 columns.
    expect(uniformBits(strip, 0, width, rows, T, T, Number.NaN)).toBe(
      new Uint32Array(new Float32Array([0.25]).buffer)[0],
    );
    expect(uniformBits(strip, 32, width, 16, 8, T, Number.NaN)).toBeUndefined(); // padding NaN ≠ 0.25
    strip.fill(Number.NaN, 32, 40);
    for (let y = 0; y < rows; y++) strip.fill(Number.NaN, y * width + 32, y * width + 40);
    expect(uniformBits(strip, 32, width, 16, 8, T, Number.NaN)).toBe(0x7fc00000);
    // The last sample differs: found.
    strip[(rows - 1) * width + 15] = 0.5;
    expect(uniformBits(strip, 0, width, rows, T, T, Number.NaN)).toBeUndefined();
    // -0 is not +0; a NaN of another sign or payload is not the padding's NaN.
    const z = new Float32Array(T * T);
    expect(uniformBits(z, 0, T, T, T, T, Number.NaN)).toBe(0);
    z[7] = -0;
    expect(uniformBits(z, 0, T, T, T, T, Number.NaN)).toBeUndefined();
    const n = new Float32Array(T * T);
    new Uint32Array(n.buffer).fill(0xffc00000);
    expect(uniformBits(n, 0, T, T, T, T, Number.NaN)).toBe(0xffc00000);
    expect(uniformBits(n, 0, T, 10, T, T, Number.NaN)).toBeUndefined(); // bottom edge: padding 0x7fc00000
  });

  test('uint8: aligned rows four bytes at a time, others byte by byte, with the same answers', () => {
    const width = 36;
    const rows = 16;
    const strip = new Uint8Array(width * rows + 3);
    for (const offset of [0, 1, 3]) {
      const s = strip.subarray(offset, offset + width * rows).fill(1);
      expect(uniformBits(s, 0, width, rows, T, T, 255)).toBe(1);
      expect(uniformBits(s, 16, width, rows, T, T, 255)).toBe(1);
      expect(uniformBits(s, 32, width, rows, 4, T, 255)).toBeUndefined(); // edge: padding 255 ≠ 1
      s[rows * width - 1] = 0;
      expect(uniformBits(s, 32, width, rows, 4, T, 255)).toBeUndefined();
      s[(rows - 1) * width + 17] = 0;
      expect(uniformBits(s, 16, width, rows, T, T, 255)).toBeUndefined();
      for (let y = 0; y < rows; y++) s.fill(255, y * width + 32, y * width + 36);
      expect(uniformBits(s, 32, width, rows, 4, T, 255)).toBe(255);
    }
  });

  test('encoded once per value, to the bytes of the tile encoded alone', async () => {
    for (const codec of ['zstd', 'deflate', 'lzw', 'none'] as const) {
      const floats = new UniformTiles(T, 'float32', codec, 1);
      const masks = new UniformTiles(T, 'uint8', codec, 1);
      for (const v of [Number.NaN, 0.25, -3e30]) {
        const bits = new Uint32Array(new Float32Array([v]).buffer)[0]!;
        const alone = await encodeTile(new Float32Array(T * T).fill(v), T, 'float32', codec, 1);
        expect(Buffer.from(await floats.bytes(bits)).equals(Buffer.from(alone))).toBe(true);
      }
      for (const v of [0, 1, 255]) {
        // As the scan cuts an edge tile: the region, then the padding.
        const strip = new Uint8Array(8 * 5).fill(v);
        const tile = cutTile(strip, 8, 5, 0, T, v, (n) => new Uint8Array(n));
        const alone = await encodeTile(tile, T, 'uint8', codec, 1);
        expect(Buffer.from(await masks.bytes(v)).equals(Buffer.from(alone))).toBe(true);
      }
      expect(floats.bytes(0)).toBe(floats.bytes(0)); // made once
    }
  });
});
