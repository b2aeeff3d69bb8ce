/**
 * The engine interfaces: what the scan pipeline asks of an engine. Each engine compiles the index table
 * (and the detectors' thresholds) its own way: the CPU engine generates fused typed-array loops and
 * WebAssembly SIMD kernels (engine/cpu/), the TF.js engines build the same formulas from TF.js ops on a
 * device (engine/tfjs/). Nothing about a formula is written twice by hand.
 *
 * Both have one shape: compiled once per scene (`compileCpuScene`, `DeviceEngine.compile`), then asked
 * for one strip task at a time (`CpuSceneKernels.strip`, `DeviceKernels.strip`). The CPU engine runs in
 * the scan's worker threads, from the bands' source windows (it resamples too); a device engine runs on
 * the main thread from planes the workers resampled (Dawn cannot be used from workers).
 */
import type { IndexDef } from '../compute/indices.js';
import type { MorphStep } from '../compute/morphology.js';
import type { Radiometry } from '../compute/radiometry.js';
import type { PlanSpec } from '../compute/resample.js';
import type { BandId } from '../core/bands.js';
import type { SampleWindow } from '../core/types.js';

export type EngineName = 'cpu' | 'webgpu' | 'tensorflow';
export type BackendChoice = 'auto' | EngineName;

export interface IndexKernel {
  /** Index names, in the order of `outs`. */
  readonly names: readonly string[];
  /** Bands, in the order of `planes`. */
  readonly bands: readonly BandId[];
  /**
   * Computes every index for `n` pixels. `planes[i]` holds reflectance of `bands[i]` (NaN = nodata);
   * where `masked[p]` is non-zero, every output is NaN.
   */
  run(planes: readonly Float32Array[], masked: Uint8Array | undefined, outs: readonly Float32Array[], n: number): void;
}

/** A detector's conditions, on kernel output slots (index positions in the kernel's `names`). */
export interface SlotConditions {
  conditions: { slot: number; op: '>' | '>=' | '<' | '<='; value: number }[];
}

/** Per detector: condition bits (every condition holds) and validity bits; rows of ceil(cols / 32) words. */
export interface StripBits {
  raw: Uint32Array[];
  valid: Uint32Array[];
}

/** What the CPU engine compiles for one scene. */
export interface CpuSceneSpec {
  indexNames: string[];
  /** One entry per kernel band, in the kernel's band order (`bandsOfIndices`). */
  bands: { plan: PlanSpec; radiometry: Radiometry }[];
  /** The SCL cloud mask, when the scene has SCL and masking is on. */
  scl: { plan: PlanSpec; maskClasses: number[] } | undefined;
  /** Use the WebAssembly SIMD kernels (false: the JavaScript ones, for comparison or old runtimes). */
  simd: boolean;
  /** Detectors' conditions on index slots, when scan detects candidates. */
  detect: SlotConditions[] | undefined;
}

/** One strip task's input: its window of the full grid, and every band's source window (and SCL's). */
export interface StripInput {
  gridX0: number;
  gridY0: number;
  cols: number;
  rows: number;
  bands: SampleWindow[];
  scl: SampleWindow | undefined;
}

/**
 * A strip task on the CPU engine, step by step (the worker times each step). Its buffers are the
 * engine's: valid until `CpuSceneKernels.release`, after the task's tiles are encoded.
 */
export interface CpuStrip {
  /** One plane per index (rows x cols), filled by `runIndices`. */
  readonly outs: Float32Array[];
  /** Resamples every band into its plane and makes the cloud mask. */
  fillPlanes(): void;
  runIndices(): void;
  /** Pixels of the first index that are not NaN. */
  countValid(): number;
  conditions(): StripBits | undefined;
  /**
   * The float predictor (TIFF predictor 3) applied to a full output tile, by the SIMD kernel; undefined
   * where the tile is partial or the engine has no such kernel (the encoder then predicts it itself).
   */
  predictedTile(index: number, tileColumn: number): Uint8Array | undefined;
  /**
   * Level 1 of index `index`'s overviews over the task's rows, by the SIMD kernel: each 2 x 2 block
   * averaged as GDAL's `average` of an even raster (io/raster/overview.ts averageRow with exact2, bit for
   * bit), for the first `cols` level-1 columns (a multiple of 4, at most cols / 2 of the task; the rest is
   * the caller's) of rows / 2 rows. Absent where the engine has no such kernel (`--no-simd`). A view of the
   * engine's buffers, valid until the next call or the task's end.
   */
  level1?(index: number): Level1Rows;
}

/** Level-1 rows an engine averaged: `rows` rows of `cols` values, `stride` values apart. */
export interface Level1Rows {
  samples: Float32Array;
  rows: number;
  cols: number;
  stride: number;
}

/** The CPU engine's kernels of one scene, in one worker thread. */
export interface CpuSceneKernels {
  readonly indexNames: readonly string[];
  /** A strip task; `tileSize`: the output tiles' size, for the predictor's buffers. */
  strip(input: StripInput, tileSize: number): CpuStrip;
  /** Resampled planes and the cloud mask only (fresh arrays), for a device engine's strip. */
  planes(input: StripInput): { planes: Float32Array[]; masked: Uint8Array | undefined };
  /**
   * Sums then counts of the indices over runs of pixels (4 integers per run: slot or -1 for every index,
   * full-grid row, first and last+1 column), computed at those pixels only.
   */
  stats(input: StripInput, runs: Int32Array): Float64Array;
  /** Ends a task: its scratch buffers go back to the pool. */
  release(): void;
  /**
   * The float predictor of a full `size` x `size` tile read in place from `src` (row r at sample
   * x0 + r * stride) into `into` (size² x 4 bytes), by the SIMD kernel: overview tiles, between tasks.
   * False where the engine has no such kernel (the encoder then predicts it itself).
   */
  predictTile(src: Float32Array, stride: number, x0: number, size: number, into: Uint8Array): boolean;
  /**
   * One row of 2 x 2 averages (an overview level of an even raster, as `CpuStrip.level1` averages) from
   * rows `a` and `b` (2 x out.length values each) into `out`, by the SIMD kernel, between tasks: its first
   * 4·floor(out.length / 4) values; returns how many it made (0 without the kernel: the caller averages
   * the rest).
   */
  averageRow2x2(a: Float32Array, b: Float32Array, out: Float32Array): number;
}

/** The device an engine runs on, as the report and `archeo info --engines` show it. */
export interface DeviceInfo {
  /** e.g. "google swiftshader (SwiftShader driver 5.0.0)", or the CPU model. */
  description: string;
  vendor?: string;
  architecture?: string;
  /** A software implementation (SwiftShader, llvmpipe): works, but slower than the CPU engine. */
  software: boolean;
  /** The device's limits that size the work (bytes). */
  limits?: { maxStorageBufferBindingSize: number; maxBufferSize: number };
}

/** One task of a strip on a device engine: indices, then the detectors' condition and validity bits. */
export interface DeviceStripResult {
  /** One plane per index, rows x cols. */
  outs: Float32Array[];
  bits: StripBits | undefined;
  /** Seconds the task held the device (not counting its wait for earlier tasks). */
  seconds: number;
}

/** A device memory figure: tensors alive, bytes on the device now, the most seen so far. */
export interface DeviceMemory {
  tensors: number;
  bytes: number;
  peakBytes: number;
}

/**
 * An engine that runs on a device through TF.js (webgpu, tensorflow). Its kernels are compiled once per
 * scene (the index table and the detectors' conditions) and then called per task of a strip; results
 * come back as host arrays. Work is queued: one task at a time holds the device.
 */
export interface DeviceEngine {
  readonly name: Exclude<EngineName, 'cpu'>;
  readonly device: DeviceInfo;
  /** The largest plane (bytes) one op may bind on this device: work is cut to fit it. */
  readonly maxPlaneBytes: number;
  compile(
    defs: readonly IndexDef[],
    bands: readonly BandId[],
    detect: readonly SlotConditions[] | undefined,
  ): DeviceKernels;
  /** Erosions and dilations of a 0/1 mask (rows x cols), OpenCV's border rule: the CPU engine's semantics. */
  morphology(mask: Uint8Array, rows: number, cols: number, steps: readonly MorphStep[]): Promise<Uint8Array>;
  memory(): DeviceMemory;
  close(): Promise<void>;
}

export interface DeviceKernels {
  /** `planes` in the kernel's band order (reflectance, NaN = nodata), `masked` non-zero = cloud. */
  strip(
    planes: readonly Float32Array[],
    masked: Uint8Array | undefined,
    rows: number,
    cols: number,
  ): Promise<DeviceStripResult>;
}
