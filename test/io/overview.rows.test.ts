/**
 * The overview row kernels of io/raster/overview.ts against references:
 * - the masks' 2 x 2 mode (modeRow with exact2: a lookup for windows of 0, 1 and nodata, two one-value
 *   windows per 32-bit comparison, counting otherwise) against the general path (modeRow over
 *   axisWindows), on random class data: mask-like rows (long runs) and noisy ones, values outside the
 *   mask's classes, nodata 255, 0, 1 and 7, rows at every byte alignment and odd output widths; and GDAL's
 *   tie rule on hand-worked windows;
 * - the general paths (fractional windows of odd sizes: one-value windows of a mask taken at once, 3-column
 *   average windows unrolled) against copies of the loops they replaced, kept here as the references: the
 *   same modes, and the same float32 bits.
 */
import { describe, expect, test } from '@jest/globals';
import { averageRow, axisWindows, modeRow, type Window } from '../../src/io/raster/overview.js';

/** modeRow's general path as it was (every window counted): the reference. */
function modeReference(rows: readonly Uint8Array[], cols: readonly Window[], out: Uint8Array, nodata: number): void {
  const counts = new Uint16Array(256);
  for (let x = 0; x < out.length; x++) {
    const c = cols[x]!;
    let best = nodata;
    let most = 0;
    for (const row of rows) {
      for (let i = c.first; i < c.end; i++) {
        const v = row[i]!;
        if (v === nodata) continue;
        const n = ++counts[v]!;
        if (n > most) {
          most = n;
          best = v;
        }
      }
    }
    for (const row of rows) for (let i = c.first; i < c.end; i++) counts[row[i]!] = 0;
    out[x] = best;
  }
}

/** averageRow's general path as it was (weighted mean of the valid samples): the reference. */
function averageReference(
  rows: readonly Float32Array[],
  rowWeights: Float64Array,
  cols: readonly Window[],
  out: Float32Array,
): void {
  for (let x = 0; x < out.length; x++) {
    const c = cols[x]!;
    let sum = 0;
    let weight = 0;
    for (let j = 0; j < rows.length; j++) {
      const row = rows[j]!;
      const wy = rowWeights[j]!;
      for (let i = c.first; i < c.end; i++) {
        const v = row[i]!;
        if (Number.isNaN(v)) continue;
        const w = wy * c.weights[i - c.first]!;
        sum += w * v;
        weight += w;
      }
    }
    out[x] = weight > 0 ? sum / weight : NaN;
  }
}

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
  test('equals the general path and the counting reference on random class data, every alignment', () => {
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
                if (fast.some((v, x) => v !== general[x])) expect(Array.from(fast)).toEqual(Array.from(general));
                modeReference(src, cols, general, nodata);
                if (fast.some((v, x) => v !== general[x])) expect(Array.from(fast)).toEqual(Array.from(general));
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

  test('the general path (fractional windows of odd sizes) equals the counting reference', () => {
    let compared = 0;
    for (const nodata of [255, 0, 7]) {
      for (const values of [
        [0, 1, nodata],
        [nodata, 0, 1, 2, 200],
      ]) {
        for (const runs of [true, false]) {
          for (const [src, dst] of [
            [3, 2],
            [7, 4],
            [45, 23],
            [2745, 1373],
            [1373, 687],
          ] as const) {
            // the rows the first 40 windows read
            const data = classRows(src, Math.min(src, 84), values, runs, nodata + src + (runs ? 1 : 0));
            const cols = axisWindows(src, dst);
            for (const win of axisWindows(src, dst).slice(0, 40)) {
              const rows = [];
              for (let r = win.first; r < win.end; r++) rows.push(data.subarray(r * src, (r + 1) * src));
              const got = new Uint8Array(dst);
              const want = new Uint8Array(dst);
              modeRow(rows, cols, got, nodata);
              modeReference(rows, cols, want, nodata);
              if (got.some((v, x) => v !== want[x])) expect(Array.from(got)).toEqual(Array.from(want));
              compared += dst;
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(100000);
  });
});

describe('average of fractional windows', () => {
  const SPECIALS = [Number.NaN, 0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45, -1e-40, 3.4e38];

  test('equals the reference loop bit for bit (NaN, ±0, ±Infinity, subnormals, large values; 2- and 3-pixel windows)', () => {
    let compared = 0;
    let nan = 0;
    for (const [src, dst] of [
      [3, 2],
      [5, 3],
      [45, 23],
      [2745, 1373],
      [1373, 687],
      [7, 7],
    ] as const) {
      const next = lcg(src * 31 + dst);
      // the rows the first 60 windows read
      const data = Float32Array.from({ length: src * Math.min(src, 124) }, () => {
        const u = next();
        return u < 0.3 ? SPECIALS[Math.floor(next() * SPECIALS.length)]! : (next() - 0.5) * 10 ** (next() * 6 - 3);
      });
      // a block of NaN: windows with nothing valid
      for (let y = 0; y < Math.min(src, 4); y++) data.fill(Number.NaN, y * src, y * src + Math.min(src, 6));
      const cols = axisWindows(src, dst);
      for (const win of axisWindows(src, dst).slice(0, 60)) {
        const rows = [];
        for (let r = win.first; r < win.end; r++) rows.push(data.subarray(r * src, (r + 1) * src));
        const got = new Float32Array(dst);
        const want = new Float32Array(dst);
        averageRow(rows, win.weights, cols, got, false);
        averageReference(rows, win.weights, cols, want);
        const [g, w] = [new Uint32Array(got.buffer), new Uint32Array(want.buffer)];
        if (g.some((v, x) => v !== w[x])) expect(Array.from(g)).toEqual(Array.from(w));
        compared += dst;
        nan += got.filter((v) => Number.isNaN(v)).length;
      }
    }
    expect(compared).toBeGreaterThan(50000);
    expect(nan).toBeGreaterThan(0);
  });
});
