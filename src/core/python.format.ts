/**
 * Values as Python prints them, for the text MintPy writes with repr()/str(): its attribute values
 * (`mintpy.timeFunc.*`, `mintpy.networkInversion.*`), dataset names built with f-strings
 * (`period0.25Y…`), and savetxt's '%s' columns. archeo's files must carry the same characters. Here in
 * core because compute (design.ts names datasets), io and pipeline all print them.
 */

/**
 * A double as Python's repr() (and str()) of a float prints it: the shortest digits that read back to
 * the same double; positional from 1e-4 up to 1e16 with at least one fractional digit (`2.0`),
 * scientific outside it with a two-digit exponent at least (`1e-05`, `1.5e+16`); `inf`, `nan`, `-0.0`.
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // JavaScript's toExponential() without digits is the shortest round trip, as Python's repr.
  const [mantissa, expPart] = x.toExponential().split('e') as [string, string];
  const exp = Number(expPart);
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp >= 0) {
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${int}.${frac || '0'}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** A value MintPy stores with str(): None (undefined), a number, a string, or a list of them. */
export type PythonValue = string | number | undefined | PythonValue[];

/**
 * Python's str() of `v`: None, numbers (as floats when `floats`, else as ints), strings (quoted inside a
 * list, as str() of a list quotes them), and lists of these.
 */
export function pythonStr(v: PythonValue, floats = false): string {
  if (v === undefined) return 'None';
  if (Array.isArray(v)) {
    return `[${v.map((x) => (typeof x === 'string' ? `'${x}'` : pythonStr(x, floats))).join(', ')}]`;
  }
  if (typeof v === 'number') return floats ? pythonFloatRepr(v) : String(v);
  return v;
}
