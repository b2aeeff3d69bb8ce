/**
 * The time-series kernels on their own: MintPy's time axis and design matrices (fixtures made by MintPy's
 * own functions), h5py's chunk guess, the accumulation kernels (hand-worked sums; WebAssembly = JavaScript
 * bit for bit), the small-matrix algebra and the NaN policy of a block fit on hand-made pixels.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decimalYear, selectDates } from '../../src/compute/timeseries/dates.js';
import {
  designMatrix,
  outputDatasets,
  type DesignMatrix,
  type TimeModel,
} from '../../src/compute/timeseries/design.js';
import { BlockFitter, PixelStatus, residueStd, type BlockInput } from '../../src/compute/timeseries/fit.js';
import {
  fitSubsystem,
  fitSystem,
  isRankDeficient,
  type FitSystem,
  type Subsystem,
} from '../../src/compute/timeseries/system.js';
import { compileAccumulateKernel } from '../../src/engine/cpu/lsq.js';
import { accumulateKernel } from '../../src/engine/cpu/timeseries.kernels.js';
import { compileWasmAccumulateKernel } from '../../src/engine/cpu/wasm.lsq.js';
import { guessChunks } from '../../src/io/hdf5/chunks.js';
import { root } from '../helpers/paths.js';

const fixtures = join(root, 'test', 'fixtures', 'velocity');

interface MintpyModel {
  polynomial: number;
  periodic: number[];
  stepDate: string[];
  exp: [string, number[]][];
  log: [string, number[]][];
}
type DesignCase =
  | { kind: 'years'; dates: string[]; seconds: number; years: number[] }
  | { kind: 'design'; dates: string[]; seconds: number; model: MintpyModel; G: number[][] };

const designCases = JSON.parse(readFileSync(join(fixtures, 'design.json'), 'utf8')) as DesignCase[];

function toModel(m: MintpyModel): TimeModel {
  const relax = (r: [string, number[]][]) => r.map(([onset, taus]) => ({ onset, taus }));
  return { polynomial: m.polynomial, periodic: m.periodic, steps: m.stepDate, exp: relax(m.exp), log: relax(m.log) };
}

describe("MintPy's time axis and design matrix (fixtures from ptime.yyyymmdd2years, time_func)", () => {
  test('decimal years are the same doubles, with and without CENTER_LINE_UTC', () => {
    const cases = designCases.filter((c) => c.kind === 'years');
    expect(cases).toHaveLength(2);
    for (const c of cases) c.dates.forEach((d, i) => expect(decimalYear(d, c.seconds)).toBe(c.years[i]));
  });

  test('design matrices equal to the float32 bit (polynomial, periodic, steps, exp, log; timed dates)', () => {
    const cases = designCases.filter((c) => c.kind === 'design');
    expect(cases).toHaveLength(8);
    for (const c of cases) {
      const g = designMatrix(toModel(c.model), c.dates, c.seconds);
      expect([g.rows, g.cols]).toEqual([c.G.length, c.G[0]!.length]);
      c.G.forEach((row, i) =>
        row.forEach((v, k) =>
          expect(Math.abs(g.values[i * g.cols + k]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -23),
        ),
      );
    }
  });

  test('date selection keeps the boundary dates of --start-date/--end-date, as MintPy', () => {
    const dates = ['20180101', '20180113', '20180125', '20180206'];
    expect(selectDates(dates, { start: '20180113', end: '20180125' }).kept).toEqual(['20180113', '20180125']);
    expect(selectDates(dates, { exclude: ['180113', '20990101'] })).toEqual({
      kept: ['20180101', '20180125', '20180206'],
      keptIndex: [0, 2, 3],
      excluded: ['20180113'],
    });
  });

  test("output datasets in MintPy's names and order", () => {
    const model: TimeModel = {
      polynomial: 3,
      periodic: [1, 0.5, 2],
      steps: ['20190101'],
      exp: [{ onset: '20180601', taus: [60] }],
      log: [{ onset: '20180901', taus: [45] }],
    };
    expect(outputDatasets(model, true).map((d) => `${d.name}:${d.unit}`)).toEqual([
      'intercept:m',
      'interceptStd:m',
      'velocity:m/year',
      'velocityStd:m/year',
      'acceleration:m/year^2',
      'accelerationStd:m/year^2',
      'poly3:m/year^3',
      'poly3Std:m/year^3',
      'annualAmplitude:m',
      'annualPhase:radian',
      'semiAnnualAmplitude:m',
      'semiAnnualPhase:radian',
      'period2.0YAmplitude:m',
      'period2.0YPhase:radian',
      'step20190101:m',
      'step20190101Std:m',
      'exp20180601Tau60D:m',
      'exp20180601Tau60DStd:m',
      'log20180901Tau45D:m',
      'log20180901Tau45DStd:m',
      'residue:m',
    ]);
  });
});

test("h5py's automatic chunks (fixtures from h5py guess_chunk)", () => {
  const cases = JSON.parse(readFileSync(join(fixtures, 'chunks.json'), 'utf8')) as {
    shape: number[];
    chunks: number[];
  }[];
  for (const c of cases) expect({ shape: c.shape, chunks: guessChunks(c.shape, 4) }).toEqual(c);
});

/** G of a straight line on t = 0, 1, …, n − 1 (intercept, slope). */
function line(n: number): DesignMatrix {
  const values = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) values.set([1, i], i * 2);
  return { values, rows: n, cols: 2 };
}

describe('small-matrix algebra', () => {
  test('pseudo-inverse and (GᵀG)⁻¹ of a line on 3 dates, worked by hand (SVD of G, and normal equations)', () => {
    const s = fitSystem(line(3)) as FitSystem;
    expect(isRankDeficient(s)).toBe(false);
    // GᵀG = [[3, 3], [3, 5]], det 6, inverse [[5/6, -1/2], [-1/2, 1/2]]; G⁺ = (GᵀG)⁻¹Gᵀ.
    const P = [5 / 6, 1 / 3, -1 / 6, -1 / 2, 0, 1 / 2];
    P.forEach((v, i) => expect(s.P[i]).toBeCloseTo(v, 14));
    const Ninv = [5 / 6, -1 / 2, -1 / 2, 1 / 2];
    Ninv.forEach((v, i) => expect(s.Ninv[i]).toBeCloseTo(v, 14));
    expect(Array.from(s.NinvDiag)).toEqual([s.Ninv[0], s.Ninv[3]]);
    // The same three rows picked out of a longer line by the partial-pixel path.
    const sub = fitSubsystem(line(6), [0, 1, 2]) as Subsystem;
    Ninv.forEach((v, i) => expect(sub.Ninv[i]).toBeCloseTo(v, 13));
    expect(isRankDeficient(fitSubsystem(line(6), [4, 4]))).toBe(true);
  });

  test('rank deficiency: two identical columns', () => {
    const values = Float64Array.from([1, 1, 1, 1, 1, 1]);
    const r = fitSystem({ values, rows: 3, cols: 2 });
    expect(isRankDeficient(r)).toBe(true);
    if (isRankDeficient(r)) expect(r.rank).toBe(1);
  });
});

describe('accumulation kernels', () => {
  test('hand-worked sums with NaNs (JavaScript and WebAssembly)', () => {
    // 3 dates x 5 pixels, planes laid out one after the other.
    const data = Float32Array.from([1, 2, NaN, 0, 4, 3, NaN, NaN, 0, 5, 5, 6, NaN, 0, 6]);
    const offs = Int32Array.from([0, 5, 10]);
    const Pt = Float64Array.from([0.5, -1, 0.25, 0, 0.25, 1]); // date i: (Pt[2i], Pt[2i+1])
    for (const kernel of [compileAccumulateKernel(2), compileWasmAccumulateKernel(2, 3)]) {
      const acc = [new Float64Array(5), new Float64Array(5)];
      const ss = new Float64Array(5);
      const sum = new Float64Array(5);
      const nan = new Uint16Array(5);
      kernel(data, offs, 0, 5, Pt, acc, ss, sum, nan);
      expect(Array.from(acc[0]!)).toEqual([0.5 + 0.75 + 1.25, 1 + 1.5, 0, 0, 2 + 1.25 + 1.5]);
      expect(Array.from(acc[1]!)).toEqual([-1 + 0 + 5, -2 + 6, 0, 0, -4 + 0 + 6]);
      expect(Array.from(ss)).toEqual([1 + 9 + 25, 4 + 36, 0, 0, 16 + 25 + 36]);
      expect(Array.from(sum)).toEqual([9, 8, 0, 0, 15]);
      expect(Array.from(nan)).toEqual([0, 1, 3, 0, 0]);
    }
  });

  test("WebAssembly SIMD gives the JavaScript kernel's bits on random data, runs of every length", () => {
    const n = 37;
    const npix = 1500;
    const data = new Float32Array(n * npix);
    let seed = 1;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < data.length; i++) data[i] = rand() < 0.03 ? NaN : (rand() - 0.5) * 0.2;
    const offs = Int32Array.from({ length: n }, (_, i) => i * npix);
    for (const p of [2, 3, 5]) {
      const Pt = Float64Array.from({ length: n * p }, () => rand() - 0.5);
      const js = compileAccumulateKernel(p);
      const wasm = compileWasmAccumulateKernel(p, n);
      for (const [j0, len] of [
        [0, 512],
        [512, 509],
        [1021, 3],
        [1400, 100],
        [7, 1],
      ] as const) {
        const run = (k: typeof js) => {
          const acc = Array.from({ length: p }, () => new Float64Array(len));
          const ss = new Float64Array(len);
          const sum = new Float64Array(len);
          const nan = new Uint16Array(len);
          k(data, offs, j0, len, Pt, acc, ss, sum, nan);
          return { acc: acc.map((a) => Array.from(a)), ss: Array.from(ss), sum: Array.from(sum), nan: Array.from(nan) };
        };
        expect(run(wasm)).toEqual(run(js));
      }
    }
  });
});

describe('the NaN policy of a block fit', () => {
  // 4 dates, a line; pixels:
  //  0 full: d = 1 + 2t → m = (1, 2), e² = 0
  //  1 full with noise: d = (0, 1, 1, 3)
  //  2 one NaN: d = (1, NaN, 5, 7) → fitted on dates 0, 2, 3: m = (1, 2)
  //  3 all NaN → skipped (0)
  //  4 all 0 → skipped (0)
  //  5 the reference pixel, all 0 → fitted: m = 0
  //  6 two NaN → 2 dates left, fewer than 2 parameters + 1 → NaN
  const d = [
    [1, 0, 1, NaN, 0, 0, NaN],
    [3, 1, NaN, NaN, 0, 0, NaN],
    [5, 1, 5, NaN, 0, 0, 2],
    [7, 3, 7, NaN, 0, 0, 4],
  ];
  const npix = 7;
  const data = Float32Array.from(d.flat());
  const input: BlockInput = {
    data,
    offsets: Int32Array.from([0, 7, 14, 21]),
    planes: [0, 1, 2, 3].map((i) => data.subarray(i * npix, (i + 1) * npix)),
    npix,
    refIndex: 5,
  };
  for (const simd of [false, true]) {
    test(`statuses, parameters and residue std (${simd ? 'WebAssembly' : 'JavaScript'})`, () => {
      const system = fitSystem(line(4)) as FitSystem;
      const fit = new BlockFitter(system, line(4), accumulateKernel(system.p, system.n, simd)).fit(input);
      expect(Array.from(fit.status)).toEqual([
        PixelStatus.Full,
        PixelStatus.Full,
        PixelStatus.Partial,
        PixelStatus.Skipped,
        PixelStatus.Skipped,
        PixelStatus.Full,
        PixelStatus.TooFewDates,
      ]);
      expect(fit.counts).toEqual({ Skipped: 2, Full: 3, Partial: 1, TooFewDates: 1, RankDeficient: 0 });
      const m0 = Array.from(fit.m[0]!);
      const m1 = Array.from(fit.m[1]!);
      [1, -0.1, 1, 0, 0, 0].forEach((v, j) => expect(m0[j]).toBeCloseTo(v, 12));
      // pixel 1: t = 0..3, d = 0,1,1,3: slope = Σ(t−1.5)(d−1.25)/Σ(t−1.5)² = 4.5/5 = 0.9, intercept 1.25 − 1.35 = −0.1
      [2, 0.9, 2, 0, 0, 0].forEach((v, j) => expect(m1[j]).toBeCloseTo(v, 12));
      expect(Number.isNaN(m0[6]!)).toBe(true);
      // e² of pixel 1: residuals 0.1, 0.2, −0.7, 0.4 → 0.7
      expect(fit.e2[1]).toBeCloseTo(0.7, 12);
      expect(fit.e2[0]).toBeCloseTo(0, 12);
      const std = residueStd(fit, system);
      // σ² = 0.7 / (4 − 2); slope variance factor [(GᵀG)⁻¹]₁₁ = 1/5
      expect(std[1]![1]).toBeCloseTo(Math.sqrt(0.2 * 0.35), 12);
      expect(std[1]![3]).toBe(0);
      expect(Number.isNaN(std[1]![6]!)).toBe(true);
    });
  }

  test('a NaN pattern whose dates cannot separate the functions is rank-deficient', () => {
    // intercept + step after date 1; a pixel valid only on dates 2 and 3 (all after the step), plus date 2 again
    const values = Float64Array.from([1, 0, 1, 0, 1, 1, 1, 1, 1, 1]);
    const design: DesignMatrix = { values, rows: 5, cols: 2 };
    const system = fitSystem(design) as FitSystem;
    const data = Float32Array.from([NaN, NaN, 1, 2, 3]);
    const fit = new BlockFitter(system, design, accumulateKernel(system.p, system.n, false)).fit({
      data,
      offsets: Int32Array.from([0, 1, 2, 3, 4]),
      planes: [0, 1, 2, 3, 4].map((i) => data.subarray(i, i + 1)),
      npix: 1,
      refIndex: -1,
    });
    expect(fit.counts.RankDeficient).toBe(1);
    expect(Number.isNaN(fit.m[0]![0]!)).toBe(true);
  });
});
