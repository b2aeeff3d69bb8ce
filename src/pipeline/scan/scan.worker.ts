/**
 * Scan worker thread: for one strip's range of tile columns it resamples every band onto the grid,
 * computes the indices with the compiled CPU kernel, and encodes each output tile (predictor +
 * compression). Everything per pixel happens here, in parallel across workers; the main thread only
 * reads input tiles and appends encoded tiles to files.
 *
 * Messages: `setup` (once per scene: index names, band plans, codec), `strip` (a task), `release`.
 */
import { parentPort } from 'node:worker_threads';
import type { SampleWindow } from '../../core/types.js';
import type { CpuSceneKernels, CpuSceneSpec, CpuStrip, StripBits } from '../../engine/engine.js';
import { compileCpuScene, countValidPixels } from '../../engine/cpu/strip.js';
import { classBytes } from '../../compute/morphology.js';
import { compress, floatPredictor32, type Codec } from '../../io/raster/tiff.codec.js';
import {
  BytePool,
  cutTile,
  encodeStripTile,
  encodeTile,
  uniformBits,
  UniformTiles,
  type WritableType,
} from '../../io/raster/tile.encode.js';
import { writeOverviewTileSync, writeTileRun, type TileSink } from '../../io/raster/geotiff.writer.js';
import { paddedTile, Pyramid, type TileView } from '../../io/raster/overview.pyramid.js';
import { sha256File, sha256Pieces, type DigestPiece } from '../../io/output/checksum.js';

/** Once per scene: what the CPU engine compiles, and how the outputs are encoded and where they go. */
export interface ScanSetup extends CpuSceneSpec {
  type: 'setup';
  key: string;
  tileSize: number;
  codec: Codec;
  level: number;
  /** Where each index's tiles go (the output GeoTIFFs), in index order; null = computed, not written. */
  sinks: (TileSink | null)[];
  /** Slots of the indices whose values go back with each strip (detectors reading values, not bits). */
  values?: number[];
}

export interface StripTask {
  type: 'strip';
  key: string;
  /** Full-grid coordinates of the task's first output pixel, and its size. */
  gridX0: number;
  gridY0: number;
  cols: number;
  rows: number;
  /** Output tile column of the task's first column, and the strip's tile row. */
  tileX0: number;
  tileY: number;
  /** Source windows read by the main thread (shared memory), one per kernel band, and SCL's. */
  bands: SampleWindow[];
  scl: SampleWindow | undefined;
}

/**
 * Device engines (engine/tfjs) compute the indices on the main thread, where the device lives: a strip
 * task is then split in two around it. `planes`: resample the bands and make the cloud mask, and send
 * them back; `encode`: take the indices the device computed and encode and write their tiles.
 */
export interface PlanesTask extends Omit<StripTask, 'type'> {
  type: 'planes';
}

export interface PlanesResult {
  /** One plane per kernel band (rows x cols reflectance, NaN = nodata), and the cloud mask. */
  planes: Float32Array[];
  masked: Uint8Array | undefined;
  seconds: number;
}

export interface EncodeTask {
  type: 'encode';
  key: string;
  cols: number;
  rows: number;
  tileX0: number;
  tileY: number;
  /** The device's indices, one plane per computed index. */
  outs: Float32Array[];
}

/**
 * Second detection pass: recompute the indices of a region and sum them over runs of pixels. `runs`
 * holds 4 integers per run: slot (-1 = every index, over a candidate's pixels; else that index only,
 * over ring pixels), full-grid row, first and last+1 full-grid column (inside the task's region).
 */
export interface StatsTask extends Omit<StripTask, 'type' | 'tileX0' | 'tileY'> {
  type: 'stats';
  runs: Int32Array;
}

/** Per run, the sums then the counts of finite values of every index (2 x indices numbers per run). */
export interface StatsResult {
  sums: Float64Array;
  /** Seconds the task took in the worker. */
  seconds: number;
}

export interface StripResult {
  /** Bytes of encoded tiles the task appended to the output files. */
  bytes: number;
  /** Per detector: condition bits and validity bits, rows of ceil(cols / 32) words. */
  bits: StripBits | undefined;
  /** Seconds per step; `overview`: putting the rows into the overviews' strip slots (level 1 averaged there). */
  timings: { resample: number; indices: number; mask: number; encode: number; write: number; overview: number };
  /** Pixels of the task that were not NaN in the first index (valid, unmasked). */
  validPixels: number;
  /** The values of ScanSetup.values' indices, rows x cols each (copies: the engine's buffers are reused). */
  values?: Float32Array[];
}

/** The values' buffers, transferred rather than copied. */
function valueBuffers(r: StripResult): ArrayBuffer[] {
  return (r.values ?? []).map((v) => v.buffer as ArrayBuffer);
}

/** Copies of the indices' values a scene's detectors asked for. */
function valuesOf(setup: ScanSetup, outs: readonly Float32Array[], rows: number, cols: number): Float32Array[] {
  return (setup.values ?? []).map((slot) => outs[slot]!.slice(0, rows * cols));
}

/**
 * The overviews' step after strip `strip` (window rows [y0, y0 + rows)): sent once per written index, in
 * strip order, after every task of the strip has copied its rows into the index's strip slot.
 */
export interface OverviewTask {
  type: 'overview';
  key: string;
  index: number;
  strip: number;
  y0: number;
  rows: number;
}

/**
 * One final tile row of a detector's mask (masks/<detector>.tif): its tiles encoded and appended, and
 * its overviews advanced (mode), off the main thread. Sent in row order, one at a time per mask.
 */
export interface MaskRowTask {
  type: 'maskRow';
  key: string;
  sink: TileSink;
  /**
   * The rows' bits (compute/morphology.ts BitMask rows: ceil(width / 32) words a row, bit x % 32 of word
   * x >> 5 is pixel x): 1 candidate, 0 not; `tested`: 1 where the detector's index had a value.
   */
  mask: Uint32Array;
  tested: Uint32Array;
  y0: number;
  rows: number;
  width: number;
  tileSize: number;
  codec: Codec;
  level: number;
  /** The mask's nodata (untested and no candidate), also the padding past its edges. */
  nodata: number;
}

/** A scene's setup in this worker, and the CPU engine's kernels compiled for it. */
interface SceneState {
  setup: ScanSetup;
  cpu: CpuSceneKernels;
  /** Each written index's overview pyramid (its windows computed once per worker). */
  pyramids: Map<number, Pyramid>;
  /** The masks' pyramids, by file. */
  masks: Map<string, Pyramid>;
  /** Encoded one-value tiles, float32 (indices) and uint8 (masks). */
  uniform: UniformTiles[];
}

/** The scene's cache of encoded one-value tiles for this encoding. */
function uniformTiles(state: SceneState, size: number, type: WritableType, codec: Codec, level: number): UniformTiles {
  let cache = state.uniform.find((u) => u.fits(size, type, codec, level));
  if (!cache) {
    cache = new UniformTiles(size, type, codec, level);
    state.uniform.push(cache);
  }
  return cache;
}

/** Encodes and appends a mask's tile row, then advances its overviews; returns seconds. */
async function runMaskRow(task: MaskRowTask): Promise<number> {
  const t0 = performance.now();
  const { sink, y0, rows, width, tileSize: T, codec, level, nodata } = task;
  const mask = classBytes(task.mask, task.tested, width, rows, nodata);
  const ty = y0 / T;
  const make = (n: number) => new Uint8Array(n);
  const uniform = uniformTiles(sceneOf(task.key), T, 'uint8', codec, level);
  const tiles = await Promise.all(
    Array.from({ length: sink.tilesAcross }, (_, tx) => {
      const bits = uniformBits(mask, tx * T, width, rows, Math.min(T, width - tx * T), T, nodata);
      if (bits !== undefined) return uniform.bytes(bits);
      return encodeTile(cutTile(mask, width, rows, tx, T, nodata, make), T, 'uint8', codec, level);
    }),
  );
  await writeTileRun(sink, 0, ty, tiles);
  if (sink.pyramid) {
    const masks = sceneOf(task.key).masks;
    let pyramid = masks.get(sink.path);
    if (!pyramid) {
      pyramid = new Pyramid(sink.pyramid);
      masks.set(sink.path, pyramid);
    }
    await pyramid.advance(mask, y0, rows, async (lv, tx, y, tile) => {
      const bits = uniformBits(tile.samples, tile.x0, tile.stride, tile.rows, tile.cols, T, nodata);
      const bytes =
        bits !== undefined
          ? await uniform.bytes(bits)
          : await encodeTile(paddedTile(tile, T, nodata), T, 'uint8', codec, level);
      writeOverviewTileSync(sink, tx, y, bytes, lv);
    });
  }
  return (performance.now() - t0) / 1000;
}

function pyramidOf(state: SceneState, index: number): Pyramid | undefined {
  const sink = state.setup.sinks[index];
  if (!sink?.pyramid) return undefined;
  let p = state.pyramids.get(index);
  if (!p) {
    p = new Pyramid(sink.pyramid);
    // Its levels above level 1, advanced in this worker between tasks (runOverview), by the engine's kernel.
    p.averager = (a, b, o) => state.cpu.averageRow2x2(a, b, o);
    state.pyramids.set(index, p);
  }
  return p;
}

/**
 * Puts a task's rows of every written index into the indices' strip slots (for their overviews: level 1
 * is averaged here, in parallel across the tasks, when the raster's sides are even; by the CPU strip's
 * SIMD kernel when it has one); returns seconds.
 */
function keepForOverviews(
  state: SceneState,
  outs: readonly Float32Array[],
  task: { cols: number; rows: number; tileX0: number; tileY: number },
  strip?: CpuStrip,
): number {
  const t0 = performance.now();
  outs.forEach((out, i) => {
    const p = pyramidOf(state, i);
    if (!p) return;
    const averaged = p.averagesLevel1 ? strip?.level1?.(i) : undefined;
    p.put(task.tileY, out, task.rows, task.cols, task.tileX0 * state.setup.tileSize, averaged);
  });
  return (performance.now() - t0) / 1000;
}

/** The encoded bytes of tile column `k` of a task's index strip when all its samples are one value. */
function uniformStripTile(
  state: SceneState,
  out: Float32Array,
  cols: number,
  rows: number,
  k: number,
): Promise<Uint8Array> | undefined {
  const { tileSize: T, codec, level } = state.setup;
  const bits = uniformBits(out, k * T, cols, rows, Math.min(T, cols - k * T), T, NaN);
  return bits === undefined ? undefined : uniformTiles(state, T, 'float32', codec, level).bytes(bits);
}

/**
 * Encodes one float32 overview tile as the full-resolution tiles are: the SIMD predictor (the JavaScript
 * one without SIMD) into a pooled buffer, read in place from the level's block when the tile is whole.
 */
async function encodeOverviewTile(state: SceneState, v: TileView): Promise<Uint8Array> {
  const { tileSize: T, codec, level } = state.setup;
  const bits = uniformBits(v.samples, v.x0, v.stride, v.rows, v.cols, T, NaN);
  if (bits !== undefined) return uniformTiles(state, T, 'float32', codec, level).bytes(bits);
  if (codec === 'none') return encodeTile(paddedTile(v, T, NaN), T, 'float32', codec, level);
  const whole = v.cols === T && v.rows === T;
  const src = (whole ? v.samples : paddedTile(v, T, NaN)) as Float32Array;
  const stride = whole ? v.stride : T;
  const x0 = whole ? v.x0 : 0;
  const buf = predictorPool.take();
  try {
    if (!state.cpu.predictTile(src, stride, x0, T, buf)) floatPredictor32(src, T, T, stride, x0, buf);
    return await compress(codec, buf, level, true);
  } finally {
    predictorPool.give(buf);
  }
}

/** Advances index `index`'s overviews past a finished strip, writing the overview tiles it completes. */
async function runOverview(task: OverviewTask): Promise<number> {
  const state = sceneOf(task.key);
  sizePredictorPool(state.setup.tileSize);
  const pyramid = pyramidOf(state, task.index)!;
  const sink = state.setup.sinks[task.index]!;
  const t0 = performance.now();
  await pyramid.advanceSlot(task.strip, task.y0, task.rows, async (lv, tx, ty, tile) => {
    writeOverviewTileSync(sink, tx, ty, await encodeOverviewTile(state, tile), lv);
  });
  return (performance.now() - t0) / 1000;
}

const scenes = new Map<string, SceneState>();
let predictorPool = new BytePool(0);

/** The state a scene's setup left in this worker. */
function sceneOf(key: string): SceneState {
  const state = scenes.get(key);
  if (!state) throw new Error(`scan worker: no setup for scene ${key}`);
  return state;
}

/** The predictor's tile buffers, for tiles of `size` pixels square. */
function sizePredictorPool(size: number): void {
  if (predictorPool.size !== size * size * 4) predictorPool = new BytePool(size * size * 4);
}

/**
 * Encodes the tiles of a task's written indices (`encode(index, tile column)`) and appends them to the
 * output files; returns the bytes written and the milliseconds spent writing.
 */
async function writeTiles(
  state: SceneState,
  task: { cols: number; tileX0: number; tileY: number },
  count: number,
  encode: (index: number, column: number) => Promise<Uint8Array>,
): Promise<{ bytes: number; write: number }> {
  const tilesAcross = Math.ceil(task.cols / state.setup.tileSize);
  let bytes = 0;
  let write = 0;
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const sink = state.setup.sinks[i];
      if (!sink) return undefined; // computed for detection only
      return (async () => {
        const tiles = await Promise.all(Array.from({ length: tilesAcross }, (_, k) => encode(i, k)));
        const w0 = performance.now();
        // The task's tiles of one index in their place in the COG (after the tasks before it: the wait
        // counts as writing).
        await writeTileRun(sink, task.tileX0, task.tileY, tiles);
        write += performance.now() - w0;
        for (const t of tiles) bytes += t.byteLength;
      })();
    }),
  );
  return { bytes, write };
}

async function runEncode(task: EncodeTask): Promise<StripResult> {
  const state = sceneOf(task.key);
  const { tileSize, codec, level } = state.setup;
  sizePredictorPool(tileSize);
  const t0 = performance.now();
  const { bytes, write } = await writeTiles(
    state,
    task,
    task.outs.length,
    (i, k) =>
      uniformStripTile(state, task.outs[i]!, task.cols, task.rows, k) ??
      encodeStripTile(task.outs[i]!, task.cols, task.rows, k, tileSize, codec, level, predictorPool),
  );
  const encode = (performance.now() - t0 - write) / 1000;
  const overview = keepForOverviews(state, task.outs, task);
  const validPixels = countValidPixels(task.outs[0]);
  return {
    bytes,
    bits: undefined,
    values: valuesOf(state.setup, task.outs, task.rows, task.cols),
    timings: { resample: 0, indices: 0, mask: 0, encode, write: write / 1000, overview },
    validPixels,
  };
}

async function runStrip(task: StripTask): Promise<StripResult> {
  const state = sceneOf(task.key);
  const { tileSize, codec, level } = state.setup;
  sizePredictorPool(tileSize);
  try {
    const strip = state.cpu.strip(task, tileSize);
    let t0 = performance.now();
    strip.fillPlanes();
    const resample = (performance.now() - t0) / 1000;
    t0 = performance.now();
    strip.runIndices();
    const validPixels = strip.countValid();
    const indices = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const bits = strip.conditions();
    const mask = (performance.now() - t0) / 1000;
    t0 = performance.now();
    // Every tile of the task is compressed before the task returns: the predicted tiles are views of the
    // engine's buffers, valid until its next strip.
    const { bytes, write } = await writeTiles(state, task, strip.outs.length, (i, k) => {
      const same = uniformStripTile(state, strip.outs[i]!, task.cols, task.rows, k);
      if (same) return same;
      const predicted = codec === 'none' ? undefined : strip.predictedTile(i, k);
      if (predicted) return compress(codec, predicted, level, true);
      return encodeStripTile(strip.outs[i]!, task.cols, task.rows, k, tileSize, codec, level, predictorPool);
    });
    const encode = (performance.now() - t0 - write) / 1000;
    const overview = keepForOverviews(state, strip.outs, task, strip);
    const values = valuesOf(state.setup, strip.outs, task.rows, task.cols);
    return {
      bytes,
      bits,
      values,
      timings: { resample, indices, mask, encode, write: write / 1000, overview },
      validPixels,
    };
  } finally {
    state.cpu.release();
  }
}

/** SHA-256 of an output file, for the state file (off the main thread, which keeps reading strips). */
export interface ChecksumTask {
  type: 'checksum';
  /** The file as it lies, or the pieces of a file being finished (GeoTiffWriter's `digest`). */
  path?: string;
  pieces?: DigestPiece[];
}

parentPort!.on(
  'message',
  async (
    msg: (
      | ScanSetup
      | StripTask
      | PlanesTask
      | EncodeTask
      | StatsTask
      | ChecksumTask
      | OverviewTask
      | MaskRowTask
      | { type: 'release'; key: string }
    ) & { id: number },
  ) => {
    try {
      if (msg.type === 'planes') {
        const t0 = performance.now();
        const result: PlanesResult = { ...sceneOf(msg.key).cpu.planes(msg), seconds: (performance.now() - t0) / 1000 };
        const transfer = [
          ...result.planes.map((p) => p.buffer as ArrayBuffer),
          ...(result.masked ? [result.masked.buffer as ArrayBuffer] : []),
        ];
        parentPort!.postMessage({ id: msg.id, result }, transfer);
        return;
      }
      if (msg.type === 'encode') {
        const result = await runEncode(msg);
        parentPort!.postMessage({ id: msg.id, result }, valueBuffers(result));
        return;
      }
      if (msg.type === 'overview') {
        parentPort!.postMessage({ id: msg.id, result: await runOverview(msg) });
        return;
      }
      if (msg.type === 'maskRow') {
        parentPort!.postMessage({ id: msg.id, result: await runMaskRow(msg) });
        return;
      }
      if (msg.type === 'checksum') {
        const result = msg.pieces ? sha256Pieces(msg.pieces) : sha256File(msg.path!);
        parentPort!.postMessage({ id: msg.id, result });
        return;
      }
      if (msg.type === 'stats') {
        const t0 = performance.now();
        const result: StatsResult = {
          sums: sceneOf(msg.key).cpu.stats(msg, msg.runs),
          seconds: (performance.now() - t0) / 1000,
        };
        parentPort!.postMessage({ id: msg.id, result }, [result.sums.buffer as ArrayBuffer]);
        return;
      }
      if (msg.type === 'setup') {
        scenes.set(msg.key, {
          setup: msg,
          cpu: compileCpuScene(msg),
          pyramids: new Map(),
          masks: new Map(),
          uniform: [],
        });
        parentPort!.postMessage({ id: msg.id, result: true });
      } else if (msg.type === 'release') {
        scenes.delete(msg.key);
        parentPort!.postMessage({ id: msg.id, result: true });
      } else {
        const result = await runStrip(msg);
        parentPort!.postMessage({ id: msg.id, result }, valueBuffers(result));
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      parentPort!.postMessage({
        id: msg.id,
        error: err instanceof Error ? err.message : String(err),
        ...(typeof code === 'string' ? { code } : {}),
      });
    }
  },
);
