/**
 * Network inversion of interferograms into a time series (MintPy ifgram_inversion; reference/mintpy.md
 * §4.2-4.6). The design matrices are MintPy's, in float32 as it builds them: A (−1/+1 at a pair's dates,
 * the reference date's column removed) and B (the pair's span of date intervals, each its length in
 * years). They are sparse — a pair touches only its own dates or the intervals between them — so the
 * normal equations GᵀWG of any pixel are banded (bandwidth: the longest span of a pair) and are built and
 * factored (banded Cholesky) in time proportional to pairs x span², instead of the dense least squares
 * MintPy runs per pixel. A singular system (a network cut in two, a date no pair reaches) falls back to
 * the SVD minimum-norm solution with LAPACK's cutoff (singular values below 1e-5 of the largest).
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { factorial } from '../../core/numbers.js';

export interface SparseRow {
  cols: Int32Array;
  vals: Float64Array;
}

export interface NetworkDesign {
  /** Dates of the kept pairs, sorted. */
  dates: string[];
  /** Each kept pair's date indices (into `dates`), in file order. */
  pairs: { i1: number; i2: number }[];
  /** Years since the first date, float32 (days / 365.25). */
  tbase: Float32Array;
  /** tbase[k + 1] − tbase[k], float32. */
  tbaseDiff: Float32Array;
  /** The date whose column A lacks (the first date, or the common reference of a single-reference network). */
  refIndex: number;
  /** Rows of A and B. */
  rowsA: SparseRow[];
  rowsB: SparseRow[];
  /** Unknowns per pixel: dates − 1. */
  unknowns: number;
}

function days(date: string): number {
  const d = date.slice(0, 8);
  const t = Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)));
  const hm = date.length > 9 ? Number(date.slice(9, 11)) * 3600 + Number(date.slice(11, 13)) * 60 : 0;
  return t / 86400000 + hm / 86400;
}

/** MintPy's get_design_matrix4timeseries for the kept pairs [date1, date2] (ifgramStack objects/stack.py). */
export function networkDesign(pairs: readonly [string, string][]): NetworkDesign {
  const dates = [...new Set(pairs.flat())].sort();
  const index = new Map(dates.map((d, i) => [d, i]));
  const t0 = days(dates[0]!);
  const tbase = Float32Array.from(dates, (d) => Math.fround(Math.fround(days(d) - t0) / 365.25));
  const tbaseDiff = Float32Array.from({ length: dates.length - 1 }, (_, k) => Math.fround(tbase[k + 1]! - tbase[k]!));
  const firsts = new Set(pairs.map((p) => p[0]));
  const refIndex = firsts.size === 1 ? index.get(pairs[0]![0])! : 0;
  const colA = (i: number): number => (i < refIndex ? i : i - 1);
  const idx = pairs.map(([a, b]) => ({ i1: index.get(a)!, i2: index.get(b)! }));
  const rowsA = idx.map(({ i1, i2 }) => {
    const entries: [number, number][] = [];
    if (i1 !== refIndex) entries.push([colA(i1), -1]);
    if (i2 !== refIndex) entries.push([colA(i2), 1]);
    entries.sort((x, y) => x[0] - y[0]);
    return { cols: Int32Array.from(entries, (e) => e[0]), vals: Float64Array.from(entries, (e) => e[1]) };
  });
  const rowsB = idx.map(({ i1, i2 }) => {
    const lo = Math.min(i1, i2);
    const hi = Math.max(i1, i2);
    const sign = i1 < i2 ? 1 : -1;
    const cols = Int32Array.from({ length: hi - lo }, (_, k) => lo + k);
    const vals = Float64Array.from(cols, (k) => sign * tbaseDiff[k]!);
    return { cols, vals };
  });
  return { dates, pairs: idx, tbase, tbaseDiff, refIndex, rowsA, rowsB, unknowns: dates.length - 1 };
}

/** Singular values below this fraction of the largest are dropped (MintPy: lstsq(..., cond=1e-5)). */
export const NETWORK_RCOND = 1e-5;

export interface PixelSolution {
  /** The time series (phase, radian) at every date; the first date's value is 0. */
  ts: Float64Array;
  /** Temporal coherence |Σ exp(i·e)| / pairs used (0 when not inverted). */
  tcoh: number;
  /** Pairs used. */
  used: number;
  /** True when the pixel was inverted (enough pairs on every date). */
  inverted: boolean;
}

export interface SolverOptions {
  /** Minimum-norm deformation velocity (B; MintPy's default) or phase (A). */
  minNormVelocity: boolean;
  /** Pairs every date (but the reference) needs (MintPy's --min-redun, default 1). */
  minRedundancy: number;
}

/**
 * Solves pixels one at a time: the rows of the pairs a pixel has (NaN-free), weighted by the square roots
 * of their weights, as MintPy's estimate_timeseries — through banded normal equations.
 */
export class NetworkSolver {
  readonly p: number;
  readonly rows: SparseRow[];
  /** Half-bandwidth of GᵀG over all pairs. */
  readonly bw: number;
  private readonly band: Float64Array;
  private readonly rhs: Float64Array;
  private readonly x: Float64Array;
  private readonly redundancy: Int32Array;

  constructor(
    readonly design: NetworkDesign,
    readonly opts: SolverOptions,
  ) {
    this.p = design.unknowns;
    this.rows = opts.minNormVelocity ? design.rowsB : design.rowsA;
    this.bw = Math.max(0, ...this.rows.map((r) => (r.cols.length ? r.cols[r.cols.length - 1]! - r.cols[0]! : 0)));
    this.band = new Float64Array(this.p * (this.bw + 1));
    this.rhs = new Float64Array(this.p);
    this.x = new Float64Array(this.p);
    this.redundancy = new Int32Array(this.p);
  }

  /**
   * One pixel: `y` the phase of every kept pair (NaN: not available), `ws` the square roots of the
   * weights (null: unweighted).
   */
  solve(y: Float64Array, ws: Float64Array | null): PixelSolution {
    const { p, bw, band, rhs, rows, redundancy, design } = this;
    const nDates = p + 1;
    // MintPy's redundancy test uses A (the dates) whatever the formulation: each date but the reference
    // needs `minRedundancy` of the pairs used.
    redundancy.fill(0);
    let used = 0;
    for (let k = 0; k < y.length; k++) {
      if (y[k] !== y[k]) continue;
      used++;
      for (const c of design.rowsA[k]!.cols) redundancy[c]!++;
    }
    let minRedundancy = Infinity;
    for (let c = 0; c < p; c++) if (redundancy[c]! < minRedundancy) minRedundancy = redundancy[c]!;
    if (minRedundancy < this.opts.minRedundancy) return { ts: new Float64Array(nDates), tcoh: 0, used: 0, inverted: false };

    band.fill(0);
    rhs.fill(0);
    for (let k = 0; k < y.length; k++) {
      const yk = y[k]!;
      if (yk !== yk) continue;
      const w = ws ? ws[k]! * ws[k]! : 1;
      const { cols, vals } = rows[k]!;
      for (let a = 0; a < cols.length; a++) {
        const ca = cols[a]!;
        const va = vals[a]! * w;
        rhs[ca] = rhs[ca]! + va * yk;
        for (let b = a; b < cols.length; b++) {
          const at = ca * (bw + 1) + (cols[b]! - ca);
          band[at] = band[at]! + va * vals[b]!;
        }
      }
    }
    const x = this.x;
    if (!choleskySolve(band, rhs, p, bw, x)) this.svdSolve(y, ws, x);
    const ts = new Float64Array(nDates);
    this.timeSeries(x, ts);
    return { ts, tcoh: temporalCoherence(rows, y, x), used, inverted: true };
  }

  /**
   * For pixels valid in every pair and unweighted (MintPy solves them together): the system is the same
   * for all, so it is factored once (or, singular, its pseudo-inverse formed once). Returns the solver of
   * a tile of such pixels, or null when the network fails the redundancy test (no pixel is inverted).
   */
  shared(): SharedSystem | null {
    const { p, bw, rows } = this;
    const redundancy = new Int32Array(p);
    for (const r of this.design.rowsA) for (const c of r.cols) redundancy[c]!++;
    if (Math.min(...redundancy) < this.opts.minRedundancy) return null;
    const band = new Float64Array(p * (bw + 1));
    for (const { cols, vals } of rows) {
      for (let a = 0; a < cols.length; a++) {
        for (let b = a; b < cols.length; b++) {
          const at = cols[a]! * (bw + 1) + (cols[b]! - cols[a]!);
          band[at] = band[at]! + vals[a]! * vals[b]!;
        }
      }
    }
    const probe = new Float64Array(p);
    // After a successful solve, band holds the Cholesky factor U (NᵀN = UᵀU).
    if (choleskySolve(band, new Float64Array(p), p, bw, probe)) return new SharedSystem(rows, p, bw, band, null);
    // Singular: one pseudo-inverse (minimum norm, LAPACK's cutoff) for every pixel.
    return new SharedSystem(rows, p, bw, null, svdPseudoInverse(denseRows(rows, p)));
  }

  /** The time series of unknowns x: 0 at the first date, then Σ velocity·Δt, or the phases themselves. */
  timeSeries(x: Float64Array, ts: Float64Array): void {
    ts[0] = 0;
    if (this.opts.minNormVelocity) {
      let acc = 0;
      for (let k = 0; k < this.p; k++) {
        acc += x[k]! * this.design.tbaseDiff[k]!;
        ts[k + 1] = acc;
      }
    } else {
      for (let k = 0; k < this.p; k++) ts[k + 1] = x[k]!;
    }
  }

  /** MintPy's minimum-norm least squares for a singular system: the pseudo-inverse of the weighted rows used. */
  private svdSolve(y: Float64Array, ws: Float64Array | null, out: Float64Array): void {
    const used: number[] = [];
    for (let k = 0; k < y.length; k++) if (y[k] === y[k]) used.push(k);
    const w = used.map((k) => (ws ? ws[k]! : 1));
    const P = svdPseudoInverse(denseRows(used.map((k) => this.rows[k]!), this.p, w));
    const n = used.length;
    out.fill(0);
    for (let c = 0; c < this.p; c++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += P[c * n + i]! * y[used[i]!]! * w[i]!;
      out[c] = acc;
    }
  }
}

/** Sparse rows as a dense matrix (rows x p), each row multiplied by its scale when given. */
export function denseRows(rows: readonly SparseRow[], p: number, scales?: readonly number[]): Matrix {
  const g = new Matrix(rows.length, p);
  rows.forEach(({ cols, vals }, k) => {
    const w = scales ? scales[k]! : 1;
    for (let a = 0; a < cols.length; a++) g.set(k, cols[a]!, vals[a]! * w);
  });
  return g;
}

/**
 * G⁺ of any G (singular too) by its SVD: the minimum-norm least-squares operator, p x rows, row-major,
 * with singular values below NETWORK_RCOND of the largest dropped (lstsq's cond).
 */
export function svdPseudoInverse(g: Matrix): Float64Array {
  const n = g.rows;
  const p = g.columns;
  const svd = new SingularValueDecomposition(g, { autoTranspose: true });
  const s = svd.diagonal;
  const cut = NETWORK_RCOND * Math.max(...s);
  const u = svd.leftSingularVectors;
  const v = svd.rightSingularVectors;
  const P = new Float64Array(p * n);
  for (let r = 0; r < s.length; r++) {
    if (!(s[r]! > cut)) continue;
    for (let c = 0; c < p; c++) {
      const vc = v.get(c, r) / s[r]!;
      for (let k = 0; k < n; k++) P[c * n + k] = P[c * n + k]! + vc * u.get(k, r);
    }
  }
  return P;
}

/**
 * The one system of the pixels valid in every pair, unweighted, solved for a tile of pixels at once:
 * the tile is pair-major (y[k·stride + i], pixel i of n), so every inner loop runs over contiguous pixels
 * — MintPy's vectorized solve of these pixels, in the order a CPU streams best.
 */
export class SharedSystem {
  constructor(
    readonly rows: SparseRow[],
    readonly p: number,
    readonly bw: number,
    /** Banded Cholesky factor (upper band), or null when singular. */
    private readonly factor: Float64Array | null,
    /** Pseudo-inverse (p x pairs), when singular. */
    private readonly pinv: Float64Array | null,
  ) {}

  /** Unknowns x[c·stride + i] of pixels i < n from observations y[k·stride + i]. */
  solveTile(y: Float64Array, stride: number, n: number, x: Float64Array): void {
    const { rows, p, bw } = this;
    x.fill(0, 0, p * stride);
    if (this.pinv) {
      const P = this.pinv;
      const m = rows.length;
      for (let c = 0; c < p; c++) {
        const xc = c * stride;
        for (let k = 0; k < m; k++) {
          const v = P[c * m + k]!;
          const yk = k * stride;
          for (let i = 0; i < n; i++) x[xc + i] = x[xc + i]! + v * y[yk + i]!;
        }
      }
      return;
    }
    // Gᵀy, then Uᵀz = Gᵀy and U x = z, each over the pixels of the tile at once.
    for (let k = 0; k < rows.length; k++) {
      const { cols, vals } = rows[k]!;
      const yk = k * stride;
      for (let a = 0; a < cols.length; a++) {
        const xc = cols[a]! * stride;
        const v = vals[a]!;
        for (let i = 0; i < n; i++) x[xc + i] = x[xc + i]! + v * y[yk + i]!;
      }
    }
    const U = this.factor!;
    const w = bw + 1;
    for (let r = 0; r < p; r++) {
      const xr = r * stride;
      for (let k = Math.max(0, r - bw); k < r; k++) {
        const u = U[k * w + (r - k)]!;
        const xk = k * stride;
        for (let i = 0; i < n; i++) x[xr + i] = x[xr + i]! - u * x[xk + i]!;
      }
      const d = 1 / U[r * w]!;
      for (let i = 0; i < n; i++) x[xr + i] = x[xr + i]! * d;
    }
    for (let r = p - 1; r >= 0; r--) {
      const xr = r * stride;
      for (let c = r + 1; c <= Math.min(p - 1, r + bw); c++) {
        const u = U[r * w + (c - r)]!;
        const xc = c * stride;
        for (let i = 0; i < n; i++) x[xr + i] = x[xr + i]! - u * x[xc + i]!;
      }
      const d = 1 / U[r * w]!;
      for (let i = 0; i < n; i++) x[xr + i] = x[xr + i]! * d;
    }
  }

  /** Temporal coherence of pixels i < n (every pair used): |Σ exp(i·(y − G x))| / pairs. */
  coherenceTile(y: Float64Array, stride: number, n: number, x: Float64Array, re: Float64Array, im: Float64Array, out: Float32Array, outIndex: Int32Array): void {
    const { rows } = this;
    const e = this.residual.length >= n ? this.residual : (this.residual = new Float64Array(stride));
    re.fill(0, 0, n);
    im.fill(0, 0, n);
    for (let k = 0; k < rows.length; k++) {
      const { cols, vals } = rows[k]!;
      const yk = k * stride;
      for (let i = 0; i < n; i++) e[i] = y[yk + i]!;
      for (let a = 0; a < cols.length; a++) {
        const xc = cols[a]! * stride;
        const v = vals[a]!;
        for (let i = 0; i < n; i++) e[i] = e[i]! - v * x[xc + i]!;
      }
      addCisMany(e, n, re, im);
    }
    const m = rows.length;
    for (let i = 0; i < n; i++) out[outIndex[i]!] = Math.hypot(re[i]!, im[i]!) / m;
  }

  private residual = new Float64Array(0);
}

/**
 * Solves the banded symmetric positive definite system (upper band: band[i·(bw+1) + d] = N[i][i+d]) by
 * Cholesky, in place; false when a pivot is not clearly positive (singular or nearly so).
 */
export function choleskySolve(band: Float64Array, b: Float64Array, p: number, bw: number, x: Float64Array): boolean {
  const w = bw + 1;
  let maxDiag = 0;
  for (let i = 0; i < p; i++) maxDiag = Math.max(maxDiag, band[i * w]!);
  if (!(maxDiag > 0)) return false;
  // A pivot below this is a singular value of G under ~1e-5 of the largest (lstsq would drop it).
  const tol = maxDiag * 1e-10;
  for (let i = 0; i < p; i++) {
    let s = band[i * w]!;
    for (let k = Math.max(0, i - bw); k < i; k++) {
      const u = band[k * w + (i - k)]!;
      s -= u * u;
    }
    if (!(s > tol)) return false;
    const d = Math.sqrt(s);
    band[i * w] = d;
    for (let j = i + 1; j <= Math.min(p - 1, i + bw); j++) {
      let t = band[i * w + (j - i)]!;
      for (let k = Math.max(0, j - bw); k < i; k++) t -= band[k * w + (i - k)]! * band[k * w + (j - k)]!;
      band[i * w + (j - i)] = t / d;
    }
  }
  // Uᵀz = b, then U x = z.
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = Math.max(0, i - bw); k < i; k++) s -= band[k * w + (i - k)]! * x[k]!;
    x[i] = s / band[i * w]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let j = i + 1; j <= Math.min(p - 1, i + bw); j++) s -= band[i * w + (j - i)]! * x[j]!;
    x[i] = s / band[i * w]!;
  }
  return true;
}

/** |Σ exp(i·e)| / n over the pairs used, e = y − G x with the unweighted rows (calc_inv_quality). */
export function temporalCoherence(rows: SparseRow[], y: Float64Array, x: Float64Array): number {
  if (scratch.length < y.length) scratch = new Float64Array(y.length * 3);
  const m = y.length;
  const e = scratch.subarray(0, m);
  const re = scratch.subarray(m, 2 * m);
  const im = scratch.subarray(2 * m, 3 * m);
  let n = 0;
  for (let k = 0; k < m; k++) {
    const yk = y[k]!;
    if (yk !== yk) continue;
    const { cols, vals } = rows[k]!;
    let fit = 0;
    for (let a = 0; a < cols.length; a++) fit += vals[a]! * x[cols[a]!]!;
    e[n++] = yk - fit;
  }
  if (n === 0) return 0;
  re.fill(0, 0, n);
  im.fill(0, 0, n);
  addCisMany(e, n, re, im);
  let sumRe = 0;
  let sumIm = 0;
  for (let i = 0; i < n; i++) {
    sumRe += re[i]!;
    sumIm += im[i]!;
  }
  return Math.hypot(sumRe, sumIm) / n;
}

/** Residuals and their cos/sin of one pixel (temporalCoherence), grown as needed. */
let scratch = new Float64Array(0);

/*
 * cos and sin of a residual by polynomials after one range reduction: these sums are the inner loop of
 * the whole inversion, and Math.cos + Math.sin cost about twice as much. e = r + q·π/2 with |r| ≤ π/4,
 * where Taylor series to x^12 / x^13 are within 2e-11; the quadrant q swaps and signs them. Max error
 * 1e-10 over |e| < 1e4 (test/invert/network.test.ts checks against Math.cos/Math.sin).
 */

const HALF_PI = Math.PI / 2;
const INV_HALF_PI = 2 / Math.PI;

/** re[i] += cos e[i], im[i] += sin e[i] for i < n (addCis over an array, one loop the JIT keeps tight). */
export function addCisMany(e: Float64Array, n: number, re: Float64Array, im: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const q = Math.round(e[i]! * INV_HALF_PI);
    const r = e[i]! - q * HALF_PI;
    const r2 = r * r;
    const c = C0 + r2 * (C1 + r2 * (C2 + r2 * (C3 + r2 * (C4 + r2 * (C5 + r2 * (C6))))));
    const s = r * (S0 + r2 * (S1 + r2 * (S2 + r2 * (S3 + r2 * (S4 + r2 * (S5 + r2 * (S6)))))));
    // Quadrant without branches (residuals fall in any quadrant; mispredicted branches doubled the cost):
    // odd q swaps cos and sin; cos is negative in quadrants 1 and 2, sin in 2 and 3.
    const qi = q | 0;
    const odd = qi & 1;
    const cosSign = 1 - 2 * (((qi + 1) >> 1) & 1);
    const sinSign = 1 - 2 * ((qi >> 1) & 1);
    re[i] = re[i]! + cosSign * (c + odd * (s - c));
    im[i] = im[i]! + sinSign * (s + odd * (c - s));
  }
}

/** Taylor coefficients of cos (Ck: x^2k, to x^12) and sin (Sk: x^(2k+1), to x^13). */
const C0 = 1 / factorial(0);
const C1 = -1 / factorial(2);
const C2 = 1 / factorial(4);
const C3 = -1 / factorial(6);
const C4 = 1 / factorial(8);
const C5 = -1 / factorial(10);
const C6 = 1 / factorial(12);
const S0 = 1 / factorial(1);
const S1 = -1 / factorial(3);
const S2 = 1 / factorial(5);
const S3 = -1 / factorial(7);
const S4 = 1 / factorial(9);
const S5 = -1 / factorial(11);
const S6 = 1 / factorial(13);
