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

/** Offset of `tag`'s 12-byte entry in the IFD at `ifd` (the first IFD when omitted) of a little-endian classic TIFF. */
export function tagEntry(b: Buffer, tag: number, ifd = b.readUInt32LE(4)): number {
  const n = b.readUInt16LE(ifd);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (b.readUInt16LE(e) === tag) return e;
  }
  throw new Error(`tag ${tag} not found in the IFD at ${ifd}`);
}

/** Offsets of every IFD of a little-endian classic TIFF, and where each one's next-IFD offset is stored. */
export function ifdOffsets(b: Buffer): { offset: number; nextAt: number }[] {
  const out: { offset: number; nextAt: number }[] = [];
  for (let offset = b.readUInt32LE(4); offset !== 0 && out.length < 100; ) {
    const nextAt = offset + 2 + b.readUInt16LE(offset) * 12;
    out.push({ offset, nextAt });
    offset = b.readUInt32LE(nextAt);
  }
  return out;
}

/** Reads `path`, lets `edit` change the bytes in place, writes them back. */
export function editFile(path: string, edit: (b: Buffer) => void): void {
  const b = readFileSync(path);
  edit(b);
  writeFileSync(path, b);
}
