/**
 * cos and sin of a residual by polynomials after one range reduction: these sums are the inner loop of
 * the whole inversion (temporal coherence), and Math.cos + Math.sin cost about twice as much. e = r + q·π/2
 * with |r| ≤ π/4, where Taylor series to x^12 / x^13 are within 2e-11; the quadrant q swaps and signs them.
 * Max error 1e-10 over |e| < 1e4 (test/invert/network.test.ts checks against Math.cos/Math.sin).
 */
import { factorial } from '../../core/numbers.js';

const HALF_PI = Math.PI / 2;
const INV_HALF_PI = 2 / Math.PI;

/** re[i] += cos e[i], im[i] += sin e[i] for i < n (addCis over an array, one loop the JIT keeps tight). */
export function addCisMany(e: Float64Array, n: number, re: Float64Array, im: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const q = Math.round(e[i]! * INV_HALF_PI);
    const r = e[i]! - q * HALF_PI;
    const r2 = r * r;
    const c = C0 + r2 * (C1 + r2 * (C2 + r2 * (C3 + r2 * (C4 + r2 * (C5 + r2 * C6)))));
    const s = r * (S0 + r2 * (S1 + r2 * (S2 + r2 * (S3 + r2 * (S4 + r2 * (S5 + r2 * S6))))));
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
