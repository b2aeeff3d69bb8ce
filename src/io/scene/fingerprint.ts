/**
 * A scene's input fingerprint: every file below the scene folder (bands, metadata, STAC item), or the
 * zipped product itself, by
 * relative path, size and modification time. Cheap (no file is read) and enough to notice a band
 * replaced, re-downloaded or touched; hashed so the state compares one string.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';

export interface Fingerprint {
  hash: string;
  files: [string, number, number][];
}

export async function fingerprintScene(dir: string): Promise<Fingerprint> {
  const files: [string, number, number][] = [];
  const top = await stat(dir);
  if (top.isFile()) {
    // A zipped product: the archive is the one input file.
    files.push([basename(dir), top.size, Math.round(top.mtimeMs)]);
    return { hash: createHash('sha256').update(JSON.stringify(files)).digest('hex'), files };
  }
  const walk = async (d: string): Promise<void> => {
    const list = await readdir(d, { withFileTypes: true });
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of list) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const s = await stat(p);
        files.push([relative(dir, p), s.size, Math.round(s.mtimeMs)]);
      }
    }
  };
  await walk(dir);
  const hash = createHash('sha256').update(JSON.stringify(files)).digest('hex');
  return { hash, files };
}

/** The first difference between two input lists, in words (for --list and the log). */
export function describeChange(before: [string, number, number][], now: [string, number, number][]): string {
  const old = new Map(before.map(([p, size, mtime]) => [p, { size, mtime }]));
  for (const [p, size, mtime] of now) {
    const o = old.get(p);
    if (!o) return `${p} is new`;
    if (o.size !== size) return `${p} changed size (${o.size} → ${size} bytes)`;
    if (o.mtime !== mtime) return `${p} was modified`;
    old.delete(p);
  }
  const gone = [...old.keys()][0];
  return gone ? `${gone} is gone` : 'inputs changed';
}
