/**
 * Worker thread of `archeo invert`: each opens the stack with its own h5wasm and handles whole row
 * blocks — reading them and inverting every pixel (compute/timeseries/invert.block.ts) — and sends back
 * the block's rows of the three outputs. Two cores read and invert at once.
 */
import { parentPort } from 'node:worker_threads';
import { invertBlock } from '../../compute/timeseries/invert.block.js';
import { NetworkSolver, type SharedSystem } from '../../compute/timeseries/network.js';
import { networkDesign } from '../../compute/timeseries/network.design.js';
import { CoherenceWeights, type WeightFunction } from '../../compute/timeseries/weights.js';
import type { H5Cube } from '../../io/hdf5/cube.js';
import { openIfgramStack, type IfgramStack } from '../../io/hdf5/ifgram.reader.js';

export interface InvertSetup {
  type: 'setup';
  path: string;
  obsName: string;
  /** File indices of the pairs used, and their dates. */
  kept: number[];
  pairs: [string, string][];
  refPhase: Float64Array;
  /** Pixel mask of the whole grid (0 = skip), or null. */
  pixelMask: Uint8Array | null;
  mask?: { dataset: 'coherence' | 'connectComponent'; threshold: number };
  weight: WeightFunction;
  looks: number;
  minNormVelocity: boolean;
  minRedundancy: number;
  phase2range: number;
}

export interface InvertTask {
  type: 'block';
  y0: number;
  y1: number;
}

export interface InvertBlockReply {
  ts: Float32Array;
  tcoh: Float32Array;
  nobs: Float32Array;
  counts: { all: number; partial: number; skipped: number; notInverted: number };
  readSeconds: number;
  invertSeconds: number;
  bytes: number;
}

let state:
  | {
      setup: InvertSetup;
      stack: IfgramStack;
      obs: H5Cube;
      coh?: H5Cube;
      cc?: H5Cube;
      solver: NetworkSolver;
      shared: SharedSystem | null | undefined;
      weights?: CoherenceWeights;
    }
  | undefined;

async function setup(msg: InvertSetup): Promise<void> {
  state?.stack.close();
  const stack = await openIfgramStack(msg.path, msg.obsName);
  const solver = new NetworkSolver(networkDesign(msg.pairs), {
    minNormVelocity: msg.minNormVelocity,
    minRedundancy: msg.minRedundancy,
  });
  state = {
    setup: msg,
    stack,
    obs: await stack.cube(msg.obsName),
    coh: msg.weight !== 'no' || msg.mask?.dataset === 'coherence' ? await stack.cube('coherence') : undefined,
    cc: msg.mask?.dataset === 'connectComponent' ? await stack.cube('connectComponent', true) : undefined,
    solver,
    // Pixels valid in every pair share one factored system when unweighted.
    shared: msg.weight === 'no' ? solver.shared() : undefined,
    weights: msg.weight === 'no' ? undefined : new CoherenceWeights(msg.weight, msg.looks),
  };
}

function block(task: InvertTask): InvertBlockReply {
  const s = state!;
  const W = s.stack.width;
  const tr = performance.now();
  s.obs.readRows(task.y0, task.y1);
  s.coh?.readRows(task.y0, task.y1);
  s.cc?.readRowsAny(task.y0, task.y1);
  // Views after the last heap operation (H5Cube.view).
  const phase = s.obs.view();
  const coherence = s.coh?.view();
  const components = s.cc?.viewAny();
  const readSeconds = (performance.now() - tr) / 1000;
  const ti = performance.now();
  const result = invertBlock(s.solver, s.shared, {
    phase,
    coherence,
    components,
    npix: (task.y1 - task.y0) * W,
    kept: s.setup.kept,
    refPhase: s.setup.refPhase,
    pixelMask: s.setup.pixelMask?.subarray(task.y0 * W, task.y1 * W),
    mask: s.setup.mask,
    weights: s.weights,
    phase2range: s.setup.phase2range,
  });
  const bytes = phase.byteLength + (coherence?.byteLength ?? 0) + (components?.byteLength ?? 0);
  return { ...result, readSeconds, invertSeconds: (performance.now() - ti) / 1000, bytes };
}

parentPort!.on('message', async (msg: (InvertSetup | InvertTask) & { id: number }) => {
  try {
    if (msg.type === 'setup') {
      await setup(msg);
      parentPort!.postMessage({ id: msg.id, result: true });
      return;
    }
    const r = block(msg);
    parentPort!.postMessage({ id: msg.id, result: r }, [
      r.ts.buffer as ArrayBuffer,
      r.tcoh.buffer as ArrayBuffer,
      r.nobs.buffer as ArrayBuffer,
    ]);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
