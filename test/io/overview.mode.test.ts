/**
 * The masks' 2 x 2 mode (io/raster/overview.ts modeRow with exact2: a lookup for windows of 0, 1 and
 * nodata, two one-value windows per 32-bit comparison, counting otherwise) against the general path
 * (modeRow over axisWindows, which counts every window), on random class data: mask-like rows (long runs)
 * and noisy ones, values outside the mask's classes, nodata 255, 0, 1 and 7, rows at every byte alignment
 * and odd output widths; and GDAL's tie rule on hand-worked windows.
 */
import { describe, expect, test } from '@jest/globals';
import { axisWindows, modeRow } from '../../src/io/raster/overview.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

/** Rows of classes: runs (mask-like) or independent pixels (noisy), mostly from `values`. */
function classRows(width: number, height: number, values: readonly number[], runs: boolean, seed: number): Uint8Array {
  const next = lcg(seed);
  const out = new Uint8Array(width * height);
  let v = values[0]!;
  for (let i = 0; i < out.length; i++) {
    if (!runs || next() < 0.05) v = values[Math.floor(next() ** 2 * values.length)]!;
    out[i] = v;
  }
  return out;
}

describe('mask mode of 2 x 2 windows', () => {
  test('equals the general path (every window counted) on random class data, every alignment', () => {
    let compared = 0;
    for (const nodata of [255, 0, 1, 7]) {
      for (const values of [
        [0, 1, nodata],
        [nodata, 0, 1, 2, 200],
        [3, 4, nodata],
      ]) {
        for (const runs of [true, false]) {
          for (const half of [1, 2, 3, 7, 8, 33, 500]) {
            const width = 2 * half;
            const height = 6;
            const data = classRows(width + 3, height, values, runs, nodata * 1000 + half + (runs ? 1 : 0));
            const cols = axisWindows(width, half);
            for (let shift = 0; shift < 4; shift++) {
              // rows `width` bytes apart from byte `shift` of one buffer: every alignment of a, b and out
              const rows = Array.from({ length: height }, (_, y) =>
                data.subarray(shift + y * width, shift + (y + 1) * width),
              );
              for (let y = 0; y + 1 < height; y += 2) {
                const src = [rows[y]!, rows[y + 1]!];
                const fast = new Uint8Array(half + 1).subarray(shift & 1, (shift & 1) + half);
                const general = new Uint8Array(half);
                modeRow(src, [], fast, nodata, true);
                modeRow(src, cols, general, nodata);
                expect(Array.from(fast)).toEqual(Array.from(general));
                compared += half;
              }
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(50000);
  });

  test("GDAL's rule: the first value whose count exceeds every count before it; nodata when all are", () => {
    const cases: [number[], number, number][] = [
      // a[2x], a[2x+1], b[2x], b[2x+1]; nodata; the mode
      [[1, 0, 0, 1], 255, 0], // 0 reaches 2 first
      [[1, 0, 1, 0], 255, 1], // 1 reaches 2 first
      [[0, 1, 255, 255], 255, 0], // a tie at 1: the first value
      [[255, 1, 0, 255], 255, 1],
      [[255, 255, 255, 255], 255, 255],
      [[255, 255, 255, 1], 255, 1],
      [[0, 0, 0, 0], 0, 0], // nodata 0: all nodata
      [[0, 1, 0, 0], 0, 1],
      [[2, 1, 2, 1], 255, 2], // values outside the classes are counted
      [[7, 7, 7, 7], 255, 7],
    ];
    for (const [[v0, v1, v2, v3], nodata, want] of cases) {
      const out = new Uint8Array(1);
      modeRow([Uint8Array.of(v0!, v1!), Uint8Array.of(v2!, v3!)], [], out, nodata, true);
      const window = [v0, v1, v2, v3];
      expect({ window, nodata, mode: out[0] }).toEqual({ window, nodata, mode: want });
    }
  });
});
