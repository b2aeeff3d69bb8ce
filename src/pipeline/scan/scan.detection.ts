/**
 * Candidate detection inside one scene's scan: every kind of its detectors started before the strips
 * (detectors/kinds.ts; the spectral kind's stream, statistics and masks), and the quicklook's picture,
 * which needs only reduced reads; fed strip by strip (scan.strips.ts), each kind receiving the strips in
 * order; then finished — every kind's candidates, candidates.geojson and the outlined quicklook — into
 * the scene's temporary folder.
 */
import { join } from 'node:path';
import { paramsHash } from '../../compute/detect/params.js';
import type { Metrics } from '../../core/metrics.js';
import { writeGeoJson } from '../../io/output/geojson.js';
import { writeQuicklook, writeQuicklookGeoreference, type RgbImage } from '../../io/output/quicklook.js';
import {
  stripValues,
  type DetectionSite,
  type DetectionStrip,
  type DetectorResult,
  type SceneDetector,
} from './detectors/detector.js';
import { outlinePaths, toFeatureCollection } from './detectors/features.js';
import { detectorsByKind, sceneKind } from './detectors/kinds.js';
import { quicklookGrid, quicklookImage } from './quicklook.js';
import type { ScanPlan } from './scan.plan.js';
import type { StripSpan } from './scan.read.js';
import type { ScanReport } from './scan.report.js';
import type { StripResult } from './scan.worker.js';

export type { DetectionSite } from './detectors/detector.js';

/** Quicklook outline colour of a detector whose parameters name none. */
const DEFAULT_OUTLINE = '#ff00ff';

/** Edge of the quicklook picture, in pixels. */
const QUICKLOOK_SIZE = 2048;

/** Indices whose values the plan's detectors need in every strip (ScanSetup.values), by kind. */
export function detectionValueIndices(plan: ScanPlan): string[] {
  const out = new Set<string>();
  for (const [kind, detectors] of detectorsByKind(plan.detectors))
    for (const name of sceneKind(kind).valueIndices(detectors)) out.add(name);
  return [...out];
}

/** A strip's source windows, released when detection and every kind holding them are done. */
interface StripData {
  bands: DetectionStrip['source']['bands'];
  scl: DetectionStrip['source']['scl'];
  release: () => void;
}

export class SceneDetection {
  private readonly waiting = new Map<number, DetectionStrip & { release: () => void }>();
  private next = 0;
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly site: DetectionSite,
    private readonly kinds: SceneDetector[],
    /** ScanSetup.values: the indices whose values come with each task's result, in that order. */
    private readonly valueIndices: string[],
    private readonly picture: Promise<RgbImage | string> | undefined,
  ) {}

  /** Starts detection for a scene (every kind of its detectors), or undefined when it has none. */
  static async start(site: DetectionSite, valueIndices: string[]): Promise<SceneDetection | undefined> {
    const { ctx, plan, metrics } = site;
    if (!plan.detectors.length) return undefined;
    const kinds: SceneDetector[] = [];
    try {
      for (const [kind, detectors] of detectorsByKind(plan.detectors))
        kinds.push(await sceneKind(kind).start(site, detectors));
    } catch (err) {
      await Promise.all(kinds.map((k) => k.abort()));
      throw err;
    }
    // The quicklook's picture needs only reduced-resolution reads: start it now, outline it at the end.
    const picture = ctx.quicklook
      ? timedPromise(
          metrics,
          'quicklook',
          quicklookImage(site.scene, plan.fullGrid, plan.window, QUICKLOOK_SIZE, plan.sources),
        )
      : undefined;
    picture?.catch(() => undefined);
    return new SceneDetection(site, kinds, valueIndices, picture);
  }

  /**
   * A strip's task results and source windows, strips in any order; every kind receives them in order,
   * one strip at a time. Takes the windows over: they are released once no kind holds them.
   */
  add(span: StripSpan, results: StripResult[], cols0: number[], data: StripData): Promise<void> {
    const { window } = this.site.plan;
    let holds = 0;
    const hold = (): (() => void) => {
      holds++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        if (--holds === 0) data.release();
      };
    };
    const values = new Map(
      this.valueIndices.map((name, k) => [name, stripValues(results, cols0, k, span.rows, window.width)]),
    );
    const own = hold(); // detection's own, released after every kind's add
    this.waiting.set(span.index, {
      span,
      y0: span.gy0 - window.y0,
      rows: span.rows,
      results,
      cols0,
      values,
      source: { bands: data.bands, scl: data.scl },
      hold,
      release: own,
    });
    this.chain = this.chain.then(async () => {
      for (let s = this.waiting.get(this.next); s; s = this.waiting.get(this.next)) {
        this.waiting.delete(this.next);
        try {
          for (const k of this.kinds) await k.add(s);
        } finally {
          s.release();
        }
        this.next++;
      }
    });
    return this.chain;
  }

  /** The strips failed: every held source window goes back. */
  discard(): void {
    for (const s of this.waiting.values()) s.release();
    this.waiting.clear();
    for (const k of this.kinds) k.discard();
  }

  async abort(): Promise<void> {
    await Promise.all(this.kinds.map((k) => k.abort()));
  }

  /**
   * Finishes the candidates after the last strip: every kind's (statistics, confidences, geometries,
   * masks), then candidates.geojson and the outlined quicklook. Returns report.json's `detection` and the
   * files written (in report order).
   */
  async finish(): Promise<{ detection: NonNullable<ScanReport['detection']>; files: string[]; warnings: string[] }> {
    const { params, plan, scene, metrics, tmp } = this.site;
    const results: DetectorResult[] = [];
    const files: string[] = [];
    for (const k of this.kinds) {
      const r = await k.finish();
      results.push(...r.detectors);
      files.push(...r.files);
    }
    const fc = toFeatureCollection(results, {
      grid: plan.outGrid,
      scene: scene.id,
      date: scene.metadata.datetime ?? null,
      parameterSet: params.name,
      parameterHash: this.site.parameterHash,
      detectorsHash: paramsHash(params),
    });
    const geojson = join(tmp, 'candidates.geojson');
    await metrics.time('geojson', () => writeGeoJson(geojson, fc));
    files.push(geojson);
    const warnings: string[] = [];
    if (this.picture) {
      const written = await metrics.time('outlines', () => this.outlineQuicklook(results));
      if (typeof written === 'string') warnings.push(`quicklook skipped: ${written}`);
      else files.push(...written);
    }
    const detection = {
      parameter_set: params.name,
      parameter_hash: paramsHash(params),
      detectors: Object.fromEntries(results.map((o) => [o.name, o.summary])),
      skipped: plan.skippedDetectors,
      candidates: fc.features.length,
    };
    return { detection, files, warnings };
  }

  /**
   * Draws every candidate's outline, in its detector's colour, on the picture, and georeferences it;
   * returns the files written, or the reason when there is no picture.
   */
  private async outlineQuicklook(results: DetectorResult[]): Promise<string | string[]> {
    const { plan, params, tmp } = this.site;
    const image = await this.picture!;
    if (typeof image === 'string') return image;
    const q = quicklookGrid(plan.window, QUICKLOOK_SIZE);
    const toPicture = ([x, y]: [number, number]): [number, number] => [
      (x - plan.window.x0) / q.factor,
      (y - plan.window.y0) / q.factor,
    ];
    const outlines = results.flatMap((o) => {
      const color = params.detectors[o.name]?.outline ?? DEFAULT_OUTLINE;
      return o.candidates.map((c) => {
        const { rings, lines } = outlinePaths(c.geometry);
        return { rings: rings.map((r) => r.map(toPicture)), lines: lines.map((l) => l.map(toPicture)), color };
      });
    });
    const png = join(tmp, 'quicklook.png');
    await writeQuicklook(png, image, outlines);
    // The picture's grid: the output grid's, one picture pixel per `factor` grid pixels.
    const [ox, px, rx, oy, ry, py] = plan.outGrid.transform;
    const f = q.factor;
    const georef = await writeQuicklookGeoreference(png, [ox, px * f, rx * f, oy, ry * f, py * f], plan.outGrid.epsg);
    return [png, ...georef];
  }
}

/** Times a promise as one sample of `stage` (it may run while other stages do). */
function timedPromise<T>(metrics: Metrics, stage: string, p: Promise<T>): Promise<T> {
  const t0 = performance.now();
  return p.finally(() => metrics.add(stage, (performance.now() - t0) / 1000));
}
