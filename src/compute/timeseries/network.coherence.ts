/**
 * MintPy's temporal coherence of a pixel's network inversion (calc_inv_quality; reference/mintpy.md
 * §4.6): how well the solved time series explains the pairs used, |Σ exp(i·e)| / pairs.
 */
import { addCisMany } from './cis.js';
import type { SparseRow } from './network.design.js';

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
