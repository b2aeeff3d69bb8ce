/**
 * The earthworks' line response in WebAssembly SIMD (engine/cpu/wasm.line.ts) against its definition
 * (docs/earthworks.md: the 3x3 mean, and the max over four directions of min(side - centre) on it, each in
 * double and rounded to float32 once), written out here per pixel; then the whole detector with and without the kernel on the
 * make_scene fixtures: the same line points, bit for bit, and the same candidates.
 */
import { describe, expect, test } from '@jest/globals';
import { createEarthworkDetector } from '../../src/compute/detect/earthworks/detector.js';
import { LineResponseStream, R_RING, S_RING } from '../../src/compute/detect/earthworks/line.response.js';
import { earthworkParams } from '../../src/compute/detect/earthworks/settings.js';
import { wasmLineResponseKernels } from '../../src/engine/cpu/wasm.line.js';
import { loadScene, runDetector } from '../helpers/earthworks.js';

/** The definition, one pixel: double arithmetic on the float32 S values, one rounding at the end. */
function responseAt(S: Float32Array, c: number, up: number, dn: number, x: number, sign: number): number {
  const v = S[c + x]!;
  const side = (a: number, b: number): number => Math.min(sign * (S[a]! - v), sign * (S[b]! - v));
  return Math.fround(
    Math.max(
      side(c + x - 2, c + x + 2),
      side(up + x, dn + x),
      side(up + x - 2, dn + x + 2),
      side(up + x + 2, dn + x - 2),
    ),
  );
}

/** Deterministic S rows with the awkward values: NaN, ±0, ±Infinity, subnormals, ties, wide exponents. */
function awkwardRows(width: number, seed: number): Float32Array {
  const specials = [Number.NaN, 0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, -1e-40, 1e-30, 0.5];
  const out = new Float32Array(S_RING * width);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const u = s / 2 ** 32;
    out[i] = u < 0.1 ? specials[s % specials.length]! : u < 0.3 ? 0.25 : (u - 0.6) * 2;
  }
  return out;
}

const bits = (v: number): number => {
  const f = new Float32Array([v]);
  return Number.isNaN(v) ? -1 : new Uint32Array(f.buffer)[0]!;
};

describe('line response kernel (WebAssembly SIMD)', () => {
  for (const sign of [1, -1] as const) {
    test(`sign ${sign}: every interior pixel equals the definition's float32 bits (widths 4..37, 1031)`, () => {
      let compared = 0;
      for (const width of [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 37, 1031]) {
        const k = wasmLineResponseKernels(width, sign);
        expect(k.s).toHaveLength(S_RING * width);
        expect(k.r).toHaveLength(R_RING * width);
        k.s.set(awkwardRows(width, width * 7 + (sign > 0 ? 1 : 2)));
        k.r.fill(12345); // outside the interior, the kernel writes nothing
        for (const [yc, yu, yd, yo] of [
          [2, 0, 4, 1],
          [5, 3, 7, 2],
          [0, 6, 2, 3],
        ] as const) {
          k.interior(yc * width, yu * width, yd * width, yo * width);
          const row = k.r.subarray(yo * width, (yo + 1) * width);
          for (let x = 0; x < width; x++) {
            const want = x >= 2 && x < width - 2 ? responseAt(k.s, yc * width, yu * width, yd * width, x, sign) : 12345;
            if (bits(row[x]!) !== bits(want)) throw new Error(`width ${width}, x ${x}: ${row[x]} ≠ ${want}`);
            compared++;
          }
        }
      }
      expect(compared).toBeGreaterThan(3000);
    });
  }

  test('the 3x3 mean row equals the definition (double sums, one rounding; borders replicated), widths 1..13, 1031', () => {
    let compared = 0;
    for (const width of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 1031]) {
      const k = wasmLineResponseKernels(width, 1);
      expect(k.raw).toHaveLength(3 * width);
      const rows = awkwardRows(width, width * 13 + 5).subarray(0, 3 * width);
      k.raw.set(rows);
      k.s.fill(12345);
      k.mean(3 * width);
      const col = (x: number): number => {
        const c = Math.min(Math.max(x, 0), width - 1);
        return rows[c]! + rows[width + c]! + rows[2 * width + c]!;
      };
      for (let x = 0; x < width; x++) {
        const want = Math.fround((col(x - 1) + col(x) + col(x + 1)) / 9);
        const got = k.s[3 * width + x]!;
        if (bits(got) !== bits(want)) throw new Error(`width ${width}, x ${x}: ${got} ≠ ${want}`);
        compared++;
      }
      // the other S rows untouched
      expect(k.s[2 * width]).toBe(12345);
      expect(k.s[4 * width]).toBe(12345);
    }
    expect(compared).toBeGreaterThan(1100);
  });

  test('the stream with the kernel keeps the same line points as in JavaScript, bit for bit', () => {
    const s = loadScene(10);
    for (const polarity of ['valley', 'ridge'] as const) {
      const p = earthworkParams({ polarity });
      const run = (kernels?: typeof wasmLineResponseKernels) => {
        const stream = new LineResponseStream(p, kernels);
        for (let y0 = 0; y0 < s.size; y0 += 100) {
          const h = Math.min(100, s.size - y0);
          stream.push(s.ndvi.subarray(y0 * s.size, (y0 + h) * s.size), y0, h, s.size);
        }
        return stream.finish();
      };
      const js = run();
      const wasm = run(wasmLineResponseKernels);
      expect(js.count).toBeGreaterThan(200);
      expect(wasm.count).toBe(js.count);
      for (const key of ['x', 'y', 'value', 'normal', 'flank'] as const)
        expect(wasm[key].subarray(0, wasm.count)).toEqual(js[key].subarray(0, js.count));
    }
  });

  test('the detector finds the same candidates with the kernel (seed 6)', () => {
    for (const seed of [6]) {
      const s = loadScene(seed);
      const js = runDetector(createEarthworkDetector(), s.ndvi, s.size, s.size);
      const wasm = runDetector(createEarthworkDetector({}, wasmLineResponseKernels), s.ndvi, s.size, s.size);
      expect(js.length).toBeGreaterThan(10);
      expect(wasm).toEqual(js);
    }
  });
});
