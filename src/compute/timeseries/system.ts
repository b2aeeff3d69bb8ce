/**
 * The small matrices of a least-squares fit G m = d, from the SVD of G (ml-matrix): its rank, the
 * pseudo-inverse P = G⁺ (m = P d for every pixel), N = GᵀG and the diagonal of N⁻¹ (the variance
 * factors of the parameters). Everything here is (dates x parameters) in size; the per-pixel work over
 * millions of pixels is in fit.ts.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import type { DesignMatrix } from './design.js';

/**
 * Singular values below this fraction of the largest count as zero: float32's machine epsilon, the
 * cutoff scipy.linalg.lstsq(cond=None) passes to LAPACK sgelsd for MintPy's float32 G.
 */
export const RANK_RCOND = 1.1920928955078125e-7;

export interface FitSystem {
  /** Dates (rows of G). */
  n: number;
  /** Parameters (columns of G). */
  p: number;
  /** G, row-major (n x p). */
  G: Float64Array;
  /** G⁺, row-major (p x n). */
  P: Float64Array;
  /** GᵀG, row-major (p x p). */
  N: Float64Array;
  /** diag((GᵀG)⁻¹). */
  NinvDiag: Float64Array;
  /** P with its rows interleaved by date (n x p): the coefficients of date i are at [i*p, i*p + p). */
  Pt: Float64Array;
}

export interface RankDeficiency {
  rank: number;
  p: number;
  singularValues: number[];
}

/** The fit system of G, or why it has none (rank below the number of parameters). */
export function fitSystem(design: DesignMatrix): FitSystem | RankDeficiency {
  const { rows: n, cols: p, values } = design;
  const g = new Matrix(n, p);
  for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) g.set(i, k, values[i * p + k]!);
  const svd = new SingularValueDecomposition(g, { autoTranspose: true });
  const s = svd.diagonal;
  const smax = Math.max(...s);
  const rank = s.filter((x) => x > RANK_RCOND * smax).length;
  if (n < p || rank < p) return { rank, p, singularValues: s };
  const u = svd.leftSingularVectors;
  const v = svd.rightSingularVectors;
  const P = new Float64Array(p * n);
  const Pt = new Float64Array(n * p);
  const NinvDiag = new Float64Array(p);
  for (let k = 0; k < p; k++) {
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let r = 0; r < p; r++) acc += (v.get(k, r) * u.get(i, r)) / s[r]!;
      P[k * n + i] = acc;
      Pt[i * p + k] = acc;
    }
    let d = 0;
    for (let r = 0; r < p; r++) d += (v.get(k, r) / s[r]!) ** 2;
    NinvDiag[k] = d;
  }
  const N = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += values[i * p + a]! * values[i * p + b]!;
      N[a * p + b] = acc;
    }
  }
  return { n, p, G: values, P, N, NinvDiag, Pt };
}

export function isRankDeficient(x: FitSystem | RankDeficiency): x is RankDeficiency {
  return !('P' in x);
}

/** The rows `keep` of a design matrix (the dates a pixel has). */
export function designRows(design: DesignMatrix, keep: readonly number[]): DesignMatrix {
  const p = design.cols;
  const values = new Float64Array(keep.length * p);
  keep.forEach((row, i) => values.set(design.values.subarray(row * p, row * p + p), i * p));
  return { values, rows: keep.length, cols: p };
}
