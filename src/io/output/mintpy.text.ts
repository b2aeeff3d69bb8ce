/**
 * MintPy's small text outputs, in its formats: numpy.savetxt tables with `# `-prefixed headers, and the
 * one-date-per-line lists (reference_date.txt, exclude_date.txt). Written by the caller with
 * writeFileAtomic (atomic.ts), like every archeo output.
 */
import { rm } from 'node:fs/promises';

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
