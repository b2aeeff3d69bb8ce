/**
 * `archeo invert`: MintPy's ifgram_inversion (reference/mintpy.md §4). The stack is read in row blocks
 * sized from --ram; each block is inverted (compute/timeseries/invert.block.ts) and its rows of the
 * three outputs — timeseries.h5, temporalCoherence.h5, numInvIfgram.h5, in MintPy's layout — are written
 * before the next block is read. The outputs live under temporary names until the last block is done.
 */
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { InputError, UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { pythonFloatRepr } from '../../core/python.format.js';
import { NetworkSolver } from '../../compute/timeseries/network.js';
import { denseRows, networkDesign } from '../../compute/timeseries/network.design.js';
import { independentLooks, type WeightFunction } from '../../compute/timeseries/weights.js';
import { WorkerPool } from '../../engine/cpu/pool.js';
import { openIfgramStack, type IfgramStack } from '../../io/hdf5/ifgram.reader.js';
import { readMask } from '../../io/hdf5/mintpy.reader.js';
import { MintpyWriter } from '../../io/hdf5/mintpy.writer.js';
import { writeJsonAtomic } from '../../io/output/atomic.js';
import { peakRssMb, recommendations, reportHeader } from '../../io/output/report.js';
import type { InvertBlockReply, InvertSetup, InvertTask } from './invert.worker.js';
import { rowsPerBlock } from './row.blocks.js';
import { startRun } from './run.start.js';

export interface InvertContext {
  input: string;
  outDir: string;
  /** Output names: time series, temporal coherence, number of pairs used. */
  outputs: [string, string, string];
  /** Observation dataset (unwrapPhase, or a corrected variant). */
  obsName: string;
  weight: WeightFunction;
  minNormVelocity: boolean;
  mask?: { dataset: 'coherence' | 'connectComponent'; threshold: number };
  maskThreshold: number;
  minRedundancy: number;
  waterMask?: string;
  skipRef: boolean;
  ramGb: number;
  /** Worker threads (each reads and inverts whole blocks). */
  threads: number;
  logger: Logger;
  onProgress?: (label: string, done: number, total: number) => void;
}

export interface InvertResult {
  files: string[];
  report: Record<string, unknown>;
}

export async function runInvert(ctx: InvertContext): Promise<InvertResult> {
  const { runId, started, t0, metrics, input: stack } = await startRun(() => openIfgramStack(ctx.input, ctx.obsName));
  try {
    const { length: L, width: W } = stack;
    const kept = stack.keep.flatMap((k, i) => (k ? [i] : []));
    if (kept.length === 0) throw new InputError(ctx.input, 'every interferogram is dropped (dropIfgram is False everywhere)');
    const design = networkDesign(kept.map((i) => stack.pairs[i]!));
    const solver = new NetworkSolver(design, { minNormVelocity: ctx.minNormVelocity, minRedundancy: ctx.minRedundancy });
    const warnings: string[] = [];
    // One SVD of A: its rank (is the network connected?) and the dates' perpendicular baselines.
    const svdA = new SingularValueDecomposition(denseRows(design.rowsA, design.unknowns), { autoTranspose: true });
    const rank = svdA.rank;
    if (rank < design.unknowns) {
      warnings.push(`the network is not fully connected (rank ${rank} of ${design.unknowns}): the minimum-norm solution joins its parts, as MintPy's SVD does`);
      ctx.logger.warn('Invert:Network', { rank, unknowns: design.unknowns }, warnings[warnings.length - 1]!);
    }

    // Reference phase: the value of every kept pair at REF_Y/REF_X (MintPy reads it from the observations).
    const obsCube = await stack.cube(ctx.obsName);
    const refPhase = new Float64Array(kept.length);
    let ref: [number, number] | undefined;
    if (!ctx.skipRef) {
      const [ry, rx] = [stack.attrs['REF_Y'], stack.attrs['REF_X']];
      if (ry === undefined || rx === undefined) throw new InputError(ctx.input, 'no REF_Y/REF_X attributes: the phases are not referenced (choose a reference pixel, or --skip-ref)');
      ref = [Math.trunc(Number(ry)), Math.trunc(Number(rx))];
      if (!(ref[0] >= 0 && ref[0] < L && ref[1] >= 0 && ref[1] < W)) throw new InputError(ctx.input, `REF_Y/REF_X (${ry}, ${rx}) is outside the ${L} x ${W} grid`);
      const all = obsCube.readPixel(ref[0], ref[1]);
      kept.forEach((i, k) => (refPhase[k] = all[i]!));
    }

    const needCoherence = ctx.weight !== 'no' || ctx.mask?.dataset === 'coherence';
    for (const [need, name] of [[needCoherence, 'coherence'], [ctx.mask?.dataset === 'connectComponent', 'connectComponent']] as const) {
      if (need && !stack.cubes.includes(name)) throw new InputError(ctx.input, `no '${name}' dataset, needed for ${name === 'coherence' && ctx.weight !== 'no' ? `-w ${ctx.weight}` : `--mask-dset ${name}`}`);
    }
    const phase2range = (-1 * Number(stack.attrs['WAVELENGTH'])) / (4 * Math.PI);
    if (!Number.isFinite(phase2range)) throw new InputError(ctx.input, 'no WAVELENGTH attribute: phase cannot be converted to metres');
    const pixelMask = await pixelMaskOf(ctx, stack, warnings);

    const ccCube = ctx.mask?.dataset === 'connectComponent' ? await stack.cube('connectComponent', true) : undefined;
    const m = stack.pairs.length;
    const nDates = design.dates.length;
    const rowBytes = W * (m * 4 + (needCoherence ? m * 4 : 0) + (ccCube ? m * ccCube.sampleBytes : 0) + nDates * 4 + 8 + 1);
    const threads = Math.max(1, ctx.threads);
    // Each worker holds one block (and the next is read while the others invert).
    const rows = rowsPerBlock({
      rowBytes,
      rowLabel: `${W} pixels x ${m} interferograms`,
      ramGb: ctx.ramGb,
      shares: threads,
      totalRows: L,
      chunkRows: obsCube.chunks?.[1] ?? 1,
    });

    await mkdir(ctx.outDir, { recursive: true });
    const paths = ctx.outputs.map((o) => (isAbsolute(o) || o.includes('/') ? o : join(ctx.outDir, o))) as [string, string, string];
    for (const p of paths) if (resolve(p) === resolve(ctx.input)) throw new UsageError(`-o ${p}: would overwrite the input file`);
    const meta = outputAttributes(ctx, stack, kept.length);
    const bperp = timeseriesBperp(svdA, kept.map((i) => stack.bperp[i]!));
    const writers: MintpyWriter[] = [];
    const counts = { all: 0, partial: 0, skipped: 0, notInverted: 0 };
    let workers = 0;
    try {
      writers.push(
        await MintpyWriter.create(paths[0], { ...meta, FILE_TYPE: 'timeseries', UNIT: 'm', REF_DATE: design.dates[0]! }, [
          { name: 'date', shape: [nDates], strings: design.dates },
          { name: 'bperp', shape: [nDates], values: bperp },
          { name: 'timeseries', shape: [nDates, L, W] },
        ]),
      );
      writers.push(await MintpyWriter.create(paths[1], { ...meta, FILE_TYPE: 'temporalCoherence', UNIT: '1' }, [{ name: 'temporalCoherence', shape: [L, W] }]));
      writers.push(await MintpyWriter.create(paths[2], { ...meta, FILE_TYPE: 'mask', UNIT: '1' }, [{ name: 'mask', shape: [L, W] }]));
      const blocks: [number, number][] = [];
      for (let y0 = 0; y0 < L; y0 += rows) blocks.push([y0, Math.min(L, y0 + rows)]);
      // Worker threads, each with its own h5wasm and file handle, read and invert whole blocks; the
      // rows they send back are written here as they arrive.
      const pool = new WorkerPool(new URL('./invert.worker.js', import.meta.url), Math.min(threads, blocks.length));
      workers = pool.size;
      try {
        await pool.broadcast({
          type: 'setup',
          path: ctx.input,
          obsName: ctx.obsName,
          kept,
          pairs: kept.map((i) => stack.pairs[i]!),
          refPhase,
          pixelMask: pixelMask ?? null,
          mask: ctx.mask,
          weight: ctx.weight,
          looks: independentLooks(stack.attrs),
          minNormVelocity: ctx.minNormVelocity,
          minRedundancy: ctx.minRedundancy,
          phase2range,
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
            for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += result.counts[k];
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
      } finally {
        await pool.close();
      }
      for (const w of writers) await w.commit();
    } catch (err) {
      for (const w of writers) await w.abort();
      throw err;
    }

    const wall = (performance.now() - t0) / 1000;
    const stages = metrics.toJSON();
    const peak = peakRssMb();
    const files = await Promise.all(paths.map(async (path) => ({ path, bytes: (await stat(path)).size })));
    const report = {
      ...reportHeader('invert', runId, started, wall),
      engine: { name: 'cpu', threads: workers, kernels: 'javascript' },
      input: { path: ctx.input, pairs: m, pairs_used: kept.length, dates: nDates, length: L, width: W, bytes: (await stat(ctx.input)).size },
      parameters: {
        dataset: ctx.obsName,
        weight: ctx.weight,
        min_norm: ctx.minNormVelocity ? 'velocity' : 'phase',
        mask: ctx.mask ?? null,
        min_redundancy: ctx.minRedundancy,
        water_mask: ctx.waterMask ?? null,
        skip_ref: ctx.skipRef,
      },
      network: { rank, unknowns: design.unknowns, bandwidth: solver.bw + 1 },
      blocks: { count: Math.ceil(L / rows), rows, ram_gb: ctx.ramGb },
      pixels: { total: L * W, solved_together: counts.all, solved_alone: L * W - counts.all - counts.skipped, partial: counts.partial, skipped: counts.skipped, not_inverted: counts.notInverted },
      stages,
      throughput: { pixels_per_s: Math.round((L * W) / wall) },
      outputs: { files },
      peak_rss_mb: peak,
      warnings,
      recommendations: recommendations({ stages, peakRssMb: peak, advice: { invert: '-w no solves pixels valid in every pair together (much faster than weighted)', memory: 'lower --ram', calls: 'raise --ram for fewer, larger blocks' } }),
    };
    await writeJsonAtomic(join(ctx.outDir, 'report.json'), report);
    return { files: paths, report };
  } finally {
    stack.close();
  }
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

/**
 * Pixels to invert at all: the water mask (-m; 0 = water), and MintPy's ../avgSpatialCoh.h5 next to the
 * stack's folder when it exists with the stack's size (0 = skip). Undefined when neither applies.
 */
async function pixelMaskOf(ctx: InvertContext, stack: IfgramStack, warnings: string[]): Promise<Uint8Array | undefined> {
  let mask: Uint8Array | undefined;
  const combine = (m: Uint8Array): void => {
    if (!mask) mask = m;
    else for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! & m[i]!;
  };
  if (ctx.waterMask) {
    if (existsSync(ctx.waterMask)) combine(await readMask(ctx.waterMask, stack.length, stack.width, 'the interferogram stack'));
    else warnings.push(`water mask ${ctx.waterMask} not found: every pixel is inverted (as MintPy)`);
  }
  const avg = join(dirname(resolve(ctx.input)), '..', 'avgSpatialCoh.h5');
  if (existsSync(avg)) {
    try {
      combine(await readMask(avg, stack.length, stack.width));
    } catch {
      // a file of another size: MintPy ignores it too
    }
  }
  return mask;
}
