/**
 * The one walk of a TIFF file's IFD chain: the header, then each IFD's entry table and next-IFD offset,
 * bounded (at most `maxIfds` IFDs) and loop-checked (an offset seen before is refused), every table
 * inside the file. geotiff.js follows next-IFD offsets without either check (`getImageCount()` never
 * returns on a chain that loops), so archeo walks the chain here first and asks geotiff.js only for
 * images this walk has found.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';

/** More IFDs than a band file has any use for (a COG holds the image, its overviews and their masks). */
export const maxIfds = 64;

/** One entry of an IFD's table, as written: tag, field type, value count, where the value lies. */
export interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  /** File offset of the value: inside the entry when it fits there, else the offset the entry holds. */
  valueOffset: number;
}

export interface Ifd {
  /** File offset of the IFD (its entry count). */
  offset: number;
  /** File offset just past its next-IFD offset (the end of its table). */
  end: number;
  entries: Map<number, IfdEntry>;
}

export interface IfdChain {
  littleEndian: boolean;
  bigTiff: boolean;
  ifds: Ifd[];
}

/** Bytes of one value of each TIFF field type (1 BYTE ... 18 IFD8). */
const typeSize: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

/** The byte just past an entry's value (inline values end inside their IFD). */
export function valueEnd(entry: IfdEntry): number {
  return entry.valueOffset + (typeSize[entry.type] ?? 1) * entry.count;
}

/** Reads the IFD chain of the TIFF file at `path` (`fileBytes` long), or throws an InputError naming it. */
export async function readIfdChain(path: string, fileBytes: number, limit = maxIfds): Promise<IfdChain> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    throw new InputError(path, 'file not found');
  }
  try {
    const read = async (at: number, length: number): Promise<Uint8Array> => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, at);
      return buf.subarray(0, bytesRead);
    };
    return await walkIfdChain(path, read, fileBytes, limit);
  } finally {
    await fh.close();
  }
}

/** Reads `length` bytes at `at` (fewer at the end of the file), wherever the file lives. */
export type ReadAt = (at: number, length: number) => Promise<Uint8Array>;

/** The IFD chain of the TIFF named `path`, read through `readAt` (a local file or a byte-range source). */
export async function walkIfdChain(
  path: string,
  readAt: ReadAt,
  fileBytes: number,
  limit = maxIfds,
): Promise<IfdChain> {
  const read = async (at: number, length: number): Promise<Buffer> => {
    const b = await readAt(at, length);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  };
  const head = await read(0, 16);
  const order = head.toString('latin1', 0, 2);
  if (head.length < 8 || (order !== 'II' && order !== 'MM')) throw new InputError(path, 'not a TIFF file');
  const le = order === 'II';
  const u16 = (b: Buffer, at: number): number => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const u64 = (b: Buffer, at: number): number => Number(le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at));
  const version = u16(head, 2);
  if (version !== 42 && version !== 43) throw new InputError(path, 'not a TIFF file');
  const big = version === 43;
  if (big && head.length < 16) throw new InputError(path, 'file is truncated inside its header');
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  const offsetSize = big ? 8 : 4;

  const ifds: Ifd[] = [];
  const seen = new Set<number>();
  let offset = big ? u64(head, 8) : u32(head, 4);
  while (offset !== 0) {
    const which = ifds.length === 0 ? 'its first IFD' : `IFD ${ifds.length}`;
    if (seen.has(offset)) throw new InputError(path, `TIFF IFD chain loops back to offset ${offset}`);
    if (ifds.length >= limit) throw new InputError(path, `TIFF IFD chain holds more than ${limit} IFDs`);
    seen.add(offset);
    if (offset + countSize > fileBytes) {
      throw new InputError(
        path,
        `file is truncated: ${which} starts at byte ${offset} but the file has ${fileBytes} bytes`,
      );
    }
    const cnt = await read(offset, countSize);
    const n = big ? u64(cnt, 0) : u16(cnt, 0);
    const entriesEnd = offset + countSize + n * entrySize;
    const end = entriesEnd + offsetSize; // the entries, then the next-IFD offset
    if (end > fileBytes) {
      throw new InputError(
        path,
        `file is truncated: ${which} ends at byte ${entriesEnd > fileBytes ? entriesEnd : end} but the file has ${fileBytes} bytes`,
      );
    }
    const table = await read(offset + countSize, n * entrySize + offsetSize);
    const entries = new Map<number, IfdEntry>();
    for (let i = 0; i < n; i++) {
      const e = i * entrySize;
      const tag = u16(table, e);
      const type = u16(table, e + 2);
      const count = big ? u64(table, e + 4) : u32(table, e + 4);
      const inline = (typeSize[type] ?? 1) * count <= offsetSize;
      const at = e + (big ? 12 : 8);
      const valueOffset = inline ? offset + countSize + at : big ? u64(table, at) : u32(table, at);
      entries.set(tag, { tag, type, count, valueOffset });
    }
    ifds.push({ offset, end, entries });
    offset = big ? u64(table, n * entrySize) : u32(table, n * entrySize);
  }
  if (ifds.length === 0) throw new InputError(path, 'not a TIFF file (no IFD)');
  return { littleEndian: le, bigTiff: big, ifds };
}

/**
 * The byte ranges [start, end) of every IFD's table and of the tag values stored outside it: what
 * opening the file reads, fetched ahead in as few requests as they allow (remote files).
 */
export function ifdByteRanges(chain: IfdChain): [number, number][] {
  const ranges: [number, number][] = [];
  for (const ifd of chain.ifds) {
    ranges.push([ifd.offset, ifd.end]);
    for (const e of ifd.entries.values()) {
      if (e.valueOffset >= ifd.offset && e.valueOffset < ifd.end) continue; // held in the entry itself
      ranges.push([e.valueOffset, e.valueOffset + (typeSize[e.type] ?? 1) * e.count]);
    }
  }
  return ranges;
}
