/**
 * Phase ramps fitted to each date of a time series, as MintPy's deramp (objects/ramp.py) defines them:
 * a least-squares surface over the pixels of the mask that are neither NaN nor 0 (sampled on a regular
 * grid above a million of them), subtracted everywhere except where the value is exactly 0, re-referenced
 * to the reference pixel. MintPy builds G in pixel coordinates and solves in float32; here the surface is
 * the same function of (row, column) in coordinates scaled to [0, 1) (a well-conditioned G), solved in
 * double precision through normal equations that are accumulated row by row: for a row, Σx u^q and
 * Σx u^q·d suffice, and the rows fold in with their powers of v. So a date costs three multiply-adds
 * per pixel, whatever the ramp.
 */
import type { RmsRowKernels } from './kernels.js';
import { solveSymmetric } from './system.js';

export type RampType =
  | 'linear'
  | 'quadratic'
  | 'linear_range'
  | 'linear_azimuth'
  | 'quadratic_range'
  | 'quadratic_azimuth';
export const rampTypes: readonly RampType[] = [
  'linear',
  'quadratic',
  'linear_range',
  'linear_azimuth',
  'quadratic_range',
  'quadratic_azimuth',
];

/** Columns of G as powers (p of v = row, q of u = column), in MintPy's order. */
const columns: Record<RampType, [number, number][]> = {
  linear: [
    [1, 0],
    [0, 1],
    [0, 0],
  ],
  quadratic: [
    [2, 0],
    [0, 2],
    [1, 1],
    [1, 0],
    [0, 1],
    [0, 0],
  ],
  linear_range: [
    [0, 1],
    [0, 0],
  ],
  linear_azimuth: [
    [1, 0],
    [0, 0],
  ],
  quadratic_range: [
    [0, 2],
    [0, 1],
    [0, 0],
  ],
  quadratic_azimuth: [
    [2, 0],
    [1, 0],
    [0, 0],
  ],
};

/** MintPy samples the fit's pixels on a regular grid above this many (max_num_sample). */
export const MAX_SAMPLES = 1e6;

/** The sampling step MintPy uses for `count` valid pixels: 1, or ceil(sqrt(count / 1e6)). */
export function samplingStep(count: number): number {
  return count > MAX_SAMPLES ? Math.ceil(Math.sqrt(count / MAX_SAMPLES)) : 1;
}

/**
 * Normal equations of one ramp type for every date of a series, accumulated a row block at a time, for
 * each sampling step a date might need (1 up to the step of a fully valid image).
 */
export class RampNormals {
  readonly cols: [number, number][];
  /** Steps accumulated: 1..maxStep (index s − 1). */
  readonly maxStep: number;
  /** [step][date]: GᵀG (p x p), Gᵀd (p), valid pixel count. */
  private readonly gtg: Float64Array[][];
  private readonly gtd: Float64Array[][];
  private readonly count: Float64Array[];
  /** Per date, over every valid pixel (step 1): Σd² of the non-zero ones, and the count of the non-NaN ones, zeros included. */
  private readonly dd: Float64Array;
  private readonly all: Float64Array;
  private readonly uPow: Float64Array[];
  private readonly qMax: number;

  /** `kernels`: the WebAssembly SIMD row loops (engine/cpu/wasm.rms.ts); JavaScript loops without. */
  constructor(
    readonly type: RampType,
    readonly dates: number,
    readonly length: number,
    readonly width: number,
    private readonly kernels?: RmsRowKernels,
  ) {
    this.cols = columns[type];
    const p = this.cols.length;
    this.maxStep = samplingStep(length * width);
    const make = (n: number): Float64Array[][] =>
      Array.from({ length: this.maxStep }, () => Array.from({ length: dates }, () => new Float64Array(n)));
    this.gtg = make(p * p);
    this.gtd = make(p);
    this.count = Array.from({ length: this.maxStep }, () => new Float64Array(dates));
    this.dd = new Float64Array(dates);
    this.all = new Float64Array(dates);
    this.qMax = Math.max(...this.cols.map(([, q]) => q)) * 2;
    this.uPow = Array.from({ length: this.qMax + 1 }, (_, q) =>
      Float64Array.from({ length: width }, (_, x) => (x / width) ** q),
    );
  }

  /**
   * Adds rows [y0, y0 + rows) of date `i`: `plane` holds them (rows x width), `mask` (rows x width, 0 =
   * left out) is the mask file's, or undefined for none.
   */
  add(i: number, plane: Float32Array, y0: number, rows: number, mask: Uint8Array | undefined): void {
    const W = this.width;
    const qMax = this.qMax;
    const uPow = this.uPow;
    const u1 = uPow[1] ?? uPow[0]!;
    const u2 = uPow[2] ?? uPow[0]!;
    const U = new Float64Array(qMax + 1);
    const D = new Float64Array(3);
    const k = this.kernels;
    if (k && mask && this.scratch.length !== W) this.scratch = new Float32Array(W);
    if (k) {
      // Every pixel (step 1) through the SIMD row loop; masked pixels go in as NaN.
      for (let r = 0; r < rows; r++) {
        const row = maskedRow(plane, r * W, W, mask, this.scratch);
        const sums = k.sums(row);
        this.dd[i] = this.dd[i]! + sums.dd;
        this.all[i] = this.all[i]! + sums.all;
        if (sums.u[0] === 0) continue;
        for (let q = 0; q <= qMax; q++) U[q] = sums.u[q]!;
        D.set(sums.d);
        this.fold(1, i, y0 + r, U, D, sums.u[0]);
      }
    }
    if (!k) this.addSquares(i, plane, rows, mask);
    for (let s = k ? 2 : 1; s <= this.maxStep; s++) {
      const off = s > 1 ? s >> 1 : 0;
      const full = this.fullRowSums(s);
      for (let r = 0; r < rows; r++) {
        const y = y0 + r;
        if (s > 1 && y % s !== off) continue;
        // Σ u^q over the row's valid pixels = over all its (sampled) pixels − over the invalid ones.
        U.set(full);
        let n = full[0]!;
        let d0 = 0;
        let d1 = 0;
        let d2 = 0;
        const base = r * W;
        if (mask === undefined) {
          for (let x = off; x < W; x += s) {
            const d = plane[base + x]!;
            // MintPy fits pixels that are neither NaN nor exactly 0 (and inside the mask, below).
            if (d !== d || d === 0) {
              n--;
              for (let q = 0; q <= qMax; q++) U[q] = U[q]! - uPow[q]![x]!;
              continue;
            }
            d0 += d;
            d1 += u1[x]! * d;
            d2 += u2[x]! * d;
          }
        } else {
          for (let x = off; x < W; x += s) {
            const d = plane[base + x]!;
            if (d !== d || d === 0 || mask[base + x] === 0) {
              n--;
              for (let q = 0; q <= qMax; q++) U[q] = U[q]! - uPow[q]![x]!;
              continue;
            }
            d0 += d;
            d1 += u1[x]! * d;
            d2 += u2[x]! * d;
          }
        }
        if (n === 0) continue;
        U[0] = n; // exact count (the subtraction of ones is exact too, but say it plainly)
        D[0] = d0;
        D[1] = d1;
        D[2] = d2;
        this.fold(s, i, y, U, D, n);
      }
    }
  }

  /** Σd² and the non-NaN count of rows of date i (the JavaScript path; the SIMD row loop sums them itself). */
  private addSquares(i: number, plane: Float32Array, rows: number, mask: Uint8Array | undefined): void {
    let dd = 0;
    let all = 0;
    const n = rows * this.width;
    for (let j = 0; j < n; j++) {
      const d = plane[j]!;
      if (d !== d || (mask !== undefined && mask[j] === 0)) continue;
      all++;
      dd += d * d;
    }
    this.dd[i] = this.dd[i]! + dd;
    this.all[i] = this.all[i]! + all;
  }

  /**
   * Σ of the squared deramped values of date i and their count — what the second pass sums — from the
   * first pass's sums alone: over the valid non-zero pixels e = d − (r − ref), so Σe² = Σd² − 2cᵀ(Gᵀd) +
   * cᵀ(GᵀG)c + 2·ref·Σ(d − r) + n·ref², with GᵀG and Gᵀd over every valid pixel (step 1), whatever pixels
   * the fit sampled; zeros stay 0 and count. MintPy rounds each deramped value to float32; this is the
   * exact sum (within 1e-7 relative of it). Null when the ramp is so much larger than the residual that
   * the subtraction would cost more than 8 digits: the second pass computes those.
   */
  deramped(i: number, c: Float64Array | null, ref: number): { sum: number; count: number } | null {
    const dd = this.dd[i]!;
    const count = this.all[i]!;
    if (!c) return { sum: dd, count };
    const p = this.cols.length;
    const A = this.normalMatrix(1, i);
    const b = this.gtd[0]![i]!;
    const k0 = this.cols.findIndex(([pp, q]) => pp === 0 && q === 0);
    const Ac = new Float64Array(p);
    for (let a = 0; a < p; a++) for (let e = 0; e < p; e++) Ac[a] = Ac[a]! + A[a * p + e]! * c[e]!;
    let cAc = 0;
    let cb = 0;
    for (let a = 0; a < p; a++) {
      cAc += c[a]! * Ac[a]!;
      cb += c[a]! * b[a]!;
    }
    const n = this.count[0]![i]!;
    const sum = dd - 2 * cb + cAc + 2 * ref * (b[k0]! - Ac[k0]!) + n * ref * ref;
    return sum >= 1e-8 * dd ? { sum, count } : null;
  }

  private readonly fullSums = new Map<number, Float64Array>();
  private scratch = new Float32Array(0);

  /** Σ u^q over a row's pixels (every s-th from s >> 1 when sampling), q = 0..qMax. */
  private fullRowSums(s: number): Float64Array {
    let f = this.fullSums.get(s);
    if (!f) {
      f = new Float64Array(this.qMax + 1);
      for (let x = s > 1 ? s >> 1 : 0; x < this.width; x += s)
        for (let q = 0; q <= this.qMax; q++) f[q] = f[q]! + this.uPow[q]![x]!;
      this.fullSums.set(s, f);
    }
    return f;
  }

  private fold(s: number, i: number, y: number, U: Float64Array, D: Float64Array, n: number): void {
    const v = y / this.length;
    const p = this.cols.length;
    const gtg = this.gtg[s - 1]![i]!;
    const gtd = this.gtd[s - 1]![i]!;
    for (let a = 0; a < p; a++) {
      const [pa, qa] = this.cols[a]!;
      gtd[a] = gtd[a]! + v ** pa * D[qa]!;
      for (let b = a; b < p; b++) {
        const [pb, qb] = this.cols[b]!;
        gtg[a * p + b] = gtg[a * p + b]! + v ** (pa + pb) * U[qa + qb]!;
      }
    }
    this.count[s - 1]![i] = this.count[s - 1]![i]! + n;
  }

  /** The accumulated sums, to send from a worker thread (one flat array). */
  sums(): Float64Array {
    const p = this.cols.length;
    const per = p * p + p + 1;
    const out = new Float64Array(this.maxStep * this.dates * per + 2 * this.dates);
    out.set(this.dd, this.maxStep * this.dates * per);
    out.set(this.all, this.maxStep * this.dates * per + this.dates);
    for (let s = 0; s < this.maxStep; s++) {
      for (let i = 0; i < this.dates; i++) {
        const at = (s * this.dates + i) * per;
        out.set(this.gtg[s]![i]!, at);
        out.set(this.gtd[s]![i]!, at + p * p);
        out[at + p * p + p] = this.count[s]![i]!;
      }
    }
    return out;
  }

  /** Adds sums made by `sums()` of another accumulator of the same series (rows of other blocks). */
  merge(sums: Float64Array): void {
    const p = this.cols.length;
    const per = p * p + p + 1;
    const tail = this.maxStep * this.dates * per;
    for (let i = 0; i < this.dates; i++) {
      this.dd[i] = this.dd[i]! + sums[tail + i]!;
      this.all[i] = this.all[i]! + sums[tail + this.dates + i]!;
    }
    for (let s = 0; s < this.maxStep; s++) {
      for (let i = 0; i < this.dates; i++) {
        const at = (s * this.dates + i) * per;
        const gtg = this.gtg[s]![i]!;
        const gtd = this.gtd[s]![i]!;
        for (let k = 0; k < p * p; k++) gtg[k] = gtg[k]! + sums[at + k]!;
        for (let k = 0; k < p; k++) gtd[k] = gtd[k]! + sums[at + p * p + k]!;
        this.count[s]![i] = this.count[s]![i]! + sums[at + p * p + p]!;
      }
    }
  }

  /** Valid pixels of date i (before sampling). */
  validCount(i: number): number {
    return this.count[0]![i]!;
  }

  /** The ramp coefficients of date i (in scaled coordinates), or null when no pixel could be fitted. */
  solve(i: number): Float64Array | null {
    const s = samplingStep(this.validCount(i));
    const p = this.cols.length;
    if (this.count[Math.min(s, this.maxStep) - 1]![i] === 0) return null;
    return solveSymmetric(
      this.normalMatrix(Math.min(s, this.maxStep), i),
      Float64Array.from(this.gtd[Math.min(s, this.maxStep) - 1]![i]!),
      p,
    );
  }

  /** GᵀG of date i at sampling step s, both triangles (only the upper one is accumulated). */
  private normalMatrix(s: number, i: number): Float64Array {
    const p = this.cols.length;
    const A = Float64Array.from(this.gtg[s - 1]![i]!);
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) A[a * p + b] = A[b * p + a]!;
    return A;
  }

  /** The ramp of coefficients `c` along row y: r(x) = a(y)·u² + b(y)·u + c(y). */
  rowPolynomial(c: Float64Array, y: number): [number, number, number] {
    const v = y / this.length;
    const poly: [number, number, number] = [0, 0, 0];
    this.cols.forEach(([pp, q], k) => {
      poly[2 - q] = poly[2 - q]! + c[k]! * v ** pp;
    });
    return poly;
  }

  /** The ramp of coefficients `c` at (y, x). */
  at(c: Float64Array, y: number, x: number): number {
    const [a, b, k] = this.rowPolynomial(c, y);
    const u = x / this.width;
    return (a * u + b) * u + k;
  }
}

/**
 * Per date, the sum of squares and the count of the deramped values that MintPy's RMS averages: every
 * pixel of the mask that is not NaN (exact zeros count, as zeros). Deramped values are computed as
 * MintPy stores them: ramp rounded to float32, minus the (float32) ramp at the reference pixel, 0 where
 * the value is 0, and the difference rounded to float32.
 */
export class DerampedRms {
  readonly sum: Float64Array;
  readonly count: Float64Array;
  private scratch = new Float32Array(0);

  /** `kernels`: the WebAssembly SIMD row loops (engine/cpu/wasm.rms.ts); JavaScript loops without. */
  constructor(
    readonly dates: number,
    private readonly kernels?: RmsRowKernels,
  ) {
    this.sum = new Float64Array(dates);
    this.count = new Float64Array(dates);
  }

  /**
   * Adds rows [y0, y0 + rows) of date i. `ramp`: the fitted surface's row polynomial and the float32
   * ramp value at the reference pixel (0 without one), or undefined for no deramping.
   */
  add(
    i: number,
    plane: Float32Array,
    y0: number,
    rows: number,
    width: number,
    mask: Uint8Array | undefined,
    ramp: { row: (y: number) => [number, number, number]; ref: number } | undefined,
  ): void {
    let sum = 0;
    let n = 0;
    const f = Math.fround;
    const u = this.columnsOf(width);
    if (this.kernels && ramp) {
      if (this.scratch.length !== width) this.scratch = new Float32Array(width);
      for (let r = 0; r < rows; r++) {
        const [a, b, c] = ramp.row(y0 + r);
        const [s, m] = this.kernels.squares(maskedRow(plane, r * width, width, mask, this.scratch), a, b, c, ramp.ref);
        sum += s;
        n += m;
      }
      this.sum[i] = this.sum[i]! + sum;
      this.count[i] = this.count[i]! + n;
      return;
    }
    for (let r = 0; r < rows; r++) {
      const base = r * width;
      if (!ramp) {
        for (let x = 0; x < width; x++) {
          const d = plane[base + x]!;
          if (d !== d || (mask !== undefined && mask[base + x] === 0)) continue;
          sum += d * d;
          n++;
        }
        continue;
      }
      const [a, b, c] = ramp.row(y0 + r);
      const ref = ramp.ref;
      if (mask === undefined) {
        for (let x = 0; x < width; x++) {
          const d = plane[base + x]!;
          if (d !== d) continue;
          n++;
          if (d === 0) continue; // a zero stays zero (MintPy zeroes the ramp there)
          const ux = u[x]!;
          const out = f(d - f(f((a * ux + b) * ux + c) - ref));
          sum += out * out;
        }
      } else {
        for (let x = 0; x < width; x++) {
          const d = plane[base + x]!;
          if (d !== d || mask[base + x] === 0) continue;
          n++;
          if (d === 0) continue;
          const ux = u[x]!;
          const out = f(d - f(f((a * ux + b) * ux + c) - ref));
          sum += out * out;
        }
      }
    }
    this.sum[i] = this.sum[i]! + sum;
    this.count[i] = this.count[i]! + n;
  }

  private u: Float64Array | undefined;
  /** x / width for every column (the scaled coordinate of RampNormals). */
  private columnsOf(width: number): Float64Array {
    if (this.u?.length !== width) this.u = Float64Array.from({ length: width }, (_, x) => x / width);
    return this.u;
  }

  /** sqrt(mean(x²)) of date i, as float32 (MintPy's precision); NaN when no pixel counted. */
  rms(i: number): number {
    return this.count[i]! > 0 ? Math.fround(Math.sqrt(this.sum[i]! / this.count[i]!)) : NaN;
  }
}

/** Row `base..base+width` of `plane`, or a copy with NaN where `mask` is 0 (into `scratch`, resized as needed). */
function maskedRow(
  plane: Float32Array,
  base: number,
  width: number,
  mask: Uint8Array | undefined,
  scratch: Float32Array,
): Float32Array {
  if (!mask) return plane.subarray(base, base + width);
  const out = scratch.length >= width ? scratch.subarray(0, width) : new Float32Array(width);
  for (let x = 0; x < width; x++) out[x] = mask[base + x] === 0 ? NaN : plane[base + x]!;
  return out;
}
