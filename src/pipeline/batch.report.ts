/**
 * run-report.json: one per run (per shard), aggregating the scene reports — how many scenes were found,
 * processed, skipped and failed, totals, the slowest stages and scenes, and every failure with its stage.
 */
import { roundTo } from '../core/numbers.js';
import { peakRssMb, recommendations, reportHeader, type ReportHeader } from '../io/output/report.js';
import type { ScanContext } from './scan/scan.context.js';
import { sumFetched, type ScanReport } from './scan/scan.report.js';

/** What became of one scene of a run (processed, skipped or failed), as the run report lists it. */
export interface SceneOutcome {
  path: string;
  id: string | undefined;
  ok: boolean;
  error?: string;
  /** Stage of a failure: discover, open, strips, detect, write, checksum. */
  stage?: string;
  outputDir?: string;
  report?: ScanReport;
  /** Why the scene was not processed in this run (done and unchanged, failed before and unchanged). */
  skipped?: string;
  /** For a failure: transient (a network fault, disk full, I/O, memory; the run exits 75, the next retries it) or permanent. */
  fault?: 'transient' | 'permanent';
}

export type DecisionStatus = 'new' | 'changed' | 'forced' | 'retry' | 'outputs' | 'done' | 'failed' | 'duplicate';

export interface Decision {
  id: string;
  path: string;
  status: DecisionStatus;
  run: boolean;
  reason: string;
}

export interface RunReport extends ReportHeader<'scan'> {
  inputs: string[];
  /** The STAC search whose items this run scanned (--stac), or null. */
  search: import('../io/stac/stac.search.js').SearchQuery | null;
  out: string;
  shard: { index: number; count: number } | null;
  jobs: number;
  threads: number;
  files: { lock: string; state: string; report: string };
  scenes: {
    /** Scenes found below the inputs (all shards). */
    found: number;
    /** This run's share (= found without --shard). */
    in_shard: number;
    processed: number;
    succeeded: number;
    failed: number;
    /** Not processed: done and unchanged, or failed before and unchanged. */
    skipped: number;
    /** Of the failed: network faults (timeouts, 5xx, resets) that the next run retries by itself. */
    failed_transient: number;
    /** Decisions by kind: new, changed, forced, retry, outputs (missing), done, failed, duplicate. */
    by_status: Partial<Record<DecisionStatus, number>>;
  };
  totals: {
    scene_wall_s: number;
    pixels: number;
    valid_pixels: number;
    input_bytes: number;
    output_bytes: number;
    candidates: number;
    /** What the scenes' band sources fetched (remote reads: bytes, requests, retries, seconds waiting). */
    fetched: { bytes: number; requests: number; retries: number; wait_s: number };
  };
  throughput: { scenes_per_hour: number | null; pixels_per_s: number | null };
  /** Stage totals summed over the processed scenes, slowest first. */
  slowest_stages: { stage: string; total_s: number; count: number; mean_s: number }[];
  slowest_scenes: { id: string; wall_s: number }[];
  failures: {
    id: string | null;
    path: string;
    stage: string | null;
    error: string;
    /** transient (network: the next run retries it) or permanent (the data: skipped until it changes). */
    fault: 'transient' | 'permanent';
  }[];
  peak_rss_mb: number;
  recommendations: string[];
}

export interface RunReportInput {
  runId: string;
  started: Date;
  wallSeconds: number;
  ctx: ScanContext;
  found: number;
  decisions: Decision[];
  outcomes: SceneOutcome[];
  files: RunReport['files'];
}

export function buildRunReport(r: RunReportInput): RunReport {
  const processed = r.outcomes.filter((o) => o.report || (!o.ok && o.skipped === undefined));
  const reports = r.outcomes.flatMap((o) => (o.report ? [{ id: o.id!, report: o.report }] : []));
  const byStatus: Partial<Record<DecisionStatus, number>> = {};
  for (const d of r.decisions) byStatus[d.status] = (byStatus[d.status] ?? 0) + 1;
  const stages = new Map<string, { total: number; count: number }>();
  const totals = { scene_wall_s: 0, pixels: 0, valid_pixels: 0, input_bytes: 0, output_bytes: 0, candidates: 0 };
  const fetched = sumFetched(reports.map((x) => x.report.inputs.fetched));
  for (const { report } of reports) {
    totals.scene_wall_s += report.wall_s;
    totals.pixels += report.pixels.total;
    totals.valid_pixels += report.pixels.valid;
    totals.input_bytes += report.inputs.bytes_read;
    totals.output_bytes += report.outputs.bytes;
    totals.candidates += report.detection?.candidates ?? 0;
    for (const [name, s] of Object.entries(report.stages)) {
      const acc = stages.get(name) ?? { total: 0, count: 0 };
      acc.total += s.total_s;
      acc.count += s.count;
      stages.set(name, acc);
    }
  }
  const slowest_stages = [...stages.entries()]
    .map(([stage, s]) => ({
      stage,
      total_s: roundTo(s.total, 3),
      count: s.count,
      mean_s: roundTo(s.total / s.count, 3),
    }))
    .sort((a, b) => b.total_s - a.total_s)
    .slice(0, 8);
  const failures = r.outcomes
    .filter((o) => !o.ok && o.skipped === undefined)
    .map((o) => ({
      id: o.id ?? null,
      path: o.path,
      stage: o.stage ?? null,
      error: o.error ?? '',
      fault: o.fault ?? ('permanent' as const),
    }));
  const peak = peakRssMb();
  const extra: string[] = [];
  const failedBefore = byStatus.failed ?? 0;
  if (failedBefore > 0)
    extra.push(
      `${failedBefore} scene(s) failed in an earlier run and are unchanged: skipped (--retry-failed runs them again; --list shows why they failed)`,
    );
  if (failures.length > 0)
    extra.push(`${failures.length} scene(s) failed in this run: see failures (the others were processed)`);
  const succeeded = reports.length;
  return {
    ...reportHeader('scan', r.runId, r.started, r.wallSeconds),
    inputs: r.ctx.inputs,
    search: r.ctx.stac?.search ?? null,
    out: r.ctx.out,
    shard: r.ctx.batch.shard ?? null,
    jobs: r.ctx.batch.jobs,
    threads: r.ctx.threads,
    files: r.files,
    scenes: {
      found: r.found,
      in_shard: r.decisions.length,
      processed: processed.length,
      succeeded,
      failed: failures.length,
      failed_transient: failures.filter((f) => f.fault === 'transient').length,
      skipped: r.outcomes.filter((o) => o.skipped !== undefined).length,
      by_status: byStatus,
    },
    totals: { ...totals, scene_wall_s: roundTo(totals.scene_wall_s, 3), fetched },
    throughput: {
      scenes_per_hour:
        processed.length && r.wallSeconds > 0 ? roundTo((processed.length / r.wallSeconds) * 3600, 3) : null,
      pixels_per_s: totals.pixels && r.wallSeconds > 0 ? Math.round(totals.pixels / r.wallSeconds) : null,
    },
    slowest_stages,
    slowest_scenes: reports
      .map(({ id, report }) => ({ id, wall_s: report.wall_s }))
      .sort((a, b) => b.wall_s - a.wall_s)
      .slice(0, 5),
    failures,
    peak_rss_mb: peak,
    recommendations: recommendations({
      stages: {},
      peakRssMb: peak,
      advice: { memory: 'lower --jobs (each scene in flight holds its strips and detection state)' },
      extra,
    }),
  };
}
