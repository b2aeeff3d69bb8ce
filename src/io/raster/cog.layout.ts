/**
 * GDAL's Cloud-Optimized GeoTIFF layout (the COG driver's, checked by GDAL's
 * validate_cloud_optimized_geotiff.py): the header; GDAL's structural metadata (the "ghost area", which
 * tells readers what the layout promises); every IFD, full resolution first then the overviews from the
 * largest, each followed by its tag data; then the tiles, smallest overview first and full resolution
 * last, each level in row-major order; each tile preceded by its byte count (uint32) and followed by its
 * last 4 bytes repeated, so a reader can check a tile it fetched by range without the IFD.
 *
 * The full resolution is written once, in its final form (leaders, trailers, row-major order), into the
 * file that becomes the COG (geotiff.writer.ts); its data starts at `dataStart`, a multiple of
 * INSERT_ALIGN, so that the room before it can be inserted in place (insert.range.ts). Between the last
 * IFD and the smallest overview's first tile lie fewer than INSERT_ALIGN zero bytes, the same whether the
 * room was inserted or the file copied.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ComputeError } from '../../core/errors.js';
import { INSERT_ALIGN } from './insert.range.js';

const STRUCTURE =
  'LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n' +
  'BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n ';
const GHOST = `GDAL_STRUCTURAL_METADATA_SIZE=${String(STRUCTURE.length).padStart(6, '0')} bytes\n${STRUCTURE}`;
const MAX_CLASSIC = 2 ** 32 - 1;
/** Output is gathered into buffers of this size before each write. */
const CHUNK = 4 << 20;
/** Tiles per vectored read at most (below the system's IOV_MAX, 1024 on Linux). */
const RUN = 512;

export interface CogLevel {
  /**
   * Where each tile of the level is (row-major tile order) and its byte count: for the full resolution,
   * the offset of its bytes (after their leader) from the start of the full-resolution data; for an
   * overview, its offset in the overviews' data file (without leader or trailer).
   */
  offsets: Float64Array;
  counts: Float64Array;
  /** The level's IFD at file offset `at` with its tiles placed at `placed`, the next IFD at `next`. */
  ifd: (at: number, placed: ArrayLike<number>, next: number) => Buffer;
}

/** Where everything goes in the COG. */
export interface CogLayout {
  /** Header, ghost area and every IFD, to be written at offset 0. */
  head: Buffer;
  /** File offset of the smallest overview's first leader. */
  overviewStart: number;
  /** File offset of the full resolution's data (a multiple of INSERT_ALIGN). */
  dataStart: number;
}

/** The layout of `levels` (full resolution first) whose full-resolution data is `dataBytes` long. */
export function layoutCog(levels: readonly CogLevel[], dataBytes: number, name: string): CogLayout {
  // The IFDs' sizes do not depend on the values in them: lay them out once with placeholders.
  let at = 8 + GHOST.length;
  at += at % 2;
  const ifdAt: number[] = [];
  for (const l of levels) {
    ifdAt.push(at);
    at += l.ifd(0, new Float64Array(l.counts.length), 0).byteLength;
  }
  const headBytes = at;
  let overviewBytes = 0;
  for (const l of levels.slice(1)) for (const n of l.counts) overviewBytes += n + 8;
  const dataStart = Math.ceil((headBytes + overviewBytes) / INSERT_ALIGN) * INSERT_ALIGN;
  const overviewStart = dataStart - overviewBytes;
  if (dataStart + dataBytes > MAX_CLASSIC)
    throw new ComputeError(`GeoTiffWriter: ${name} would exceed 4 GiB (classic TIFF)`);
  // Tiles: smallest overview first, each level's tiles one after the other (4 bytes of leader before
  // each, 4 of trailer after); the full resolution where it already is, dataStart further on.
  const placed = levels.map((l) => new Float64Array(l.counts.length));
  at = overviewStart;
  for (let k = levels.length - 1; k >= 1; k--) {
    const { counts } = levels[k]!;
    for (let i = 0; i < counts.length; i++) {
      placed[k]![i] = at + 4;
      at += counts[i]! + 8;
    }
  }
  levels[0]!.offsets.forEach((o, i) => {
    placed[0]![i] = dataStart + o;
  });
  const head = Buffer.alloc(ifdAt[0]!);
  head.write('II', 0, 'latin1');
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(ifdAt[0]!, 4);
  head.write(GHOST, 8, 'latin1');
  const ifds = levels.map((l, k) => l.ifd(ifdAt[k]!, placed[k]!, ifdAt[k + 1] ?? 0));
  return { head: Buffer.concat([head, ...ifds]), overviewStart, dataStart };
}

/**
 * Writes the head and the overview tiles (copied from `overviews`, the overviews' data file, with their
 * leaders and trailers) into `out`, before the full resolution's data.
 */
export async function writeHeadAndOverviews(
  out: FileHandle,
  overviews: FileHandle | undefined,
  levels: readonly CogLevel[],
  layout: CogLayout,
  name: string,
): Promise<void> {
  await writeAll(out, layout.head, 0);
  if (!overviews) return;
  let pos = layout.overviewStart;
  let buf = Buffer.alloc(CHUNK);
  let used = 0;
  const flush = async (): Promise<void> => {
    if (used) await writeAll(out, buf.subarray(0, used), pos);
    pos += used;
    used = 0;
  };
  for (let k = levels.length - 1; k >= 1; k--) {
    const { offsets, counts } = levels[k]!;
    for (let i = 0; i < counts.length; ) {
      if (used + counts[i]! + 8 > buf.byteLength) {
        await flush();
        if (counts[i]! + 8 > buf.byteLength) buf = Buffer.alloc(counts[i]! + 8);
      }
      // A run: the next tiles in COG order that lie one after the other in the data file (tiles are
      // appended as they come, mostly in order) and fit in the buffer. One positioned vectored read
      // puts each tile where it goes in the buffer, between its leader and its trailer.
      const parts: Buffer[] = [];
      const from = offsets[i]!;
      let end = from;
      let at = used;
      let j = i;
      while (j < counts.length && offsets[j] === end && at + counts[j]! + 8 <= buf.byteLength && parts.length < RUN) {
        const n = counts[j]!;
        buf.writeUInt32LE(n, at);
        parts.push(buf.subarray(at + 4, at + 4 + n));
        end += n;
        at += n + 8;
        j++;
      }
      const { bytesRead } = await overviews.readv(parts, from);
      if (bytesRead !== end - from) throw new ComputeError(`GeoTiffWriter: overview data of ${name} is short`);
      for (; i < j; i++) {
        const n = counts[i]!;
        trailer(buf, used + 4, n);
        used += n + 8;
      }
    }
  }
  await flush();
}

/** Writes the trailer of the tile of `n` bytes at `at` in `buf`: its last 4 bytes again (fewer: zero-padded). */
function trailer(buf: Uint8Array, at: number, n: number): void {
  const tail = Math.min(4, n);
  buf.fill(0, at + n, at + n + 4);
  buf.copyWithin(at + n + 4 - tail, at + n - tail, at + n);
}

/**
 * The copy taken where no range can be inserted: a new file `target` with the head and overviews, then
 * the full-resolution data (`dataBytes` from offset 0 of `data`) at layout.dataStart.
 */
export async function copyCog(
  data: FileHandle,
  overviews: FileHandle | undefined,
  target: string,
  levels: readonly CogLevel[],
  layout: CogLayout,
  dataBytes: number,
  name: string,
): Promise<void> {
  const out = await open(target, 'w');
  try {
    await writeHeadAndOverviews(out, overviews, levels, layout, name);
    const buf = Buffer.alloc(CHUNK);
    for (let at = 0; at < dataBytes; ) {
      const { bytesRead } = await data.read(buf, 0, Math.min(CHUNK, dataBytes - at), at);
      if (bytesRead === 0) throw new ComputeError(`GeoTiffWriter: tile data of ${name} is short`);
      await writeAll(out, buf.subarray(0, bytesRead), layout.dataStart + at);
      at += bytesRead;
    }
  } finally {
    await out.close();
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, at: number): Promise<void> {
  for (let done = 0; done < bytes.byteLength; ) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done, at + done);
    done += bytesWritten;
  }
}
