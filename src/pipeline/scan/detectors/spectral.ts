/**
 * The spectral kind in a scene (compute/detect/spectral/spec.ts): its condition bits come with each
 * strip from the engine; the detection stream keeps its morphology halo and labels the rows made final;
 * the statistics collector holds the strip's source windows until the candidates there are summed; the
 * masks are written tile row by tile row. At the end: confidences, limits, outlines, candidates.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpectralSpec } from '../../../compute/detect/params.js';
import { StatsCollector } from '../detect.stats.js';
import { DetectionStream, type DetectorRun, type DeviceMorphology } from '../detect.stream.js';
import { finishDetectors, MaskWriters, toDetectorResult } from '../detect.js';
import type { ScanContext } from '../scan.context.js';
import type { ScanPlan } from '../scan.plan.js';
import { taskChunk } from '../scan.strips.js';
import type { DetectionSite, DetectionStrip, DetectorResult, SceneDetector, SceneDetectorKind } from './detector.js';

/** The plan's spectral detectors, each with the slot of its own index among the computed indices. */
export function spectralRuns(plan: ScanPlan): DetectorRun[] {
  const names = plan.computed.map((d) => d.name);
  return plan.detectors
    .filter((d): d is { name: string; spec: SpectralSpec } => d.spec.kind === 'spectral')
    .map((d) => ({ name: d.name, spec: d.spec, slot: names.indexOf(d.spec.index) }));
}

export const spectralSceneKind: SceneDetectorKind<SpectralSpec> = {
  // condition bits, not values: the engine computes them in the strip's own pass
  valueIndices: () => [],
  start: (site) => SpectralDetector.start(site, spectralRuns(site.plan)),
};

class SpectralDetector implements SceneDetector {
  readonly kind = 'spectral';

  private constructor(
    private readonly site: DetectionSite,
    private readonly runs: DetectorRun[],
    private readonly stream: DetectionStream,
    private readonly collector: StatsCollector,
    private readonly masks: MaskWriters,
  ) {}

  static async start(site: DetectionSite, runs: DetectorRun[]): Promise<SpectralDetector> {
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
      pool,
      key: site.key,
      digests: site.digests,
      copy: ctx.cogCopy,
    });
    return new SpectralDetector(site, runs, stream, collector, masks);
  }

  async add(strip: DetectionStrip): Promise<void> {
    const { span, results, cols0 } = strip;
    await this.stream.add(span.index, { y0: span.gy0, rows: span.rows, results, cols0 });
    // The collector releases the windows once the candidates in the strip are summed.
    this.collector.addStrip(span, { ...strip.source, release: strip.hold() });
    this.writeFinalRows();
  }

  /** Writes the mask rows that became final with the last strip. */
  private writeFinalRows(): void {
    for (let d = 0; d < this.runs.length; d++)
      this.masks.advance(d, this.stream.mask(d), this.stream.validMask(d), this.stream.finalRows(d));
  }

  async finish(): Promise<{ detectors: DetectorResult[]; files: string[] }> {
    const { ctx, plan, metrics } = this.site;
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
    this.writeFinalRows(); // the last rows are final now
    await metrics.time('masks', () => this.masks.finish());
    metrics.add('masks', this.masks.seconds); // the workers' part: the tiles and their overviews
    return { detectors: outcomes.map((o) => toDetectorResult(o, finishCtx)), files: this.masks.paths };
  }

  discard(): void {
    this.collector.discard();
  }

  async abort(): Promise<void> {
    await this.masks.abort();
  }
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
