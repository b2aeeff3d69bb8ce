/**
 * The strips of one scene: read in order (a few in flight), cut into tasks of a few tile columns, run on
 * the CPU engine in the workers (or split around a device engine), handed to detection (scan.detection.ts)
 * and timed. Memory is bounded by the strips in flight, not the tile.
 */
import type { Metrics } from '../../core/metrics.js';
import type { WorkerPool } from '../../engine/cpu/pool.js';
import type { DeviceKernels } from '../../engine/engine.js';
import type { ScanContext } from './scan.context.js';
import type { ScanPlan } from './scan.plan.js';
import type { NegativeReflectanceCounter } from './reflectance.range.js';
import { axesOf, forEachStrip, readStrip, WindowPool, type StripSpan } from './scan.read.js';
import type { EncodeTask, OverviewTask, PlanesResult, PlanesTask, StripResult, StripTask } from './scan.worker.js';

/** Where a scene's strips go besides the output files. */
export interface StripSinks {
  /** The scene's detection (SceneDetection): takes each strip's results and its source windows over. */
  detection:
    | {
        add(
          span: StripSpan,
          results: StripResult[],
          cols0: number[],
          data: Awaited<ReturnType<typeof readStrip>>,
        ): Promise<void>;
      }
    | undefined;
  /** The device engine's kernels, when a device engine computes the indices. */
  device: DeviceKernels | undefined;
  /** Counts negative reflectance in the DN windows as they are read. */
  negatives: NegativeReflectanceCounter;
  /** The written indices that have overviews (their pyramids advance after each strip, in order). */
  overviews: readonly number[];
}

/**
 * Streams every strip through the workers, which append the encoded tiles to the writers' files (their
 * sinks went out with the scene setup); returns the count of valid pixels.
 */
export async function streamStrips(
  ctx: ScanContext,
  pool: WorkerPool,
  plan: ScanPlan,
  key: string,
  metrics: Metrics,
  sceneId: string,
  sinks: StripSinks,
): Promise<number> {
  const { detection, device, negatives, overviews } = sinks;
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
  // The overviews advance strip after strip, in order, once a strip's tasks have copied their rows into
  // the strip slots. A strip is done only when its step is: the next strips in flight then never
  // overwrite a slot still being read (slots = strips in flight).
  let overviewChain: Promise<unknown> = Promise.resolve();
  // On a device engine, each task's encoding is queued only after the previous task's: a worker writing
  // tiles waits for the tiles before them (geotiff.writer.ts), and the pool's queue runs tasks in the
  // order they were queued, so the tiles a worker waits for are always on another worker, never queued
  // behind it (device results come back in any order).
  let encodeQueued: Promise<void> = Promise.resolve();

  const read = async (s: StripSpan) => {
    const t0 = performance.now();
    const data = await readStrip(plan, bandAxes, sclAxes, s.gy0, s.rows, windows);
    negatives.add(data.bands);
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
      if (device) {
        const after = encodeQueued;
        let queued!: () => void;
        encodeQueued = new Promise((resolve) => {
          queued = resolve;
        });
        tasks.push(onDevice(pool, device, task, after, queued));
      } else tasks.push(pool.run<StripResult>(task));
      cols0.push(c * T);
    }
    const all = Promise.all(tasks);
    const step = overviewChain.then(async () => {
      await all;
      const seconds = await Promise.all(
        overviews.map((index) =>
          pool.run<number>({
            type: 'overview',
            key,
            index,
            strip: s.index,
            y0: s.gy0 - window.y0,
            rows: s.rows,
          } satisfies OverviewTask),
        ),
      );
      metrics.add(
        'overviews',
        seconds.reduce((a, b) => a + b, 0),
      );
    });
    overviewChain = step;
    step.catch(() => undefined); // awaited below; a failed strip fails the scene anyway
    const results = await all;
    // The workers have appended the strip's tiles; its windows go back to the pool, or to detection,
    // which releases them once its detectors are done with them (the candidates there summed).
    if (detection) await detection.add(s, results, cols0, data);
    else data.release();
    const sum = { resample: 0, indices: 0, mask: 0, encode: 0, write: 0, overview: 0, bytes: 0 };
    for (const r of results) {
      sum.resample += r.timings.resample;
      sum.indices += r.timings.indices;
      sum.mask += r.timings.mask;
      sum.encode += r.timings.encode;
      sum.write += r.timings.write;
      sum.overview += r.timings.overview;
      sum.bytes += r.bytes;
      validPixels += r.validPixels;
    }
    const px = s.rows * window.width;
    metrics.add('resample', sum.resample, { pixels: px * plan.bands.length });
    metrics.add('indices', sum.indices, { pixels: px * plan.computed.length });
    if (detection) metrics.add('mask', sum.mask, { pixels: px });
    metrics.add('encode', sum.encode, { bytes: px * 4 * plan.indices.length });
    metrics.add('write', sum.write, { bytes: sum.bytes });
    // The tasks' part of the overviews (rows into the strip slots, level 1 averaged there).
    if (overviews.length) metrics.add('overviews', sum.overview);
    await step;
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
 * The encoding is queued once `after` (the previous task's encoding queued) has settled; `queued` tells
 * the next task that this one's is (or that it never will be: the scene then fails anyway).
 */
async function onDevice(
  pool: WorkerPool,
  device: DeviceKernels,
  task: StripTask,
  after: Promise<void>,
  queued: () => void,
): Promise<StripResult> {
  let result: Promise<StripResult>;
  let bits: Awaited<ReturnType<DeviceKernels['strip']>>['bits'];
  let planesSeconds: number;
  let indices: number;
  try {
    const planes = await pool.run<PlanesResult>({ ...task, type: 'planes' } satisfies PlanesTask);
    planesSeconds = planes.seconds;
    // The device's own time for the task (tasks queue for the device; the wait is not counted).
    const computed = await device.strip(planes.planes, planes.masked, task.rows, task.cols);
    bits = computed.bits;
    indices = computed.seconds;
    await after;
    result = encodeOnWorker(pool, task, computed.outs);
  } finally {
    queued();
  }
  const r = await result;
  return { ...r, bits, timings: { ...r.timings, resample: planesSeconds, indices } };
}

/** Queues the encoding and writing of a device task's index planes on a worker. */
function encodeOnWorker(pool: WorkerPool, task: StripTask, outs: Float32Array[]): Promise<StripResult> {
  const encode: EncodeTask = {
    type: 'encode',
    key: task.key,
    cols: task.cols,
    rows: task.rows,
    tileX0: task.tileX0,
    tileY: task.tileY,
    outs,
  };
  return pool.run<StripResult>(
    encode,
    outs.map((o) => o.buffer as ArrayBuffer),
  );
}
