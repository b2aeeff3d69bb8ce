/**
 * The engine interfaces: what the scan pipeline asks of an engine. Each engine compiles the index table
 * (and the detectors' thresholds) its own way: the CPU engine generates fused typed-array loops and
 * WebAssembly SIMD kernels (engine/cpu/), the TF.js engines build the same formulas from TF.js ops on a
 * device (engine/tfjs/). Nothing about a formula is written twice by hand.
 */
import type { IndexDef } from '../compute/indices.js';
import type { MorphStep } from '../compute/morphology.js';
import type { BandId } from '../io/scene/bands.js';
import type { SlotConditions } from './cpu/compile.js';

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

export interface Engine {
  readonly name: 'cpu';
  compileIndices(defs: readonly IndexDef[]): IndexKernel;
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
  /** Per detector: condition bits (every condition holds) and validity bits; rows of ceil(cols / 32) words. */
  bits: { raw: Uint32Array[]; valid: Uint32Array[] } | undefined;
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
  compile(defs: readonly IndexDef[], bands: readonly BandId[], detect: readonly SlotConditions[] | undefined): DeviceKernels;
  /** Erosions and dilations of a 0/1 mask (rows x cols), OpenCV's border rule: the CPU engine's semantics. */
  morphology(mask: Uint8Array, rows: number, cols: number, steps: readonly MorphStep[]): Promise<Uint8Array>;
  memory(): DeviceMemory;
  close(): Promise<void>;
}

export interface DeviceKernels {
  /** `planes` in the kernel's band order (reflectance, NaN = nodata), `masked` non-zero = cloud. */
  strip(planes: readonly Float32Array[], masked: Uint8Array | undefined, rows: number, cols: number): Promise<DeviceStripResult>;
}
