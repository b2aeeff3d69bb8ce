/**
 * `archeo scan`: for each scene, stream the output grid in strips of `block` rows. The main thread reads
 * the source tiles each strip needs (decoded on the libuv pool); worker threads resample, compute the
 * indices and encode the output tiles; the main thread appends those tiles to the GeoTIFFs. At most
 * `inflight` strips are in memory at once, so memory does not grow with the tile.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import pLimit from 'p-limit';
import { planAxis, sourceRange, type AxisPlan } from '../compute/resample.js';
import { errorLine, InputError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { Metrics } from '../core/metrics.js';
import { WorkerPool } from '../engine/cpu/pool.js';
import { simdAvailable } from '../engine/cpu/wasm.kernels.js';
import { commitDir, createTempDir, discardDir, indicesDir } from '../io/output/scene.dir.js';
import { newRunId, writeJsonAtomic } from '../io/output/report.js';
import { GeoTiffWriter } from '../io/raster/geotiff.writer.js';
import { Jp2Reader } from '../io/raster/jp2.reader.js';
import type { Codec } from '../io/raster/tiff.codec.js';
import { discoverScene, findScenes } from '../io/scene/discover.js';
import { planScan, type PlanOptions, type PlannedBand, type ScanPlan } from './scan.plan.js';
import { buildScanReport, parameterHash, type ScanParameters, type ScanReport } from './scan.report.js';
import type { ScanSetup, StripResult, StripTask, WindowData } from './scan.worker.js';

export interface ScanContext {
  /** Scenes, or folders holding scenes (walked recursively). */
  inputs: string[];
  /** Output folder; each scene writes `<out>/<scene id>/`. */
  out: string;
  plan: Omit<PlanOptions, 'jp2Limit' | 'tileLimit'>;
  codec: Codec;
  /** Compression level of the codec. */
  level: number;
  /** Output tile edge and strip height, in pixels (multiple of 16). */
  block: number;
  /** Worker threads for the pixel work. */
  threads: number;
  /** Strips in flight at once: one being read while others are computed and written. */
  inflight: number;
  /** WebAssembly SIMD kernels (default when available); false forces the JavaScript kernels. */
  simd: boolean;
  logger: Logger;
  /** Called after each strip (for a progress bar). */
  onProgress?: (sceneId: string, done: number, total: number) => void;
}

export interface SceneOutcome {
  path: string;
  id: string | undefined;
  ok: boolean;
  error?: string;
  outputDir?: string;
  report?: ScanReport;
}

export interface ScanResult {
  runId: string;
  scenes: SceneOutcome[];
  failed: number;
}

export async function runScan(ctx: ScanContext): Promise<ScanResult> {
  const runId = newRunId();
  const scenePaths: string[] = [];
  for (const input of ctx.inputs) scenePaths.push(...(await findScenes(input)));
  const pool = new WorkerPool(new URL('./scan.worker.js', import.meta.url), ctx.threads);
  const outcomes: SceneOutcome[] = [];
  /** Scene ids written in this run, with their paths: a second scene with the same id must not replace the first. */
  const written = new Map<string, string>();
  try {
    for (const path of scenePaths) {
      try {
        const { id, outputDir, report } = await scanScene(ctx, pool, path, runId, written);
        written.set(id, path);
        outcomes.push({ path, id, ok: true, outputDir, report });
      } catch (err) {
        // One bad scene never stops the others: record it and go on; a single scene rethrows.
        if (scenePaths.length === 1) throw err;
        ctx.logger.error('Scene:Failed', { scene: path, error: errorLine(err) }, `${errorLine(err)}`);
        outcomes.push({ path, id: undefined, ok: false, error: errorLine(err) });
      }
    }
  } finally {
    await pool.close();
  }
  return { runId, scenes: outcomes, failed: outcomes.filter((o) => !o.ok).length };
}

export function scanParameters(ctx: ScanContext, plan: ScanPlan): ScanParameters {
  const aoi = ctx.plan.aoi;
  return {
    indices: plan.indices.map((d) => d.name),
    resolution: plan.gridResolution,
    resample: ctx.plan.resample,
    mask_classes: ctx.plan.maskClasses,
    boa_offset: ctx.plan.boaOffset ?? null,
    aoi: aoi ? [aoi.west, aoi.south, aoi.east, aoi.north] : null,
    compress: ctx.codec,
    level: ctx.level,
    block: ctx.block,
  };
}

async function scanScene(
  ctx: ScanContext,
  pool: WorkerPool,
  path: string,
  runId: string,
  written: ReadonlyMap<string, string>,
): Promise<{ id: string; outputDir: string; report: ScanReport }> {
  const { logger } = ctx;
  const metrics = new Metrics();
  const started = new Date();
  const t0 = performance.now();
  const scene = await metrics.time('discover', () => discoverScene(path));
  const first = written.get(scene.id);
  if (first !== undefined) {
    throw new InputError(path, `scene id ${scene.id} was already written in this run from ${first}; not replacing it`);
  }
  logger.info('Scene:Start', { scene: scene.id, path, layout: scene.layout });
  // Bounded concurrency (memory): JPEG 2000 decodes each hold a whole decoded band; GeoTIFF tile reads
  // each hold a compressed and a decoded tile. Eight tiles in flight keep the libuv pool (4 threads) busy.
  const jp2Limit = pLimit(Math.max(1, ctx.threads));
  const tileLimit = pLimit(8);
  const plan = await metrics.time('open', () => planScan(scene, { ...ctx.plan, jp2Limit, tileLimit }));
  for (const w of plan.warnings) logger.warn('Scene:Warning', { scene: scene.id }, w);
  const params = scanParameters(ctx, plan);
  const key = `${runId}/${scene.id}`;
  const tmp = await createTempDir(ctx.out, scene.id);
  const writers: GeoTiffWriter[] = [];
  try {
    await mkdir(indicesDir(tmp));
    const metadata = { scene: scene.id, parameter_hash: parameterHash(params), tool: 'archeo' };
    for (const def of plan.indices) {
      writers.push(
        await GeoTiffWriter.create(join(indicesDir(tmp), `${def.name}.tif`), {
          grid: plan.outGrid,
          type: 'float32',
          tileSize: ctx.block,
          codec: ctx.codec,
          nodata: NaN,
          description: def.name,
          metadata: { ...metadata, index: def.name, formula: def.description },
        }),
      );
    }
    const setup: ScanSetup = {
      type: 'setup',
      key,
      indexNames: plan.indices.map((d) => d.name),
      bands: plan.bands.map((b) => ({ plan: b.plan, radiometry: b.radiometry })),
      scl: plan.scl ? { plan: plan.scl.plan, maskClasses: ctx.plan.maskClasses } : undefined,
      tileSize: ctx.block,
      codec: ctx.codec,
      level: ctx.level,
      simd: ctx.simd && simdAvailable(),
      sinks: writers.map((w) => w.sink),
    };
    await pool.broadcast(setup);
    for (const r of plan.readers) if (r instanceof Jp2Reader) r.prefetch();

    const validPixels = await streamStrips(ctx, pool, plan, key, metrics, scene.id);
    await metrics.time('finish', () => Promise.all(writers.map((w) => w.finish())));
    // JPEG 2000 bands are decoded whole, one worker each: those durations are real decode times.
    // GeoTIFF tiles are inflated on the libuv pool while strips are read: their cost is in `read`.
    for (const r of plan.readers) {
      if (r.format === 'JPEG 2000') metrics.add('decode', r.stats.decodeSeconds, { bytes: r.stats.bytesRead });
    }

    const finalDir = join(ctx.out, scene.id);
    const outputs = await Promise.all(
      writers.map(async (w) => ({ path: relative(tmp, w.path), bytes: (await stat(w.path)).size })),
    );
    const report = buildScanReport({
      runId,
      started,
      wallSeconds: (performance.now() - t0) / 1000,
      threads: ctx.threads,
      kernels: setup.simd ? 'wasm-simd' : 'javascript',
      scene,
      plan,
      params,
      metrics,
      outputs,
      validPixels,
    });
    await writeJsonAtomic(join(tmp, 'report.json'), report);
    await commitDir(tmp, finalDir);
    logger.info('Scene:Done', { scene: scene.id, out: finalDir, wall_s: report.wall_s, indices: report.indices.written.length });
    return { id: scene.id, outputDir: finalDir, report };
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()));
    await discardDir(tmp);
    throw err;
  } finally {
    await Promise.all(plan.readers.map((r) => r.close()));
    await pool.broadcast({ type: 'release', key }).catch(() => undefined);
  }
}

interface BandAxes {
  band: PlannedBand;
  x: AxisPlan;
  y: AxisPlan;
}

function axesOf(band: PlannedBand): BandAxes {
  const p = band.plan;
  return { band, x: planAxis(p.gridWidth, p.srcWidth, p.method, 'x'), y: planAxis(p.gridHeight, p.srcHeight, p.method, 'y') };
}

/**
 * Strip windows (shared memory) reused once their strip is written: a full tile reads 22 strips of
 * 11 MB windows per 10 m band, and fresh SharedArrayBuffers for each cost page faults and GC.
 */
class WindowPool {
  private readonly free = new Map<string, WindowData['data'][]>();
  take(key: string, length: number): WindowData['data'] | undefined {
    const list = this.free.get(key);
    const i = list?.findIndex((a) => a.length === length) ?? -1;
    return i >= 0 ? list!.splice(i, 1)[0] : undefined;
  }
  give(key: string, data: WindowData['data']): void {
    const list = this.free.get(key) ?? [];
    list.push(data);
    this.free.set(key, list);
  }
}

/** Reads the source window of one band that grid rows [gy0, gy0+rows) of the window need. */
async function readBandWindow(a: BandAxes, plan: ScanPlan, gy0: number, rows: number, pool: WindowPool, key: string): Promise<WindowData> {
  const { window } = plan;
  const [sx0, sx1] = sourceRange(a.x, window.x0, window.x0 + window.width, a.band.plan.srcWidth);
  const [sy0, sy1] = sourceRange(a.y, gy0, gy0 + rows, a.band.plan.srcHeight);
  const size = { x0: sx0, y0: sy0, width: sx1 - sx0, height: sy1 - sy0 };
  const data = await a.band.reader.readWindow(size, true, pool.take(key, size.width * size.height));
  return { data, ...size };
}

/**
 * Streams every strip through the workers, which append the encoded tiles to the writers' files (their
 * sinks went out with the scene setup); returns the count of valid pixels.
 */
async function streamStrips(
  ctx: ScanContext,
  pool: WorkerPool,
  plan: ScanPlan,
  key: string,
  metrics: Metrics,
  sceneId: string,
): Promise<number> {
  const T = ctx.block;
  const { window } = plan;
  const strips = Math.ceil(window.height / T);
  const tilesAcross = Math.ceil(window.width / T);
  // Tasks of a few tile columns: enough tasks per strip to balance the workers, each small in memory.
  const chunk = Math.max(1, Math.min(2, Math.ceil(tilesAcross / (pool.size * 2))));
  const bandAxes = plan.bands.map(axesOf);
  const sclAxes = plan.scl ? axesOf(plan.scl) : undefined;
  const windows = new WindowPool();
  let validPixels = 0;
  let done = 0;
  let failure: unknown;
  const inflight = new Set<Promise<void>>();

  const processStrip = async (s: number, gy0: number, rows: number, bands: WindowData[], scl: WindowData | undefined): Promise<void> => {
    const tasks: Promise<StripResult>[] = [];
    for (let c = 0; c < tilesAcross; c += chunk) {
      const cols = Math.min(chunk * T, window.width - c * T);
      const task: StripTask = { type: 'strip', key, gridX0: window.x0 + c * T, gridY0: gy0, cols, rows, tileX0: c, tileY: s, bands, scl };
      tasks.push(pool.run<StripResult>(task));
    }
    const results = await Promise.all(tasks);
    // The workers are done with this strip's windows, and have appended its tiles to the files.
    bands.forEach((w, i) => windows.give(String(i), w.data));
    if (scl) windows.give('scl', scl.data);
    const sum = { resample: 0, indices: 0, encode: 0, write: 0, bytes: 0 };
    for (const r of results) {
      sum.resample += r.timings.resample;
      sum.indices += r.timings.indices;
      sum.encode += r.timings.encode;
      sum.write += r.timings.write;
      sum.bytes += r.bytes;
      validPixels += r.validPixels;
    }
    const px = rows * window.width;
    metrics.add('resample', sum.resample, { pixels: px * plan.bands.length });
    metrics.add('indices', sum.indices, { pixels: px * plan.indices.length });
    metrics.add('encode', sum.encode, { bytes: px * 4 * plan.indices.length });
    metrics.add('write', sum.write, { bytes: sum.bytes });
    done++;
    ctx.onProgress?.(sceneId, done, strips);
  };

  for (let s = 0; s < strips && failure === undefined; s++) {
    const gy0 = window.y0 + s * T;
    const rows = Math.min(T, window.y0 + window.height - gy0);
    const t0 = performance.now();
    let bands: WindowData[];
    let scl: WindowData | undefined;
    try {
      [bands, scl] = await Promise.all([
        Promise.all(bandAxes.map((a, i) => readBandWindow(a, plan, gy0, rows, windows, String(i)))),
        sclAxes ? readBandWindow(sclAxes, plan, gy0, rows, windows, 'scl') : Promise.resolve(undefined),
      ]);
    } catch (err) {
      failure = err;
      break;
    }
    metrics.add('read', (performance.now() - t0) / 1000, { bytes: bands.reduce((a, b) => a + b.data.byteLength, 0) });
    while (inflight.size >= ctx.inflight) await Promise.race(inflight).catch(() => undefined);
    if (failure !== undefined) break;
    const p: Promise<void> = processStrip(s, gy0, rows, bands, scl)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  if (failure !== undefined) throw failure;
  return validPixels;
}
