/**
 * The CPU engine's implementations of compute/timeseries/kernels.ts, chosen in one place: WebAssembly
 * SIMD where asked for and available (Node 16.4+), else the generated JavaScript (same bits).
 */
import type { AccumulateKernel, RmsRowKernels } from '../../compute/timeseries/kernels.js';
import { compileAccumulateKernel } from './lsq.js';
import { compileWasmAccumulateKernel } from './wasm.lsq.js';
import { compileRmsKernels } from './wasm.rms.js';

/** The accumulation kernel for `p` parameters over `n` dates (compile once per run). */
export function accumulateKernel(p: number, n: number, simd: boolean): AccumulateKernel {
  return simd ? compileWasmAccumulateKernel(p, n) : compileAccumulateKernel(p);
}

/** Row loops for rows of `width` pixels; undefined: ramp.ts's JavaScript loops. */
export function rmsRowKernels(width: number, simd: boolean): RmsRowKernels | undefined {
  return simd ? compileRmsKernels(width) : undefined;
}
