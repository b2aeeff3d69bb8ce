/**
 * GeoTIFF/COG band reader. geotiff.js parses the header, the GeoKeys and the tile index; tiles are read
 * with positioned reads and decoded with node:zlib (DEFLATE, on the libuv pool so both cores work), our
 * LZW decoder or ZSTD, then copied into the requested window. geotiff.js's own decoders are 5x slower.
 *
 * Scan asks for windows top to bottom, strip by strip; decoded tiles are kept until a request starts
 * below them, so a tile shared by two strips (a 20 m tile spans two 10 m strips) is decoded once.
 */
import { GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { InputError } from '../../core/errors.js';
import type { GeoTransform, PixelWindow, RasterGrid, SampleType, TypedArray } from '../../core/types.js';
import { allocSamples, bytesPerSample } from '../../core/types.js';
import { checkGeoTransform, newReadStats, type BandReader, type ReadStats } from './band.reader.js';
import { Compression, compressionName, decodeSamples, decompress, isKnownCompression } from './tiff.codec.js';
import { ifdByteRanges, valueEnd, walkIfdChain, type Ifd } from './tiff.ifd.js';
import type { ByteSource, SourceStats } from '../source/byte.source.js';
import { HeaderCache } from '../source/header.cache.js';
import { SourceContext, type RemoteOptions } from '../source/source.context.js';
import { openByteSource } from '../source/source.open.js';

/** Layout of the blocks (tiles, or strips treated as full-width tiles) of the first image. */
interface BlockLayout {
  blockWidth: number;
  blockHeight: number;
  across: number;
  down: number;
  offsets: ArrayLike<number>;
  counts: ArrayLike<number>;
  /** Tiles (true) or strips (false). */
  tiled: boolean;
}

/** Runs `fn` when the caller's concurrency limit allows (p-limit). */
export type Limiter = <T>(fn: () => Promise<T>) => Promise<T>;
const unlimited: Limiter = (fn) => fn();

/**
 * Opens a GeoTIFF band. `limit` bounds concurrent tile reads and decodes across every band that shares
 * it: each one in flight holds its compressed and decompressed tile.
 */
export async function openGeoTiff(
  path: string,
  limit: Limiter = unlimited,
  level?: { minWidth: number },
  sources: SourceContext = localSources,
): Promise<GeoTiffReader> {
  const { source, head } = await openByteSource(path, sources);
  try {
    return await openFromSource(path, source, head, limit, level, sources.options);
  } catch (err) {
    await source.close();
    throw err;
  }
}

/** A context for local files only (their reads need no limits or retries). */
const localSources = new SourceContext();

/** The largest tag value fetched ahead with the header (a corrupt count must not fetch the whole file). */
const maxPrefetchValue = 4 << 20;

async function openFromSource(
  path: string,
  source: ByteSource,
  head: Uint8Array | undefined,
  limit: Limiter,
  level: { minWidth: number } | undefined,
  remote: RemoteOptions,
): Promise<GeoTiffReader> {
  const fileBytes = source.size;
  const header = new HeaderCache(source, remote.headerBytes, head);
  // Our own bounded, loop-checked walk of the IFD chain first: geotiff.js follows it unchecked.
  const chain = await walkIfdChain(path, (at, n) => header.read(at, n), fileBytes);
  // Every IFD table and tag value, fetched ahead in as few requests as they allow: geotiff.js then
  // reads them from memory (a COG's header is one or two requests).
  await header.prefetch(ifdByteRanges(chain).filter(([a, b]) => b - a <= maxPrefetchValue));
  let image: GeoTIFFImage;
  let ifd = chain.ifds[0]!;
  let base: GeoTIFFImage | undefined;
  try {
    const tiff = await GeoTIFF.fromSource(geotiffSource(header, fileBytes));
    image = await tiff.getImage(0);
    if (level) {
      // The smallest reduced-resolution image (a COG overview) at least minWidth wide; masks are skipped.
      // Only the images the walk found are asked for (never tiff.getImageCount(), which loops with the chain).
      let best: { im: GeoTIFFImage; i: number } | undefined;
      for (let i = 1; i < chain.ifds.length; i++) {
        const im = await tiff.getImage(i);
        const kind = Number((await im.fileDirectory.loadValue('NewSubfileType')) ?? 0);
        if ((kind & 4) !== 0 || im.getWidth() < level.minWidth || im.getWidth() >= image.getWidth()) continue;
        if (!best || im.getWidth() < best.im.getWidth()) best = { im, i };
      }
      if (best) {
        base = image;
        image = best.im;
        ifd = chain.ifds[best.i]!;
      }
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(path, `not a readable GeoTIFF (${shortReason(err)})`);
  }
  try {
    return await GeoTiffReader.create(path, image, ifd, fileBytes, limit, base, source, remote);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(path, `not a readable GeoTIFF (${shortReason(err)})`);
  }
}

/**
 * geotiff.js's view of the file: its reads served by the header cache. Its first read of an IFD asks a
 * fixed 1024 (BigTIFF 4048) bytes and checks what it got, so that read is answered with what is cached
 * rather than a request for bytes past the header.
 */
/** The source type GeoTIFF.fromSource takes (geotiff.js does not export its name). */
type BaseSource = Parameters<typeof GeoTIFF.fromSource>[0];

function geotiffSource(header: HeaderCache, fileBytes: number): BaseSource {
  const read = async ({ offset, length }: { offset: number; length: number }): Promise<ArrayBuffer> => {
    const cached = header.peek(offset, length);
    const guess = length === 1024 || length === 4048;
    const bytes =
      cached && (cached.length === length || guess || offset + cached.length >= fileBytes)
        ? cached
        : await header.read(offset, length);
    return bytes.slice().buffer;
  };
  const source = {
    fileSize: fileBytes,
    fetch: (slices: { offset: number; length: number }[]) => Promise.all(slices.map(read)),
    fetchSlice: async (slice: { offset: number; length: number }) => ({ ...slice, data: await read(slice) }),
    close: async () => undefined,
  };
  return source as unknown as BaseSource;
}

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/offset is out of bounds|out of range|Offset is outside the bounds|beyond the end|RangeError/i.test(msg)) {
    return 'file is truncated';
  }
  return msg.split('\n')[0]!.slice(0, 200);
}

export class GeoTiffReader implements BandReader {
  readonly format = 'GeoTIFF' as const;
  readonly stats: ReadStats = newReadStats();
  /** Buffers for compressed tile bytes, reused: a strip reads hundreds of tiles. */
  private readonly readBuffers: Uint8Array[] = [];
  private readonly cache = new Map<number, Promise<TypedArray>>();

  private constructor(
    readonly path: string,
    readonly grid: RasterGrid,
    readonly type: SampleType,
    readonly fileBytes: number,
    readonly nodata: number | undefined,
    private readonly compression: number,
    private readonly predictor: number,
    private readonly littleEndian: boolean,
    private readonly layout: BlockLayout,
    private readonly limit: Limiter,
    private readonly source: ByteSource,
    private readonly remote: RemoteOptions,
  ) {}

  /** What the source fetched (header and tiles, requests, retries, network wait). */
  get fetched(): SourceStats {
    return this.source.stats;
  }

  /**
   * `ifd`: the raw entry table of `image` (from readIfdChain). `base`: when `image` is an overview, the
   * full-resolution image its georeferencing comes from.
   */
  static async create(
    path: string,
    image: GeoTIFFImage,
    ifd: Ifd,
    fileBytes: number,
    limit: Limiter,
    base: GeoTIFFImage | undefined,
    source: ByteSource,
    remote: RemoteOptions,
  ): Promise<GeoTiffReader> {
    const fd = image.fileDirectory;
    checkTagCounts(path, ifd);
    checkValuesInside(path, ifd, fileBytes);
    const samples = Number(fd.getValue('SamplesPerPixel') ?? 1);
    if (samples !== 1) throw new InputError(path, `has ${samples} samples per pixel; archeo reads single-band files`);
    for (const name of ['BitsPerSample', 'SampleFormat'] as const) {
      const count = ifd.entries.get(Tag[name])?.count;
      if (count !== undefined && count !== samples) {
        throw new InputError(
          path,
          `TIFF tag ${name} (${Tag[name]}) has ${count} values, ${samples} expected (one per sample)`,
        );
      }
    }
    const compression = Number(fd.getValue('Compression') ?? 1);
    if (!isKnownCompression(compression)) {
      throw new InputError(
        path,
        `unknown compression ${compressionName(compression)} (archeo reads DEFLATE, LZW, ZSTD and uncompressed)`,
      );
    }
    const predictor = Number((await fd.loadValue('Predictor')) ?? 1);
    if (![1, 2, 3].includes(predictor)) throw new InputError(path, `unsupported predictor ${predictor}`);
    const type = sampleType(path, image);
    const float = type === 'float32' || type === 'float64';
    if (predictor === 3 && !float) {
      throw new InputError(path, `TIFF tag Predictor is 3 (floating point) on ${type} samples`);
    }
    if (predictor === 2 && float) {
      throw new InputError(path, `TIFF tag Predictor is 2 (horizontal differencing of integers) on ${type} samples`);
    }
    const width = image.getWidth();
    const height = image.getHeight();
    if (!(width >= 1 && height >= 1)) throw new InputError(path, `TIFF image size ${width}x${height} is empty`);

    const tiled = image.isTiled;
    let blockWidth = width;
    let blockHeight: number;
    if (tiled) {
      blockWidth = Number(fd.getValue('TileWidth'));
      blockHeight = Number(fd.getValue('TileLength'));
      if (!ifd.entries.has(Tag.TileWidth) || !ifd.entries.has(Tag.TileLength))
        throw new InputError(path, 'has TileOffsets but no TIFF tag TileWidth or TileLength');
      for (const [name, size] of [
        ['TileWidth', blockWidth],
        ['TileLength', blockHeight],
      ] as const) {
        if (!(size >= 16 && size <= maxTileSize && size % 16 === 0)) {
          throw new InputError(
            path,
            `TIFF tag ${name} is ${size}: tiles must be a multiple of 16 pixels, at most ${maxTileSize}`,
          );
        }
      }
    } else {
      const rows = Number((await fd.loadValue('RowsPerStrip')) ?? height);
      if (!(rows >= 1)) throw new InputError(path, `TIFF tag RowsPerStrip is ${rows}`);
      blockHeight = Math.min(rows, height);
    }
    const offsetsTag = tiled ? ('TileOffsets' as const) : ('StripOffsets' as const);
    const countsTag = tiled ? ('TileByteCounts' as const) : ('StripByteCounts' as const);
    const across = Math.ceil(width / blockWidth);
    const down = Math.ceil(height / blockHeight);
    for (const name of [offsetsTag, countsTag]) {
      const n = ifd.entries.get(Tag[name])?.count;
      if (n === undefined) throw new InputError(path, `has no tile or strip index (no TIFF tag ${name})`);
      if (n !== across * down) {
        throw new InputError(
          path,
          `TIFF tag ${name} has ${n} values; a ${width}x${height} image in ${blockWidth}x${blockHeight} ${tiled ? 'tiles' : 'strips'} needs ${across * down}`,
        );
      }
    }
    const offsets = (await fd.loadValue(offsetsTag)) as ArrayLike<number> | undefined;
    const counts = (await fd.loadValue(countsTag)) as ArrayLike<number> | undefined;
    if (!offsets || !counts) throw new InputError(path, 'has no tile or strip index');
    let end = 0;
    for (let i = 0; i < across * down; i++) end = Math.max(end, Number(offsets[i]) + Number(counts[i]));
    if (end > fileBytes) {
      throw new InputError(
        path,
        `file is truncated: tile data ends at byte ${end} but the file has ${fileBytes} bytes`,
      );
    }
    if (compression === Compression.None) {
      // Uncompressed blocks hold exactly their samples: BitsPerSample and the byte counts must agree.
      const bytes = bytesPerSample(type);
      for (let i = 0; i < across * down; i++) {
        const count = Number(counts[i]);
        const rows = tiled ? blockHeight : Math.min(blockHeight, height - Math.floor(i / across) * blockHeight);
        const full = blockWidth * blockHeight * bytes;
        if (count !== 0 && count !== blockWidth * rows * bytes && count !== full) {
          throw new InputError(
            path,
            `TIFF tag Compression says uncompressed, but ${tiled ? 'tile' : 'strip'} ${i} holds ${count} bytes where ${blockWidth}x${rows} ${type} samples (BitsPerSample ${bytes * 8}) take ${blockWidth * rows * bytes}`,
          );
        }
      }
    }

    const ref = base ?? image;
    const [ox, px, rx, oy, ry, py] = geoTransform(path, ref);
    const sx = ref.getWidth() / width;
    const sy = ref.getHeight() / height;
    const grid = { width, height, transform: [ox, px * sx, rx, oy, ry, py * sy] as const, epsg: epsgOf(ref) };
    const nodataText = (await fd.loadValue('GDAL_NODATA')) as string | undefined;
    const nodata = nodataText === undefined ? undefined : Number(String(nodataText).replace(/\0/g, ''));
    const littleEndian = (image as unknown as { littleEndian: boolean }).littleEndian;
    const layout = { blockWidth, blockHeight, across, down, offsets, counts, tiled };
    return new GeoTiffReader(
      path,
      grid,
      type,
      fileBytes,
      nodata,
      compression,
      predictor,
      littleEndian,
      layout,
      limit,
      source,
      remote,
    );
  }

  async readWindow(win: PixelWindow, shared = false, into?: TypedArray): Promise<TypedArray> {
    const { width, height } = this.grid;
    if (win.x0 < 0 || win.y0 < 0 || win.x0 + win.width > width || win.y0 + win.height > height) {
      throw new RangeError(`window ${JSON.stringify(win)} outside ${width}x${height} raster ${this.path}`);
    }
    const { blockWidth: bw, blockHeight: bh, across } = this.layout;
    const out =
      into && into.length === win.width * win.height ? into : allocSamples(this.type, win.width * win.height, shared);
    const bx0 = Math.floor(win.x0 / bw);
    const bx1 = Math.floor((win.x0 + win.width - 1) / bw);
    const by0 = Math.floor(win.y0 / bh);
    const by1 = Math.floor((win.y0 + win.height - 1) / bh);
    this.evictAbove(by0);
    if (this.source.remote) this.fetchMerged(by0, by1, bx0, bx1);
    const jobs: Promise<void>[] = [];
    for (let by = by0; by <= by1; by++) {
      for (let bx = bx0; bx <= bx1; bx++) {
        const index = by * across + bx;
        jobs.push(
          this.block(index).then((block) => {
            // Copy the overlap of this block and the window, row by row.
            const cx0 = Math.max(win.x0, bx * bw);
            const cx1 = Math.min(win.x0 + win.width, (bx + 1) * bw);
            const cy0 = Math.max(win.y0, by * bh);
            const cy1 = Math.min(win.y0 + win.height, (by + 1) * bh);
            copyRows(
              block,
              bw,
              (cy0 - by * bh) * bw + (cx0 - bx * bw),
              out,
              win.width,
              (cy0 - win.y0) * win.width + (cx0 - win.x0),
              cx1 - cx0,
              cy1 - cy0,
            );
          }),
        );
      }
    }
    await Promise.all(jobs);
    return out;
  }

  /** Drops cached blocks of block rows above `blockRow`: requests only move down. */
  private evictAbove(blockRow: number): void {
    const { across } = this.layout;
    for (const index of this.cache.keys()) if (Math.floor(index / across) < blockRow) this.cache.delete(index);
  }

  private block(index: number): Promise<TypedArray> {
    let p = this.cache.get(index);
    if (!p) {
      p = this.limit(() => this.readBlock(index));
      this.cache.set(index, p);
    }
    return p;
  }

  /**
   * Remote files: the blocks of the window not cached yet, fetched with as few requests as their
   * layout allows (a COG stores a tile row's tiles one after another: one request per row), then each
   * decoded under the tile limit. The network's own limit is the host's (source.context.ts).
   */
  private fetchMerged(by0: number, by1: number, bx0: number, bx1: number): void {
    const { offsets, counts, across } = this.layout;
    const wanted: number[] = [];
    for (let by = by0; by <= by1; by++) {
      for (let bx = bx0; bx <= bx1; bx++) {
        const i = by * across + bx;
        if (!this.cache.has(i) && Number(counts[i]) > 0) wanted.push(i);
      }
    }
    wanted.sort((a, b) => Number(offsets[a]) - Number(offsets[b]));
    const { mergeGapBytes, maxRequestBytes } = this.remote;
    for (let k = 0; k < wanted.length; ) {
      const start = Number(offsets[wanted[k]!]);
      let end = start + Number(counts[wanted[k]!]);
      let j = k + 1;
      for (; j < wanted.length; j++) {
        const o = Number(offsets[wanted[j]!]);
        const e = o + Number(counts[wanted[j]!]);
        if (o < end || o - end > mergeGapBytes || Math.max(e, end) - start > maxRequestBytes) break;
        end = Math.max(end, e);
      }
      const group = wanted.slice(k, j);
      const bytes = this.source.read(start, end - start);
      bytes.catch(() => undefined); // awaited through the blocks below
      for (const i of group) {
        const o = Number(offsets[i]) - start;
        const n = Number(counts[i]);
        this.cache.set(
          i,
          bytes.then((all) => {
            this.stats.bytesRead += n;
            if (all.length < o + n) throw this.truncated(i, n, all.length - o);
            return this.limit(() => this.decodeBytes(i, all.subarray(o, o + n), true));
          }),
        );
      }
      k = j;
    }
  }

  private truncated(index: number, count: number, got: number): InputError {
    const offset = Number(this.layout.offsets[index]);
    return new InputError(
      this.path,
      `file is truncated: tile ${index} needs ${count} bytes at ${offset}, got ${Math.max(0, got)}`,
    );
  }

  private async readBlock(index: number): Promise<TypedArray> {
    const { blockWidth, blockHeight, offsets, counts } = this.layout;
    const offset = Number(offsets[index]);
    const count = Number(counts[index]);
    if (count === 0) return allocSamples(this.type, blockWidth * blockHeight); // sparse tile: all zeros (nodata)
    const raw = this.readBuffers.pop() ?? new Uint8Array(0);
    const buf = raw.length >= count ? raw : new Uint8Array(Math.max(count, raw.length * 2));
    try {
      const bytes = await this.source.read(offset, count, buf);
      if (bytes.length !== count) throw this.truncated(index, count, bytes.length);
      this.stats.bytesRead += count;
      return await this.decodeBytes(index, bytes, bytes.buffer !== buf.buffer);
    } finally {
      this.readBuffers.push(buf); // reused by the next tile read once this tile is decompressed
    }
  }

  /**
   * Decodes one block's compressed bytes. `owned`: the bytes are not a reused read buffer (an
   * uncompressed tile's samples may then stay in them).
   */
  private async decodeBytes(index: number, bytes: Uint8Array, owned: boolean): Promise<TypedArray> {
    const { blockWidth, blockHeight, across, tiled } = this.layout;
    // Tiles are always whole; the last strip holds only the rows left (its codec knows its exact length).
    const rows = tiled
      ? blockHeight
      : Math.min(blockHeight, this.grid.height - Math.floor(index / across) * blockHeight);
    const expected = blockWidth * rows * bytesPerSample(this.type);
    const t0 = performance.now();
    let short = 0;
    try {
      const out = await decompress(this.compression, bytes, expected);
      if (out.byteLength < expected) {
        short = out.byteLength;
        throw new Error('short');
      }
      // Uncompressed data is still in the read bytes: copied out when those are a reused buffer.
      return decodeSamples(
        out.buffer === bytes.buffer && !owned ? out.slice() : out,
        this.type,
        blockWidth,
        rows,
        this.predictor,
        this.littleEndian,
      );
    } catch (err) {
      if (short) {
        throw new InputError(
          this.path,
          `${tiled ? 'tile' : 'strip'} ${index} decodes to ${short} bytes, but ${blockWidth}x${rows} ${this.type} samples (TIFF tag BitsPerSample ${bytesPerSample(this.type) * 8}) take ${expected}`,
        );
      }
      throw new InputError(
        this.path,
        `tile ${index} cannot be decoded (${compressionName(this.compression)}: ${shortReason(err)})`,
      );
    } finally {
      this.stats.blocksDecoded++;
      this.stats.decodeSeconds += (performance.now() - t0) / 1000;
    }
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.source.close();
  }
}

/** TIFF tags whose entry counts are checked before any value is used. */
const Tag = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  PhotometricInterpretation: 262,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
} as const;

/** Largest tile side accepted (archeo writes at most 4096, GDAL's COGs 512 or 1024). */
const maxTileSize = 4096;

/** Tags archeo reads whose values may lie outside their IFD (arrays, strings, the GeoTIFF keys). */
const outOfLineTags: Record<number, string> = {
  258: 'BitsPerSample',
  273: 'StripOffsets',
  279: 'StripByteCounts',
  324: 'TileOffsets',
  325: 'TileByteCounts',
  339: 'SampleFormat',
  33550: 'ModelPixelScale',
  33922: 'ModelTiepoint',
  34264: 'ModelTransformation',
  34735: 'GeoKeyDirectory',
  34736: 'GeoDoubleParams',
  34737: 'GeoAsciiParams',
  42113: 'GDAL_NODATA',
};

/**
 * A value array that points past the end of the file reads as zeros in geotiff.js (a TileByteCounts
 * array there makes every tile "sparse": silently nodata). GDAL refuses such files; so does archeo.
 */
function checkValuesInside(path: string, ifd: Ifd, fileBytes: number): void {
  for (const entry of ifd.entries.values()) {
    const name = outOfLineTags[entry.tag];
    if (name === undefined) continue;
    const end = valueEnd(entry);
    if (end > fileBytes) {
      throw new InputError(
        path,
        `file is truncated: TIFF tag ${name} (${entry.tag}) holds ${entry.count} values ending at byte ${end}, but the file has ${fileBytes} bytes`,
      );
    }
  }
}

/**
 * Single-valued tags must hold one value, per-sample tags one per sample: geotiff.js hands back an
 * array for any other count and the numbers computed from it are silently wrong (GDAL refuses them).
 */
function checkTagCounts(path: string, ifd: Ifd): void {
  for (const tag of ['ImageWidth', 'ImageLength'] as const) {
    if (!ifd.entries.has(Tag[tag])) throw new InputError(path, `has no TIFF tag ${tag}`);
  }
  const single = [
    'NewSubfileType',
    'ImageWidth',
    'ImageLength',
    'Compression',
    'PhotometricInterpretation',
    'SamplesPerPixel',
    'RowsPerStrip',
    'PlanarConfiguration',
    'Predictor',
    'TileWidth',
    'TileLength',
  ] as const;
  for (const name of single) {
    const count = ifd.entries.get(Tag[name])?.count;
    if (count !== undefined && count !== 1) {
      throw new InputError(path, `TIFF tag ${name} (${Tag[name]}) has ${count} values, 1 expected`);
    }
  }
}

/**
 * Copies a rectangle of `w` x `h` samples between row-major arrays. `set` is a memcpy; a hand loop
 * here would see two array types (uint16 bands, uint8 SCL) and run 2x slower.
 */
function copyRows(
  src: TypedArray,
  srcStride: number,
  srcStart: number,
  dst: TypedArray,
  dstStride: number,
  dstStart: number,
  w: number,
  h: number,
): void {
  for (let y = 0; y < h; y++) {
    const s = srcStart + y * srcStride;
    dst.set(src.subarray(s, s + w), dstStart + y * dstStride);
  }
}

function sampleType(path: string, image: GeoTIFFImage): SampleType {
  const bits = image.getBitsPerSample(0);
  const format = image.getSampleFormat(0) ?? 1; // 1 uint, 2 int, 3 float
  const key = `${format}:${bits}`;
  const types: Record<string, SampleType> = {
    '1:8': 'uint8',
    '1:16': 'uint16',
    '2:16': 'int16',
    '1:32': 'uint32',
    '2:32': 'int32',
    '3:32': 'float32',
    '3:64': 'float64',
  };
  const type = types[key];
  if (!type) throw new InputError(path, `unsupported sample type (${bits} bits, format ${format})`);
  return type;
}

function geoTransform(path: string, image: GeoTIFFImage): GeoTransform {
  let origin: number[];
  let res: number[];
  try {
    origin = image.getOrigin();
    res = image.getResolution();
  } catch {
    throw new InputError(path, 'has no georeferencing (no tie point and pixel scale)');
  }
  const [ox, oy] = origin as [number, number];
  const [rx, ry] = res as [number, number];
  const keys = image.getGeoKeys() as { GTRasterTypeGeoKey?: number } | null;
  const matrix = image.fileDirectory.hasTag('ModelTransformation');
  checkGeoTransform(path, [ox, rx, 0, oy, 0, ry], {
    origin: matrix ? 'TIFF tag ModelTransformation' : 'TIFF tag ModelTiepoint',
    size: matrix ? 'TIFF tag ModelTransformation' : 'TIFF tag ModelPixelScale',
  });
  // PixelIsPoint: the tie point is a pixel centre; GDAL reports the corner, so shift by half a pixel.
  if (keys?.GTRasterTypeGeoKey === 2) return [ox - rx / 2, rx, 0, oy - ry / 2, 0, ry];
  return [ox, rx, 0, oy, 0, ry];
}

function epsgOf(image: GeoTIFFImage): number | undefined {
  const keys = image.getGeoKeys() as { ProjectedCSTypeGeoKey?: number; GeographicTypeGeoKey?: number } | null;
  const code = keys?.ProjectedCSTypeGeoKey ?? keys?.GeographicTypeGeoKey;
  return code !== undefined && code > 0 && code < 32767 ? code : undefined;
}
