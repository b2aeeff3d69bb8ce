/**
 * Candidate detection inside one scene's scan: started before the strips (the detection stream, the
 * statistics collector, the mask writers, and the quicklook's picture, which needs only reduced reads),
 * fed strip by strip (scan.strips.ts), then finished — confidences, polygons, masks, candidates.geojson
 * and the outlined quicklook — into the scene's temporary folder.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { paramsHash, type DetectionParams } from '../../compute/detect/params.js';
import type { Metrics } from '../../core/metrics.js';
import type { WorkerPool } from '../../engine/cpu/pool.js';
import { writeGeoJson } from '../../io/output/geojson.js';
import { writeQuicklook, type RgbImage } from '../../io/output/quicklook.js';
import type { Scene } from '../../io/scene/discover.js';
import { StatsCollector } from './detect.stats.js';
import { DetectionStream, type DetectorRun, type DeviceMorphology } from './detect.stream.js';
import { finishDetectors, MaskWriters, toFeatureCollection, type DetectorOutcome } from './detect.js';
import { quicklookGrid, quicklookImage } from './quicklook.js';
import type { ScanContext } from './scan.context.js';
import type { ScanPlan } from './scan.plan.js';
import type { ScanReport } from './scan.report.js';
import { taskChunk } from './scan.strips.js';

/** Quicklook outline colour of a detector whose parameters name none. */
const DEFAULT_OUTLINE = '#ff00ff';

/** Edge of the quicklook picture, in pixels. */
const QUICKLOOK_SIZE = 2048;

/** The detectors of a plan, each with the slot of its own index among the computed indices. */
export function detectorRuns(plan: ScanPlan): DetectorRun[] {
  const names = plan.computed.map((d) => d.name);
  return plan.detectors.map((d) => ({ name: d.name, spec: d.spec, slot: names.indexOf(d.spec.index) }));
}

/** What a scene's detection needs to know of the scene and where it writes. */
export interface DetectionSite {
  ctx: ScanContext;
  params: DetectionParams;
  scene: Scene;
  plan: ScanPlan;
  pool: WorkerPool;
  /** The scene's key in the workers. */
  key: string;
  /** The scene's temporary output folder. */
  tmp: string;
  metrics: Metrics;
  /** GeoTIFF metadata items every mask carries. */
  tiffMetadata: Record<string, string>;
  /** The scan's parameter hash (report.json's), carried into candidates.geojson. */
  parameterHash: string;
}

export class SceneDetection {
  private constructor(
    private readonly site: DetectionSite,
    private readonly runs: DetectorRun[],
    readonly stream: DetectionStream,
    readonly collector: StatsCollector,
    private readonly masks: MaskWriters,
    private readonly picture: Promise<RgbImage | string> | undefined,
  ) {}

  /** Starts detection for a scene, or undefined when it has no detectors to run. */
  static async start(site: DetectionSite, runs: DetectorRun[]): Promise<SceneDetection | undefined> {
    if (!runs.length) return undefined;
    const { ctx, params, plan, pool, metrics } = site;
    const stream = new DetectionStream(
      plan.window,
      runs,
      params.remask_after_morphology,
      pixelArea(plan),
      deviceMorphology(ctx),
    );
    const collector = new StatsCollector(stream, runs, {
      plan,
      pool,
      key: site.key,
      block: ctx.block,
      chunk: taskChunk(Math.ceil(plan.window.width / ctx.block), pool.size),
      ringPx: params.ring_px,
      metrics,
      maxRetained: 6,
    });
    const dir = join(site.tmp, 'masks');
    await mkdir(dir);
    const masks = await MaskWriters.create(runs, dir, plan.outGrid, {
      tileSize: ctx.block,
      codec: ctx.codec,
      level: ctx.level,
      metadata: site.tiffMetadata,
    });
    // The quicklook's picture needs only reduced-resolution reads: start it now, outline it at the end.
    const picture = ctx.quicklook
      ? timedPromise(
          metrics,
          'quicklook',
          quicklookImage(site.scene, plan.fullGrid, plan.window, QUICKLOOK_SIZE, plan.sources),
        )
      : undefined;
    picture?.catch(() => undefined);
    return new SceneDetection(site, runs, stream, collector, masks, picture);
  }

  /** Writes the mask rows that became final with the last strip. */
  afterStrip(): void {
    for (let d = 0; d < this.runs.length; d++) this.masks.advance(d, this.stream.mask(d), this.stream.finalRows(d));
  }

  /** The strips failed: the retained source windows go back. */
  discard(): void {
    this.collector.discard();
  }

  async abort(): Promise<void> {
    await this.masks.abort();
  }

  /**
   * Finishes the candidates after the last strip: statistics, confidences, polygons, masks, GeoJSON and
   * the outlined quicklook. Returns report.json's `detection` and the files written (in report order).
   */
  async finish(): Promise<{ detection: NonNullable<ScanReport['detection']>; files: string[]; warnings: string[] }> {
    const { ctx, params, plan, scene, metrics, tmp } = this.site;
    const results = this.stream.results();
    metrics.add('morphology', this.stream.timings.morphology);
    metrics.add('label', this.stream.timings.label);
    const measured = await this.collector.finish(ctx.inflight);
    const finishCtx = { grid: plan.outGrid, indexNames: plan.computed.map((d) => d.name) };
    const outcomes = await metrics.time('polygons', () =>
      finishDetectors(
        results.map((r, d) => ({ ...r, measured: measured[d]! })),
        finishCtx,
      ),
    );
    this.afterStrip(); // the last rows are final now
    await metrics.time('masks', () => this.masks.finish());
    const fc = toFeatureCollection(outcomes, {
      ...finishCtx,
      scene: scene.id,
      date: scene.metadata.datetime ?? null,
      parameterSet: params.name,
      parameterHash: this.site.parameterHash,
      detectorsHash: paramsHash(params),
    });
    const geojson = join(tmp, 'candidates.geojson');
    await metrics.time('geojson', () => writeGeoJson(geojson, fc));
    const files = [...this.masks.paths, geojson];
    const warnings: string[] = [];
    if (this.picture) {
      const skipped = await metrics.time('outlines', () => this.outlineQuicklook(outcomes));
      if (skipped) warnings.push(`quicklook skipped: ${skipped}`);
      else files.push(join(tmp, 'quicklook.png'));
    }
    const detection = {
      parameter_set: params.name,
      parameter_hash: paramsHash(params),
      detectors: Object.fromEntries(outcomes.map((o) => [o.name, o.summary])),
      skipped: plan.skippedDetectors,
      candidates: fc.features.length,
    };
    return { detection, files, warnings };
  }

  /** Draws every candidate's outline, in its detector's colour, on the picture; a reason if there is none. */
  private async outlineQuicklook(outcomes: DetectorOutcome[]): Promise<string | undefined> {
    const { plan, params, tmp } = this.site;
    const image = await this.picture!;
    if (typeof image === 'string') return image;
    const q = quicklookGrid(plan.window, QUICKLOOK_SIZE);
    const toPicture = ([x, y]: [number, number]): [number, number] => [
      (x - plan.window.x0) / q.factor,
      (y - plan.window.y0) / q.factor,
    ];
    const outlines = outcomes.flatMap((o) => {
      const color = params.detectors[o.name]?.outline ?? DEFAULT_OUTLINE;
      return o.candidates.map((c) => ({ rings: c.rings.map((r) => r.map(toPicture)), color }));
    });
    await writeQuicklook(join(tmp, 'quicklook.png'), image, outlines);
    return undefined;
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

/** The device engine's morphology for the detection stream (a band's float32 mask must fit one binding). */
function deviceMorphology(ctx: ScanContext): DeviceMorphology | undefined {
  const engine = ctx.engine?.engine;
  if (!engine) return undefined;
  return {
    fits: (rows, cols) => rows * cols * 4 <= engine.maxPlaneBytes,
    run: (mask, rows, cols, steps) => engine.morphology(mask, rows, cols, steps),
  };
}
