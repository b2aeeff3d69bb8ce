/**
 * The small matrices of a least-squares fit G m = d: the rank of G, N = GᵀG and its inverse (m = N⁻¹Gᵀd
 * for every pixel; diag(N⁻¹) are the variance factors of the parameters), and the pseudo-inverse
 * G⁺ = N⁻¹Gᵀ where a rule needs it (covariance uncertainty); and a small symmetric solve that gives a
 * singular direction 0 (the ramps of ramp.ts). Everything here is (dates x parameters) in size; the
 * per-pixel work over millions of pixels is in fit.ts.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import type { DesignMatrix } from './design.js';

/**
 * Singular values below this fraction of the largest count as zero: float32's machine epsilon, the
 * cutoff scipy.linalg.lstsq(cond=None) passes to LAPACK sgelsd for MintPy's float32 G.
 */
export const RANK_RCOND = 1.1920928955078125e-7;

/** What a fit on some set of dates needs per pixel. */
export interface Subsystem {
  /** Dates (rows of G used). */
  n: number;
  /** Parameters (columns of G). */
  p: number;
  /** (GᵀG)⁻¹, row-major (p x p). */
  Ninv: Float64Array;
  /** diag((GᵀG)⁻¹). */
  NinvDiag: Float64Array;
}

/** The fit of all dates used, with G itself and its pseudo-inverse. */
export interface FitSystem extends Subsystem {
  /** G, row-major (n x p): the coefficients the accumulation kernel multiplies date i by. */
  G: Float64Array;
  /** G⁺ = (GᵀG)⁻¹Gᵀ, row-major (p x n). */
  P: Float64Array;
}

export interface RankDeficiency {
  rank: number;
  p: number;
  singularValues: number[];
}

export function isRankDeficient<T extends Subsystem>(x: T | RankDeficiency): x is RankDeficiency {
  return !('Ninv' in x);
}

/** The fit system of all of G (SVD of G: rank by singular values, as LAPACK decides it). */
export function fitSystem(design: DesignMatrix): FitSystem | RankDeficiency {
  const { rows: n, cols: p, values } = design;
  const g = new Matrix(n, p);
  for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) g.set(i, k, values[i * p + k]!);
  const svd = new SingularValueDecomposition(g, { autoTranspose: true });
  const s = svd.diagonal;
  const smax = Math.max(...s);
  const rank = s.filter((x) => x > RANK_RCOND * smax).length;
  if (n < p || rank < p) return { rank, p, singularValues: s };
  const v = svd.rightSingularVectors;
  // (GᵀG)⁻¹ = V Σ⁻² Vᵀ, from G's own SVD (no squaring of the condition number).
  const Ninv = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      let acc = 0;
      for (let r = 0; r < p; r++) acc += (v.get(a, r) * v.get(b, r)) / (s[r]! * s[r]!);
      Ninv[a * p + b] = acc;
    }
  }
  return { n, p, G: values, Ninv, NinvDiag: diagonal(Ninv, p), P: pseudoInverseFromNinv(design, null, Ninv) };
}

/**
 * The fit of the rows `valid` of G (a pixel's dates), through the normal equations: GᵀG summed over
 * those rows, an SVD of that p x p matrix (λ = σ²) for the rank test with fitSystem's cutoff, and its
 * inverse. Microseconds for the few parameters of time functions, where an SVD of the dates x parameters
 * matrix takes tens — and partial pixels can have as many NaN patterns as pixels. GᵀG squares the
 * condition number; at the conditioning of time-function models (1e2-1e3) that leaves ~1e-10 relative.
 */
export function fitSubsystem(design: DesignMatrix, valid: readonly number[]): Subsystem | RankDeficiency {
  const p = design.cols;
  const G = design.values;
  const n = valid.length;
  const N = new Matrix(p, p);
  for (const row of valid) {
    for (let a = 0; a < p; a++) {
      const ga = G[row * p + a]!;
      for (let b = a; b < p; b++) N.set(a, b, N.get(a, b) + ga * G[row * p + b]!);
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) N.set(a, b, N.get(b, a));
  const svd = new SingularValueDecomposition(N, { autoTranspose: false });
  const lambda = svd.diagonal;
  const lmax = Math.max(...lambda);
  const rank = lambda.filter((l) => l > RANK_RCOND * RANK_RCOND * lmax).length;
  if (n < p || rank < p) return { rank, p, singularValues: lambda.map((l) => Math.sqrt(Math.max(0, l))) };
  const v = svd.rightSingularVectors;
  const Ninv = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      let acc = 0;
      for (let r = 0; r < p; r++) acc += (v.get(a, r) * v.get(b, r)) / lambda[r]!;
      Ninv[a * p + b] = acc;
    }
  }
  return { n, p, Ninv, NinvDiag: diagonal(Ninv, p) };
}

/**
 * G⁺ = N⁻¹Gᵀ from an inverse N⁻¹ already at hand (full-rank G), over the rows `valid` of G (all rows
 * when null), row-major (p x rows). Compare network.ts svdPseudoInverse, for G that may be singular.
 */
export function pseudoInverseFromNinv(
  design: DesignMatrix,
  valid: readonly number[] | null,
  Ninv: Float64Array,
): Float64Array {
  const p = design.cols;
  const rows = valid ?? Array.from({ length: design.rows }, (_, i) => i);
  const n = rows.length;
  const P = new Float64Array(p * n);
  rows.forEach((row, i) => {
    for (let k = 0; k < p; k++) {
      let acc = 0;
      for (let b = 0; b < p; b++) acc += Ninv[k * p + b]! * design.values[row * p + b]!;
      P[k * n + i] = acc;
    }
  });
  return P;
}

/**
 * Solves the symmetric system A x = b (p x p, p ≤ 6) by Gaussian elimination with partial pivoting; a
 * singular direction (a date whose valid pixels all lie on one row, say) gets 0, as a minimum-norm
 * pseudo-inverse would give it.
 */
export function solveSymmetric(A: Float64Array, b: Float64Array, p: number): Float64Array {
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  const scale = Math.max(...Array.from(M).map(Math.abs)) || 1;
  const singular = new Array<boolean>(p).fill(false);
  for (let k = 0; k < p; k++) {
    let best = k;
    for (let r = k + 1; r < p; r++) if (Math.abs(M[r * p + k]!) > Math.abs(M[best * p + k]!)) best = r;
    if (Math.abs(M[best * p + k]!) <= 1e-13 * scale) {
      singular[k] = true;
      continue;
    }
    if (best !== k) {
      for (let c = 0; c < p; c++) [M[k * p + c], M[best * p + c]] = [M[best * p + c]!, M[k * p + c]!];
      [x[k], x[best]] = [x[best]!, x[k]!];
    }
    for (let r = k + 1; r < p; r++) {
      const f = M[r * p + k]! / M[k * p + k]!;
      if (f === 0) continue;
      for (let c = k; c < p; c++) M[r * p + c] = M[r * p + c]! - f * M[k * p + c]!;
      x[r] = x[r]! - f * x[k]!;
    }
  }
  const out = new Float64Array(p);
  for (let k = p - 1; k >= 0; k--) {
    if (singular[k]) continue;
    let acc = x[k]!;
    for (let c = k + 1; c < p; c++) acc -= M[k * p + c]! * out[c]!;
    out[k] = acc / M[k * p + k]!;
  }
  return out;
}

function diagonal(m: Float64Array, p: number): Float64Array {
  return Float64Array.from({ length: p }, (_, k) => m[k * p + k]!);
}
