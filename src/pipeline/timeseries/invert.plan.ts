/**
 * What `archeo invert` settles before reading a block: the kept pairs and their network (design, solver,
 * rank from one SVD of A), the reference phase at REF_Y/REF_X, the datasets the weights and masks need,
 * the phase-to-metres factor, the pixel mask, and row blocks sized from --ram. Every input fault is found
 * here, before an output file exists.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SingularValueDecomposition } from 'ml-matrix';
import { InputError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { NetworkSolver } from '../../compute/timeseries/network.js';
import { denseRows, networkDesign, type NetworkDesign } from '../../compute/timeseries/network.design.js';
import type { WeightFunction } from '../../compute/timeseries/weights.js';
import type { IfgramStack } from '../../io/hdf5/ifgram.reader.js';
import { readMask } from '../../io/hdf5/mintpy.reader.js';
import { rowsPerBlock } from './row.blocks.js';

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

export interface InvertPlan {
  /** Indices of the pairs kept (dropIfgram true), in the stack's order. */
  kept: number[];
  design: NetworkDesign;
  solver: NetworkSolver;
  /** One SVD of A: the network's rank, and the dates' perpendicular baselines. */
  svdA: SingularValueDecomposition;
  rank: number;
  /** Each kept pair's phase at the reference pixel (zeros with --skip-ref). */
  refPhase: Float64Array;
  /** The reference pixel (row, column), unless --skip-ref. */
  ref: [number, number] | undefined;
  /** Phase (radians) to range change (metres): −λ / 4π. */
  phase2range: number;
  /** Pixels to invert at all (0 = skip), or undefined for every pixel. */
  pixelMask: Uint8Array | undefined;
  /** Rows per block, and the blocks [y0, y1). */
  rows: number;
  blocks: [number, number][];
  /** Worker threads (at most one per block). */
  threads: number;
  warnings: string[];
}

export async function planInvert(ctx: InvertContext, stack: IfgramStack): Promise<InvertPlan> {
  const { length: L, width: W } = stack;
  const kept = stack.keep.flatMap((k, i) => (k ? [i] : []));
  if (kept.length === 0)
    throw new InputError(ctx.input, 'every interferogram is dropped (dropIfgram is False everywhere)');
  const design = networkDesign(kept.map((i) => stack.pairs[i]!));
  const solver = new NetworkSolver(design, { minNormVelocity: ctx.minNormVelocity, minRedundancy: ctx.minRedundancy });
  const warnings: string[] = [];
  const svdA = new SingularValueDecomposition(denseRows(design.rowsA, design.unknowns), { autoTranspose: true });
  const rank = svdA.rank;
  if (rank < design.unknowns) {
    warnings.push(
      `the network is not fully connected (rank ${rank} of ${design.unknowns}): the minimum-norm solution joins its parts, as MintPy's SVD does`,
    );
    ctx.logger.warn('Invert:Network', { rank, unknowns: design.unknowns }, warnings[warnings.length - 1]!);
  }

  // Reference phase: the value of every kept pair at REF_Y/REF_X (MintPy reads it from the observations).
  const obsCube = await stack.cube(ctx.obsName);
  const refPhase = new Float64Array(kept.length);
  let ref: [number, number] | undefined;
  if (!ctx.skipRef) {
    const [ry, rx] = [stack.attrs['REF_Y'], stack.attrs['REF_X']];
    if (ry === undefined || rx === undefined) {
      throw new InputError(
        ctx.input,
        'no REF_Y/REF_X attributes: the phases are not referenced (choose a reference pixel, or --skip-ref)',
      );
    }
    ref = [Math.trunc(Number(ry)), Math.trunc(Number(rx))];
    if (!(ref[0] >= 0 && ref[0] < L && ref[1] >= 0 && ref[1] < W)) {
      throw new InputError(ctx.input, `REF_Y/REF_X (${ry}, ${rx}) is outside the ${L} x ${W} grid`);
    }
    const all = obsCube.readPixel(ref[0], ref[1]);
    kept.forEach((i, k) => (refPhase[k] = all[i]!));
  }

  const needCoherence = ctx.weight !== 'no' || ctx.mask?.dataset === 'coherence';
  const needComponents = ctx.mask?.dataset === 'connectComponent';
  for (const [need, name] of [
    [needCoherence, 'coherence'],
    [needComponents, 'connectComponent'],
  ] as const) {
    if (need && !stack.cubes.includes(name)) {
      const by = name === 'coherence' && ctx.weight !== 'no' ? `-w ${ctx.weight}` : `--mask-dset ${name}`;
      throw new InputError(ctx.input, `no '${name}' dataset, needed for ${by}`);
    }
  }
  const phase2range = (-1 * Number(stack.attrs['WAVELENGTH'])) / (4 * Math.PI);
  if (!Number.isFinite(phase2range))
    throw new InputError(ctx.input, 'no WAVELENGTH attribute: phase cannot be converted to metres');
  const pixelMask = await pixelMaskOf(ctx, stack, warnings);

  const ccCube = needComponents ? await stack.cube('connectComponent', true) : undefined;
  const m = stack.pairs.length;
  const nDates = design.dates.length;
  const rowBytes =
    W * (m * 4 + (needCoherence ? m * 4 : 0) + (ccCube ? m * ccCube.sampleBytes : 0) + nDates * 4 + 8 + 1);
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
  const blocks: [number, number][] = [];
  for (let y0 = 0; y0 < L; y0 += rows) blocks.push([y0, Math.min(L, y0 + rows)]);
  return { kept, design, solver, svdA, rank, refPhase, ref, phase2range, pixelMask, rows, blocks, threads, warnings };
}

/**
 * Pixels to invert at all: the water mask (-m; 0 = water), and MintPy's ../avgSpatialCoh.h5 next to the
 * stack's folder when it exists with the stack's size (0 = skip). Undefined when neither applies.
 */
async function pixelMaskOf(
  ctx: InvertContext,
  stack: IfgramStack,
  warnings: string[],
): Promise<Uint8Array | undefined> {
  let mask: Uint8Array | undefined;
  const combine = (m: Uint8Array): void => {
    if (!mask) mask = m;
    else for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! & m[i]!;
  };
  if (ctx.waterMask) {
    if (existsSync(ctx.waterMask))
      combine(await readMask(ctx.waterMask, stack.length, stack.width, 'the interferogram stack'));
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
