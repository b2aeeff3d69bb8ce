/**
 * A scene's output folder is built under a temporary name next to its final one and renamed into place
 * when every file is complete, so `--out DIR/<scene id>/` never holds a partial set of outputs.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tempNameFor, tempPaths } from '../../core/cleanup.js';
import { InputError } from '../../core/errors.js';
import { insideOut, sceneFolderName } from '../../core/scene.name.js';

/** The final output folder of scene `id` under `out`: a safe name, checked to resolve inside `out`. */
export function sceneDir(out: string, id: string): string {
  return insideOut(out, join(out, sceneFolderName(id, out)));
}

export async function createTempDir(parent: string, name: string): Promise<string> {
  try {
    await mkdir(parent, { recursive: true });
  } catch (err) {
    throw new InputError(
      parent,
      `cannot create the output folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const tmp = insideOut(parent, tempNameFor(parent, sceneFolderName(name, parent)));
  tempPaths.add(tmp);
  await mkdir(tmp, { recursive: true });
  return tmp;
}

/** Moves a completed temporary folder to `final`, replacing an earlier one. */
export async function commitDir(tmp: string, final: string): Promise<void> {
  // Both are siblings in the output folder: neither may resolve outside it.
  const out = dirname(tmp);
  insideOut(out, final);
  let old: string | undefined;
  try {
    await stat(final);
    old = `${tmp}.old`;
    tempPaths.add(old);
    await rename(final, old);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await rename(tmp, final);
  tempPaths.delete(tmp);
  if (old) {
    await rm(old, { recursive: true, force: true });
    tempPaths.delete(old);
  }
}

export async function discardDir(tmp: string): Promise<void> {
  await rm(tmp, { recursive: true, force: true });
  tempPaths.delete(tmp);
}

export const indicesDir = (sceneDir: string): string => join(sceneDir, 'indices');
