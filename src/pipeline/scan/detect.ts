/**
 * From measured components to candidates and files: confidence (the detector's formula), the confidence
 * floor, the density limit, outlines along pixel edges (OGC-valid polygons), the seam's candidates
 * (detectors/detector.ts), and the masks/<detector>.tif rasters.
 */
import { join } from 'node:path';
import { densityFilter } from '../../compute/detect/density.js';
import { evaluate, parseFormula } from '../../compute/detect/formula.js';
import { outlinePolygons, type Ring } from '../../compute/detect/polygons.js';
import { componentPixels } from '../../compute/detect/shape.js';
import type { BitMask } from '../../compute/morphology.js';
import { roundTo } from '../../core/numbers.js';
import type { RasterGrid } from '../../core/types.js';
import { GeoTiffWriter } from '../../io/raster/geotiff.writer.js';
import type { Codec } from '../../io/raster/tiff.codec.js';
import type { WorkerPool } from '../../engine/cpu/pool.js';
import type { DetectorRun, DetectorSummary, Measured } from './detect.stream.js';
import type { DetectorResult, SceneCandidate } from './detectors/detector.js';
import type { SceneDigests } from './scan.digests.js';
import type { MaskRowTask } from './scan.worker.js';

export interface Candidate {
  detector: string;
  measured: Measured;
  confidence: number;
  contrast: number | null;
  /** Outline polygons in window pixel-corner coordinates (each exterior first, then its holes), OGC-valid. */
  polygons: Ring[][];
}

export interface DetectorOutcome {
  name: string;
  summary: DetectorSummary & { belowConfidence: number; densityDropped: number; candidates: number };
  candidates: Candidate[];
}

export interface FinishContext {
  /** The output grid (the processed window). */
  grid: RasterGrid;
  /** Names of the index values in Measured.means. */
  indexNames: readonly string[];
}

/** Confidence, limits, density and outlines for each detector; candidates sorted by confidence. */
export function finishDetectors(
  results: { run: DetectorRun; measured: Measured[]; summary: DetectorSummary; mask: BitMask }[],
  ctx: FinishContext,
): DetectorOutcome[] {
  const [ox, px, , oy, , py] = ctx.grid.transform;
  const pixelArea = Math.abs(px * py);
  const areaKm2 = (ctx.grid.width * ctx.grid.height * pixelArea) / 1e6;
  return results.map(({ run, measured, summary, mask }) => {
    const formula = parseFormula(run.spec.confidence);
    const scored = measured.map((m) => {
      const c = m.component;
      const h = c.maxY - c.minY + 1;
      const w = c.maxX - c.minX + 1;
      const own = m.means[run.slot]!;
      const contrast = m.ringMean === null || !Number.isFinite(own) ? null : own - m.ringMean;
      const vars: Record<string, number> = {
        area_px: c.area,
        area_m2: c.area * pixelArea,
        aspect: Math.max(h, w) / Math.max(Math.min(h, w), 1),
        contrast: contrast ?? NaN,
      };
      ctx.indexNames.forEach((name, k) => (vars[`mean_${name}`] = m.means[k]!));
      const value = evaluate(formula, vars);
      return { m, contrast, confidence: Number.isFinite(value) ? value : 0 };
    });
    const confident = scored.filter((s) => s.confidence >= run.spec.min_confidence);
    let kept = confident;
    if (run.spec.density) {
      const limit = Math.max(1, Math.floor(run.spec.density.max_per_km2 * areaKm2));
      const placed = confident.map((s) => ({
        x: ox + (s.m.component.sumX / s.m.component.area + 0.5) * px,
        y: oy + (s.m.component.sumY / s.m.component.area + 0.5) * py,
        confidence: s.confidence,
        area: s.m.component.area,
      }));
      kept = densityFilter(placed, run.spec.density.cluster_m, limit).map((i) => confident[i]!);
    }
    kept.sort(
      (a, b) =>
        b.confidence - a.confidence ||
        b.m.component.area - a.m.component.area ||
        a.m.component.seedY - b.m.component.seedY ||
        a.m.component.seedX - b.m.component.seedX,
    );
    const candidates = kept.map((s) => {
      const c = s.m.component;
      const polygons = outlinePolygons(componentPixels(mask, c.seedX, c.seedY, c, run.spec.connectivity));
      return { detector: run.name, measured: s.m, confidence: s.confidence, contrast: s.contrast, polygons };
    });
    return {
      name: run.name,
      summary: {
        ...summary,
        belowConfidence: scored.length - confident.length,
        densityDropped: confident.length - kept.length,
        candidates: candidates.length,
      },
      candidates,
    };
  });
}

/** A detector's outcome as the seam's result: geometry, centroid and the spectral properties, in GeoJSON order. */
export function toDetectorResult(o: DetectorOutcome, ctx: FinishContext): DetectorResult {
  const [, px, , , , py] = ctx.grid.transform;
  const pixelArea = Math.abs(px * py);
  const candidates = o.candidates.map((cand): SceneCandidate => {
    const c = cand.measured.component;
    const tail: SceneCandidate['tail'] = { contrast: cand.contrast === null ? null : roundTo(cand.contrast, 6) };
    ctx.indexNames.forEach((name, k) => {
      const v = cand.measured.means[k]!;
      tail[`mean_${name}`] = Number.isFinite(v) ? roundTo(v, 7) : null;
    });
    return {
      detector: cand.detector,
      confidence: cand.confidence,
      // Pixels joined only at corners are separate pieces for OGC: a MultiPolygon (polygons.ts).
      geometry:
        cand.polygons.length === 1
          ? { type: 'Polygon', coordinates: cand.polygons[0]! }
          : { type: 'MultiPolygon', coordinates: cand.polygons },
      centroid: [c.sumX / c.area + 0.5, c.sumY / c.area + 0.5],
      lead: { area_px: c.area, area_m2: roundTo(c.area * pixelArea, 3) },
      tail,
    };
  });
  return { name: o.name, summary: { ...o.summary }, candidates };
}

/** A mask pixel that is no candidate (0), a candidate (1), or had no valid value to test (nodata). */
export const MASK_NONE = 0;
export const MASK_CANDIDATE = 1;
export const MASK_NODATA = 255;

/**
 * masks/<detector>.tif: uint8 after morphology, on the output grid, tiled, compressed, a COG with mode
 * overviews: 1 candidate, 0 tested and no candidate, 255 (the declared nodata) where the detector's index
 * had no value (cloud, SCL-masked, nodata, outside the scene) and morphology left no candidate. Tile rows
 * are handed to a scan worker as soon as the detection stream has made their rows final, while the scan
 * goes on: the worker encodes the row's tiles and advances the mask's overviews (maskRow task), so the
 * main thread only unpacks the bits. One chain per mask keeps its rows in order.
 */
export class MaskWriters {
  private readonly written: number[];
  private readonly chains: Promise<void>[];
  /** Seconds the workers spent on the masks' tiles and overviews. */
  seconds = 0;

  private constructor(
    private readonly writers: GeoTiffWriter[],
    private readonly grid: RasterGrid,
    private readonly opts: { tileSize: number; codec: Codec; level: number; pool: WorkerPool; key: string },
  ) {
    this.written = writers.map(() => 0);
    this.chains = writers.map(() => Promise.resolve());
  }

  static async create(
    runs: readonly DetectorRun[],
    dir: string,
    grid: RasterGrid,
    opts: {
      tileSize: number;
      codec: Codec;
      level: number;
      metadata: Record<string, string>;
      pool: WorkerPool;
      key: string;
      digests: SceneDigests;
      /** GeoTiffWriter's `copy`. */
      copy?: boolean;
    },
  ): Promise<MaskWriters> {
    const writers: GeoTiffWriter[] = [];
    for (const run of runs) {
      const path = join(dir, `${run.name}.tif`);
      writers.push(
        await GeoTiffWriter.create(path, {
          grid,
          type: 'uint8',
          tileSize: opts.tileSize,
          codec: opts.codec,
          nodata: MASK_NODATA,
          description: `${run.name} mask`,
          metadata: {
            ...opts.metadata,
            detector: run.name,
            classes: `${MASK_NONE} none, ${MASK_CANDIDATE} candidate, ${MASK_NODATA} no valid value (nodata)`,
          },
          overviews: 'mode',
          digest: opts.digests.of(path),
          copy: opts.copy,
        }),
      );
    }
    return new MaskWriters(writers, grid, opts);
  }

  get paths(): string[] {
    return this.writers.map((w) => w.path);
  }

  /**
   * Writes detector d's tile rows that lie wholly above `finalRows` (queued; see flush): `mask` is the
   * final mask, `valid` where the detector's index had a value. Their rows go to the worker as bits.
   */
  advance(d: number, mask: BitMask, valid: BitMask, finalRows: number): void {
    const { tileSize: T, codec, level, pool, key } = this.opts;
    const writer = this.writers[d]!;
    while (this.written[d]! < writer.tilesDown) {
      const ty = this.written[d]!;
      const y0 = ty * T;
      const rows = Math.min(T, this.grid.height - y0);
      if (y0 + rows > finalRows) break;
      this.written[d] = ty + 1;
      const task: MaskRowTask = {
        type: 'maskRow',
        key,
        sink: writer.sink,
        mask: mask.data.slice(y0 * mask.stride, (y0 + rows) * mask.stride),
        tested: valid.data.slice(y0 * valid.stride, (y0 + rows) * valid.stride),
        y0,
        rows,
        width: this.grid.width,
        tileSize: T,
        codec,
        level,
        nodata: MASK_NODATA,
      };
      this.chains[d] = this.chains[d]!.then(async () => {
        this.seconds += await pool.run<number>(task, [
          task.mask.buffer as ArrayBuffer,
          task.tested.buffer as ArrayBuffer,
        ]);
      });
      // A write fault (a full disk) is reported by finish() or abort(), which await the chain; until then the
      // rejection must not count as unhandled, which would end the process with a stack trace.
      this.chains[d]!.catch(() => undefined);
    }
  }

  /** Waits for the queued tiles, then completes every file. */
  async finish(): Promise<void> {
    await Promise.all(this.chains);
    for (const w of this.writers) await w.finish();
  }

  async abort(): Promise<void> {
    await Promise.all(this.chains.map((c) => c.catch(() => undefined)));
    await Promise.all(this.writers.map((w) => w.abort()));
  }
}
