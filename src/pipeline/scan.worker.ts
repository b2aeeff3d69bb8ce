/**
 * Scan worker thread: for one strip's range of tile columns it resamples every band onto the grid,
 * computes the indices with the compiled CPU kernel, and encodes each output tile (predictor +
 * compression). Everything per pixel happens here, in parallel across workers; the main thread only
 * reads input tiles and appends encoded tiles to files.
 *
 * Messages: `setup` (once per scene: index names, band plans, codec), `strip` (a task), `release`.
 */
import { parentPort } from 'node:worker_threads';
import { indexByName, type IndexDef } from '../compute/indices.js';
import { maskLut, reflectanceTable, type Radiometry } from '../compute/radiometry.js';
import { planAxis, resampleClasses, resampleFloat, sampleRuns, sourceRange, type AxisPlan, type ResampleMethod } from '../compute/resample.js';
import type { TypedArray } from '../core/types.js';
import { compileConditions, cpuEngine, type ConditionKernel, type SlotConditions } from '../engine/cpu/compile.js';
import type { IndexKernel } from '../engine/engine.js';
import { compileWasmKernels, WasmArena, type WasmKernels } from '../engine/cpu/wasm.kernels.js';
import { bandPlaneWasm, bandScratchBytes } from '../engine/cpu/wasm.resample.js';
import { compress, type Codec } from '../io/raster/tiff.codec.js';
import { BytePool, encodeStripTile } from '../io/raster/tile.encode.js';
import { writeTileSync, type TileSink } from '../io/raster/geotiff.writer.js';
import { sha256File } from '../io/output/checksum.js';

/** How a band maps onto the grid: sizes of the full grid and of the full source band. */
export interface PlanSpec {
  gridWidth: number;
  gridHeight: number;
  srcWidth: number;
  srcHeight: number;
  method: ResampleMethod;
}

export interface ScanSetup {
  type: 'setup';
  key: string;
  indexNames: string[];
  /** One entry per kernel band, in the kernel's band order. */
  bands: { plan: PlanSpec; radiometry: Radiometry }[];
  /** The SCL cloud mask, when the scene has SCL and masking is on. */
  scl: { plan: PlanSpec; maskClasses: number[] } | undefined;
  tileSize: number;
  codec: Codec;
  level: number;
  /** Use the WebAssembly SIMD kernels (false: the JavaScript ones, for comparison or old runtimes). */
  simd: boolean;
  /** Where each index's tiles go (the output GeoTIFFs), in index order; null = computed, not written. */
  sinks: (TileSink | null)[];
  /** Detectors' conditions on index slots, when scan detects candidates. */
  detect: SlotConditions[] | undefined;
}

/** A source window read by the main thread (shared memory). */
export interface WindowData {
  data: TypedArray;
  x0: number;
  y0: number;
  width: number;
  height: number;
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
  bands: WindowData[];
  scl: WindowData | undefined;
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
  bits: { raw: Uint32Array[]; valid: Uint32Array[] } | undefined;
  timings: { resample: number; indices: number; mask: number; encode: number; write: number };
  /** Pixels of the task that were not NaN in the first index (valid, unmasked). */
  validPixels: number;
}

interface SceneState {
  setup: ScanSetup;
  kernel: IndexKernel;
  plans: { x: AxisPlan; y: AxisPlan }[];
  /** Reflectance of every DN, per band (a lookup instead of a division per pixel). */
  luts: Float32Array[];
  /** The WebAssembly SIMD kernels, when this runtime has SIMD (Node 16.4+ does). */
  wasm: WasmKernels | undefined;
  /** The reflectance tables in the kernels' memory (addresses), per band. */
  wasmLuts: number[];
  conditions: ConditionKernel | undefined;
  /** Single-index kernels for ring statistics, by slot. */
  single: Map<number, IndexKernel>;
  sclPlan: { x: AxisPlan; y: AxisPlan } | undefined;
  lut: Uint8Array | undefined;
}

const scenes = new Map<string, SceneState>();

function plansOf(spec: PlanSpec): { x: AxisPlan; y: AxisPlan } {
  return {
    x: planAxis(spec.gridWidth, spec.srcWidth, spec.method, 'x'),
    y: planAxis(spec.gridHeight, spec.srcHeight, spec.method, 'y'),
  };
}

function setupScene(setup: ScanSetup): void {
  const defs = setup.indexNames.map((n) => indexByName(n)).filter((d): d is IndexDef => d !== undefined);
  const kernel = cpuEngine.compileIndices(defs);
  const luts = setup.bands.map((b) => reflectanceTable(b.radiometry, 16));
  const wasm = setup.simd ? compileWasmKernels(defs, kernel.bands, setup.detect ?? []) : undefined;
  const wasmLuts = wasm
    ? luts.map((lut) => {
        const ptr = wasm.arena.allocStatic(lut.byteLength);
        wasm.arena.f32(ptr, lut.length).set(lut);
        return ptr;
      })
    : [];
  scenes.set(setup.key, {
    setup,
    kernel,
    wasm,
    wasmLuts,
    conditions: setup.detect ? compileConditions(setup.detect) : undefined,
    single: new Map(),
    plans: setup.bands.map((b) => plansOf(b.plan)),
    luts,
    sclPlan: setup.scl ? plansOf(setup.scl.plan) : undefined,
    lut: setup.scl ? maskLut(setup.scl.maskClasses) : undefined,
  });
}

/**
 * Buffers reused from task to task: a worker runs one task at a time, and zeroing fresh megabytes for
 * every plane of every task costs as much as the arithmetic.
 */
class Scratch {
  private readonly free = new Map<string, Float32Array[]>();
  private readonly used: [string, Float32Array][] = [];
  take(name: string, n: number): Float32Array {
    const list = this.free.get(name) ?? [];
    let buf = list.pop();
    if (!buf || buf.length < n) buf = new Float32Array(n);
    this.used.push([name, buf]);
    return buf.length === n ? buf : buf.subarray(0, n);
  }
  release(): void {
    for (const [name, buf] of this.used) {
      const full = new Float32Array(buf.buffer); // whole allocation, whatever view was handed out
      const list = this.free.get(name) ?? [];
      list.push(full);
      this.free.set(name, list);
    }
    this.used.length = 0;
  }
}
const scratch = new Scratch();
let maskBuffer = new Uint8Array(0);
let predictorPool = new BytePool(0);

/** One band's plane on the task's grid window: reflectance by table lookup, then resampling. */
function bandPlane(win: WindowData, lut: Float32Array, plan: { x: AxisPlan; y: AxisPlan }, srcWidth: number, grid: { x0: number; y0: number; width: number; height: number }, plane: Float32Array): void {
  const dn = win.data;
  if (plan.x.kind === 'identity' && plan.y.kind === 'identity') {
    // Same grid: convert straight into the plane.
    for (let y = 0; y < grid.height; y++) {
      const s = (grid.y0 + y - win.y0) * win.width + (grid.x0 - win.x0);
      const o = y * grid.width;
      for (let x = 0; x < grid.width; x++) plane[o + x] = lut[dn[s + x]!]!;
    }
    return;
  }
  // Only the source columns this task needs, converted to reflectance, then resampled.
  const [sx0, sx1] = sourceRange(plan.x, grid.x0, grid.x0 + grid.width, srcWidth);
  const width = sx1 - sx0;
  const refl = scratch.take('reflectance', width * win.height);
  for (let y = 0; y < win.height; y++) {
    const s = y * win.width + (sx0 - win.x0);
    const o = y * width;
    for (let x = 0; x < width; x++) refl[o + x] = lut[dn[s + x]!]!;
  }
  const rows = scratch.take('rows', win.height * grid.width);
  resampleFloat({ data: refl, x0: sx0, y0: win.y0, width, height: win.height }, plan.x, plan.y, grid, plane, rows);
}

/**
 * Where a task's planes, mask and outputs live, and how its kernels run: in a WebAssembly memory with
 * the SIMD kernels, or in plain typed arrays with the JavaScript kernel (where SIMD is unavailable).
 */
interface TaskBuffers {
  outs: Float32Array[];
  /** Per detector condition and validity bits of the task (rows of ceil(cols / 32) words). */
  conditions(): { raw: Uint32Array[]; valid: Uint32Array[] } | undefined;
  /** Resamples every band into its plane and makes the cloud mask. */
  fillPlanes(): void;
  runIndices(): void;
  /** Pixels of the first index that are not NaN. */
  countValid(): number;
  encode(index: number, tileColumn: number): Promise<Uint8Array>;
}

type Grid = { x0: number; y0: number; width: number; height: number };

function fillMask(state: SceneState, task: StripTask | StatsTask | PlanesTask, grid: Grid, masked: Uint8Array): void {
  if (!task.scl || !state.sclPlan || !state.lut) return;
  const win = task.scl;
  resampleClasses({ ...win, data: win.data as Uint8Array }, state.sclPlan.x, state.sclPlan.y, grid, state.lut, masked);
}

function countNumbers(a: Float32Array, from = 0): number {
  let c = 0;
  for (let i = from; i < a.length; i++) if (a[i] === a[i]) c++;
  return c;
}

function wasmBuffers(state: SceneState, wk: WasmKernels, task: StripTask | StatsTask, grid: Grid, encoding = true): TaskBuffers {
  const { setup } = state;
  const size = setup.tileSize;
  const n = grid.width * grid.height;
  const arena = wk.arena;
  const tilesAcross = Math.ceil(task.cols / size);
  const M = state.kernel.names.length;
  // The whole task's memory is reserved first: growing the memory would detach views made earlier.
  const tiles = encoding ? M * tilesAcross : 0;
  const D = state.setup.detect && encoding ? state.setup.detect.length : 0;
  const words = Math.ceil(task.cols / 32) * task.rows;
  let bytes = (task.bands.length + M) * WasmArena.size(n * 4) + WasmArena.size(n) + tiles * WasmArena.size(size * size * 4) + 2 * D * WasmArena.size(words * 4);
  task.bands.forEach((win, i) => (bytes += bandScratchBytes(win, state.plans[i]!, setup.bands[i]!.plan.srcWidth, grid)));
  arena.reset(bytes);
  const planePtrs = task.bands.map(() => arena.alloc(n * 4));
  const maskPtr = task.scl ? arena.alloc(n) : 0;
  const outPtrs = state.kernel.names.map(() => arena.alloc(n * 4));
  const predPtrs = outPtrs.map(() => Array.from({ length: encoding ? tilesAcross : 0 }, () => arena.alloc(size * size * 4)));
  const rawPtrs = Array.from({ length: D }, () => arena.alloc(words * 4));
  const validPtrs = Array.from({ length: D }, () => arena.alloc(words * 4));
  const outs = outPtrs.map((p) => arena.f32(p, n));
  return {
    outs,
    conditions: () => {
      if (!D || !wk.conditions || !state.conditions) return undefined;
      const stride = Math.ceil(task.cols / 32);
      const groups = task.cols >>> 5;
      const slots = [...new Set(state.setup.detect!.flatMap((d) => d.conditions.map((c) => c.slot)))];
      for (let y = 0; y < task.rows; y++) {
        wk.conditions(
          slots.map((m) => outPtrs[m]! + y * task.cols * 4),
          groups,
          rawPtrs.map((p) => p + y * stride * 4),
          validPtrs.map((p) => p + y * stride * 4),
        );
      }
      const raw = rawPtrs.map((p) => arena.u32(p, words));
      const valid = validPtrs.map((p) => arena.u32(p, words));
      // The last partial word of each row (cols not a multiple of 32), by the JavaScript kernel.
      if (groups < stride) state.conditions(outs, task.rows, task.cols, raw, valid, groups);
      return { raw: raw.map((a) => a.slice()), valid: valid.map((a) => a.slice()) };
    },
    fillPlanes: () => {
      task.bands.forEach((win, i) => bandPlaneWasm(wk, win, state.wasmLuts[i]!, state.plans[i]!, setup.bands[i]!.plan.srcWidth, grid, planePtrs[i]!));
      if (maskPtr) fillMask(state, task, grid, arena.u8(maskPtr, n));
    },
    runIndices: () => wk.indices(n, maskPtr, planePtrs, outPtrs),
    countValid: () => {
      if (!outPtrs.length) return 0;
      const quads = n >> 2;
      return wk.countValid(outPtrs[0]!, quads) + countNumbers(outs[0]!, quads * 4);
    },
    encode: (i, k) => {
      const x0 = k * size;
      if (setup.codec === 'none' || task.rows !== size || x0 + size > task.cols) {
        return encodeStripTile(outs[i]!, task.cols, task.rows, k, size, setup.codec, setup.level, predictorPool);
      }
      const dst = predPtrs[i]![k]!;
      wk.fpredict(outPtrs[i]! + x0 * 4, dst, size, size, task.cols * 4);
      // The arena is neither reset nor grown until every compression of the task has finished.
      return compress(setup.codec, arena.u8(dst, size * size * 4), setup.level, true);
    },
  };
}

function jsBuffers(state: SceneState, task: StripTask | StatsTask, grid: Grid): TaskBuffers {
  const { setup, kernel } = state;
  const n = grid.width * grid.height;
  const planes = task.bands.map((_, i) => scratch.take(`plane${i}`, n));
  let masked: Uint8Array | undefined;
  if (task.scl) {
    if (maskBuffer.length < n) maskBuffer = new Uint8Array(n);
    masked = maskBuffer.subarray(0, n);
  }
  const outs = kernel.names.map((_, i) => scratch.take(`out${i}`, n));
  return {
    outs,
    conditions: () => {
      if (!state.conditions || !state.setup.detect) return undefined;
      const words = Math.ceil(task.cols / 32) * task.rows;
      const D = state.setup.detect.length;
      const bits = { raw: Array.from({ length: D }, () => new Uint32Array(words)), valid: Array.from({ length: D }, () => new Uint32Array(words)) };
      state.conditions(outs, task.rows, task.cols, bits.raw, bits.valid);
      return bits;
    },
    fillPlanes: () => {
      task.bands.forEach((win, i) => bandPlane(win, state.luts[i]!, state.plans[i]!, setup.bands[i]!.plan.srcWidth, grid, planes[i]!));
      if (masked) fillMask(state, task, grid, masked);
    },
    runIndices: () => kernel.run(planes, masked, outs, n),
    countValid: () => (outs[0] ? countNumbers(outs[0]) : 0),
    encode: (i, k) => encodeStripTile(outs[i]!, task.cols, task.rows, k, setup.tileSize, setup.codec, setup.level, predictorPool),
  };
}

/**
 * Sums of the indices over runs of pixels, computing the bands at those pixels only (samplePoint: the
 * same arithmetic as the plane kernels) and the indices over the compact planes with the compiled
 * kernel: the cost follows the candidates' pixels, not the region around them.
 */
function runStats(task: StatsTask): StatsResult {
  const t0 = performance.now();
  const state = sceneOf(task.key);
  const M = state.kernel.names.length;
  const runs = task.runs;
  const nRuns = runs.length / 4;
  const out = new Float64Array(nRuns * 2 * M);
  // Candidate pixels need every index; ring pixels only their detector's: one group per slot.
  const groups = new Map<number, number[]>();
  for (let r = 0; r < nRuns; r++) {
    const slot = runs[4 * r]!;
    const list = groups.get(slot) ?? [];
    groups.set(slot, list);
    list.push(r);
  }
  for (const [slot, list] of groups) {
    const sub = new Int32Array(list.length * 4);
    list.forEach((r, k) => sub.set(runs.subarray(4 * r, 4 * r + 4), 4 * k));
    const kernel = slot < 0 ? state.kernel : kernelFor(state, slot);
    const sums = statsOver(state, task, sub, kernel);
    const slots = slot < 0 ? Array.from({ length: M }, (_, m) => m) : [slot];
    list.forEach((r, k) => {
      slots.forEach((m, j) => {
        out[r * 2 * M + m] = sums[k * 2 * slots.length + j]!;
        out[r * 2 * M + M + m] = sums[k * 2 * slots.length + slots.length + j]!;
      });
    });
  }
  return { sums: out, seconds: (performance.now() - t0) / 1000 };
}

/** A kernel for one index slot (ring pixels), compiled once per scene. */
function kernelFor(state: SceneState, slot: number): IndexKernel {
  let k = state.single.get(slot);
  if (!k) {
    k = cpuEngine.compileIndices([indexByName(state.kernel.names[slot]!)!]);
    state.single.set(slot, k);
  }
  return k;
}

/**
 * Per run, sums then counts of each of `kernel`'s indices, computing its bands at the runs' pixels only
 * (sampleRuns: the same arithmetic as the plane kernels) and the indices over those compact planes.
 */
function statsOver(state: SceneState, task: StatsTask, runs: Int32Array, kernel: IndexKernel): Float64Array {
  const nRuns = runs.length / 4;
  let P = 0;
  for (let r = 0; r < nRuns; r++) P += runs[4 * r + 3]! - runs[4 * r + 2]!;
  const allBands = state.kernel.bands;
  const planes = kernel.bands.map((band) => {
    const b = allBands.indexOf(band);
    const plane = new Float32Array(P);
    sampleRuns(task.bands[b]!.data, task.bands[b]!, state.luts[b]!, state.plans[b]!.x, state.plans[b]!.y, runs, plane);
    return plane;
  });
  let masked: Uint8Array | undefined;
  if (task.scl && state.sclPlan && state.lut) {
    masked = new Uint8Array(P);
    const win = task.scl;
    const pick = (plan: AxisPlan, g: number): number => (plan.kind === 'nearest' ? plan.i0[g]! : g);
    let i = 0;
    for (let r = 0; r < nRuns; r++) {
      const gy = runs[4 * r + 1]!;
      const row = (pick(state.sclPlan.y, gy) - win.y0) * win.width - win.x0;
      for (let gx = runs[4 * r + 2]!; gx < runs[4 * r + 3]!; gx++) masked[i++] = state.lut[win.data[row + pick(state.sclPlan.x, gx)]!]!;
    }
  }
  const K = kernel.names.length;
  const outs = kernel.names.map(() => new Float32Array(P));
  kernel.run(planes, masked, outs, P);
  const out = new Float64Array(nRuns * 2 * K);
  let i0 = 0;
  for (let r = 0; r < nRuns; r++) {
    const len = runs[4 * r + 3]! - runs[4 * r + 2]!;
    for (let m = 0; m < K; m++) {
      const v = outs[m]!;
      let sum = 0;
      let count = 0;
      for (let i = i0; i < i0 + len; i++) {
        const x = v[i]!;
        if (x === x) {
          sum += x;
          count++;
        }
      }
      out[r * 2 * K + m] = sum;
      out[r * 2 * K + K + m] = count;
    }
    i0 += len;
  }
  return out;
}

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

function runPlanes(task: PlanesTask): PlanesResult {
  const state = sceneOf(task.key);
  const t0 = performance.now();
  const grid = { x0: task.gridX0, y0: task.gridY0, width: task.cols, height: task.rows };
  const n = task.rows * task.cols;
  // Fresh arrays: they are transferred to the main thread, not copied.
  const planes = task.bands.map((win, i) => {
    const plane = new Float32Array(n);
    bandPlane(win, state.luts[i]!, state.plans[i]!, state.setup.bands[i]!.plan.srcWidth, grid, plane);
    return plane;
  });
  const masked = task.scl ? new Uint8Array(n) : undefined;
  if (masked) fillMask(state, task, grid, masked);
  return { planes, masked, seconds: (performance.now() - t0) / 1000 };
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
      return Promise.all(
        Array.from({ length: tilesAcross }, async (_, k) => {
          const tile = await encode(i, k);
          const w0 = performance.now();
          writeTileSync(sink, task.tileX0 + k, task.tileY, tile);
          write += performance.now() - w0;
          bytes += tile.byteLength;
        }),
      );
    }),
  );
  return { bytes, write };
}

async function runEncode(task: EncodeTask): Promise<StripResult> {
  const state = sceneOf(task.key);
  const size = state.setup.tileSize;
  sizePredictorPool(size);
  const t0 = performance.now();
  const { bytes, write } = await writeTiles(state, task, task.outs.length, (i, k) =>
    encodeStripTile(task.outs[i]!, task.cols, task.rows, k, size, state.setup.codec, state.setup.level, predictorPool),
  );
  const encode = (performance.now() - t0 - write) / 1000;
  const validPixels = task.outs[0] ? countNumbers(task.outs[0]) : 0;
  return { bytes, bits: undefined, timings: { resample: 0, indices: 0, mask: 0, encode, write: write / 1000 }, validPixels };
}

async function runStrip(task: StripTask): Promise<{ result: StripResult }> {
  const state = sceneOf(task.key);
  const size = state.setup.tileSize;
  const grid = { x0: task.gridX0, y0: task.gridY0, width: task.cols, height: task.rows };
  sizePredictorPool(size);
  try {
    const buffers = state.wasm ? wasmBuffers(state, state.wasm, task, grid) : jsBuffers(state, task, grid);
    let t0 = performance.now();
    buffers.fillPlanes();
    const resample = (performance.now() - t0) / 1000;
    t0 = performance.now();
    buffers.runIndices();
    const validPixels = buffers.countValid();
    const indices = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const bits = buffers.conditions();
    const mask = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const { bytes, write } = await writeTiles(state, task, buffers.outs.length, (i, k) => buffers.encode(i, k));
    const encode = (performance.now() - t0 - write) / 1000;
    return { result: { bytes, bits, timings: { resample, indices, mask, encode, write: write / 1000 }, validPixels } };
  } finally {
    scratch.release();
  }
}

/** SHA-256 of an output file, for the state file (off the main thread, which keeps reading strips). */
export interface ChecksumTask {
  type: 'checksum';
  path: string;
}

parentPort!.on('message', async (msg: (ScanSetup | StripTask | PlanesTask | EncodeTask | StatsTask | ChecksumTask | { type: 'release'; key: string }) & { id: number }) => {
  try {
    if (msg.type === 'planes') {
      const result = runPlanes(msg);
      const transfer = [...result.planes.map((p) => p.buffer as ArrayBuffer), ...(result.masked ? [result.masked.buffer as ArrayBuffer] : [])];
      parentPort!.postMessage({ id: msg.id, result }, transfer);
      return;
    }
    if (msg.type === 'encode') {
      parentPort!.postMessage({ id: msg.id, result: await runEncode(msg) });
      return;
    }
    if (msg.type === 'checksum') {
      parentPort!.postMessage({ id: msg.id, result: sha256File(msg.path) });
      return;
    }
    if (msg.type === 'stats') {
      const result = runStats(msg);
      parentPort!.postMessage({ id: msg.id, result }, [result.sums.buffer as ArrayBuffer]);
      return;
    }
    if (msg.type === 'setup') {
      setupScene(msg);
      parentPort!.postMessage({ id: msg.id, result: true });
    } else if (msg.type === 'release') {
      scenes.delete(msg.key);
      parentPort!.postMessage({ id: msg.id, result: true });
    } else {
      const { result } = await runStrip(msg);
      parentPort!.postMessage({ id: msg.id, result });
    }
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
