/**
 * `archeo velocity`: MintPy's timeseries2velocity. The cube is read in row blocks sized from --ram
 * (velocity.plan.ts); each block is re-referenced in place, fitted (compute/timeseries/fit.ts), and its
 * rows of every output dataset are written before the next block is read. velocity.h5 (and the
 * residual file) live under temporary names until the last block is written.
 */
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';
import { BlockFitter, residuals, residueStd, type BlockFit, type BlockInput } from '../../compute/timeseries/fit.js';
import { BootstrapSampler, bootstrapStd, covarianceStd } from '../../compute/timeseries/uncertainty.js';
import { accumulateKernel } from '../../engine/cpu/timeseries.kernels.js';
import { useSimd } from '../../engine/cpu/wasm.kernels.js';
import { H5Cube } from '../../io/hdf5/cube.js';
import { closeH5, h5Guard, openH5 } from '../../io/hdf5/h5.js';
import { openTimeseries, type TimeseriesFile } from '../../io/hdf5/mintpy.reader.js';
import { MintpyWriter } from '../../io/hdf5/mintpy.writer.js';
import { OutputSet } from '../../io/output/staging.js';
import { exportGeoTiffs, mintpyGrid } from './h5.geotiff.js';
import { startRun } from './run.start.js';
import type { VelocityContext } from './velocity.context.js';
import { blockPlanes, residualAttributes, velocityAttributes } from './velocity.outputs.js';
import { planVelocity, type VelocityPlan } from './velocity.plan.js';
import { buildVelocityReport, type PixelCounts, type VelocityReport } from './velocity.report.js';

export interface VelocityResult {
  output: string;
  files: string[];
  report: VelocityReport;
}

export async function runVelocity(ctx: VelocityContext): Promise<VelocityResult> {
  const { runId, started, t0, metrics, input: ts } = await startRun(() => openTimeseries(ctx.input));
  let cov: { file: { close(): void }; cube: H5Cube } | undefined;
  try {
    if (ctx.covarianceFile) cov = await openCovariance(ctx.covarianceFile, ts);
    const covRowBytes = cov ? cov.cube.depth * 4 * ts.width : 0;
    const resRowBytes = ctx.residualFile ? ts.dates.length * 4 * ts.width : 0;
    const plan = planVelocity(ts, ctx.options, (covRowBytes + resRowBytes) / ts.width);
    for (const w of plan.warnings) ctx.logger.warn('Velocity:Plan', { file: ctx.input }, w);

    const outPath = isAbsolute(ctx.output) || ctx.output.includes('/') ? ctx.output : join(ctx.outDir, ctx.output);
    const resPath = ctx.residualFile
      ? isAbsolute(ctx.residualFile) || ctx.residualFile.includes('/')
        ? ctx.residualFile
        : join(ctx.outDir, ctx.residualFile)
      : undefined;
    for (const p of [outPath, resPath]) {
      if (p && resolve(p) === resolve(ctx.input))
        throw new UsageError(`-o/--res-file ${p}: would overwrite the input file`);
    }
    ctx.logger.info(
      'Velocity:Plan',
      {
        file: ctx.input,
        dates: plan.selection.kept.length,
        parameters: plan.system.p,
        blocks: plan.blocks.length,
        block_rows: plan.blockRows,
      },
      `${basename(ctx.input)}: ${plan.selection.kept.length} of ${ts.dates.length} dates, ${plan.system.p} parameters, ${plan.blocks.length} block(s) of ${plan.blockRows} rows`,
    );

    // Every output is staged in one folder and moved into place as a set at the end (io/output/staging.ts).
    const set = await OutputSet.open(ctx.outDir);
    try {
      return await writeOutputs(ctx, ts, plan, cov?.cube, set, outPath, resPath, metrics, runId, started, t0);
    } catch (err) {
      await set.abort();
      throw err;
    }
  } finally {
    ts.close();
    if (cov) closeH5(cov.file);
  }
}

/** velocity.h5 (and the residual file, GeoTIFFs) and report.json, staged in `set`, then committed. */
async function writeOutputs(
  ctx: VelocityContext,
  ts: TimeseriesFile,
  plan: VelocityPlan,
  covCube: H5Cube | undefined,
  set: OutputSet,
  outPath: string,
  resPath: string | undefined,
  metrics: Metrics,
  runId: string,
  started: Date,
  t0: number,
): Promise<VelocityResult> {
  const staged = { out: await set.stage(outPath), res: resPath ? await set.stage(resPath) : undefined };
  const counts = await fitFile(
    ctx,
    ts,
    plan,
    covCube,
    { path: outPath, staged: staged.out },
    resPath ? { path: resPath, staged: staged.res! } : undefined,
    metrics,
  );
  const files = [outPath, ...(resPath ? [resPath] : [])];

  if (ctx.geotiff) {
    const grid = mintpyGrid(ts.attrs, ts.length, ts.width);
    if (!grid)
      ctx.logger.warn(
        'Velocity:GeoTiff',
        { file: ctx.input },
        `--geotiff: ${ctx.input} is in radar coordinates (no X_FIRST/Y_FIRST/X_STEP/Y_STEP); no GeoTIFF written`,
      );
    else {
      const stem = basename(outPath, extname(outPath));
      const names = plan.datasets.map((d) => d.name);
      const tifs = names.map((name) => join(ctx.outDir, `${stem}_${name}.tif`));
      const stagedTifs = await Promise.all(tifs.map((t) => set.stage(t)));
      await metrics.time('geotiff', () =>
        exportGeoTiffs(staged.out, names, grid, dirname(stagedTifs[0]!), stem, {
          SOURCE: basename(ctx.input),
          FILE_TYPE: 'velocity',
        }),
      );
      files.push(...tifs);
    }
  }
  const outputs = await set.sizes(files);
  const report = buildVelocityReport({
    runId,
    started,
    wallSeconds: (performance.now() - t0) / 1000,
    ts,
    plan,
    ctx,
    metrics,
    counts,
    outputs,
  });
  // report.json names the files of the set and is moved into place last (the set's marker).
  await set.writeJson(join(ctx.outDir, 'report.json'), report);
  await set.commit();
  return { output: outPath, files, report };
}

/** Fits every block and writes velocity.h5 (and the residual file); returns the pixel counts. */
async function fitFile(
  ctx: VelocityContext,
  ts: TimeseriesFile,
  plan: VelocityPlan,
  covCube: H5Cube | undefined,
  out: { path: string; staged: string },
  res: { path: string; staged: string } | undefined,
  metrics: Metrics,
): Promise<PixelCounts> {
  const { selection, system, datasets } = plan;
  const n = selection.kept.length;
  const writer = await MintpyWriter.create(
    out.staged,
    velocityAttributes(ts, plan, ctx.config),
    datasets.map((d) => ({ name: d.name, shape: [ts.length, ts.width], unit: d.unit })),
    out.path,
  );
  let resWriter: MintpyWriter | undefined;
  try {
    if (res) {
      resWriter = await MintpyWriter.create(
        res.staged,
        residualAttributes(ts),
        [
          { name: 'date', shape: [n], strings: selection.kept },
          { name: 'timeseries', shape: [n, ts.length, ts.width] },
        ],
        res.path,
      );
    }
    const refSeries = plan.rereference ? ts.cube.readPixel(plan.refY, plan.refX) : null;
    const fitter = new BlockFitter(system, plan.design, accumulateKernel(system.p, system.n, useSimd(ctx.simd)));
    const boot =
      ctx.options.uncertainty === 'bootstrap'
        ? new BootstrapSampler(
            plan.model,
            { count: ctx.options.bootstrapCount, seed: ctx.seed, dates: selection.kept, seconds: plan.seconds },
            system.p,
          )
        : undefined;
    const counts: PixelCounts = { total: 0, full: 0, partial: 0, skipped: 0, too_few_dates: 0, rank_deficient: 0 };
    let done = 0;
    for (const [b, block] of plan.blocks.entries()) {
      const rows = block.y1 - block.y0;
      const npix = rows * ts.width;
      const t = performance.now();
      ts.cube.readRows(block.y0, block.y1);
      if (covCube) covCube.readRows(block.y0, block.y1);
      // Views after the last heap operation of the block (see H5Cube.view).
      const data = ts.cube.view();
      const covData = covCube?.view();
      metrics.add('read', (performance.now() - t) / 1000, {
        bytes: data.byteLength + (covData?.byteLength ?? 0),
        pixels: npix,
      });
      const offsets = Int32Array.from(selection.keptIndex, (i) => i * npix);
      const planes = selection.keptIndex.map((i) => data.subarray(i * npix, (i + 1) * npix));
      await metrics.time('reference', () => reference(data, npix, plan, refSeries));
      const refIndex =
        plan.refY >= block.y0 && plan.refY < block.y1 ? (plan.refY - block.y0) * ts.width + plan.refX : -1;
      const input: BlockInput = { data, offsets, planes, npix, refIndex };
      const tf = performance.now();
      const fit = fitter.fit(input);
      metrics.add('fit', (performance.now() - tf) / 1000, { pixels: npix });
      const std = await metrics.time('uncertainty', () => blockStd(ctx, fit, input, plan, covData, covCube, boot));
      // Everything that reads the block's planes is done before the writes allocate in the heap.
      const res = resWriter ? residuals(input, fit, system) : undefined;
      const tw = performance.now();
      for (const [name, plane] of blockPlanes(datasets, fit, std)) writer.writeRows(name, block.y0, rows, plane);
      if (resWriter) resWriter.writeRows('timeseries', block.y0, rows, res!);
      metrics.add('write', (performance.now() - tw) / 1000, { pixels: npix });
      counts.total += npix;
      counts.full += fit.counts.Full;
      counts.partial += fit.counts.Partial;
      counts.skipped += fit.counts.Skipped;
      counts.too_few_dates += fit.counts.TooFewDates;
      counts.rank_deficient += fit.counts.RankDeficient;
      done += rows;
      ctx.logger.debug('Velocity:Block', {
        block: b,
        y0: block.y0,
        y1: block.y1,
        ms: Math.round(performance.now() - t),
      });
      ctx.onProgress?.(done, ts.length);
      // The block work is synchronous (h5wasm, kernels): yield so that a SIGINT is handled between blocks.
      await new Promise((next) => setImmediate(next));
    }
    await writer.commit();
    await resWriter?.commit();
    return counts;
  } catch (err) {
    await writer.abort();
    await resWriter?.abort();
    throw err;
  }
}

/** The std planes of a block, by the chosen uncertainty rule. */
function blockStd(
  ctx: VelocityContext,
  fit: BlockFit,
  input: BlockInput,
  plan: VelocityPlan,
  covData: Float32Array | undefined,
  covCube: H5Cube | undefined,
  boot: BootstrapSampler | undefined,
): Float64Array[] {
  switch (ctx.options.uncertainty) {
    case 'residue':
      return residueStd(fit, plan.system);
    case 'covariance': {
      const cube = covCube!;
      return covarianceStd(
        fit,
        plan.system,
        plan.design,
        covData!,
        cube.shape.length === 4 ? 'covariance' : 'variance',
        plan.selection.keptIndex,
        cube.shape[0]!,
      );
    }
    case 'bootstrap':
      return bootstrapStd(fit, input, boot!);
  }
}

/**
 * MintPy's re-referencing, in place and in float32 like MintPy: subtract the reference date's slice from
 * every date, then the reference pixel's series (as read from the file) from every pixel.
 */
function reference(data: Float32Array, npix: number, plan: VelocityPlan, refSeries: Float32Array | null): void {
  const kept = plan.selection.keptIndex;
  if (plan.refDateIndex !== null) {
    const r = plan.refDateIndex;
    const base = data.subarray(r * npix, (r + 1) * npix);
    for (const i of kept) {
      if (i === r) continue;
      const plane = data.subarray(i * npix, (i + 1) * npix);
      for (let j = 0; j < npix; j++) plane[j] = plane[j]! - base[j]!;
    }
    for (let j = 0; j < npix; j++) base[j] = base[j]! - base[j]!;
  }
  if (refSeries) {
    for (const i of kept) {
      const v = refSeries[i]!;
      const plane = data.subarray(i * npix, (i + 1) * npix);
      for (let j = 0; j < npix; j++) plane[j] = plane[j]! - v;
    }
  }
}

/** The --ts-cov file: a float32 (dates, l, w) variance or (dates, dates, l, w) covariance cube. */
async function openCovariance(path: string, ts: TimeseriesFile): Promise<{ file: { close(): void }; cube: H5Cube }> {
  const file = await openH5(path);
  try {
    const name = h5Guard(path, undefined, () => {
      const names = file.keys();
      return names.includes('timeseries')
        ? 'timeseries'
        : names.find((k) => ((file.get(k) as { shape?: number[] } | null)?.shape ?? []).length >= 3);
    });
    if (!name)
      throw new UsageError(
        `--ts-cov ${path}: no (dates, length, width) variance or (dates, dates, length, width) covariance dataset`,
      );
    const cube = await H5Cube.of(path, file, name);
    const n = ts.dates.length;
    const lead = cube.shape.slice(0, -2);
    const ok = cube.length === ts.length && cube.width === ts.width && lead.length <= 2 && lead.every((d) => d === n);
    if (!ok)
      throw new UsageError(
        `--ts-cov ${path}: '${name}' has shape (${cube.shape.join(', ')}); expected (${n}, ${ts.length}, ${ts.width}) or (${n}, ${n}, ${ts.length}, ${ts.width})`,
      );
    return { file, cube };
  } catch (err) {
    closeH5(file);
    throw err;
  }
}
