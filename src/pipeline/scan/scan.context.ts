/**
 * What a scan run is given (the context built from the command line) and what it hands each scene:
 * concurrency limits shared by every scene, the stage tracker for failure records, a scene's result,
 * and the parameters that decide whether an earlier result can be reused.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { paramsHash, type DetectionParams, type DetectorSpec } from '../../compute/detect/params.js';
import type { Logger } from '../../core/log.js';
import type { WorkerPool } from '../../engine/cpu/pool.js';
import type { BackendChoice } from '../../engine/engine.js';
import type { EngineSelection } from '../../engine/select.js';
import type { Codec } from '../../io/raster/tiff.codec.js';
import { SourceContext, type RemoteOptions } from '../../io/source/source.context.js';
import type { RetryPolicy } from '../../io/source/retry.js';
import type { SearchQuery } from '../../io/stac/stac.search.js';
import type { PlanOptions, ScanPlan } from './scan.plan.js';
import type { ScanParameters, ScanReport } from './scan.report.js';

export interface ScanContext {
  /** Scenes, or folders holding scenes (walked recursively). */
  inputs: string[];
  /** Output folder; each scene writes `<out>/<scene id>/`. */
  out: string;
  plan: Omit<PlanOptions, 'jp2Limit' | 'tileLimit' | 'detectors' | 'detectExplicit' | 'sources'>;
  /** Remote band reads (http, https, s3): retries, request sizes, per-host limit, S3 access; defaults when absent. */
  remote?: RemoteOptions;
  codec: Codec;
  /** Compression level of the codec. */
  level: number;
  /**
   * Copy every COG into a new file instead of making room in place (`ARCHEO_COG_COPY=1`, an escape
   * hatch for a file system that claims to insert ranges and gets it wrong; io/raster/insert.range.ts).
   */
  cogCopy?: boolean;
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
  /** STAC: a search whose items are scanned (--stac …), and the retry policy of STAC requests. */
  stac?: { search?: SearchQuery; policy: RetryPolicy };
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
  /** This task's share of the archive; `source` says where the index came from (a job array's variable). */
  shard: { index: number; count: number; source?: string } | undefined;
}

/** Concurrency limits shared by every scene of a run, so that --jobs does not multiply memory. */
export interface RunLimits {
  /** JPEG 2000 band decodes in flight: each holds a whole decoded band. */
  jp2: LimitFunction;
  /** GeoTIFF tile reads in flight: each holds a compressed and a decoded tile. */
  tiles: LimitFunction;
  /** Remote reads: one concurrency limit per host, shared by every scene and band of the run. */
  sources: SourceContext;
}

export function runLimits(threads: number, sources = new SourceContext()): RunLimits {
  // Eight tiles in flight keep the libuv pool (4 threads) busy; JP2 decodes one per worker thread.
  return { jp2: pLimit(Math.max(1, threads)), tiles: pLimit(8), sources };
}

/** What every scene of one run shares: the run's context, worker pool, id and read limits. */
export interface SceneRun {
  ctx: ScanContext;
  pool: WorkerPool;
  runId: string;
  limits: RunLimits;
}

/** Where a scene is in its processing, for the failure record (discover, open, strips, detect, write, checksum). */
export interface StageTracker {
  stage: string;
}

export interface SceneResult {
  id: string;
  outputDir: string;
  report: ScanReport;
  /** SHA-256 of the rasters hashed as they were finished, by path relative to outputDir. */
  digests: ReadonlyMap<string, string>;
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
    ...(ctx.plan.clipReflectance ? { clip_reflectance: true as const } : {}),
    aoi: aoi ? [aoi.west, aoi.south, aoi.east, aoi.north] : null,
    compress: ctx.codec,
    level: ctx.level,
    block: ctx.block,
    detection: ctx.detection
      ? `${paramsHash(ctx.detection.params)}:${Object.keys(ctx.detection.detectors).join(',')}`
      : null,
  };
}
