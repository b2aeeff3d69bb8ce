/**
 * `archeo rms`: MintPy's timeseries_rms (reference/mintpy.md §3). One pass over the cube in row blocks
 * accumulates, for every date at once, the normal equations of its ramp and Σd²: the deramped values'
 * sum of squares follows from those sums (RampNormals.deramped). Where a ramp dwarfs the residual so
 * that the subtraction would lose digits, a second pass evaluates the deramped values (as MintPy would
 * store them) and sums their squares. Nothing per date is read on
 * its own and no deramped cube is written (MintPy writes `<name>_ramp.h5` and reads it back: most of its
 * time). Then MintPy's text outputs, the reference date (minimum RMS), the outlier dates, and a PNG plot.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { InputError, outputErrorOf } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { pythonFloatRepr } from '../../core/python.format.js';
import { decimalYear } from '../../compute/timeseries/dates.js';
import { DerampedRms, RampNormals, type RampType } from '../../compute/timeseries/ramp.js';
import { openTimeseries, readMask, referencePixel, type TimeseriesFile } from '../../io/hdf5/mintpy.reader.js';
import { savetxt } from '../../io/output/mintpy.text.js';
import { OutputSet } from '../../io/output/staging.js';
import { peakRssMb, recommendations, reportHeader } from '../../io/output/report.js';
import { writeRmsPlot } from '../../io/output/rms.plot.js';
import { WorkerPool } from '../../engine/cpu/pool.js';
import { useSimd } from '../../engine/cpu/wasm.kernels.js';
import type { RmsNormalsTask, RmsSetup, RmsSumsTask } from './rms.worker.js';
import { rowsPerBlock } from './row.blocks.js';
import { startRun } from './run.start.js';

export interface RmsContext {
  /** The time series, as typed (MintPy's file names and headers are built from it). */
  input: string;
  outDir: string;
  /** Mask file as given (default maskTempCoh.h5): a missing file means no mask, as in MintPy. */
  maskFile: string;
  ramp: RampType | 'no';
  /** Outlier cutoff (MintPy's --cutoff, default 3). */
  cutoff: number;
  ramGb: number;
  /** Worker threads (each reads and computes whole blocks). */
  threads: number;
  /** WebAssembly SIMD row loops when the runtime has them; false forces JavaScript. */
  simd: boolean;
  logger: Logger;
  onProgress?: (label: string, done: number, total: number) => void;
}

export interface RmsResult {
  dates: string[];
  /** Per-date RMS in m (float32 values, MintPy's precision). */
  rms: number[];
  referenceDate: string;
  excluded: string[];
  threshold: number;
  files: string[];
  report: Record<string, unknown>;
}

/** MintPy's outlier rule (utils0.median_abs_deviation_threshold with center 0): cutoff · median(|rms|) · 0.67449. */
export function rmsThreshold(rms: readonly number[], cutoff: number): number {
  const v = rms
    .filter((x) => !Number.isNaN(x))
    .map(Math.abs)
    .sort((a, b) => a - b);
  const n = v.length;
  const median = n === 0 ? NaN : n % 2 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2;
  return 0 + cutoff * (median * 0.67449);
}

export async function runRms(ctx: RmsContext): Promise<RmsResult> {
  const { runId, started, t0, metrics, input: ts } = await startRun(() => openTimeseries(ctx.input));
  try {
    const { length: L, width: W, dates } = ts;
    const n = dates.length;
    // REF_Y/REF_X, when the file has them, must be a pixel of the grid (MintPy indexes the ramp there).
    const refPixel = referencePixel(ts.path, ts.attrs, L, W);
    const mask = existsSync(ctx.maskFile) ? await metrics.time('mask', () => readMask(ctx.maskFile, L, W)) : undefined;
    if (!mask)
      ctx.logger.info(
        'Rms:Mask',
        { mask: ctx.maskFile },
        `no mask file ${ctx.maskFile}: every pixel is used (as MintPy)`,
      );
    const rows = blockRows(ts, ctx.ramGb, mask !== undefined);
    const blocks: [number, number][] = [];
    for (let y0 = 0; y0 < L; y0 += rows) blocks.push([y0, Math.min(L, y0 + rows)]);
    // Passes over the cube: one, unless the ramps leave too few digits for the first pass's sums (below).
    let passes = 1;
    const done = new Map<string, number>();
    const progress = (stage: string): void => {
      done.set(stage, (done.get(stage) ?? 0) + 1);
      ctx.onProgress?.(stage === 'rms' && passes === 2 ? 'rms (second pass)' : 'rms', done.get(stage)!, blocks.length);
    };

    // Worker threads, each with its own h5wasm and file handle, take whole blocks: reading and
    // computing go on two cores at once, and only per-date sums come back.
    const pool = new WorkerPool(
      new URL('./rms.worker.js', import.meta.url),
      Math.max(1, Math.min(ctx.threads, blocks.length)),
    );
    const task = async <T extends RmsNormalsTask | RmsSumsTask>(msg: T, stage: string): Promise<Float64Array> => {
      try {
        const r = await pool.run<{ sums: Float64Array; seconds: number }>(msg);
        metrics.add(stage, r.seconds, { pixels: (msg.y1 - msg.y0) * W * n });
        progress(stage);
        return r.sums;
      } catch (err) {
        const text = (err as Error).message;
        throw new InputError(ts.path, text.startsWith(`${ts.path}: `) ? text.slice(ts.path.length + 2) : text);
      }
    };
    const acc = new DerampedRms(n);
    let normals: RampNormals | undefined;
    try {
      await pool.broadcast({
        type: 'setup',
        path: ts.path,
        maskFile: mask ? ctx.maskFile : undefined,
        ramp: ctx.ramp,
        simd: useSimd(ctx.simd),
      } satisfies RmsSetup);
      // Pass 1: the normal equations of every date's ramp, summed over the blocks.
      if (ctx.ramp !== 'no') {
        const ramp = new RampNormals(ctx.ramp, n, L, W);
        normals = ramp;
        const parts = await Promise.all(blocks.map(([y0, y1]) => task({ type: 'normals', y0, y1 }, 'ramp')));
        for (const part of parts) ramp.merge(part);
      }
      const coef = normals ? dates.map((_, i) => normals!.solve(i)) : dates.map(() => null);
      const refs = coef.map((c) =>
        normals && c && refPixel ? Math.fround(normals.at(c, refPixel[0], refPixel[1])) : 0,
      );
      // The deramped values' sums of squares: from the first pass's sums (Σd², GᵀG, Gᵀd) when the ramps
      // leave enough digits; else, and without a ramp, a pass over the values.
      const fromSums = normals ? dates.map((_, i) => normals!.deramped(i, coef[i]!, refs[i]!)) : [];
      if (normals && fromSums.every((x) => x !== null)) {
        fromSums.forEach((x, i) => {
          acc.sum[i] = x!.sum;
          acc.count[i] = x!.count;
        });
      } else {
        if (normals) passes = 2;
        const coefList = coef.map((c) => (c ? Array.from(c) : null));
        const parts = await Promise.all(
          blocks.map(([y0, y1]) => task({ type: 'rms', y0, y1, coef: coefList, refs }, 'rms')),
        );
        for (const part of parts) {
          for (let i = 0; i < n; i++) {
            acc.sum[i] = acc.sum[i]! + part[i]!;
            acc.count[i] = acc.count[i]! + part[n + i]!;
          }
        }
      }
    } finally {
      await pool.close();
    }
    const rms = dates.map((_, i) => acc.rms(i));

    // MintPy's analysis: reference date = minimum RMS (first on ties), outliers above the MAD cutoff.
    let ref = 0;
    for (let i = 1; i < n; i++) if (rms[i]! < rms[ref]! || Number.isNaN(rms[ref]!)) ref = i;
    const threshold = rmsThreshold(rms, ctx.cutoff);
    const excluded = dates.filter((_, i) => rms[i]! > threshold);

    // Every output is staged and moved into place as a set at the end (io/output/staging.ts): a full disk
    // or a kill leaves the previous set untouched, never some text files of this run.
    const set = await OutputSet.open(ctx.outDir);
    try {
      const stem = ctx.input.slice(0, ctx.input.length - extname(ctx.input).length);
      const deramped = ctx.ramp === 'no' ? ctx.input : `${stem}_ramp.h5`;
      const base = basename(deramped, extname(deramped));
      const files: string[] = [];
      const write = async (name: string, text: string): Promise<void> => {
        const path = join(ctx.outDir, name);
        await set.writeFile(path, text);
        files.push(path);
      };
      // MintPy's four header lines, naming what this run really used: MintPy names its deramped cube
      // (<name>_ramp.h5, which archeo never writes) and the mask file as given even when it does not exist.
      const tsLine =
        ctx.ramp === 'no'
          ? ctx.input
          : `${ctx.input} (${ctx.ramp} ramp removed per date in memory; ${basename(deramped)} not written)`;
      const maskLine = mask
        ? ctx.maskFile
        : ctx.maskFile === 'no'
          ? 'none'
          : `none (${ctx.maskFile} not found: every pixel used)`;
      const header = `Root Mean Square in space for each acquisition of time-series\nTimeseries file: ${tsLine}\nMask file: ${maskLine}\nDate\t\tRMS (m)`;
      await write(
        `rms_${base}.txt`,
        savetxt(
          header,
          dates.map((d, i) => [d, pythonFloatRepr(rms[i]!)]),
        ),
      );
      await write('reference_date.txt', `${dates[ref]}\n`);
      if (excluded.length) await write('exclude_date.txt', excluded.map((d) => `${d}\n`).join(''));
      else if (existsSync(join(ctx.outDir, 'exclude_date.txt'))) {
        set.removeWithSwap(join(ctx.outDir, 'exclude_date.txt'));
        ctx.logger.info('Rms:Exclude', {}, 'no outlier date: removed the old exclude_date.txt');
      }
      const plotPath = join(ctx.outDir, `rms_${base}.png`);
      const stagedPlot = await set.stage(plotPath);
      await metrics.time('plot', () =>
        writeRmsPlot(stagedPlot, {
          title: `${basename(ctx.input)}: residual RMS per date (${ctx.ramp === 'no' ? 'no deramping' : `${ctx.ramp} ramp removed`})`,
          years: dates.map((d) => decimalYear(d)),
          dates,
          values: rms.map((v) => v * 1000),
          referenceIndex: ref,
          outliers: dates.flatMap((_, i) => (rms[i]! > threshold ? [i] : [])),
          threshold: threshold * 1000,
          thresholdLabel: `Median Abs Dev * ${ctx.cutoff}`,
        }).catch((err: unknown) => {
          throw outputErrorOf(plotPath, err) ?? err;
        }),
      );
      files.push(plotPath);

      const wall = (performance.now() - t0) / 1000;
      const stages = metrics.toJSON();
      const peak = peakRssMb();
      const report = {
        ...reportHeader('rms', runId, started, wall),
        engine: {
          name: 'cpu',
          threads: Math.min(ctx.threads, blocks.length),
          kernels: useSimd(ctx.simd) ? 'wasm-simd' : 'javascript',
        },
        input: { path: ts.path, dates: n, length: L, width: W, bytes: (await stat(ts.path)).size },
        parameters: { mask: mask ? ctx.maskFile : null, ramp: ctx.ramp, cutoff: ctx.cutoff },
        blocks: { count: blocks.length, rows, passes, ram_gb: ctx.ramGb },
        result: {
          reference_date: dates[ref],
          threshold_m: threshold,
          excluded,
          rms_m: Object.fromEntries(dates.map((d, i) => [d, rms[i]])),
        },
        stages,
        throughput: { pixels_per_s: Math.round((L * W * n * passes) / wall) },
        outputs: { files: await set.sizes(files) },
        peak_rss_mb: peak,
        recommendations: recommendations({
          stages,
          peakRssMb: peak,
          advice: {
            read: 'store the time series uncompressed or with lzf',
            memory: 'lower --ram',
            calls: 'raise --ram for fewer, larger blocks',
          },
        }),
      };
      // report.json names the files of the set and is moved into place last (the set's marker).
      await set.writeJson(join(ctx.outDir, 'report.json'), report);
      await set.commit();
      return { dates, rms, referenceDate: dates[ref]!, excluded, threshold, files, report };
    } catch (err) {
      await set.abort();
      throw err;
    }
  } finally {
    ts.close();
  }
}

/** Rows per block: the input rows of every date (and the mask rows) within --ram (row.blocks.ts). */
function blockRows(ts: TimeseriesFile, ramGb: number, masked: boolean): number {
  return rowsPerBlock({
    rowBytes: ts.width * (ts.dates.length * 4 + (masked ? 1 : 0)),
    rowLabel: `${ts.width} pixels x ${ts.dates.length} dates`,
    ramGb,
    totalRows: ts.length,
    chunkRows: ts.cube.chunks?.[1] ?? 1,
  });
}
