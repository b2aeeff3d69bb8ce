/**
 * The detector condition kernel in WebAssembly SIMD (`conditions` of compileWasmKernels) gives the same
 * raw and valid bit words as the JavaScript kernel (compileConditions), driven as the scan worker
 * drives it: per row, whole groups of 32 columns in WebAssembly, the last partial word of each row by
 * the JavaScript kernel (`fromWord`). Index planes hold NaN, ±Infinity, ±0, values exactly at each
 * threshold (as float32) and one float32 step either side, and random values.
 */
import { describe, expect, test } from '@jest/globals';
import { indexTable } from '../../src/compute/indices.js';
import { compileConditions, compileIndexKernel } from '../../src/engine/cpu/compile.js';
import type { SlotConditions } from '../../src/engine/engine.js';
import { compileWasmKernels, WasmArena, type WasmKernels } from '../../src/engine/cpu/wasm.kernels.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The float32 next to `x` (a float32) towards +∞ (`up`) or −∞. */
function step(x: number, up: boolean): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  if (x === 0) return up ? 2 ** -149 : -(2 ** -149);
  i[0]! += x > 0 === up ? 1 : -1;
  return f[0]!;
}

// Slots first read in the order 3, 1, 0, 2, 4 (the kernel's slot parameters follow that order); slot 5
// is computed but read by no detector. Every operator, repeated slots, thresholds that float32 does
// not hold exactly (0.3, -0.1), ±0, and one beyond float32's range (-1e39 → -∞).
const detectors: SlotConditions[] = [
  {
    conditions: [
      { slot: 3, op: '>', value: 0.3 },
      { slot: 1, op: '<=', value: -0.1 },
    ],
  },
  {
    conditions: [
      { slot: 0, op: '>=', value: 0 },
      { slot: 0, op: '<', value: 0.7 },
      { slot: 2, op: '<', value: 1e-3 },
    ],
  },
  {
    conditions: [
      { slot: 4, op: '<=', value: 0.1 },
      { slot: 1, op: '>=', value: -0.25 },
      { slot: 3, op: '>', value: -1e39 },
    ],
  },
  { conditions: [{ slot: 2, op: '>', value: -0 }] },
  {
    conditions: [
      { slot: 1, op: '<', value: 0.5 },
      { slot: 4, op: '>=', value: -0.5 },
      { slot: 0, op: '<=', value: 0.9 },
      { slot: 3, op: '>=', value: 0.2 },
    ],
  },
];
const SLOTS = 6;
const ROWS = 3;

const thresholds = detectors.flatMap((d) => d.conditions.map((c) => Math.fround(c.value)));
const special = [
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  ...thresholds,
  ...thresholds.filter(Number.isFinite).flatMap((t) => [step(t, true), step(t, false)]),
];

/** Fills the index planes: 10 % NaN, 30 % other special values, the rest uniform in [-1, 1). */
function fill(planes: Float32Array[], rnd: () => number): void {
  for (const plane of planes) {
    for (let i = 0; i < plane.length; i++) {
      const r = rnd();
      plane[i] = r < 0.1 ? NaN : r < 0.4 ? special[Math.floor(rnd() * special.length)]! : rnd() * 2 - 1;
    }
  }
}

/** The words as scan.worker.ts's wasmBuffers().conditions computes them (arena words set to junk first). */
function wasmWords(
  wk: WasmKernels,
  outPtrs: number[],
  rows: number,
  cols: number,
): { raw: Uint32Array[]; valid: Uint32Array[] } {
  const arena = wk.arena;
  const D = detectors.length;
  const words = Math.ceil(cols / 32) * rows;
  const rawPtrs = Array.from({ length: D }, () => arena.alloc(words * 4));
  const validPtrs = Array.from({ length: D }, () => arena.alloc(words * 4));
  for (const p of [...rawPtrs, ...validPtrs]) arena.u32(p, words).fill(0xa5a5a5a5);
  const stride = Math.ceil(cols / 32);
  const groups = cols >>> 5;
  const slots = [...new Set(detectors.flatMap((d) => d.conditions.map((c) => c.slot)))];
  for (let y = 0; y < rows; y++) {
    wk.conditions!(
      slots.map((m) => outPtrs[m]! + y * cols * 4),
      groups,
      rawPtrs.map((p) => p + y * stride * 4),
      validPtrs.map((p) => p + y * stride * 4),
    );
  }
  const raw = rawPtrs.map((p) => arena.u32(p, words));
  const valid = validPtrs.map((p) => arena.u32(p, words));
  const outs = outPtrs.map((p) => arena.f32(p, rows * cols));
  if (groups < stride) compileConditions(detectors)(outs, rows, cols, raw, valid, groups);
  return { raw: raw.map((a) => a.slice()), valid: valid.map((a) => a.slice()) };
}

const popcount = (words: Uint32Array): number =>
  Array.from(words).reduce((n, w) => n + w.toString(2).replaceAll('0', '').length, 0);

describe('condition kernel: WebAssembly = JavaScript', () => {
  const defs = indexTable.slice(0, 1);
  const wk = compileWasmKernels(defs, compileIndexKernel(defs).bands, detectors);
  const js = compileConditions(detectors);

  test.each([[1], [5], [31], [32], [33], [64], [96], [100], [145], [256]])('%d columns', (cols) => {
    const n = ROWS * cols;
    const words = Math.ceil(cols / 32) * ROWS;
    const arena = wk.arena;
    arena.reset(SLOTS * WasmArena.size(n * 4) + 2 * detectors.length * WasmArena.size(words * 4));
    const outPtrs = Array.from({ length: SLOTS }, () => arena.alloc(n * 4));
    const planes = outPtrs.map((p) => arena.f32(p, n));
    fill(planes, random(cols * 7919 + 17));

    const expected = {
      raw: detectors.map(() => new Uint32Array(words)),
      valid: detectors.map(() => new Uint32Array(words)),
    };
    js(
      planes.map((p) => p.slice()),
      ROWS,
      cols,
      expected.raw,
      expected.valid,
    );
    const got = wasmWords(wk, outPtrs, ROWS, cols);

    detectors.forEach((_, d) => {
      expect({ detector: d, raw: Array.from(got.raw[d]!) }).toEqual({ detector: d, raw: Array.from(expected.raw[d]!) });
      expect({ detector: d, valid: Array.from(got.valid[d]!) }).toEqual({
        detector: d,
        valid: Array.from(expected.valid[d]!),
      });
    });
    // Not a comparison of empty masks: the data sets and clears bits of every detector.
    if (cols >= 32) {
      for (let d = 0; d < detectors.length; d++) {
        for (const words of [expected.raw[d]!, expected.valid[d]!]) {
          expect(popcount(words)).toBeGreaterThan(0);
          expect(popcount(words)).toBeLessThan(n);
        }
      }
    }
  });

  test('pixels exactly at a threshold: > and < exclude it, >= and <= include it, as float32', () => {
    const single: SlotConditions[] = (['>', '>=', '<', '<='] as const).map((op) => ({
      conditions: [{ slot: 0, op, value: 0.3 }],
    }));
    const k = compileWasmKernels(defs, compileIndexKernel(defs).bands, single);
    const A = k.arena;
    A.reset(WasmArena.size(32 * 4) + 8 * WasmArena.size(4));
    const plane = A.alloc(32 * 4);
    const values = A.f32(plane, 32);
    const t = Math.fround(0.3);
    // below, at (0.3 is stored as t), above, at
    for (let i = 0; i < 32; i++) values[i] = [step(t, false), t, step(t, true), 0.3][i % 4]!;
    const raw = single.map(() => A.alloc(4));
    const valid = single.map(() => A.alloc(4));
    k.conditions!([plane], 1, raw, valid);
    // the word whose bit i is set where pixel i's value (i % 4) is one of `hit`
    const word = (hit: number[]): number =>
      Array.from({ length: 32 }, (_, i) => (hit.includes(i % 4) ? 2 ** i : 0)).reduce((a, b) => a + b, 0);
    expect(raw.map((p) => A.u32(p, 1)[0])).toEqual([word([2]), word([1, 2, 3]), word([0]), word([0, 1, 3])]);
    expect(valid.map((p) => A.u32(p, 1)[0])).toEqual(single.map(() => 0xffffffff));
  });
});
