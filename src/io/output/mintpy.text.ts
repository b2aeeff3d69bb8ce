/**
 * MintPy's small text outputs, in its formats: numpy.savetxt tables with `# `-prefixed headers, and the
 * one-date-per-line lists (reference_date.txt, exclude_date.txt). Written by the caller with
 * writeFileAtomic (atomic.ts), like every archeo output.
 */
import { rm } from 'node:fs/promises';

/** A number as Python's repr prints a float (shortest round-trip digits; exponent below 1e-4 or from 1e16). */
export function pythonRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expPart] = x.toExponential().split('e') as [string, string];
  const exp = Number(expPart);
  if (exp < -4 || exp >= 16) {
    const m = mantissa.includes('.') ? mantissa : `${mantissa}`;
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp >= 0) {
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${int}.${frac || '0'}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** numpy.savetxt(fmt='%s', delimiter='\t', header=...) of string rows. */
export function savetxt(header: string, rows: string[][]): string {
  const head = header
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n');
  return `${head}\n${rows.map((r) => r.join('\t')).join('\n')}\n`;
}

export async function removeIfPresent(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
