/**
 * `archeo scan`, one scene (the run over an archive is pipeline/batch/): stream the output grid in strips
 * of `block` rows. The main thread reads the source tiles each strip needs (decoded on the libuv pool);
 * worker threads resample, compute the indices and encode the output tiles; the main thread appends
 * those tiles to the GeoTIFFs. At most `inflight` strips are in memory at once, so memory does not grow
 * with the tile. The steps: open (plan) → outputs (writers) → engines (worker setup, device kernels) →
 * detection started → strips → indices finished → detection finished → report → folder committed.
 */
import { NegativeReflectanceCounter } from './reflectance.range.js';
import { mkdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Metrics } from '../../core/metrics.js';
import { useSimd } from '../../engine/cpu/wasm.kernels.js';
import { writeJsonAtomic } from '../../io/output/atomic.js';
import { commitDir, createTempDir, discardDir, indicesDir, sceneDir } from '../../io/output/scene.dir.js';
import { GeoTiffWriter } from '../../io/raster/geotiff.writer.js';
import { Jp2Reader } from '../../io/raster/jp2.reader.js';
import type { Scene } from '../../io/scene/discover.js';
import type { DetectorRun } from './detect.stream.js';
import { spectralRuns } from './detectors/spectral.js';
import {
  scanParameters,
  type ScanContext,
  type SceneResult,
  type SceneRun,
  type StageTracker,
} from './scan.context.js';
import { detectionValueIndices, SceneDetection } from './scan.detection.js';
import { SceneDigests } from './scan.digests.js';
import { planScan, type ScanPlan } from './scan.plan.js';
import { quicklookBands } from './quicklook.js';
import { buildScanReport, parameterHash, type ScanReport } from './scan.report.js';
import { streamStrips } from './scan.strips.js';
import type { ScanSetup } from './scan.worker.js';

/**
 * Scans one discovered scene into `<out>/<scene id>/` (built under a temporary name, renamed when
 * complete). `discoverSeconds` is the time its discovery took (timed by the caller).
 */
export async function scanScene(
  run: SceneRun,
  scene: Scene,
  tracker: StageTracker,
  discoverSeconds = 0,
): Promise<SceneResult> {
  const { ctx, pool, runId, limits } = run;
  const { logger } = ctx;
  const metrics = new Metrics();
  metrics.add('discover', discoverSeconds);
  const started = new Date();
  const t0 = performance.now();
  logger.info('Scene:Start', { scene: scene.id, path: scene.path, layout: scene.layout });
  tracker.stage = 'open';
  const plan = await metrics.time('open', () =>
    planScan(scene, {
      ...ctx.plan,
      jp2Limit: limits.jp2,
      tileLimit: limits.tiles,
      sources: limits.sources,
      detectors: ctx.detection?.detectors ?? {},
      detectExplicit: ctx.detection?.explicit ?? false,
      alsoCheck: ctx.quicklook ? quicklookBands : [],
    }),
  );
  for (const w of plan.warnings) logger.warn('Scene:Warning', { scene: scene.id }, w);
  const params = scanParameters(ctx, plan);
  const key = `${runId}/${scene.id}`;
  const finalDir = sceneDir(ctx.out, scene.id); // a safe name inside --out, checked before anything is written
  const tmp = await createTempDir(ctx.out, scene.id);
  const writers: GeoTiffWriter[] = [];
  const digests = new SceneDigests(pool, tmp);
  let detection: SceneDetection | undefined;
  try {
    const tiffMetadata = { scene: scene.id, parameter_hash: parameterHash(params), tool: 'archeo' };
    writers.push(...(await createIndexWriters(ctx, plan, tmp, tiffMetadata, digests)));
    // The engine computes the spectral detectors' condition bits; other kinds get index values.
    const runs = spectralRuns(plan);
    const valueIndices = ctx.detection ? detectionValueIndices(plan) : [];
    const setup = workerSetup(ctx, plan, key, runs, writers, valueIndices);
    await pool.broadcast(setup);
    // A device engine computes the indices and the detectors' bits; the workers resample and encode.
    const device = ctx.engine?.engine?.compile(
      plan.computed,
      plan.bands.map((b) => b.band),
      setup.detect,
    );
    for (const r of plan.readers) if (r instanceof Jp2Reader) r.prefetch();
    if (ctx.detection) {
      const site = {
        ctx,
        params: ctx.detection.params,
        scene,
        plan,
        pool,
        key,
        tmp,
        metrics,
        tiffMetadata,
        parameterHash: parameterHash(params),
        digests,
      };
      detection = await SceneDetection.start(site, valueIndices);
    }

    tracker.stage = 'strips';
    const negatives = new NegativeReflectanceCounter(plan.bands, ctx.plan.clipReflectance ?? false);
    let validPixels: number;
    try {
      validPixels = await streamStrips(ctx, pool, plan, key, metrics, scene.id, {
        detection,
        device,
        negatives,
        overviews: writers.flatMap((w, i) => (w.pyramid ? [i] : [])),
      });
    } catch (err) {
      detection?.discard();
      throw err;
    }
    tracker.stage = 'write';
    await metrics.time('finish', () => Promise.all(writers.map((w) => w.finish())));
    const files = writers.map((w) => w.path);
    let detected: ScanReport['detection'] = null;
    if (detection) {
      tracker.stage = 'detect';
      const finished = await detection.finish();
      detected = finished.detection;
      files.push(...finished.files);
      for (const w of finished.warnings) {
        plan.warnings.push(w);
        logger.warn('Scene:Warning', { scene: scene.id }, w);
      }
    }

    const outOfRange = negatives.warning();
    if (outOfRange) {
      plan.warnings.push(outOfRange);
      logger.warn('Scene:Warning', { scene: scene.id }, outOfRange);
    }
    tracker.stage = 'write';
    addDecodeTimes(plan, metrics);
    const outputs = await Promise.all(
      files.map(async (path) => ({ path: relative(tmp, path), bytes: (await stat(path)).size })),
    );
    const report = buildScanReport({
      runId,
      started,
      wallSeconds: (performance.now() - t0) / 1000,
      threads: ctx.threads,
      kernels: setup.simd ? 'wasm-simd' : 'javascript',
      engine: ctx.engine,
      scene,
      plan,
      params,
      metrics,
      outputs,
      validPixels,
      detection: detected,
      reflectance: negatives.report(),
    });
    await writeJsonAtomic(join(tmp, 'report.json'), report);
    await commitDir(tmp, finalDir);
    logger.info('Scene:Done', {
      scene: scene.id,
      out: finalDir,
      wall_s: report.wall_s,
      indices: report.indices.written.length,
    });
    return { id: scene.id, outputDir: finalDir, report, digests: digests.byPath };
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()));
    await detection?.abort();
    await discardDir(tmp);
    throw err;
  } finally {
    await Promise.all(plan.readers.map((r) => r.close()));
    await pool.broadcast({ type: 'release', key }).catch(() => undefined);
  }
}

/** One tiled GeoTIFF per written index, under `indices/` of the scene's temporary folder. */
async function createIndexWriters(
  ctx: ScanContext,
  plan: ScanPlan,
  tmp: string,
  metadata: Record<string, string>,
  digests: SceneDigests,
): Promise<GeoTiffWriter[]> {
  await mkdir(indicesDir(tmp));
  const writers: GeoTiffWriter[] = [];
  for (const def of plan.indices) {
    const path = join(indicesDir(tmp), `${def.name}.tif`);
    writers.push(
      await GeoTiffWriter.create(path, {
        grid: plan.outGrid,
        type: 'float32',
        tileSize: ctx.block,
        codec: ctx.codec,
        nodata: NaN,
        description: def.name,
        metadata: { ...metadata, index: def.name, formula: def.description },
        overviews: 'average',
        overviewSlots: ctx.inflight,
        digest: digests.of(path),
        copy: ctx.cogCopy,
      }),
    );
  }
  return writers;
}

/** The scene's setup for every worker: the CPU engine's kernels, the codec, and the writers' sinks. */
function workerSetup(
  ctx: ScanContext,
  plan: ScanPlan,
  key: string,
  runs: DetectorRun[],
  writers: GeoTiffWriter[],
  valueIndices: string[],
): ScanSetup {
  const names = plan.computed.map((d) => d.name);
  const slot = (name: string): number => names.indexOf(name);
  return {
    type: 'setup',
    key,
    indexNames: names,
    bands: plan.bands.map((b) => ({ plan: b.plan, radiometry: b.radiometry })),
    scl: plan.scl ? { plan: plan.scl.plan, maskClasses: ctx.plan.maskClasses } : undefined,
    tileSize: ctx.block,
    codec: ctx.codec,
    level: ctx.level,
    simd: useSimd(ctx.simd),
    // Written indices come first in `computed`; the rest are computed for the detectors only.
    sinks: names.map((_, i) => writers[i]?.sink ?? null),
    detect: runs.length
      ? runs.map((r) => ({
          conditions: r.spec.conditions.map((c) => ({ slot: slot(c.index), op: c.op, value: c.value })),
        }))
      : undefined,
    ...(valueIndices.length ? { values: valueIndices.map(slot) } : {}),
  };
}

/**
 * JPEG 2000 bands are decoded whole, one worker each: those durations are real decode times. GeoTIFF
 * tiles are inflated on the libuv pool while strips are read: their cost is in `read`.
 */
function addDecodeTimes(plan: ScanPlan, metrics: Metrics): void {
  for (const r of plan.readers) {
    if (r.format === 'JPEG 2000') metrics.add('decode', r.stats.decodeSeconds, { bytes: r.stats.bytesRead });
  }
}
