/**
 * The engine interface: what the scan pipeline asks of an engine. Each engine compiles the index table
 * its own way; the CPU engine generates a fused typed-array loop (engine/cpu/compile.ts).
 */
import type { IndexDef } from '../compute/indices.js';
import type { BandId } from '../io/scene/bands.js';

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
