/**
 * Streaming Cloud-Optimized GeoTIFF writer: tiled, compressed with a predictor, georeferenced (EPSG +
 * geotransform), nodata, band description, internal overviews (overview.pyramid.ts). Tiles of every
 * level are appended to a temporary data file as they are encoded (in any order, from any thread);
 * finish() assembles the COG in GDAL's layout (cog.layout.ts): header, GDAL's structural metadata, every
 * IFD, then the tiles — smallest overview first, full resolution last, each level in row-major order,
 * each tile with its size before it and its last 4 bytes repeated after it. Nothing is held whole in
 * memory; the assembled file is written under a temporary name and renamed when complete, so a final
 * name never holds a partial file. Classic TIFF (< 4 GiB).
 */
import { writeSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { tempNameFor, tempPaths } from '../../core/cleanup.js';
import { ComputeError } from '../../core/errors.js';
import type { RasterGrid } from '../../core/types.js';
import { toolVersion } from '../../core/version.js';
import { assembleCog, type CogLevel } from './cog.layout.js';
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
 * Where the tiles of one output file go, shareable with worker threads: the open file descriptor, the
 * next free byte offset (one BigInt64, advanced atomically), and each tile's offset and byte count.
 * Worker threads append tiles through it directly (writeTileSync), so encoded bytes never travel back to
 * the main thread; the main thread writes the IFD from the same arrays when the raster is complete.
 */
export interface TileSink {
  fd: number;
  /** [next offset: BigInt64][offsets: Float64 x tiles][counts: Float64 x tiles] */
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

function sinkViews(sink: TileSink): { next: BigInt64Array; offsets: Float64Array; counts: Float64Array } {
  return {
    next: new BigInt64Array(sink.state, 0, 1),
    offsets: new Float64Array(sink.state, 8, sink.tiles),
    counts: new Float64Array(sink.state, 8 + sink.tiles * 8, sink.tiles),
  };
}

/** Reserves room for `bytes` in the data file and records tile (tx, ty) of `level` there; returns the offset. */
function reserveTile(sink: TileSink, tx: number, ty: number, bytes: number, level: number): number {
  const at = reserve(sink, bytes);
  record(sink, tx, ty, at, bytes, level);
  return at;
}

/** Reserves `bytes` at the end of the data file (atomically, from any thread); returns their offset. */
function reserve(sink: TileSink, bytes: number): number {
  const at = Number(Atomics.add(sinkViews(sink).next, 0, BigInt(bytes)));
  if (at + bytes > MAX_CLASSIC) throw new ComputeError(`GeoTiffWriter: ${sink.path} would exceed 4 GiB (classic TIFF)`);
  return at;
}

/** Records that tile (tx, ty) of `level` is `bytes` long at offset `at` of the data file. */
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

/** Appends the encoded bytes of tile (tx, ty) of `level` from any thread (a blocking positioned write). */
export function writeTileSync(sink: TileSink, tx: number, ty: number, bytes: Uint8Array, level = 0): void {
  writeAllSync(sink.fd, bytes, reserveTile(sink, tx, ty, bytes.byteLength, level));
}

/**
 * Appends tiles tx0, tx0 + 1, … of tile row `ty` of `level` one after the other in the data file, so that
 * the assembly reads them in one run (tiles appended one by one from several threads interleave).
 */
export function writeTileRunSync(
  sink: TileSink,
  tx0: number,
  ty: number,
  tiles: readonly Uint8Array[],
  level = 0,
): void {
  let at = reserve(
    sink,
    tiles.reduce((n, t) => n + t.byteLength, 0),
  );
  tiles.forEach((t, k) => {
    record(sink, tx0 + k, ty, at, t.byteLength, level);
    writeAllSync(sink.fd, t, at);
    at += t.byteLength;
  });
}

export class GeoTiffWriter {
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly tilesAcross: number;
  readonly tilesDown: number;
  /** Level 0 (full resolution) and the overviews. */
  readonly sizes: LevelSize[];
  /** The shared tile table; `sink` hands it to worker threads. */
  readonly sink: TileSink;
  /** The overviews being built (on this thread's side), when the file has overviews. */
  readonly pyramid: Pyramid | undefined;
  private assembled: string | undefined;

  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
    private readonly opts: GeoTiffOptions,
  ) {
    const T = opts.tileSize;
    this.tilesAcross = Math.ceil(opts.grid.width / T);
    this.tilesDown = Math.ceil(opts.grid.height / T);
    this.sizes = opts.overviews
      ? overviewSizes(opts.grid.width, opts.grid.height, T)
      : [{ width: opts.grid.width, height: opts.grid.height }];
    let tiles = 0;
    const levels = this.sizes.map((s) => {
      const base = tiles;
      const across = Math.ceil(s.width / T);
      tiles += across * Math.ceil(s.height / T);
      return { base, across };
    });
    const pyramid =
      opts.overviews && this.sizes.length > 1
        ? createPyramidState(
            opts.type,
            opts.overviews,
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
      state: new SharedArrayBuffer(8 + tiles * 16),
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
    const tmp = tempNameFor(dirname(path), basename(path));
    tempPaths.add(tmp);
    // The tiles' data file: tiles are appended in the order they come; finish() lays them out.
    const fh = await open(tmp, 'w+');
    return new GeoTiffWriter(path, tmp, fh, opts);
  }

  /** Appends the encoded bytes of tile (tx, ty) of `level` (0: full resolution) from this thread. */
  writeTile(tx: number, ty: number, bytes: Uint8Array, level = 0): Promise<void> {
    const at = reserveTile(this.sink, tx, ty, bytes.byteLength, level);
    const p = this.writes.then(() => this.fh.write(bytes, 0, bytes.byteLength, at));
    this.writes = p;
    return p.then(() => undefined);
  }

  /** Bytes of tile data written so far. */
  get size(): number {
    return Number(sinkViews(this.sink).next[0]);
  }

  /** Lays the COG out under a second temporary name, closes and renames it to its final name. */
  async finish(): Promise<void> {
    await this.writes;
    const { counts, offsets } = sinkViews(this.sink);
    const missing = counts.indexOf(0);
    if (missing >= 0) throw new ComputeError(`GeoTiffWriter: tile ${missing} of ${this.path} was never written`);
    const levels: CogLevel[] = this.sizes.map((_, k) => {
      const l = this.sink.levels[k]!;
      const n = (this.sink.levels[k + 1]?.base ?? this.sink.tiles) - l.base;
      return {
        offsets: offsets.subarray(l.base, l.base + n),
        counts: counts.subarray(l.base, l.base + n),
        ifd: (at, placed, next) => this.buildIfd(k, at, placed, counts.subarray(l.base, l.base + n), next),
      };
    });
    this.assembled = tempNameFor(dirname(this.path), basename(this.path));
    tempPaths.add(this.assembled);
    await assembleCog(this.fh, this.assembled, levels, this.path);
    await this.fh.close();
    this.closed = true;
    await rename(this.assembled, this.path);
    tempPaths.delete(this.assembled);
    await rm(this.tmp, { force: true });
    tempPaths.delete(this.tmp);
  }

  /** Closes and deletes the temporary files (after an error). */
  async abort(): Promise<void> {
    await this.writes.catch(() => undefined);
    if (!this.closed) await this.fh.close().catch(() => undefined);
    this.closed = true;
    for (const t of [this.tmp, this.assembled]) {
      if (t === undefined) continue;
      await rm(t, { force: true });
      tempPaths.delete(t);
    }
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
