/**
 * JPEG 2000 band reader. OpenJPEG's WebAssembly build has no window decoding, so the whole image is
 * decoded once, in a worker thread, on the first read, and windows are copied from it. This holds one
 * decoded band (2 bytes a pixel: 241 MB for a 10 m tile) per open JP2 band, the known limit of JP2 input;
 * COG input streams tile by tile.
 */
import { runWorkerWithin } from '../../core/worker.deadline.js';
import { InputError } from '../../core/errors.js';
import type { PixelWindow, RasterGrid, SampleType, TypedArray } from '../../core/types.js';
import { allocSamples } from '../../core/types.js';
import { checkGeoTransform, newReadStats, type BandReader, type ReadStats } from './band.reader.js';
import { parseJp2, type Jp2Parts } from './jp2.boxes.js';
import { readWhole } from '../zip/member.path.js';

import type { Limiter } from './geotiff.reader.js';

/**
 * Opens a JPEG 2000 band. With `level`, the image is read at the coarsest resolution level (1/2^k of
 * each side) that is still at least `minWidth` wide: a quicklook decodes a fraction of the data.
 */
export async function openJp2(
  path: string,
  limit: Limiter = (fn) => fn(),
  level?: { minWidth: number },
): Promise<Jp2Reader> {
  // A plain file, or a member of a zipped product (`product.SAFE.zip!/GRANULE/…`), read whole either way.
  const { bytes, storedBytes } = await readWhole(path);
  let parts: Jp2Parts;
  try {
    parts = parseJp2(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new InputError(path, `unreadable JPEG 2000 (${(err as Error).message})`);
  }
  if (parts.components !== 1)
    throw new InputError(path, `has ${parts.components} components; archeo reads single-band files`);
  if (parts.signed || parts.bits > 16)
    throw new InputError(path, `unsupported JPEG 2000 samples (${parts.bits} bits${parts.signed ? ', signed' : ''})`);
  if (!parts.transform) throw new InputError(path, 'has no georeferencing (no GMLJP2 grid)');
  checkGeoTransform(path, parts.transform, { origin: 'GMLJP2 grid', size: 'GMLJP2 grid' });
  let k = 0;
  while (level && k < parts.levels && Math.ceil(parts.width / 2 ** (k + 1)) >= level.minWidth) k++;
  const [ox, px, rx, oy, ry, py] = parts.transform;
  const width = Math.ceil(parts.width / 2 ** k);
  const height = Math.ceil(parts.height / 2 ** k);
  const sx = parts.width / width;
  const sy = parts.height / height;
  const grid: RasterGrid = { width, height, transform: [ox, px * sx, rx, oy, ry, py * sy], epsg: parts.epsg };
  return new Jp2Reader(path, grid, parts.bits <= 8 ? 'uint8' : 'uint16', storedBytes, parts.codestream, limit, k);
}

export class Jp2Reader implements BandReader {
  readonly format = 'JPEG 2000' as const;
  readonly stats: ReadStats = newReadStats();
  private image: Promise<TypedArray> | undefined;

  constructor(
    readonly path: string,
    readonly grid: RasterGrid,
    readonly type: SampleType,
    readonly fileBytes: number,
    private codestream: Uint8Array | undefined,
    private readonly limit: Limiter,
    /** Resolution level decoded (0 = full). */
    private readonly level = 0,
  ) {}

  /** Starts decoding now (scan calls this for every band so the decodes overlap). */
  prefetch(): void {
    this.image ??= this.limit(() => this.decode());
    this.image.catch(() => undefined); // the error surfaces at readWindow
  }

  async readWindow(win: PixelWindow, shared = false, into?: TypedArray): Promise<TypedArray> {
    this.prefetch();
    const image = await this.image!;
    const { width, height } = this.grid;
    if (win.x0 < 0 || win.y0 < 0 || win.x0 + win.width > width || win.y0 + win.height > height) {
      throw new RangeError(`window ${JSON.stringify(win)} outside ${width}x${height} raster ${this.path}`);
    }
    const out =
      into && into.length === win.width * win.height ? into : allocSamples(this.type, win.width * win.height, shared);
    for (let y = 0; y < win.height; y++) {
      const src = (win.y0 + y) * width + win.x0;
      out.set(image.subarray(src, src + win.width), y * win.width);
    }
    return out;
  }

  private async decode(): Promise<TypedArray> {
    // A decode queued behind the limiter may start after close() (a scene that failed on another band):
    // it must not start a worker then.
    const codestream = this.codestream;
    if (!codestream) throw new InputError(this.path, 'unreadable JPEG 2000 (reader closed before decoding)');
    this.codestream = undefined; // handed to the worker
    const t0 = performance.now();
    const result = await decodeInWorker(codestream, this.level, this.grid.width * this.grid.height).catch(
      (err: Error) => {
        throw new InputError(this.path, `unreadable JPEG 2000 (${err.message})`);
      },
    );
    this.stats.bytesRead += codestream.byteLength;
    this.stats.blocksDecoded++;
    this.stats.decodeSeconds += (performance.now() - t0) / 1000;
    if (result.width !== this.grid.width || result.height !== this.grid.height) {
      throw new InputError(
        this.path,
        `unreadable JPEG 2000 (decoded ${result.width}x${result.height}, header says ${this.grid.width}x${this.grid.height})`,
      );
    }
    const n = result.width * result.height;
    const bytesPer = result.data.byteLength / n;
    if (this.type === 'uint8' && bytesPer === 1) return result.data;
    if (this.type === 'uint16' && bytesPer === 2) return new Uint16Array(result.data.buffer, result.data.byteOffset, n);
    throw new InputError(
      this.path,
      `unreadable JPEG 2000 (decoder returned ${result.data.byteLength} bytes for ${n} pixels)`,
    );
  }

  async close(): Promise<void> {
    this.image = undefined;
    this.codestream = undefined; // a decode still queued then refuses to start
  }
}

interface DecodeResult {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Seconds a decode may take before it is abandoned: proportional to the work (entropy decoding grows
 * with the codestream's bytes, the inverse wavelet transform with the pixels decoded), with about 14x
 * headroom over what a decode takes on one busy core here (a 10980 x 10980 band of ~110 MB: ~25 s; its
 * budget ~350 s), plus 10 s for the worker's start. Finite, so a codestream that sends the decoder into
 * a loop fails its scene in seconds on a small band instead of hanging a nightly run for minutes.
 */
export function decodeTimeoutSeconds(bytes: number, pixels: number): number {
  return 10 + (bytes / 1e6) * 2 + (pixels / 1e6) * 1;
}

async function decodeInWorker(codestream: Uint8Array, level: number, pixels: number): Promise<DecodeResult> {
  // Everything that can throw comes before the worker exists: a worker that is never sent a message
  // waits forever and keeps the process alive.
  const limit = decodeTimeoutSeconds(codestream.byteLength, pixels);
  const copy = codestream.slice(); // a transferable buffer of its own
  const end = await runWorkerWithin<DecodeResult & { error?: string }>(
    new URL('./jp2.worker.js', import.meta.url),
    limit,
    {},
    { message: { codestream: copy, level }, transfer: [copy.buffer] },
  );
  if (end.kind === 'timeout') throw new Error(`decoder gave no result within ${limit.toFixed(0)} s`);
  if (end.kind === 'error') throw end.error;
  if (end.kind === 'exit') throw new Error(`decoder exited with code ${end.code}`);
  if (end.message.error !== undefined) throw new Error(end.message.error);
  return end.message;
}
