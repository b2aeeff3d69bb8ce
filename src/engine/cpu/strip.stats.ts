/**
 * Candidate statistics on the CPU engine: an index kernel's sums and counts over runs of pixels, with
 * each band computed at those pixels only (sampleRuns: the same arithmetic as the plane kernels) and the
 * indices over the compact planes, so the cost follows the candidates' pixels, not the region around them.
 */
import { sampleRuns, type AxisPlan } from '../../compute/resample.js';
import type { SampleWindow } from '../../core/types.js';
import type { IndexKernel } from '../engine.js';

type Plans = { x: AxisPlan; y: AxisPlan };

/** One of the kernel's bands: its source window, reflectance table and resampling plans. */
export interface BandSource {
  win: SampleWindow;
  lut: Float32Array;
  plan: Plans;
}

/**
 * Per run (4 integers: slot, full-grid row, first and last+1 column), the sums then the counts of the
 * finite values of each of `kernel`'s indices (2 x indices numbers per run). `sources` are the kernel's
 * bands in its order; `scl`, when given, masks pixels (their indices are NaN).
 */
export function sumsOverRuns(
  kernel: IndexKernel,
  sources: readonly BandSource[],
  scl: { win: SampleWindow; lut: Uint8Array; plan: Plans } | undefined,
  runs: Int32Array,
): Float64Array {
  const nRuns = runs.length / 4;
  let P = 0;
  for (let r = 0; r < nRuns; r++) P += runs[4 * r + 3]! - runs[4 * r + 2]!;
  const planes = sources.map(({ win, lut, plan }) => {
    const plane = new Float32Array(P);
    sampleRuns(win.data, win, lut, plan.x, plan.y, runs, plane);
    return plane;
  });
  let masked: Uint8Array | undefined;
  if (scl) {
    masked = new Uint8Array(P);
    const { win, lut } = scl;
    const { x: px, y: py } = scl.plan;
    const pick = (plan: AxisPlan, g: number): number => (plan.kind === 'nearest' ? plan.i0[g]! : g);
    let i = 0;
    for (let r = 0; r < nRuns; r++) {
      const gy = runs[4 * r + 1]!;
      const row = (pick(py, gy) - win.y0) * win.width - win.x0;
      for (let gx = runs[4 * r + 2]!; gx < runs[4 * r + 3]!; gx++) masked[i++] = lut[win.data[row + pick(px, gx)]!]!;
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
