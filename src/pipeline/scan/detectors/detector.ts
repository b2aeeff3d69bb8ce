/**
 * The detector seam, scan side. Each kind of detector (compute/detect/kind.ts) runs in a scene as one
 * SceneDetector: strips in, in order from the window's top, once each; candidates out at the end. A kind
 * keeps the halo it needs itself (the spectral kind its morphology chain's rows, a line detector its
 * filter's): nothing is sent twice and nothing holds a whole raster. What a strip carries: the engine's
 * per-task results (the spectral kind's condition bits), the values of the indices a kind asked for
 * (full window width), and the strip's source windows, which a kind may hold until it has used them.
 * Candidates come out in window pixel coordinates with their kind's own properties; scan.detection.ts
 * turns every kind's into one candidates.geojson and outlines them on the quicklook.
 */
import type { DetectionParams, DetectorSpec } from '../../../compute/detect/params.js';
import type { Ring } from '../../../compute/detect/polygons.js';
import type { Metrics } from '../../../core/metrics.js';
import type { SampleWindow } from '../../../core/types.js';
import type { WorkerPool } from '../../../engine/cpu/pool.js';
import type { Scene } from '../../../io/scene/discover.js';
import type { ScanContext } from '../scan.context.js';
import type { SceneDigests } from '../scan.digests.js';
import type { ScanPlan } from '../scan.plan.js';
import type { StripSpan } from '../scan.read.js';
import type { StripResult } from '../scan.worker.js';

/** What a scene's detection knows of the scene, and where it writes. */
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
  /** The rasters' SHA-256s, hashed as their writers finish. */
  digests: SceneDigests;
}

export interface DetectionStrip {
  span: StripSpan;
  /** The strip's rows in window coordinates: [y0, y0 + rows). */
  y0: number;
  rows: number;
  /** The engine's results of the strip's tasks, and each task's first window column. */
  results: StripResult[];
  cols0: number[];
  /** Values of every index a kind asked for (valueIndices), rows x window width, by index name. */
  values: ReadonlyMap<string, Float32Array>;
  /** The strip's source windows (shared memory, pooled). */
  source: { bands: SampleWindow[]; scl: SampleWindow | undefined };
  /** Keeps the source windows past add(); call the function returned when done with them. */
  hold(): () => void;
}

export type Prop = string | number | null | number[];

/** A candidate's geometry in window pixel-corner coordinates (x right, y down), OGC-valid. */
export type CandidateGeometry =
  | { type: 'Polygon'; coordinates: Ring[] }
  | { type: 'MultiPolygon'; coordinates: Ring[][] }
  | { type: 'LineString'; coordinates: [number, number][] };

export interface SceneCandidate {
  detector: string;
  confidence: number;
  geometry: CandidateGeometry;
  /** Centroid in window pixel coordinates (a pixel's centre is at +0.5). */
  centroid: [number, number];
  /** The kind's own properties, in GeoJSON order: `lead` before the centroid fields, `tail` after confidence. */
  lead: Record<string, Prop>;
  tail: Record<string, Prop>;
}

/** A detector's result: report.json's summary and its candidates, most confident first. */
export interface DetectorResult {
  name: string;
  summary: Record<string, number>;
  candidates: SceneCandidate[];
}

/** One kind's detectors in one scene. */
export interface SceneDetector {
  readonly kind: string;
  /** Strips in, in order (awaited one at a time). */
  add(strip: DetectionStrip): Promise<void>;
  /** After the last strip: every detector's result (in the order of the plan) and the files written. */
  finish(): Promise<{ detectors: DetectorResult[]; files: string[] }>;
  /** The strips failed: let go of what is held (source windows). */
  discard(): void;
  /** The scene failed: remove partial files. */
  abort(): Promise<void>;
}

/** A kind's scan side: the index values it needs per strip, and how it starts in a scene. */
export interface SceneDetectorKind<S extends DetectorSpec = DetectorSpec> {
  /** Indices whose values a strip must carry for these detectors (none for the spectral kind: bits). */
  valueIndices(detectors: readonly { name: string; spec: S }[]): string[];
  /** Starts the kind's detectors of the plan (plan.detectors of this kind), before the first strip. */
  start(site: DetectionSite, detectors: readonly { name: string; spec: S }[]): Promise<SceneDetector>;
}

/**
 * The values of index `slot` over a strip's full window width, from its tasks' values (each task's
 * columns from cols0[t] to the next task's).
 */
export function stripValues(
  results: readonly StripResult[],
  cols0: readonly number[],
  k: number,
  rows: number,
  width: number,
): Float32Array {
  const out = new Float32Array(rows * width);
  results.forEach((r, t) => {
    const part = r.values?.[k];
    if (!part) throw new Error(`detection: task ${t} brought no values for index ${k}`);
    const x0 = cols0[t]!;
    const cols = (t + 1 < cols0.length ? cols0[t + 1]! : width) - x0;
    for (let y = 0; y < rows; y++) out.set(part.subarray(y * cols, (y + 1) * cols), y * width + x0);
  });
  return out;
}
