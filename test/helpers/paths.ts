/** Paths of the repository, its samples and fixtures, found from this (compiled) file's location. */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'archeo') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

export const root = findRoot();
export const rkhSample = join(root, 'samples', 'S2A_29RKH_20200219_0_L2A');
export const unuSample = join(root, 'samples', 'S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE');
export const unuR60 = join(unuSample, 'GRANULE', 'L2A_T29UNU_A038058_20221005T115407', 'IMG_DATA', 'R60m');
export const codecsScene = join(root, 'test', 'fixtures', 'codecs', 'S2A_29RKH_20200219_0_L2A_codecs');
export const expectedDir = join(root, 'test', 'fixtures', 'expected');

export function tempDir(prefix = 'archeo-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * What a scan left in its output folder, without the run's bookkeeping (archeo-state.json, its journal,
 * archeo-plan.json and run-report.json): scene folders, and any temporary or lock file (which must not be there).
 */
export function outputEntries(out: string): string[] {
  return readdirSync(out)
    .filter(
      (n) =>
        !/^(archeo-state(-shard-\d+-of-\d+)?\.(json|journal)|(run-report|archeo-plan)(-shard-\d+-of-\d+)?\.json)$/.test(
          n,
        ),
    )
    .sort();
}
