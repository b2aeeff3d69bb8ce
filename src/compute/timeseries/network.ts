/**
 * Network inversion of interferograms into a time series (MintPy ifgram_inversion; reference/mintpy.md
 * §4.2-4.6): the per-pixel solver and the shared solve of the pixels valid in every pair. The design
 * (network.design.ts) is sparse, so the normal equations GᵀWG of any pixel are banded (bandwidth: the
 * longest span of a pair) and are built and factored (banded Cholesky, here) in time proportional to
 * pairs x span², instead of the dense least squares MintPy runs per pixel. A singular system (a network
 * cut in two, a date no pair reaches) falls back to the SVD minimum-norm solution with LAPACK's cutoff
 * (singular values below 1e-5 of the largest). The temporal coherence of a solution is in
 * network.coherence.ts.
 */
import { type Matrix, SingularValueDecomposition } from 'ml-matrix';
import { addCisMany } from './cis.js';
import { temporalCoherence } from './network.coherence.js';
import { denseRows, type NetworkDesign, type SparseRow } from './network.design.js';

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
    if (minRedundancy < this.opts.minRedundancy)
      return { ts: new Float64Array(nDates), tcoh: 0, used: 0, inverted: false };

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
    const P = svdPseudoInverse(
      denseRows(
        used.map((k) => this.rows[k]!),
        this.p,
        w,
      ),
    );
    const n = used.length;
    out.fill(0);
    for (let c = 0; c < this.p; c++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += P[c * n + i]! * y[used[i]!]! * w[i]!;
      out[c] = acc;
    }
  }
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
  coherenceTile(
    y: Float64Array,
    stride: number,
    n: number,
    x: Float64Array,
    re: Float64Array,
    im: Float64Array,
    out: Float32Array,
    outIndex: Int32Array,
  ): void {
    const { rows } = this;
    if (this.residual.length < n) this.residual = new Float64Array(stride);
    const e = this.residual;
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
