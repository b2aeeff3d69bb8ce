/**
 * The per-pixel kernels the time-series fits need, declared here and implemented by the CPU engine
 * (engine/cpu/: generated JavaScript and WebAssembly SIMD, the same bits): compute says what a kernel
 * computes, the pipeline picks an implementation (engine/cpu/timeseries.kernels.ts) and hands it in.
 */

/**
 * The per-pixel sums of a least-squares fit, b = Gᵀd over the valid dates (NaN dates skipped), for a run
 * of `len` pixels starting at `j0`. For each pixel t of the run, over the dates i (plane offsets
 * `offs[i]`), with C = `Pt` the coefficients (row-major dates x p; G itself for b = Gᵀd):
 *   acc_k[t] = Σ_i C[i·p + k] · d_i   (valid d only)     k = 0..p-1
 *   ss[t] = Σ d_i²,  sum[t] = Σ d_i,  nan[t] = #NaN dates
 */
export type AccumulateKernel = (
  data: Float32Array,
  offs: Int32Array,
  j0: number,
  len: number,
  Pt: Float64Array,
  acc: Float64Array[],
  ss: Float64Array,
  sum: Float64Array,
  nan: Uint16Array,
) => void;

/**
 * Pixels per run of the accumulation kernel (the most `len` may be): the run's accumulators stay in
 * L1/L2 while every date streams past.
 */
export const ACCUMULATE_RUN = 512;

/** One row's sums for a ramp's normal equations (u = x / width). */
export interface RowSums {
  /** Σd, Σu·d, Σu²·d. */
  d: [number, number, number];
  /** Σu^q, q = 0..4 (q = 0: the count). */
  u: [number, number, number, number, number];
  /** Σd² over the same pixels. */
  dd: number;
  /** Pixels that are not NaN, zeros included (the RMS's count). */
  all: number;
}

/** Row loops of `archeo rms`; without them, compute/timeseries/ramp.ts runs its own JavaScript loops. */
export interface RmsRowKernels {
  /** The sums of the ramp's normal equations over the valid pixels of `row` (NaN where masked). */
  sums(row: Float32Array): RowSums;
  /** Σ deramped² and the count over the non-NaN pixels of `row`, for the row's ramp a·u² + b·u + c. */
  squares(row: Float32Array, a: number, b: number, c: number, ref: number): [number, number];
}
