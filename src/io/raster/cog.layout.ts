/**
 * GDAL's Cloud-Optimized GeoTIFF layout (the COG driver's, checked by GDAL's
 * validate_cloud_optimized_geotiff.py): the header; GDAL's structural metadata (the "ghost area", which
 * tells readers what the layout promises); every IFD, full resolution first then the overviews from the
 * largest, each followed by its tag data; then the tiles, smallest overview first and full resolution
 * last, each level in row-major order; each tile preceded by its byte count (uint32) and followed by its
 * last 4 bytes repeated, so a reader can check a tile it fetched by range without the IFD.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ComputeError } from '../../core/errors.js';

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
  /** Where each tile of the level is in the data file, and its byte count (row-major tile order). */
  offsets: Float64Array;
  counts: Float64Array;
  /** The level's IFD at file offset `at` with its tiles placed at `placed`, the next IFD at `next`. */
  ifd: (at: number, placed: ArrayLike<number>, next: number) => Buffer;
}

/**
 * Writes the COG of `levels` (full resolution first) to `target`, copying the tiles from `data`.
 * `name` is the final file's name, for errors.
 */
export async function assembleCog(data: FileHandle, target: string, levels: CogLevel[], name: string): Promise<void> {
  // The IFDs' sizes do not depend on the values in them: lay them out once with placeholders.
  let at = 8 + GHOST.length;
  at += at % 2;
  const ifdAt: number[] = [];
  for (const l of levels) {
    ifdAt.push(at);
    at += l.ifd(0, new Float64Array(l.counts.length), 0).byteLength;
  }
  // Tiles: smallest overview first; 4 bytes of leader before each, 4 of trailer after.
  const placed = levels.map((l) => new Float64Array(l.counts.length));
  for (let k = levels.length - 1; k >= 0; k--) {
    const { counts } = levels[k]!;
    for (let i = 0; i < counts.length; i++) {
      placed[k]![i] = at + 4;
      at += counts[i]! + 8;
    }
  }
  if (at > MAX_CLASSIC) throw new ComputeError(`GeoTiffWriter: ${name} would exceed 4 GiB (classic TIFF)`);

  const out = await open(target, 'w');
  try {
    const head = Buffer.alloc(ifdAt[0]!);
    head.write('II', 0, 'latin1');
    head.writeUInt16LE(42, 2);
    head.writeUInt32LE(ifdAt[0]!, 4);
    head.write(GHOST, 8, 'latin1');
    const ifds = levels.map((l, k) => l.ifd(ifdAt[k]!, placed[k]!, ifdAt[k + 1] ?? 0));
    let pos = 0;
    for (const b of [head, ...ifds]) {
      await out.write(b, 0, b.byteLength, pos);
      pos += b.byteLength;
    }
    let buf = Buffer.alloc(CHUNK);
    let used = 0;
    const flush = async (): Promise<void> => {
      if (used) await out.write(buf, 0, used, pos);
      pos += used;
      used = 0;
    };
    for (let k = levels.length - 1; k >= 0; k--) {
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
        const { bytesRead } = await data.readv(parts, from);
        if (bytesRead !== end - from) throw new ComputeError(`GeoTiffWriter: tile data of ${name} is short`);
        for (; i < j; i++) {
          // The trailer: the tile's last 4 bytes again (fewer than 4: left-padded with zeros).
          const n = counts[i]!;
          const tail = Math.min(4, n);
          buf.fill(0, used + 4 + n, used + 8 + n);
          buf.copy(buf, used + 8 + n - tail, used + 4 + n - tail, used + 4 + n);
          used += n + 8;
        }
      }
    }
    await flush();
  } finally {
    await out.close();
  }
}
