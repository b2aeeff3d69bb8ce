/**
 * Streaming Cloud-Optimized GeoTIFF writer: tiled, compressed with a predictor, georeferenced (EPSG +
 * geotransform), nodata, band description, internal overviews (overview.pyramid.ts), in GDAL's COG
 * layout (cog.layout.ts). The full-resolution tiles are written once, where they stay: each with its
 * leader and trailer, in row-major order (a writer whose tiles come early waits for its turn, without
 * blocking its thread), into the file that becomes the COG. Overview tiles, a third of the bytes, are
 * appended to a second data file as they come (any order, any thread). finish() inserts room for the
 * header, the IFDs and the overviews before the full resolution (insert.range.ts) and writes them
 * there, or, where the file system cannot insert, copies everything into a new file. Nothing is held
 * whole in memory; the files have temporary names until the COG is complete, so a final name never
 * holds a partial file. Classic TIFF (< 4 GiB).
 */
import { writeSync, writevSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { tempNameFor, tempPaths } from '../../core/cleanup.js';
import { ComputeError } from '../../core/errors.js';
import type { RasterGrid } from '../../core/types.js';
import { toolVersion } from '../../core/version.js';
import type { DigestPiece } from '../output/checksum.js';
import { copyCog, layoutCog, writeHeadAndOverviews, type CogLayout, type CogLevel } from './cog.layout.js';
import { insertAtStart } from './insert.range.js';
import { overviewSizes, type LevelSize, type OverviewMethod } from './overview.js';
import { createPyramidState, Pyramid, type PyramidState } from './overview.pyramid.js';
import { compressionTag, type Codec } from './tiff.codec.js';
import { predictorFor, type WritableType } from './tile.encode.js';

export interface GeoTiffOptions {
  grid: RasterGrid;
  type: WritableType;
  /** Tile edge in pixels (multiple of 16). */
  tileSize: number;
  codec: Codec;
  /** Nodata value: NaN for float indices; none for 0/1 masks. */
  nodata?: number;
  /** Band description (shown by gdalinfo and QGIS). */
  description?: string;
  /** Extra dataset metadata items (GDAL_METADATA), e.g. scene id and parameter hash. */
  metadata?: Record<string, string>;
  /** Internal overviews and how they are made; none when absent (or when the raster fits in one tile). */
  overviews?: OverviewMethod;
  /**
   * Full-resolution strip slots shared with worker threads (they copy their tasks' rows there and the
   * pyramid advances from them); 0 or absent: the writer's thread feeds the pyramid rows itself.
   */
  overviewSlots?: number;
  /**
   * Hashes the finished file from its pieces (the scan runs it in a worker thread); finish() then
   * leaves the SHA-256 in `sha256`, hashed before the file takes its final form, while it is cached.
   */
  digest?: (pieces: DigestPiece[]) => Promise<string>;
  /** Copy into a new file at finish instead of inserting room in place (insert.range.ts): same bytes. */
  copy?: boolean;
}

const TYPE = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, DOUBLE: 12 } as const;
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 12: 8 };
const MAX_CLASSIC = 2 ** 32 - 1;

interface Entry {
  tag: number;
  type: number;
  values: number[] | string;
}

/**
 * Where the tiles of one output file go, shareable with worker threads: the two data files' descriptors
 * (full resolution, overviews), their next free byte offsets, the full resolution's turn (the row-major
 * index of the next tile to place) and each tile's offset and byte count. Worker threads write tiles
 * through it directly, so encoded bytes never travel back to the main thread; the main thread writes the
 * IFDs from the same arrays when the raster is complete.
 */
export interface TileSink {
  /** The full resolution's data: the file that becomes the COG. */
  fd: number;
  /** The overviews' data file; -1 without overviews. */
  overviewFd: number;
  /**
   * [next full-resolution offset: BigInt64][next overview offset: BigInt64][turn: Int32][abandoned: Int32]
   * [offsets: Float64 x tiles][counts: Float64 x tiles]
   */
  state: SharedArrayBuffer;
  /** Tiles of every level (full resolution first). */
  tiles: number;
  tilesAcross: number;
  /** Per level: index of its first tile in the table and tiles across. */
  levels: { base: number; across: number }[];
  /** The overviews' shared state, when the file has overviews. */
  pyramid: PyramidState | null;
  path: string;
}

const HEAD = 24;

function sinkViews(sink: TileSink): {
  next: BigInt64Array;
  flags: Int32Array;
  offsets: Float64Array;
  counts: Float64Array;
} {
  return {
    next: new BigInt64Array(sink.state, 0, 2),
    flags: new Int32Array(sink.state, 16, 2),
    offsets: new Float64Array(sink.state, HEAD, sink.tiles),
    counts: new Float64Array(sink.state, HEAD + sink.tiles * 8, sink.tiles),
  };
}

/** Reserves `bytes` at the end of data file `file` (0 full resolution, 1 overviews), atomically, from any thread. */
function reserve(sink: TileSink, bytes: number, file: 0 | 1): number {
  const at = Number(Atomics.add(sinkViews(sink).next, file, BigInt(bytes)));
  if (at + bytes > MAX_CLASSIC) throw new ComputeError(`GeoTiffWriter: ${sink.path} would exceed 4 GiB (classic TIFF)`);
  return at;
}

/** Records that tile (tx, ty) of `level` is `bytes` long at offset `at` of its data file. */
function record(sink: TileSink, tx: number, ty: number, at: number, bytes: number, level: number): void {
  const v = sinkViews(sink);
  const l = sink.levels[level]!;
  const index = l.base + ty * l.across + tx;
  v.offsets[index] = at;
  v.counts[index] = bytes;
}

function writeAllSync(fd: number, bytes: Uint8Array, at: number): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done, at + done);
}

/** Appends the encoded bytes of overview tile (tx, ty) of `level` ≥ 1 from any thread (a blocking positioned write). */
export function writeOverviewTileSync(sink: TileSink, tx: number, ty: number, bytes: Uint8Array, level: number): void {
  if (level < 1 || sink.overviewFd < 0) throw new Error(`GeoTiffWriter: ${sink.path} has no overview level ${level}`);
  const at = reserve(sink, bytes.byteLength, 1);
  record(sink, tx, ty, at, bytes.byteLength, level);
  writeAllSync(sink.overviewFd, bytes, at);
}

/** Atomics.waitAsync (Node ≥ 16; not in this project's TypeScript lib, ES2022). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

/**
 * Waits (without blocking the thread) until the full-resolution tiles before row-major index `first`
 * are placed. Tiles are handed out in row-major order (strips in order, a strip's tasks left to right,
 * one mask tile row after another), so the ones before are always being made; a writer abandoned
 * after a fault (`abandon`) ends the wait with an error instead.
 */
async function turn(sink: TileSink, first: number): Promise<void> {
  const { flags } = sinkViews(sink);
  for (;;) {
    if (Atomics.load(flags, 1)) throw new ComputeError(`GeoTiffWriter: ${sink.path} was abandoned`);
    const now = Atomics.load(flags, 0);
    if (now === first) return;
    if (now > first) throw new Error(`GeoTiffWriter: tile ${first} of ${sink.path} placed twice`);
    const w = waitAsync(flags, 0, now, 1000);
    if (w.async) await w.value;
  }
}

/**
 * Writes full-resolution tiles tx0, tx0 + 1, … of tile row `ty` in their place: after every tile
 * before them in row-major order, each with its leader (byte count) and trailer (last 4 bytes again).
 */
export async function writeTileRun(
  sink: TileSink,
  tx0: number,
  ty: number,
  tiles: readonly Uint8Array[],
): Promise<void> {
  await turn(sink, ty * sink.tilesAcross + tx0);
  const frames = Buffer.alloc(8 * tiles.length);
  let at = reserve(
    sink,
    tiles.reduce((n, t) => n + t.byteLength + 8, 0),
    0,
  );
  const { flags } = sinkViews(sink);
  const parts: Uint8Array[] = [];
  const start = at;
  tiles.forEach((t, k) => {
    const n = t.byteLength;
    record(sink, tx0 + k, ty, at + 4, n, 0);
    frames.writeUInt32LE(n, 8 * k);
    // The trailer: the tile's last 4 bytes (fewer than 4: zero-padded on the left).
    frames.set(t.subarray(Math.max(0, n - 4)), 8 * k + 8 - Math.min(4, n));
    parts.push(frames.subarray(8 * k, 8 * k + 4), t, frames.subarray(8 * k + 4, 8 * k + 8));
    at += n + 8;
  });
  // The next writer may take its place now; the bytes go in while it does.
  Atomics.add(flags, 0, tiles.length);
  Atomics.notify(flags, 0);
  writevAllSync(sink.fd, parts, start);
}

/** Vectored positioned write of `parts` at `at`, finishing piece by piece after a short write. */
function writevAllSync(fd: number, parts: Uint8Array[], at: number): void {
  for (let i = 0; i < parts.length; ) {
    const batch = parts.slice(i, i + 900); // below IOV_MAX (1024)
    let done = writevSync(fd, batch, at);
    for (const p of batch) {
      if (done >= p.byteLength) done -= p.byteLength;
      else {
        writeAllSync(fd, p.subarray(done), at + done);
        done = 0;
      }
      at += p.byteLength;
    }
    i += batch.length;
  }
}

export class GeoTiffWriter {
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly tilesAcross: number;
  readonly tilesDown: number;
  /** The shared tile table; `sink` hands it to worker threads. */
  readonly sink: TileSink;
  /** The overviews being built (on this thread's side), when the file has overviews. */
  readonly pyramid: Pyramid | undefined;
  private copied: string | undefined;
  /** SHA-256 of the finished file, when the options asked for it. */
  sha256: string | undefined;

  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
    private readonly overviewTmp: string | undefined,
    private readonly overviewFh: FileHandle | undefined,
    private readonly opts: GeoTiffOptions,
    /** Level 0 (full resolution) and the overviews. */
    readonly sizes: LevelSize[],
  ) {
    const T = opts.tileSize;
    this.tilesAcross = Math.ceil(opts.grid.width / T);
    this.tilesDown = Math.ceil(opts.grid.height / T);
    let tiles = 0;
    const levels = this.sizes.map((s) => {
      const base = tiles;
      const across = Math.ceil(s.width / T);
      tiles += across * Math.ceil(s.height / T);
      return { base, across };
    });
    const pyramid =
      this.sizes.length > 1
        ? createPyramidState(
            opts.type,
            opts.overviews!,
            opts.nodata ?? (opts.type === 'float32' ? NaN : 0),
            T,
            this.sizes,
            Math.max(1, opts.overviewSlots ?? 1),
            (opts.overviewSlots ?? 0) > 0,
          )
        : null;
    this.pyramid = pyramid ? new Pyramid(pyramid) : undefined;
    this.sink = {
      fd: fh.fd,
      overviewFd: overviewFh?.fd ?? -1,
      state: new SharedArrayBuffer(HEAD + tiles * 16),
      tiles,
      tilesAcross: this.tilesAcross,
      levels,
      pyramid,
      path,
    };
  }

  static async create(path: string, opts: GeoTiffOptions): Promise<GeoTiffWriter> {
    if (opts.tileSize % 16 !== 0)
      throw new ComputeError(`GeoTiffWriter: tile size ${opts.tileSize} is not a multiple of 16`);
    const sizes = opts.overviews
      ? overviewSizes(opts.grid.width, opts.grid.height, opts.tileSize)
      : [{ width: opts.grid.width, height: opts.grid.height }];
    const temporary = async (): Promise<{ name: string; fh: FileHandle }> => {
      const name = tempNameFor(dirname(path), basename(path));
      tempPaths.add(name);
      return { name, fh: await open(name, 'w+') };
    };
    // The full resolution's data, which becomes the COG; the overviews' tiles, laid out by finish().
    const data = await temporary();
    const overviews = sizes.length > 1 ? await temporary() : undefined;
    return new GeoTiffWriter(path, data.name, data.fh, overviews?.name, overviews?.fh, opts, sizes);
  }

  /** Writes tile (tx, ty) of `level` (0: full resolution, in row-major order) from this thread. */
  writeTile(tx: number, ty: number, bytes: Uint8Array, level = 0): Promise<void> {
    const p = this.writes.then(() =>
      level === 0 ? writeTileRun(this.sink, tx, ty, [bytes]) : writeOverviewTileSync(this.sink, tx, ty, bytes, level),
    );
    this.writes = p;
    return p.then(() => undefined);
  }

  /** Bytes of tile data written so far. */
  get size(): number {
    const { next } = sinkViews(this.sink);
    return Number(next[0]) + Number(next[1]);
  }

  /**
   * Completes the COG: the head, IFDs and overviews go into room inserted before the full resolution
   * (or, where the file system cannot insert, everything into a new file), then the file takes its name.
   */
  async finish(): Promise<void> {
    await this.writes;
    const { counts, offsets, next } = sinkViews(this.sink);
    const missing = counts.indexOf(0);
    if (missing >= 0) throw new ComputeError(`GeoTiffWriter: tile ${missing} of ${this.path} was never written`);
    const levels: CogLevel[] = this.sizes.map((_, k) => {
      const l = this.sink.levels[k]!;
      const n = (this.sink.levels[k + 1]?.base ?? this.sink.tiles) - l.base;
      return {
        offsets: offsets.subarray(l.base, l.base + n),
        counts: counts.subarray(l.base, l.base + n),
        ifd: (at, placed, nextIfd) => this.buildIfd(k, at, placed, counts.subarray(l.base, l.base + n), nextIfd),
      };
    });
    const dataBytes = Number(next[0]);
    const layout = layoutCog(levels, dataBytes, this.path);
    if (this.opts.digest) this.sha256 = await this.opts.digest(this.pieces(levels, layout, dataBytes));
    let final = this.tmp;
    if (!this.opts.copy && (await insertAtStart(this.tmp, layout.dataStart))) {
      await writeHeadAndOverviews(this.fh, this.overviewFh, levels, layout, this.path);
    } else {
      this.copied = tempNameFor(dirname(this.path), basename(this.path));
      tempPaths.add(this.copied);
      await copyCog(this.fh, this.overviewFh, this.copied, levels, layout, dataBytes, this.path);
      final = this.copied;
    }
    await this.closeAll(true);
    await rename(final, this.path);
    tempPaths.delete(final);
    await this.removeTemporaries(final);
  }

  /** Closes and deletes the temporary files (after an error); tiles still waiting for their turn give up. */
  async abort(): Promise<void> {
    Atomics.store(sinkViews(this.sink).flags, 1, 1);
    Atomics.notify(sinkViews(this.sink).flags, 0);
    await this.writes.catch(() => undefined);
    await this.closeAll();
    await this.removeTemporaries();
  }

  /** Deletes the temporary files that exist, but `kept` (the one renamed to the final name). */
  private async removeTemporaries(kept?: string): Promise<void> {
    for (const t of [this.tmp, this.overviewTmp, this.copied]) {
      if (t === undefined || t === kept) continue;
      await rm(t, { force: true });
      tempPaths.delete(t);
    }
  }

  /** The finished file's bytes in order: head, the zeros before the overviews, their tiles, the full resolution. */
  private pieces(levels: readonly CogLevel[], layout: CogLayout, dataBytes: number): DigestPiece[] {
    const pieces: DigestPiece[] = [{ bytes: layout.head }, { zeros: layout.overviewStart - layout.head.byteLength }];
    for (let k = levels.length - 1; k >= 1; k--) {
      const { offsets, counts } = levels[k]!;
      for (let i = 0; i < counts.length; i++)
        pieces.push({ path: this.overviewTmp!, at: offsets[i]!, length: counts[i]!, framed: true });
    }
    pieces.push({ path: this.tmp, at: 0, length: dataBytes });
    return pieces;
  }

  /** Closes both data files; `strict`: a failed close (a write the system deferred) is an error. */
  private async closeAll(strict = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closes = [this.fh.close(), this.overviewFh?.close()];
    const results = await Promise.allSettled(closes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (strict && failed) throw failed.reason;
  }

  /** The IFD of level k at file offset `at`, its tiles at `offsets`, the next IFD at `next` (0: none). */
  private buildIfd(k: number, at: number, offsets: ArrayLike<number>, counts: ArrayLike<number>, next: number): Buffer {
    const { type, tileSize, codec, nodata, description, metadata } = this.opts;
    const { width, height } = this.sizes[k]!;
    const compression = compressionTag[codec];
    const entries: Entry[] = [
      { tag: 256, type: TYPE.LONG, values: [width] },
      { tag: 257, type: TYPE.LONG, values: [height] },
      { tag: 258, type: TYPE.SHORT, values: [type === 'float32' ? 32 : 8] },
      { tag: 259, type: TYPE.SHORT, values: [compression] },
      { tag: 262, type: TYPE.SHORT, values: [1] }, // BlackIsZero
      { tag: 277, type: TYPE.SHORT, values: [1] },
      { tag: 284, type: TYPE.SHORT, values: [1] },
      { tag: 322, type: TYPE.SHORT, values: [tileSize] },
      { tag: 323, type: TYPE.SHORT, values: [tileSize] },
      { tag: 324, type: TYPE.LONG, values: Array.from(offsets) },
      { tag: 325, type: TYPE.LONG, values: Array.from(counts) },
      { tag: 339, type: TYPE.SHORT, values: [type === 'float32' ? 3 : 1] },
    ];
    if (k > 0) entries.push({ tag: 254, type: TYPE.LONG, values: [1] }); // NewSubfileType: reduced resolution
    const predictor = predictorFor(type, codec);
    if (predictor !== 1) entries.push({ tag: 317, type: TYPE.SHORT, values: [predictor] });
    if (k === 0) {
      entries.push({ tag: 305, type: TYPE.ASCII, values: `archeo ${toolVersion}` });
      entries.push(...geoEntries(this.opts.grid));
      const items = Object.entries(metadata ?? {}).map(
        ([key, v]) => `<Item name="${xmlEscape(key)}">${xmlEscape(v)}</Item>`,
      );
      if (description)
        items.push(`<Item name="DESCRIPTION" sample="0" role="description">${xmlEscape(description)}</Item>`);
      if (items.length)
        entries.push({ tag: 42112, type: TYPE.ASCII, values: `<GDALMetadata>${items.join('')}</GDALMetadata>` });
    }
    if (nodata !== undefined)
      entries.push({ tag: 42113, type: TYPE.ASCII, values: Number.isNaN(nodata) ? 'nan' : String(nodata) });
    entries.sort((a, b) => a.tag - b.tag);
    return encodeIfd(entries, at, next);
  }
}

function geoEntries(grid: RasterGrid): Entry[] {
  const [ox, px, rx, oy, ry, py] = grid.transform;
  const out: Entry[] = [];
  if (rx === 0 && ry === 0) {
    out.push({ tag: 33550, type: TYPE.DOUBLE, values: [px, -py, 0] });
    out.push({ tag: 33922, type: TYPE.DOUBLE, values: [0, 0, 0, ox, oy, 0] });
  } else {
    out.push({ tag: 34264, type: TYPE.DOUBLE, values: [px, rx, 0, ox, ry, py, 0, oy, 0, 0, 0, 0, 0, 0, 0, 1] });
  }
  if (grid.epsg !== undefined) {
    // EPSG 4000-4999 are geographic CRSs; the rest archeo meets (UTM 326xx/327xx) are projected.
    const geographic = grid.epsg >= 4000 && grid.epsg < 5000;
    const keys = [
      [1024, 0, 1, geographic ? 2 : 1], // GTModelType
      [1025, 0, 1, 1], // GTRasterType = PixelIsArea
      [geographic ? 2048 : 3072, 0, 1, grid.epsg],
    ];
    out.push({ tag: 34735, type: TYPE.SHORT, values: [1, 1, 0, keys.length, ...keys.flat()] });
  }
  return out;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Serializes IFD entries (sorted by tag) at file offset `at`, with out-of-line values after the entries. */
function encodeIfd(entries: Entry[], at: number, next: number): Buffer {
  const encoded = entries.map((e) => {
    const bytes =
      typeof e.values === 'string' ? Buffer.from(`${e.values}\0`, 'latin1') : encodeValues(e.type, e.values);
    const count = typeof e.values === 'string' ? bytes.length : e.values.length;
    return { ...e, bytes, count };
  });
  const tableSize = 2 + encoded.length * 12 + 4;
  let extra = at + tableSize;
  const extras: Buffer[] = [];
  const table = Buffer.alloc(tableSize);
  table.writeUInt16LE(encoded.length, 0);
  encoded.forEach((e, i) => {
    const o = 2 + i * 12;
    table.writeUInt16LE(e.tag, o);
    table.writeUInt16LE(e.type, o + 2);
    table.writeUInt32LE(e.count, o + 4);
    if (e.bytes.length <= 4) {
      e.bytes.copy(table, o + 8);
    } else {
      table.writeUInt32LE(extra, o + 8);
      extras.push(e.bytes);
      extra += e.bytes.length;
      if (extra % 2) {
        extras.push(Buffer.alloc(1));
        extra++;
      }
    }
  });
  table.writeUInt32LE(next, tableSize - 4);
  return Buffer.concat([table, ...extras]);
}

function encodeValues(type: number, values: number[]): Buffer {
  const size = TYPE_SIZE[type]!;
  const b = Buffer.alloc(size * values.length);
  values.forEach((v, i) => {
    if (type === TYPE.SHORT) b.writeUInt16LE(v, i * 2);
    else if (type === TYPE.LONG) b.writeUInt32LE(v, i * 4);
    else if (type === TYPE.DOUBLE) b.writeDoubleLE(v, i * 8);
    else b.writeUInt8(v, i);
  });
  return b;
}
