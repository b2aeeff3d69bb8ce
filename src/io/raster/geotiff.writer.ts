/**
 * Streaming GeoTIFF writer: tiled, compressed with a predictor, georeferenced (EPSG + geotransform),
 * nodata, band description. Tiles are appended as they are encoded (in any order); the IFD goes at the
 * end and the header is patched to point at it. The file is written under a temporary name and renamed
 * when complete, so a final name never holds a partial file. Classic TIFF (< 4 GiB).
 */
import { writeSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { tempNameFor, tempPaths } from '../../core/cleanup.js';
import { ComputeError } from '../../core/errors.js';
import type { RasterGrid } from '../../core/types.js';
import { toolVersion } from '../../core/version.js';
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
  tiles: number;
  tilesAcross: number;
  path: string;
}

function sinkViews(sink: TileSink): { next: BigInt64Array; offsets: Float64Array; counts: Float64Array } {
  return {
    next: new BigInt64Array(sink.state, 0, 1),
    offsets: new Float64Array(sink.state, 8, sink.tiles),
    counts: new Float64Array(sink.state, 8 + sink.tiles * 8, sink.tiles),
  };
}

/** Reserves room for `bytes` in the file and records tile (tx, ty) there; returns the offset. */
function reserveTile(sink: TileSink, tx: number, ty: number, bytes: number): number {
  const v = sinkViews(sink);
  const at = Number(Atomics.add(v.next, 0, BigInt(bytes)));
  if (at + bytes > MAX_CLASSIC) throw new ComputeError(`GeoTiffWriter: ${sink.path} would exceed 4 GiB (classic TIFF)`);
  const index = ty * sink.tilesAcross + tx;
  v.offsets[index] = at;
  v.counts[index] = bytes;
  return at;
}

/** Appends the encoded bytes of tile (tx, ty) from any thread (a blocking positioned write). */
export function writeTileSync(sink: TileSink, tx: number, ty: number, bytes: Uint8Array): void {
  const at = reserveTile(sink, tx, ty, bytes.byteLength);
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(sink.fd, bytes, done, bytes.byteLength - done, at + done);
}

export class GeoTiffWriter {
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly tilesAcross: number;
  readonly tilesDown: number;
  /** The shared tile table; `sink` hands it to worker threads. */
  readonly sink: TileSink;

  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
    private readonly opts: GeoTiffOptions,
  ) {
    this.tilesAcross = Math.ceil(opts.grid.width / opts.tileSize);
    this.tilesDown = Math.ceil(opts.grid.height / opts.tileSize);
    const tiles = this.tilesAcross * this.tilesDown;
    this.sink = { fd: fh.fd, state: new SharedArrayBuffer(8 + tiles * 16), tiles, tilesAcross: this.tilesAcross, path };
    sinkViews(this.sink).next[0] = 8n; // after the header
  }

  static async create(path: string, opts: GeoTiffOptions): Promise<GeoTiffWriter> {
    if (opts.tileSize % 16 !== 0)
      throw new ComputeError(`GeoTiffWriter: tile size ${opts.tileSize} is not a multiple of 16`);
    const tmp = tempNameFor(dirname(path), basename(path));
    tempPaths.add(tmp);
    const fh = await open(tmp, 'w');
    // Header: little-endian classic TIFF; the first-IFD offset is patched in finish().
    const header = Buffer.from([0x49, 0x49, 42, 0, 0, 0, 0, 0]);
    await fh.write(header, 0, 8, 0);
    return new GeoTiffWriter(path, tmp, fh, opts);
  }

  /** Appends the encoded bytes of tile (tx, ty) from this thread. */
  writeTile(tx: number, ty: number, bytes: Uint8Array): Promise<void> {
    const at = reserveTile(this.sink, tx, ty, bytes.byteLength);
    const p = this.writes.then(() => this.fh.write(bytes, 0, bytes.byteLength, at));
    this.writes = p;
    return p.then(() => undefined);
  }

  /** Bytes written so far. */
  get size(): number {
    return Number(sinkViews(this.sink).next[0]);
  }

  /** Writes the IFD, closes and renames the file to its final name. */
  async finish(): Promise<void> {
    await this.writes;
    const { counts } = sinkViews(this.sink);
    const missing = counts.indexOf(0);
    if (missing >= 0) throw new ComputeError(`GeoTiffWriter: tile ${missing} of ${this.path} was never written`);
    // Word-align the IFD.
    const at = this.size + (this.size % 2);
    const ifd = this.buildIfd(at);
    if (at + ifd.byteLength > MAX_CLASSIC)
      throw new ComputeError(`GeoTiffWriter: ${this.path} would exceed 4 GiB (classic TIFF)`);
    await this.fh.write(ifd, 0, ifd.byteLength, at);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(at, 0);
    await this.fh.write(head, 0, 4, 4);
    await this.fh.close();
    this.closed = true;
    await rename(this.tmp, this.path);
    tempPaths.delete(this.tmp);
  }

  /** Closes and deletes the temporary file (after an error). */
  async abort(): Promise<void> {
    await this.writes.catch(() => undefined);
    if (!this.closed) await this.fh.close().catch(() => undefined);
    this.closed = true;
    await rm(this.tmp, { force: true });
    tempPaths.delete(this.tmp);
  }

  private buildIfd(at: number): Buffer {
    const { grid, type, tileSize, codec, nodata, description, metadata } = this.opts;
    const compression = compressionTag[codec];
    const entries: Entry[] = [
      { tag: 256, type: TYPE.LONG, values: [grid.width] },
      { tag: 257, type: TYPE.LONG, values: [grid.height] },
      { tag: 258, type: TYPE.SHORT, values: [type === 'float32' ? 32 : 8] },
      { tag: 259, type: TYPE.SHORT, values: [compression] },
      { tag: 262, type: TYPE.SHORT, values: [1] }, // BlackIsZero
      { tag: 277, type: TYPE.SHORT, values: [1] },
      { tag: 284, type: TYPE.SHORT, values: [1] },
      { tag: 305, type: TYPE.ASCII, values: `archeo ${toolVersion}` },
      { tag: 322, type: TYPE.SHORT, values: [tileSize] },
      { tag: 323, type: TYPE.SHORT, values: [tileSize] },
      { tag: 324, type: TYPE.LONG, values: Array.from(sinkViews(this.sink).offsets) },
      { tag: 325, type: TYPE.LONG, values: Array.from(sinkViews(this.sink).counts) },
      { tag: 339, type: TYPE.SHORT, values: [type === 'float32' ? 3 : 1] },
    ];
    const predictor = predictorFor(type, codec);
    if (predictor !== 1) entries.push({ tag: 317, type: TYPE.SHORT, values: [predictor] });
    entries.push(...geoEntries(grid));
    const items = Object.entries(metadata ?? {}).map(([k, v]) => `<Item name="${xmlEscape(k)}">${xmlEscape(v)}</Item>`);
    if (description)
      items.push(`<Item name="DESCRIPTION" sample="0" role="description">${xmlEscape(description)}</Item>`);
    if (items.length)
      entries.push({ tag: 42112, type: TYPE.ASCII, values: `<GDALMetadata>${items.join('')}</GDALMetadata>` });
    if (nodata !== undefined)
      entries.push({ tag: 42113, type: TYPE.ASCII, values: Number.isNaN(nodata) ? 'nan' : String(nodata) });
    entries.sort((a, b) => a.tag - b.tag);
    return encodeIfd(entries, at);
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
function encodeIfd(entries: Entry[], at: number): Buffer {
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
  table.writeUInt32LE(0, tableSize - 4); // no next IFD
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
