/** Small numeric helpers shared across floors: rounding for reports, factorials for series coefficients. */

/** `x` rounded to `decimals` decimal places (halves as Math.round: towards +∞). */
export function roundTo(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(x * scale) / scale;
}

/** n! as a double (exact up to 22!). */
export function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}
