/**
 * Atomic writes of whole files: every archeo output is written under a temporary sibling name (see
 * core/cleanup.ts: `.<name>.tmp-<host>-<pid>-…`, removed on SIGINT/SIGTERM while registered) and renamed
 * into place, so a reader never sees half a file and an interrupted run leaves no partial output.
 */
import { rename, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { tempNameFor, tempPaths } from '../../core/cleanup.js';

/** Writes `data` under a temporary name next to `path`, then renames it to `path`. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempNameFor(dirname(path), basename(path));
  tempPaths.add(tmp);
  await writeFile(tmp, data);
  await rename(tmp, path);
  tempPaths.delete(tmp);
}

/** Writes JSON (indented unless `pretty` is false) and a final newline, atomically. */
export async function writeJsonAtomic(path: string, value: unknown, pretty = true): Promise<void> {
  await writeFileAtomic(path, `${pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`);
}
