/**
 * The pieces of the network inversion against independent references: the square-root weights against
 * MintPy's own coherence2weight (test/fixtures/invert/weights.json, made by make_invert_fixtures.py), the
 * polynomial cos/sin against Math.cos/Math.sin, the banded Cholesky solve against ml-matrix's SVD
 * least squares, and the design matrices against MintPy's definition written out by hand for a small
 * network.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { addCisMany } from '../../src/compute/timeseries/cis.js';
import { choleskySolve, NetworkSolver } from '../../src/compute/timeseries/network.js';
import { networkDesign } from '../../src/compute/timeseries/network.design.js';
import { CoherenceWeights, gamma, independentLooks } from '../../src/compute/timeseries/weights.js';
import { root } from '../helpers/paths.js';

describe('weights = MintPy coherence2weight', () => {
  const ref = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'invert', 'weights.json'), 'utf8')) as {
    coherence: (number | null)[];
    weights: Record<string, number[]>;
  };
  for (const [key, expected] of Object.entries(ref.weights)) {
    test(key, () => {
      const [func, L] = key.split('_') as ['var' | 'fim' | 'coh', string];
      const w = new CoherenceWeights(func, Number(L));
      const got = ref.coherence.map((c) => w.sqrtWeight(c === null ? NaN : Math.fround(c)));
      // float32 values: equal, or within one float32 ulp where the sums run in another order.
      got.forEach((g, i) => expect(Math.abs(g - expected[i]!) / expected[i]!).toBeLessThan(2.5e-7));
    });
  }

  test('looks: NCORRLOOKS, else ALOOKS·RLOOKS/1.94 rounded half to even, at least 1', () => {
    expect(independentLooks({ ALOOKS: '3', RLOOKS: '9' })).toBe(14);
    expect(independentLooks({ NCORRLOOKS: '2.5' })).toBe(2);
    expect(independentLooks({ NCORRLOOKS: '3.5' })).toBe(4);
    expect(independentLooks({})).toBe(1);
  });

  test('gamma = math.gamma', () => {
    expect(gamma(5)).toBeCloseTo(24, 12);
    expect(gamma(0.5) / Math.sqrt(Math.PI)).toBeCloseTo(1, 14);
    // Python's math.gamma: the values the variance table needs at L = 80.
    expect(gamma(10.5) / 1133278.3889487854).toBeCloseTo(1, 12);
    expect(gamma(79.5) / 1.0049327959354873e116).toBeCloseTo(1, 12);
    expect(gamma(159) / 1.8532718694937346e280).toBeCloseTo(1, 12);
  });
});

test('addCisMany: cos and sin within 1e-10 over |e| < 1e4', () => {
  const n = 100001;
  const e = Float64Array.from({ length: n }, (_, i) => (i - 50000) * 0.19993 + Math.sin(i) * 0.5);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  addCisMany(e, n, re, im);
  let worst = 0;
  for (let i = 0; i < n; i++)
    worst = Math.max(worst, Math.abs(re[i]! - Math.cos(e[i]!)), Math.abs(im[i]! - Math.sin(e[i]!)));
  expect(worst).toBeLessThan(1e-10);
});

describe('design matrices and solver', () => {
  // dates d0 < d1 < d2 < d3; pairs (0,1), (0,2), (1,2), (2,3), (1,3), listed with one pair later-date first.
  const dates = ['20200101', '20200113', '20200125', '20200218'];
  const pairs: [string, string][] = [
    [dates[0]!, dates[1]!],
    [dates[0]!, dates[2]!],
    [dates[1]!, dates[2]!],
    [dates[2]!, dates[3]!],
    [dates[3]!, dates[1]!],
  ];
  const design = networkDesign(pairs);

  test('A: −1/+1 at the dates, first date column removed; B: interval lengths in years, sign by order', () => {
    const dense = (rows: typeof design.rowsA): number[][] =>
      rows.map(({ cols, vals }) => {
        const r = new Array<number>(3).fill(0);
        cols.forEach((c, i) => (r[c] = vals[i]!));
        return r;
      });
    expect(dense(design.rowsA)).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [-1, 1, 0],
      [0, -1, 1],
      [1, 0, -1],
    ]);
    const dt = [12, 12, 24].map((d) => Math.fround(d / 365.25));
    expect(Array.from(design.tbaseDiff)).toEqual(
      dt.map((d, i) => (i === 2 ? Math.fround(Math.fround(48 / 365.25) - Math.fround(24 / 365.25)) : d)),
    );
    const B = dense(design.rowsB);
    const t = Array.from(design.tbaseDiff);
    expect(B).toEqual([
      [t[0], 0, 0],
      [t[0], t[1], 0],
      [0, t[1], 0],
      [0, 0, t[2]],
      [0, -t[1]!, -t[2]!],
    ]);
  });

  test('banded Cholesky = SVD least squares (weighted, one pair missing)', () => {
    const solver = new NetworkSolver(design, { minNormVelocity: true, minRedundancy: 1 });
    const y = Float64Array.from([0.3, 1.1, NaN, -0.4, 0.9]);
    const ws = Float64Array.from([0.9, 0.5, 0.7, 1.3, 0.8]);
    const sol = solver.solve(y, ws);
    expect(sol.used).toBe(4);
    // Reference: dense weighted least squares on the used rows.
    const used = [0, 1, 3, 4];
    const G = new Matrix(
      used.map((k) => {
        const r = [0, 0, 0];
        design.rowsB[k]!.cols.forEach((c, i) => (r[c] = design.rowsB[k]!.vals[i]! * ws[k]!));
        return r;
      }),
    );
    const x = new SingularValueDecomposition(G).solve(Matrix.columnVector(used.map((k) => y[k]! * ws[k]!)));
    const t = design.tbaseDiff;
    const ts = [
      0,
      x.get(0, 0) * t[0]!,
      x.get(0, 0) * t[0]! + x.get(1, 0) * t[1]!,
      x.get(0, 0) * t[0]! + x.get(1, 0) * t[1]! + x.get(2, 0) * t[2]!,
    ];
    Array.from(sol.ts).forEach((v, i) => expect(v).toBeCloseTo(ts[i]!, 10));
    // Temporal coherence from the unweighted residuals of the used pairs.
    let re = 0;
    let im = 0;
    for (const k of used) {
      let fit = 0;
      design.rowsB[k]!.cols.forEach((c, i) => (fit += design.rowsB[k]!.vals[i]! * x.get(c, 0)));
      re += Math.cos(y[k]! - fit);
      im += Math.sin(y[k]! - fit);
    }
    expect(sol.tcoh).toBeCloseTo(Math.hypot(re, im) / used.length, 10);
  });

  test('redundancy: a date with fewer pairs than --min-redun is not inverted', () => {
    const solver = new NetworkSolver(design, { minNormVelocity: false, minRedundancy: 2 });
    // Date 3 is in pairs 3 and 4; without pair 4 it has one.
    const sol = solver.solve(Float64Array.from([0.3, 1.1, 0.2, -0.4, NaN]), null);
    expect([sol.inverted, sol.used, sol.tcoh]).toEqual([false, 0, 0]);
    expect(solver.solve(Float64Array.from([0.3, 1.1, 0.2, -0.4, 0.5]), null).inverted).toBe(true);
  });

  test('choleskySolve refuses a singular system', () => {
    // [[1, 1], [1, 1]] in upper-band storage (bandwidth 1).
    expect(choleskySolve(Float64Array.from([1, 1, 1, 0]), Float64Array.from([1, 1]), 2, 1, new Float64Array(2))).toBe(
      false,
    );
    const x = new Float64Array(2);
    expect(choleskySolve(Float64Array.from([4, 2, 3, 0]), Float64Array.from([2, 1]), 2, 1, x)).toBe(true);
    expect(Array.from(x)).toEqual([0.5, 0]);
  });
});
