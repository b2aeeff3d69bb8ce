/**
 * `archeo invert`: MintPy's ifgram_inversion (reference/mintpy.md §4). The stack is checked and planned
 * (invert.plan.ts: network, reference, masks, row blocks from --ram); worker threads invert the blocks
 * (compute/timeseries/invert.block.ts) and the rows they return are written here into the three outputs
 * — timeseries.h5, temporalCoherence.h5, numInvIfgram.h5, in MintPy's layout — which live under
 * temporary names until the last block is done.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { Matrix, type SingularValueDecomposition } from 'ml-matrix';
import { InputError, UsageError } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';
import { pythonFloatRepr } from '../../core/python.format.js';
import { independentLooks } from '../../compute/timeseries/weights.js';
import { WorkerPool } from '../../engine/cpu/pool.js';
import { openIfgramStack, type IfgramStack } from '../../io/hdf5/ifgram.reader.js';
import { MintpyWriter } from '../../io/hdf5/mintpy.writer.js';
import { OutputSet } from '../../io/output/staging.js';
import { peakRssMb, recommendations, reportHeader } from '../../io/output/report.js';
import { planInvert, type InvertContext, type InvertPlan } from './invert.plan.js';
import type { InvertBlockReply, InvertSetup, InvertTask } from './invert.worker.js';
import { startRun } from './run.start.js';

export interface InvertResult {
  files: string[];
  report: Record<string, unknown>;
}

/** Pixels by how they were inverted, summed over blocks. */
type PixelCounts = { all: number; partial: number; skipped: number; notInverted: number };

export async function runInvert(ctx: InvertContext): Promise<InvertResult> {
  const { runId, started, t0, metrics, input: stack } = await startRun(() => openIfgramStack(ctx.input, ctx.obsName));
  try {
    const plan = await planInvert(ctx, stack);
    const paths = ctx.outputs.map((o) => (isAbsolute(o) || o.includes('/') ? o : join(ctx.outDir, o))) as [
      string,
      string,
      string,
    ];
    for (const p of paths)
      if (resolve(p) === resolve(ctx.input)) throw new UsageError(`-o ${p}: would overwrite the input file`);
    const counts: PixelCounts = { all: 0, partial: 0, skipped: 0, notInverted: 0 };
    // The three files and report.json are staged in one folder and moved into place as a set at the end
    // (io/output/staging.ts): a run killed mid-way leaves neither a mix of old and new files nor temporaries.
    const set = await OutputSet.open(ctx.outDir);
    try {
      const staged = (await Promise.all(paths.map((p) => set.stage(p)))) as [string, string, string];
      const writers = await createWriters(ctx, stack, plan, staged, paths);
      let workers: number;
      try {
        workers = await invertBlocks(ctx, stack, plan, writers, counts, metrics);
        for (const w of writers) await w.commit();
      } catch (err) {
        for (const w of writers) await w.abort();
        throw err;
      }
      const wall = (performance.now() - t0) / 1000;
      const files = await set.sizes(paths);
      const report = await invertReport(ctx, stack, plan, { runId, started, wall, workers, counts, metrics, files });
      await set.writeJson(join(ctx.outDir, 'report.json'), report);
      await set.commit();
      return { files: paths, report };
    } catch (err) {
      await set.abort();
      throw err;
    }
  } finally {
    stack.close();
  }
}

/** The three outputs in MintPy's layout, under temporary names. */
async function createWriters(
  ctx: InvertContext,
  stack: IfgramStack,
  plan: InvertPlan,
  paths: [string, string, string],
  shownAs: [string, string, string],
): Promise<MintpyWriter[]> {
  const { length: L, width: W } = stack;
  const dates = plan.design.dates;
  const meta = outputAttributes(ctx, stack, plan.kept.length);
  const bperp = timeseriesBperp(
    plan.svdA,
    plan.kept.map((i) => stack.bperp[i]!),
  );
  const writers: MintpyWriter[] = [];
  try {
    writers.push(
      await MintpyWriter.create(
        paths[0],
        { ...meta, FILE_TYPE: 'timeseries', UNIT: 'm', REF_DATE: dates[0]! },
        [
          { name: 'date', shape: [dates.length], strings: dates },
          { name: 'bperp', shape: [dates.length], values: bperp },
          { name: 'timeseries', shape: [dates.length, L, W] },
        ],
        shownAs[0],
      ),
    );
    writers.push(
      await MintpyWriter.create(
        paths[1],
        { ...meta, FILE_TYPE: 'temporalCoherence', UNIT: '1' },
        [{ name: 'temporalCoherence', shape: [L, W] }],
        shownAs[1],
      ),
    );
    writers.push(
      await MintpyWriter.create(
        paths[2],
        { ...meta, FILE_TYPE: 'mask', UNIT: '1' },
        [{ name: 'mask', shape: [L, W] }],
        shownAs[2],
      ),
    );
  } catch (err) {
    for (const w of writers) await w.abort();
    throw err;
  }
  return writers;
}

/**
 * Worker threads, each with its own h5wasm and file handle, read and invert whole blocks; the rows they
 * send back are written here as they arrive. Returns the number of workers.
 */
async function invertBlocks(
  ctx: InvertContext,
  stack: IfgramStack,
  plan: InvertPlan,
  writers: MintpyWriter[],
  counts: PixelCounts,
  metrics: Metrics,
): Promise<number> {
  const W = stack.width;
  const { kept, blocks, ref } = plan;
  const pool = new WorkerPool(new URL('./invert.worker.js', import.meta.url), Math.min(plan.threads, blocks.length));
  try {
    await pool.broadcast({
      type: 'setup',
      path: ctx.input,
      obsName: ctx.obsName,
      kept,
      pairs: kept.map((i) => stack.pairs[i]!),
      refPhase: plan.refPhase,
      pixelMask: plan.pixelMask ?? null,
      mask: ctx.mask,
      weight: ctx.weight,
      looks: independentLooks(stack.attrs),
      minNormVelocity: ctx.minNormVelocity,
      minRedundancy: ctx.minRedundancy,
      phase2range: plan.phase2range,
    } satisfies InvertSetup);
    let done = 0;
    await Promise.all(
      blocks.map(async ([y0, y1]) => {
        let result: InvertBlockReply;
        try {
          result = await pool.run<InvertBlockReply>({ type: 'block', y0, y1 } satisfies InvertTask);
        } catch (err) {
          const text = (err as Error).message;
          throw new InputError(ctx.input, text.startsWith(`${ctx.input}: `) ? text.slice(ctx.input.length + 2) : text);
        }
        metrics.add('read', result.readSeconds, { bytes: result.bytes });
        metrics.add('invert', result.invertSeconds, { pixels: (y1 - y0) * W });
        for (const k of Object.keys(counts) as (keyof PixelCounts)[]) counts[k] += result.counts[k];
        const tw = performance.now();
        // The reference pixel: temporal coherence 1 and every pair counted (MintPy sets them at the end).
        if (ref && ref[0] >= y0 && ref[0] < y1) {
          const j = (ref[0] - y0) * W + ref[1];
          result.tcoh[j] = 1;
          result.nobs[j] = kept.length;
        }
        writers[0]!.writeRows('timeseries', y0, y1 - y0, result.ts);
        writers[1]!.writeRows('temporalCoherence', y0, y1 - y0, result.tcoh);
        writers[2]!.writeRows('mask', y0, y1 - y0, result.nobs);
        metrics.add('write', (performance.now() - tw) / 1000);
        ctx.logger.debug('Invert:Block', { y0, y1, read_s: result.readSeconds, invert_s: result.invertSeconds });
        ctx.onProgress?.('invert', ++done, blocks.length);
      }),
    );
    return pool.size;
  } finally {
    await pool.close();
  }
}

/** report.json of an invert run. */
async function invertReport(
  ctx: InvertContext,
  stack: IfgramStack,
  plan: InvertPlan,
  run: {
    runId: string;
    started: Date;
    wall: number;
    workers: number;
    counts: PixelCounts;
    metrics: Metrics;
    files: { path: string; bytes: number }[];
  },
): Promise<Record<string, unknown>> {
  const { length: L, width: W } = stack;
  const { counts, wall } = run;
  const stages = run.metrics.toJSON();
  const peak = peakRssMb();
  const files = run.files;
  return {
    ...reportHeader('invert', run.runId, run.started, wall),
    engine: { name: 'cpu', threads: run.workers, kernels: 'javascript' },
    input: {
      path: ctx.input,
      pairs: stack.pairs.length,
      pairs_used: plan.kept.length,
      dates: plan.design.dates.length,
      length: L,
      width: W,
      bytes: (await stat(ctx.input)).size,
    },
    parameters: {
      dataset: ctx.obsName,
      weight: ctx.weight,
      min_norm: ctx.minNormVelocity ? 'velocity' : 'phase',
      mask: ctx.mask ?? null,
      min_redundancy: ctx.minRedundancy,
      water_mask: ctx.waterMask ?? null,
      skip_ref: ctx.skipRef,
    },
    network: { rank: plan.rank, unknowns: plan.design.unknowns, bandwidth: plan.solver.bw + 1 },
    blocks: { count: plan.blocks.length, rows: plan.rows, ram_gb: ctx.ramGb },
    pixels: {
      total: L * W,
      solved_together: counts.all,
      solved_alone: L * W - counts.all - counts.skipped,
      partial: counts.partial,
      skipped: counts.skipped,
      not_inverted: counts.notInverted,
    },
    stages,
    throughput: { pixels_per_s: Math.round((L * W) / wall) },
    outputs: { files },
    peak_rss_mb: peak,
    warnings: plan.warnings,
    recommendations: recommendations({
      stages,
      peakRssMb: peak,
      advice: {
        invert: '-w no solves pixels valid in every pair together (much faster than weighted)',
        memory: 'lower --ram',
        calls: 'raise --ram for fewer, larger blocks',
      },
    }),
  };
}

/** The root attributes of the outputs: the stack's, START/END_DATE of all its pairs, MintPy's config keys. */
function outputAttributes(ctx: InvertContext, stack: IfgramStack, used: number): Record<string, string> {
  const all = [...new Set(stack.pairs.flat())].sort();
  const meta: Record<string, string> = { ...stack.attrs, START_DATE: all[0]!, END_DATE: all[all.length - 1]! };
  const prefix = 'mintpy.networkInversion.';
  meta[`${prefix}obsDatasetName`] = ctx.obsName;
  meta[`${prefix}numIfgram`] = String(used);
  meta[`${prefix}weightFunc`] = ctx.weight;
  meta[`${prefix}maskDataset`] = ctx.mask?.dataset ?? 'None';
  meta[`${prefix}maskThreshold`] = pythonFloatRepr(ctx.maskThreshold);
  meta[`${prefix}minRedundancy`] = pythonFloatRepr(ctx.minRedundancy);
  meta[`${prefix}minNormVelocity`] = ctx.minNormVelocity ? 'True' : 'False';
  return meta;
}

/** Perpendicular baseline of each date: 0 at the first, then the least-squares solution of A x = bperp. */
function timeseriesBperp(svdA: SingularValueDecomposition, pairBperp: number[]): Float32Array {
  const x = svdA.solve(Matrix.columnVector(pairBperp));
  return Float32Array.from({ length: x.rows + 1 }, (_, i) => (i === 0 ? 0 : x.get(i - 1, 0)));
}
