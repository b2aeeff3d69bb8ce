/**
 * Scene ids become paths: `--out DIR/<scene id>/`, its temporary sibling `.<scene id>.tmp-…`, and the
 * outputs checked by the state. Ids come from files archeo does not control (`PRODUCT_URI` in
 * `MTD_MSIL2A.xml`, a STAC item's `id`), so every id that becomes a path goes through `sceneFolderName`
 * first, and every path written or removed for a scene through `insideOut` (docs/reliability.md).
 */
import { relative, resolve, isAbsolute } from 'node:path';
import { InputError } from './errors.js';

/** Longest accepted scene id (a Sentinel-2 product name is 60 characters, an Earth Search id about 25). */
export const MAX_ID_LENGTH = 200;
/** Letters, digits, `.`, `_`, `-`; not starting with `.` (no `.`, `..`, hidden or temporary names). */
const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** A printable, bounded rendering of an untrusted id for an error line. */
function shown(id: unknown): string {
  if (typeof id !== 'string') return `${typeof id} ${JSON.stringify(id) ?? String(id)}`.slice(0, 80);
  const s = JSON.stringify(id); // escapes control characters, NUL and quotes
  return s.length > 80 ? `${s.slice(0, 77)}…"` : s;
}

/**
 * The folder name of a scene whose id is `id`, read from `source` (the metadata file, or the scene
 * folder): the id itself when it is a safe name, else an InputError naming `source` and the id.
 */
export function sceneFolderName(id: unknown, source: string): string {
  if (typeof id !== 'string') throw new InputError(source, `scene id ${shown(id)} is not a string`);
  if (id.length === 0) throw new InputError(source, 'scene id is empty');
  if (id.length > MAX_ID_LENGTH)
    throw new InputError(source, `scene id ${shown(id)} is longer than ${MAX_ID_LENGTH} characters`);
  if (!SAFE_ID.test(id)) {
    throw new InputError(
      source,
      `scene id ${shown(id)} cannot be used as a folder name (allowed: letters, digits, '.', '_', '-', not starting with '.')`,
    );
  }
  return id;
}

/**
 * `path`, after checking that it resolves strictly inside `out` (never `out` itself, never beside it):
 * the last guard before anything is written or removed for a scene.
 */
export function insideOut(out: string, path: string): string {
  const rel = relative(resolve(out), resolve(path));
  if (rel === '' || rel === '..' || rel.startsWith('../') || rel.startsWith('..\\') || isAbsolute(rel)) {
    throw new InputError(path, `refusing to write or remove outside the output folder ${out}`);
  }
  return path;
}
