/**
 * `archeo scan`, one scene (the run over an archive is batch.ts): stream the output grid in strips of `block` rows. The main thread reads
 * the source tiles each strip needs (decoded on the libuv pool); worker threads resample, compute the
 * indices and encode the output tiles; the main thread appends those tiles to the GeoTIFFs. At most
 * `inflight` strips are in memory at once, so memory does not grow with the tile.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from '../core/log.js';
import { Metrics } from '../core/metrics.js';
import type { WorkerPool } from '../engine/cpu/pool.js';
import { simdAvailable } from '../engine/cpu/wasm.kernels.js';
import { commitDir, createTempDir, discardDir, indicesDir, sceneDir } from '../io/output/scene.dir.js';
import { writeJsonAtomic } from '../io/output/report.js';
import { GeoTiffWriter } from '../io/raster/geotiff.writer.js';
import { Jp2Reader } from '../io/raster/jp2.reader.js';
import type { Codec } from '../io/raster/tiff.codec.js';
import type { Scene } from '../io/scene/discover.js';
import { planScan, type PlanOptions, type ScanPlan } from './scan.plan.js';
import { paramsHash, type DetectionParams, type DetectorSpec } from '../compute/detect/params.js';
import { DetectionStream, type DetectorRun, type DeviceMorphology } from './detect.stream.js';
import { StatsCollector } from './detect.stats.js';
import { finishDetectors, MaskWriters, toFeatureCollection } from './detect.js';
import { quicklookGrid, quicklookImage } from './quicklook.js';
import { writeGeoJson } from '../io/output/geojson.js';
import { writeQuicklook } from '../io/output/quicklook.js';
import { buildScanReport, parameterHash, type ScanParameters, type ScanReport } from './scan.report.js';
import type { EncodeTask, PlanesResult, PlanesTask, ScanSetup, StripResult, StripTask } from './scan.worker.js';
import type { BackendChoice, DeviceKernels } from '../engine/engine.js';
import type { EngineSelection } from '../engine/select.js';
import { axesOf, forEachStrip, readStrip, WindowPool, type StripSpan } from './scan.read.js';

export interface ScanContext {
  /** Scenes, or folders holding scenes (walked recursively). */
  inputs: string[];
  /** Output folder; each scene writes `<out>/<scene id>/`. */
  out: string;
  plan: Omit<PlanOptions, 'jp2Limit' | 'tileLimit' | 'detectors' | 'detectExplicit'>;
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
  /** --backend as given; `engine` is what it resolved to for this run (batch.ts opens it). */
  backend: BackendChoice;
  engine?: EngineSelection;
  /** Candidate detection: the parameter set and the detectors selected from it; undefined = indices only. */
  detection: { params: DetectionParams; detectors: Record<string, DetectorSpec>; explicit: boolean } | undefined;
  /** Write quicklook.png (needs B02, B03, B04). */
  quicklook: boolean;
  logger: Logger;
  /** Archive runs: --list, --force, --retry-failed, --jobs, --shard (batch.ts). */
  batch: BatchOptions;
  /** Called as work advances (for a progress bar): strips of one scene, or scenes of a batch. */
  onProgress?: (label: string, done: number, total: number) => void;
}

export interface BatchOptions {
  /** Print what would be done and why, and stop. */
  list: boolean;
  /** Redo every scene, done or not. */
  force: boolean;
  /** Run again the scenes that failed before though nothing changed. */
  retryFailed: boolean;
  /** Scenes processed at once. */
  jobs: number;
  /** This machine's share of the archive: scenes whose id hashes to `index` modulo `count`. */
  shard: { index: number; count: number } | undefined;
}

/** Concurrency limits shared by every scene of a run, so that --jobs does not multiply memory. */
export interface RunLimits {
  /** JPEG 2000 band decodes in flight: each holds a whole decoded band. */
  jp2: LimitFunction;
  /** GeoTIFF tile reads in flight: each holds a compressed and a decoded tile. */
  tiles: LimitFunction;
}

export function runLimits(threads: number): RunLimits {
  // Eight tiles in flight keep the libuv pool (4 threads) busy; JP2 decodes one per worker thread.
  return { jp2: pLimit(Math.max(1, threads)), tiles: pLimit(8) };
}

/** Where a scene is in its processing, for the failure record (discover, open, strips, detect, write, checksum). */
export interface StageTracker {
  stage: string;
}

export interface SceneResult {
  id: string;
  outputDir: string;
  report: ScanReport;
}

export function scanParameters(ctx: ScanContext, plan: ScanPlan): ScanParameters {
  const aoi = ctx.plan.aoi;
  return {
    indices: plan.indices.map((d) => d.name),
    resolution: plan.gridResolution,
    resample: ctx.plan.resample,
    mask_classes: ctx.plan.maskClasses,
    boa_offset: ctx.plan.boaOffset ?? null,
    reflectance: ctx.plan.reflectance,
    aoi: aoi ? [aoi.west, aoi.south, aoi.east, aoi.north] : null,
    compress: ctx.codec,
    level: ctx.level,
    block: ctx.block,
    detection: ctx.detection
      ? `${paramsHash(ctx.detection.params)}:${Object.keys(ctx.detection.detectors).join(',')}`
      : null,
  };
}

/**
 * Scans one discovered scene into `<out>/<scene id>/` (built under a temporary name, renamed when
 * complete). `discoverSeconds` is the time its discovery took (timed by the caller).
 */
export async function scanScene(
  ctx: ScanContext,
  pool: WorkerPool,
  scene: Scene,
  runId: string,
  limits: RunLimits,
  tracker: StageTracker,
  discoverSeconds = 0,
): Promise<SceneResult> {
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
      detectors: ctx.detection?.detectors ?? {},
      detectExplicit: ctx.detection?.explicit ?? false,
    }),
  );
  for (const w of plan.warnings) logger.warn('Scene:Warning', { scene: scene.id }, w);
  const params = scanParameters(ctx, plan);
  const key = `${runId}/${scene.id}`;
  const finalDir = sceneDir(ctx.out, scene.id); // a safe name inside --out, checked before anything is written
  const tmp = await createTempDir(ctx.out, scene.id);
  const writers: GeoTiffWriter[] = [];
  let maskWriters: MaskWriters | undefined;
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
    const names = plan.computed.map((d) => d.name);
    const slot = (name: string): number => names.indexOf(name);
    const runs: DetectorRun[] = plan.detectors.map((d) => ({ name: d.name, spec: d.spec, slot: slot(d.spec.index) }));
    const setup: ScanSetup = {
      type: 'setup',
      key,
      indexNames: names,
      bands: plan.bands.map((b) => ({ plan: b.plan, radiometry: b.radiometry })),
      scl: plan.scl ? { plan: plan.scl.plan, maskClasses: ctx.plan.maskClasses } : undefined,
      tileSize: ctx.block,
      codec: ctx.codec,
      level: ctx.level,
      simd: ctx.simd && simdAvailable(),
      // Written indices come first in `computed`; the rest are computed for the detectors only.
      sinks: names.map((_, i) => writers[i]?.sink ?? null),
      detect: runs.length
        ? runs.map((r) => ({
            conditions: r.spec.conditions.map((c) => ({ slot: slot(c.index), op: c.op, value: c.value })),
          }))
        : undefined,
    };
    await pool.broadcast(setup);
    // A device engine computes the indices and the detectors' bits; the workers resample and encode.
    const device = ctx.engine?.engine?.compile(
      plan.computed,
      plan.bands.map((b) => b.band),
      setup.detect,
    );
    for (const r of plan.readers) if (r instanceof Jp2Reader) r.prefetch();

    const detection = ctx.detection;
    const stream =
      runs.length && detection
        ? new DetectionStream(
            plan.window,
            runs,
            detection.params.remask_after_morphology,
            pixelArea(plan),
            deviceMorphology(ctx),
          )
        : undefined;
    const collector =
      stream && detection
        ? new StatsCollector(stream, runs, {
            plan,
            pool,
            key,
            block: ctx.block,
            chunk: taskChunk(Math.ceil(plan.window.width / ctx.block), pool.size),
            ringPx: detection.params.ring_px,
            metrics,
            maxRetained: 6,
          })
        : undefined;
    if (stream) await mkdir(join(tmp, 'masks'));
    maskWriters = stream
      ? await MaskWriters.create(runs, join(tmp, 'masks'), plan.outGrid, {
          tileSize: ctx.block,
          codec: ctx.codec,
          level: ctx.level,
          metadata,
        })
      : undefined;
    // The quicklook's picture needs only reduced-resolution reads: start it now, outline it at the end.
    const picture =
      stream && ctx.quicklook
        ? timedPromise(metrics, 'quicklook', quicklookImage(scene, plan.fullGrid, plan.window, 2048))
        : undefined;
    picture?.catch(() => undefined);
    const afterStrip = (): void => {
      if (!stream || !maskWriters) return;
      for (let d = 0; d < runs.length; d++) maskWriters.advance(d, stream.mask(d), stream.finalRows(d));
    };
    let validPixels: number;
    tracker.stage = 'strips';
    try {
      validPixels = await streamStrips(ctx, pool, plan, key, metrics, scene.id, stream, collector, afterStrip, device);
    } catch (err) {
      collector?.discard();
      throw err;
    }
    tracker.stage = 'write';
    await metrics.time('finish', () => Promise.all(writers.map((w) => w.finish())));
    const outputs: { path: string; bytes: number }[] = [];
    let detected: ScanReport['detection'] = null;
    if (stream && detection) {
      tracker.stage = 'detect';
      const results = stream.results();
      metrics.add('morphology', stream.timings.morphology);
      metrics.add('label', stream.timings.label);
      const measured = await collector!.finish(ctx.inflight);
      const finishCtx = { grid: plan.outGrid, indexNames: names };
      const outcomes = await metrics.time('polygons', () =>
        finishDetectors(
          results.map((r, d) => ({ ...r, measured: measured[d]! })),
          finishCtx,
        ),
      );
      afterStrip(); // the last rows are final now
      await metrics.time('masks', () => maskWriters!.finish());
      const fc = toFeatureCollection(outcomes, {
        ...finishCtx,
        scene: scene.id,
        date: scene.metadata.datetime ?? null,
        parameterSet: detection.params.name,
        parameterHash: parameterHash(params),
        detectorsHash: paramsHash(detection.params),
      });
      await metrics.time('geojson', () => writeGeoJson(join(tmp, 'candidates.geojson'), fc));
      outputs.push(...maskWriters!.paths.map((path) => ({ path, bytes: 0 })), {
        path: join(tmp, 'candidates.geojson'),
        bytes: 0,
      });
      detected = {
        parameter_set: detection.params.name,
        parameter_hash: paramsHash(detection.params),
        detectors: Object.fromEntries(outcomes.map((o) => [o.name, o.summary])),
        skipped: plan.skippedDetectors,
        candidates: fc.features.length,
      };
      if (picture) {
        const ok = await metrics.time('outlines', async () => {
          const image = await picture;
          if (typeof image === 'string') return image;
          const q = quicklookGrid(plan.window, 2048);
          const colors: Record<string, string> = {
            terra_preta: '#ffd400',
            terra_preta_standard: '#ff7a00',
            crop_mark: '#00e5ff',
          };
          const outlines = outcomes.flatMap((o) =>
            o.candidates.map((c) => ({
              rings: c.rings.map((r) =>
                r.map(([x, y]): [number, number] => [(x - plan.window.x0) / q.factor, (y - plan.window.y0) / q.factor]),
              ),
              color: colors[o.name] ?? '#ff00ff',
            })),
          );
          await writeQuicklook(join(tmp, 'quicklook.png'), image, outlines);
          outputs.push({ path: join(tmp, 'quicklook.png'), bytes: 0 });
          return undefined;
        });
        if (ok) {
          plan.warnings.push(`quicklook skipped: ${ok}`);
          logger.warn('Scene:Warning', { scene: scene.id }, `quicklook skipped: ${ok}`);
        }
      }
    }
    tracker.stage = 'write';
    // JPEG 2000 bands are decoded whole, one worker each: those durations are real decode times.
    // GeoTIFF tiles are inflated on the libuv pool while strips are read: their cost is in `read`.
    for (const r of plan.readers) {
      if (r.format === 'JPEG 2000') metrics.add('decode', r.stats.decodeSeconds, { bytes: r.stats.bytesRead });
    }

    outputs.unshift(...writers.map((w) => ({ path: w.path, bytes: 0 })));
    for (const o of outputs) {
      o.bytes = (await stat(o.path)).size;
      o.path = relative(tmp, o.path);
    }
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
    });
    await writeJsonAtomic(join(tmp, 'report.json'), report);
    await commitDir(tmp, finalDir);
    logger.info('Scene:Done', {
      scene: scene.id,
      out: finalDir,
      wall_s: report.wall_s,
      indices: report.indices.written.length,
    });
    return { id: scene.id, outputDir: finalDir, report };
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()));
    await maskWriters?.abort();
    await discardDir(tmp);
    throw err;
  } finally {
    await Promise.all(plan.readers.map((r) => r.close()));
    await pool.broadcast({ type: 'release', key }).catch(() => undefined);
  }
}

/** Times a promise as one sample of `stage` (it may run while other stages do). */
function timedPromise<T>(metrics: Metrics, stage: string, p: Promise<T>): Promise<T> {
  const t0 = performance.now();
  return p.finally(() => metrics.add(stage, (performance.now() - t0) / 1000));
}

/** Ground area of one output pixel in m². */
function pixelArea(plan: ScanPlan): number {
  const t = plan.outGrid.transform;
  return Math.abs(t[1] * t[5]);
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
  stream: DetectionStream | undefined,
  collector: StatsCollector | undefined,
  afterStrip: () => void,
  device: DeviceKernels | undefined,
): Promise<number> {
  const T = ctx.block;
  const { window } = plan;
  const strips = stripSpans(window, T);
  const tilesAcross = Math.ceil(window.width / T);
  const chunk = taskChunk(tilesAcross, pool.size);
  const bandAxes = plan.bands.map(axesOf);
  const sclAxes = plan.scl ? axesOf(plan.scl) : undefined;
  const windows = new WindowPool();
  let validPixels = 0;
  let done = 0;

  const read = async (s: StripSpan) => {
    const t0 = performance.now();
    const data = await readStrip(plan, bandAxes, sclAxes, s.gy0, s.rows, windows);
    metrics.add('read', (performance.now() - t0) / 1000, {
      bytes: data.bands.reduce((a, b) => a + b.data.byteLength, 0),
    });
    return data;
  };

  const processStrip = async (s: StripSpan, data: Awaited<ReturnType<typeof read>>): Promise<void> => {
    const tasks: Promise<StripResult>[] = [];
    const cols0: number[] = [];
    for (let c = 0; c < tilesAcross; c += chunk) {
      const cols = Math.min(chunk * T, window.width - c * T);
      const task: StripTask = {
        type: 'strip',
        key,
        gridX0: window.x0 + c * T,
        gridY0: s.gy0,
        cols,
        rows: s.rows,
        tileX0: c,
        tileY: s.index,
        bands: data.bands,
        scl: data.scl,
      };
      tasks.push(device ? onDevice(pool, device, task) : pool.run<StripResult>(task));
      cols0.push(c * T);
    }
    const results = await Promise.all(tasks);
    // The workers have appended the strip's tiles; its windows go back to the pool, or to the
    // statistics collector, which releases them once the candidates in the strip are summed.
    await stream?.add(s.index, { y0: s.gy0, rows: s.rows, results, cols0 });
    if (collector) collector.addStrip(s, data);
    else data.release();
    afterStrip();
    const sum = { resample: 0, indices: 0, mask: 0, encode: 0, write: 0, bytes: 0 };
    for (const r of results) {
      sum.resample += r.timings.resample;
      sum.indices += r.timings.indices;
      sum.mask += r.timings.mask;
      sum.encode += r.timings.encode;
      sum.write += r.timings.write;
      sum.bytes += r.bytes;
      validPixels += r.validPixels;
    }
    const px = s.rows * window.width;
    metrics.add('resample', sum.resample, { pixels: px * plan.bands.length });
    metrics.add('indices', sum.indices, { pixels: px * plan.computed.length });
    if (stream) metrics.add('mask', sum.mask, { pixels: px });
    metrics.add('encode', sum.encode, { bytes: px * 4 * plan.indices.length });
    metrics.add('write', sum.write, { bytes: sum.bytes });
    done++;
    ctx.onProgress?.(`scan ${sceneId}`, done, strips.length);
  };

  await forEachStrip(strips, ctx.inflight, read, processStrip);
  return validPixels;
}

/** The window's strips of `block` rows. */
export function stripSpans(window: { y0: number; height: number }, block: number): StripSpan[] {
  return Array.from({ length: Math.ceil(window.height / block) }, (_, index) => {
    const gy0 = window.y0 + index * block;
    return { index, gy0, rows: Math.min(block, window.y0 + window.height - gy0) };
  });
}

/** Tile columns per task: enough tasks per strip to balance the workers, each small in memory. */
export function taskChunk(tilesAcross: number, workers: number): number {
  return Math.max(1, Math.min(2, Math.ceil(tilesAcross / (workers * 2))));
}

/**
 * One strip task on a device engine: the worker resamples (planes come back transferred, not copied),
 * the device computes the indices and the detectors' bits, the worker encodes and writes the tiles.
 */
async function onDevice(pool: WorkerPool, device: DeviceKernels, task: StripTask): Promise<StripResult> {
  const planes = await pool.run<PlanesResult>({ ...task, type: 'planes' } satisfies PlanesTask);
  // The device's own time for the task (tasks queue for the device; the wait is not counted).
  const { outs, bits, seconds: indices } = await device.strip(planes.planes, planes.masked, task.rows, task.cols);
  const encode: EncodeTask = {
    type: 'encode',
    key: task.key,
    cols: task.cols,
    rows: task.rows,
    tileX0: task.tileX0,
    tileY: task.tileY,
    outs,
  };
  const r = await pool.run<StripResult>(
    encode,
    outs.map((o) => o.buffer as ArrayBuffer),
  );
  return { ...r, bits, timings: { ...r.timings, resample: planes.seconds, indices } };
}

/** The device engine's morphology for the detection stream (a band's float32 mask must fit one binding). */
function deviceMorphology(ctx: ScanContext): DeviceMorphology | undefined {
  const engine = ctx.engine?.engine;
  if (!engine) return undefined;
  return {
    fits: (rows, cols) => rows * cols * 4 <= engine.maxPlaneBytes,
    run: (mask, rows, cols, steps) => engine.morphology(mask, rows, cols, steps),
  };
}
