/**
 * Worker thread of `archeo rms`: each opens the time series with its own h5wasm and handles whole row
 * blocks — reading them, then accumulating the ramps' normal equations (pass 1) or the deramped sums of
 * squares (pass 2) — and sends back only the small per-date sums. Two cores read and compute at once.
 */
import { parentPort } from 'node:worker_threads';
import { DerampedRms, RampNormals, type RampType } from '../../compute/timeseries/ramp.js';
import type { RmsRowKernels } from '../../compute/timeseries/kernels.js';
import { rmsRowKernels } from '../../engine/cpu/timeseries.kernels.js';
import { openTimeseries, readMask, type TimeseriesFile } from '../../io/hdf5/mintpy.reader.js';

export interface RmsSetup {
  type: 'setup';
  path: string;
  maskFile: string | undefined;
  ramp: RampType | 'no';
  /** WebAssembly SIMD row loops (false: JavaScript). */
  simd: boolean;
}

export interface RmsNormalsTask {
  type: 'normals';
  y0: number;
  y1: number;
}

export interface RmsSumsTask {
  type: 'rms';
  y0: number;
  y1: number;
  /** Ramp coefficients per date (null: none fitted), in RampNormals' scaled coordinates. */
  coef: (number[] | null)[];
  /** Float32 ramp value at the reference pixel, per date. */
  refs: number[];
}

let ts: TimeseriesFile | undefined;
let mask: Uint8Array | undefined;
let rampType: RampType | 'no' = 'no';
let kernels: RmsRowKernels | undefined;

async function setup(msg: RmsSetup): Promise<void> {
  ts?.close();
  ts = await openTimeseries(msg.path);
  mask = msg.maskFile ? await readMask(msg.maskFile, ts.length, ts.width) : undefined;
  rampType = msg.ramp;
  kernels = rmsRowKernels(ts.width, msg.simd);
}

function normals(task: RmsNormalsTask): Float64Array {
  const t = ts!;
  const n = t.dates.length;
  const acc = new RampNormals(rampType as RampType, n, t.length, t.width, kernels);
  const data = t.cube.readRows(task.y0, task.y1);
  const npix = (task.y1 - task.y0) * t.width;
  const maskRows = mask?.subarray(task.y0 * t.width, task.y1 * t.width);
  for (let i = 0; i < n; i++) acc.add(i, data.subarray(i * npix, (i + 1) * npix), task.y0, task.y1 - task.y0, maskRows);
  return acc.sums();
}

function sums(task: RmsSumsTask): Float64Array {
  const t = ts!;
  const n = t.dates.length;
  const geometry = rampType === 'no' ? undefined : new RampNormals(rampType, 1, t.length, t.width);
  const acc = new DerampedRms(n, kernels);
  const data = t.cube.readRows(task.y0, task.y1);
  const npix = (task.y1 - task.y0) * t.width;
  const maskRows = mask?.subarray(task.y0 * t.width, task.y1 * t.width);
  for (let i = 0; i < n; i++) {
    const c = task.coef[i];
    const ramp =
      geometry && c
        ? { row: (y: number) => geometry.rowPolynomial(Float64Array.from(c), y), ref: task.refs[i]! }
        : undefined;
    acc.add(i, data.subarray(i * npix, (i + 1) * npix), task.y0, task.y1 - task.y0, t.width, maskRows, ramp);
  }
  const out = new Float64Array(2 * n);
  out.set(acc.sum, 0);
  out.set(acc.count, n);
  return out;
}

parentPort!.on('message', async (msg: (RmsSetup | RmsNormalsTask | RmsSumsTask) & { id: number }) => {
  try {
    if (msg.type === 'setup') {
      await setup(msg);
      parentPort!.postMessage({ id: msg.id, result: true });
      return;
    }
    const t0 = performance.now();
    const result = msg.type === 'normals' ? normals(msg) : sums(msg);
    parentPort!.postMessage({ id: msg.id, result: { sums: result, seconds: (performance.now() - t0) / 1000 } }, [
      result.buffer as ArrayBuffer,
    ]);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
