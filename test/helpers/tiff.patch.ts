/** Test tooling: rewrite one SHORT tag of a little-endian classic TIFF's first IFD in place. */
import { readFileSync, writeFileSync } from 'node:fs';

export function patchShortTag(path: string, tag: number, value: number): void {
  const b = readFileSync(path);
  if (b.toString('latin1', 0, 2) !== 'II' || b.readUInt16LE(2) !== 42)
    throw new Error(`${path}: not a little-endian classic TIFF`);
  const ifd = b.readUInt32LE(4);
  const n = b.readUInt16LE(ifd);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (b.readUInt16LE(e) === tag) {
      if (b.readUInt16LE(e + 2) !== 3) throw new Error(`tag ${tag} is not a SHORT`);
      b.writeUInt16LE(value, e + 8);
      writeFileSync(path, b);
      return;
    }
  }
  throw new Error(`${path}: tag ${tag} not found`);
}
