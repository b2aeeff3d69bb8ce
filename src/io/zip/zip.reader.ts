/**
 * A small ZIP reader (PKWARE APPNOTE 6.3): the central directory is read once from the end of the file,
 * members are read on demand (stored, or deflate through node:zlib's inflateRaw), never extracted to disk.
 * ZIP64 sizes and offsets are understood (products over 4 GB). Encryption, multi-disk archives and other
 * compression methods are refused with the archive and the member named. Every size and offset read from
 * the file is checked against the file's length before it is used: a damaged archive is an InputError,
 * never a huge allocation or a read past the end.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { InputError } from '../../core/errors.js';

const inflateRawAsync = promisify(inflateRaw);

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
/** End-of-central-directory record without its comment; the comment is at most 65535 bytes. */
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** A product's central directory is some hundred kB; this bound keeps a damaged count from allocating GBs. */
const MAX_CENTRAL_BYTES = 64 * 1024 * 1024;
/** A member read whole (a JP2 band is at most ~150 MB; a metadata file tens of kB). */
export const MAX_MEMBER_BYTES = 1024 * 1024 * 1024;

export interface ZipMember {
  /** Path inside the archive, `/`-separated, as stored. */
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
  /** General-purpose flags (bit 0: encrypted). */
  flags: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, the one ZIP stores), to notice a damaged member rather than decode garbage. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Reads exactly `length` bytes at `position`; a short read means the file is shorter than its directory says. */
async function readAt(fh: FileHandle, path: string, position: number, length: number, what: string): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new InputError(path, `damaged zip: ${what} runs past the end of the file`);
    done += bytesRead;
  }
  return buf;
}

/** A u64 from a ZIP64 field, refused beyond 2^53 (no real archive is that large). */
function u64(buf: Buffer, off: number, path: string): number {
  const v = buf.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InputError(path, 'damaged zip: a ZIP64 size or offset is too large');
  return Number(v);
}

export class ZipArchive {
  private constructor(
    readonly path: string,
    /** Size of the archive file in bytes. */
    readonly size: number,
    readonly mtimeMs: number,
    readonly members: ReadonlyMap<string, ZipMember>,
  ) {}

  /** Opens `path` and reads its central directory (the members' bytes are not read). */
  static async open(path: string): Promise<ZipArchive> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw new InputError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new InputError(path, 'is not a regular file (expected a .zip archive)');
      const members = await readCentralDirectory(fh, path, st.size);
      return new ZipArchive(path, st.size, st.mtimeMs, members);
    } finally {
      await fh.close();
    }
  }

  /** A member by its name; an InputError naming archive and member when it is not there. */
  member(name: string): ZipMember {
    const m = this.members.get(name);
    if (!m) throw new InputError(`${this.path}!/${name}`, 'no such member in the zip archive');
    return m;
  }

  /** A member's bytes, inflated and CRC-checked. Errors name `archive!/member`. */
  async read(name: string): Promise<Uint8Array> {
    const m = this.member(name);
    const where = `${this.path}!/${name}`;
    if (m.flags & 1) throw new InputError(where, 'is encrypted (archeo reads unencrypted zip archives)');
    if (m.method !== 0 && m.method !== 8)
      throw new InputError(where, `uses compression method ${m.method} (archeo reads stored and deflate members)`);
    if (m.size > MAX_MEMBER_BYTES) throw new InputError(where, `is ${m.size} bytes: too large to read whole`);
    if (m.method === 0 && m.compressedSize !== m.size)
      throw new InputError(where, `damaged zip: stored member's sizes differ (${m.compressedSize} and ${m.size})`);
    let fh: FileHandle;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      throw new InputError(
        this.path,
        `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    let raw: Buffer;
    try {
      if (m.localHeaderOffset + 30 > this.size)
        throw new InputError(where, 'damaged zip: local header outside the file');
      const local = await readAt(fh, this.path, m.localHeaderOffset, 30, `the local header of ${name}`);
      if (local.readUInt32LE(0) !== LOCAL_SIG) throw new InputError(where, 'damaged zip: no local header signature');
      const dataStart = m.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      if (dataStart + m.compressedSize > this.size)
        throw new InputError(where, 'damaged zip: member data runs past the end of the file');
      raw = await readAt(fh, this.path, dataStart, m.compressedSize, `member ${name}`);
    } finally {
      await fh.close();
    }
    let bytes: Uint8Array;
    if (m.method === 0) bytes = raw;
    else {
      try {
        // maxOutputLength: a member that inflates past its declared size is damaged (or a zip bomb).
        bytes = await inflateRawAsync(raw, { maxOutputLength: Math.max(1, m.size) });
      } catch (err) {
        throw new InputError(where, `damaged zip: deflate data does not decode (${(err as Error).message})`);
      }
    }
    if (bytes.length !== m.size)
      throw new InputError(where, `damaged zip: member is ${bytes.length} bytes, the directory says ${m.size}`);
    if (crc32(bytes) !== m.crc32) throw new InputError(where, 'damaged zip: CRC-32 mismatch');
    return bytes;
  }
}

async function readCentralDirectory(fh: FileHandle, path: string, fileSize: number): Promise<Map<string, ZipMember>> {
  if (fileSize < EOCD_SIZE) throw new InputError(path, 'not a zip archive (too short for an end-of-directory record)');
  const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
  const tailStart = fileSize - tailLength;
  const tail = await readAt(fh, path, tailStart, tailLength, 'the end record');
  // The record is the last signature whose comment length reaches exactly the end of the file.
  let eocd = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG && i + EOCD_SIZE + tail.readUInt16LE(i + 20) === tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new InputError(path, 'not a zip archive (no end-of-central-directory record; truncated?)');
  if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0)
    throw new InputError(path, 'is a multi-disk zip archive (not supported)');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  const eocdPos = tailStart + eocd;
  // ZIP64: the classic record holds 0xFFFF/0xFFFFFFFF and a locator just before it points at the real one.
  if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === EOCD64_LOCATOR_SIG) {
    const rec64 = u64(tail, eocd - 20 + 8, path);
    if (rec64 + 56 > eocdPos) throw new InputError(path, 'damaged zip: ZIP64 end record outside the file');
    const r = await readAt(fh, path, rec64, 56, 'the ZIP64 end record');
    if (r.readUInt32LE(0) !== EOCD64_SIG) throw new InputError(path, 'damaged zip: no ZIP64 end record signature');
    count = u64(r, 32, path);
    cdSize = u64(r, 40, path);
    cdOffset = u64(r, 48, path);
  }
  if (cdSize > MAX_CENTRAL_BYTES) throw new InputError(path, `damaged zip: central directory of ${cdSize} bytes`);
  if (cdOffset + cdSize > eocdPos)
    throw new InputError(path, 'damaged zip: central directory outside the file (truncated?)');
  // Each entry takes at least 46 bytes: a count beyond that is a lie, refused before the loop.
  if (count * 46 > cdSize) throw new InputError(path, `damaged zip: ${count} entries cannot fit in ${cdSize} bytes`);
  const cd = await readAt(fh, path, cdOffset, cdSize, 'the central directory');
  const members = new Map<string, ZipMember>();
  let off = 0;
  for (let i = 0; i < count; i++) {
    if (off + 46 > cd.length || cd.readUInt32LE(off) !== CENTRAL_SIG)
      throw new InputError(path, `damaged zip: central directory entry ${i + 1} of ${count} is not one`);
    const flags = cd.readUInt16LE(off + 8);
    const method = cd.readUInt16LE(off + 10);
    const crc = cd.readUInt32LE(off + 16);
    let compressedSize = cd.readUInt32LE(off + 20);
    let size = cd.readUInt32LE(off + 24);
    const nameLength = cd.readUInt16LE(off + 28);
    const extraLength = cd.readUInt16LE(off + 30);
    const commentLength = cd.readUInt16LE(off + 32);
    let localHeaderOffset = cd.readUInt32LE(off + 42);
    const end = off + 46 + nameLength + extraLength + commentLength;
    if (end > cd.length) throw new InputError(path, `damaged zip: central directory entry ${i + 1} is cut short`);
    // Names are UTF-8 when flag bit 11 says so; Sentinel-2 names are ASCII either way.
    const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', off + 46, off + 46 + nameLength);
    // ZIP64 extended information: only the fields whose classic value is saturated are present, in order.
    let x = off + 46 + nameLength;
    const extraEnd = x + extraLength;
    while (x + 4 <= extraEnd) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (x + 4 + len > extraEnd) break;
      if (id === 0x0001) {
        let p = x + 4;
        const next = (): number => {
          if (p + 8 > x + 4 + len) throw new InputError(path, `damaged zip: ZIP64 field of ${name} is cut short`);
          const v = u64(cd, p, path);
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      x += 4 + len;
    }
    members.set(name, { name, method, compressedSize, size, crc32: crc, localHeaderOffset, flags });
    off = end;
  }
  return members;
}
