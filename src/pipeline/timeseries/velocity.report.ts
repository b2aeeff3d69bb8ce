/** `report.json` of `archeo velocity` (product.md, "Performance report"). */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Metrics } from '../../core/metrics.js';
import { roundTo } from '../../core/numbers.js';
import { peakRssMb, recommendations, reportHeader, type ReportHeader } from '../../io/output/report.js';
import type { TimeseriesFile } from '../../io/hdf5/mintpy.reader.js';
import type { VelocityContext } from './velocity.context.js';
import type { VelocityPlan } from './velocity.plan.js';

export interface PixelCounts {
  total: number;
  /** Valid on every date used: solved together. */
  full: number;
  /** NaN on some dates: solved per NaN pattern on the dates they have (MintPy aborts on these). */
  partial: number;
  /** NaN on every date, or mean 0: skipped as MintPy skips them (0 in every output). */
  skipped: number;
  /** Partial pixels with fewer than parameters + 1 dates: NaN. */
  too_few_dates: number;
  /** Partial pixels whose dates cannot separate the time functions: NaN. */
  rank_deficient: number;
}

export interface VelocityReport extends ReportHeader<'velocity'> {
  engine: { name: 'cpu'; threads: number; device: string; kernels: 'javascript' };
  input: {
    path: string;
    dates: number;
    length: number;
    width: number;
    bytes: number;
    chunks: number[] | null;
    reference: { y: number; x: number; date: string | null };
  };
  parameters: Record<string, unknown>;
  parameter_hash: string;
  model: {
    parameters: number;
    columns: string[];
    dates_used: number;
    excluded: string[];
    first_date: string;
    last_date: string;
  };
  blocks: { count: number; rows: number; bytes_per_block: number; ram_gb: number };
  pixels: PixelCounts;
  stages: ReturnType<Metrics['toJSON']>;
  throughput: { pixels_per_s: number; read_mb_per_s: number | null };
  outputs: { files: { path: string; bytes: number }[]; bytes: number };
  peak_rss_mb: number;
  warnings: string[];
  recommendations: string[];
}

export interface VelocityReportInput {
  runId: string;
  started: Date;
  wallSeconds: number;
  ts: TimeseriesFile;
  plan: VelocityPlan;
  ctx: VelocityContext;
  metrics: Metrics;
  counts: PixelCounts;
  outputs: { path: string; bytes: number }[];
}

const advice = {
  read: 'store the time series uncompressed or with lzf (gzip decodes slowly), on a local disk',
  fit: 'fewer time functions fit faster; partial-NaN pixels are solved per NaN pattern (see pixels.partial)',
  uncertainty: '--uq residue is the cheapest; bootstrap costs dates² per pixel',
  memory: 'lower --ram',
  calls: 'raise --ram for fewer, larger blocks',
  '*': 'see docs/performance.md',
};

export function buildVelocityReport(r: VelocityReportInput): VelocityReport {
  const stages = r.metrics.toJSON();
  const peak = peakRssMb();
  const o = r.ctx.options;
  const parameters = {
    start_date: o.startDate ?? null,
    end_date: o.endDate ?? null,
    exclude_dates: r.plan.selection.excluded,
    ref_date: r.plan.refDate,
    ref_yx: r.plan.rereference ? [r.plan.refY, r.plan.refX] : null,
    model: r.plan.model,
    uncertainty: o.uncertainty,
    ...(o.uncertainty === 'bootstrap' ? { bootstrap_count: o.bootstrapCount, seed: r.ctx.seed } : {}),
    ...(r.ctx.covarianceFile ? { ts_cov: r.ctx.covarianceFile } : {}),
  };
  const read = stages['read'];
  const extra: string[] = [];
  if (r.counts.too_few_dates + r.counts.rank_deficient > 0) {
    extra.push(
      `${r.counts.too_few_dates + r.counts.rank_deficient} pixel(s) could not be fitted (too few valid dates or rank-deficient) and are NaN; see pixels`,
    );
  }
  const bytes = r.outputs.reduce((a, f) => a + f.bytes, 0);
  const header = reportHeader('velocity', r.runId, r.started, r.wallSeconds);
  return {
    ...header,
    engine: { name: 'cpu', threads: 1, device: header.host.cpu_model, kernels: 'javascript' },
    input: {
      path: r.ts.path,
      dates: r.ts.dates.length,
      length: r.ts.length,
      width: r.ts.width,
      bytes: statSync(r.ts.path).size,
      chunks: r.ts.cube.chunks,
      reference: { y: r.plan.refY, x: r.plan.refX, date: r.plan.refDate ?? r.ts.attrs['REF_DATE'] ?? null },
    },
    parameters,
    parameter_hash: createHash('sha256').update(JSON.stringify(parameters)).digest('hex').slice(0, 16),
    model: {
      parameters: r.plan.system.p,
      columns: r.plan.datasets
        .filter((d) => d.source.kind === 'param' || d.source.kind === 'amplitude')
        .map((d) => d.name),
      dates_used: r.plan.selection.kept.length,
      excluded: r.plan.selection.excluded,
      first_date: r.plan.selection.kept[0]!,
      last_date: r.plan.selection.kept[r.plan.selection.kept.length - 1]!,
    },
    blocks: {
      count: r.plan.blocks.length,
      rows: r.plan.blockRows,
      bytes_per_block: r.plan.blockRows * r.plan.rowBytes,
      ram_gb: o.ramGb,
    },
    pixels: r.counts,
    stages,
    throughput: {
      pixels_per_s: Math.round(r.counts.total / r.wallSeconds),
      read_mb_per_s: read && read.total_s > 0 && read.bytes ? roundTo(read.bytes / 1e6 / read.total_s, 3) : null,
    },
    outputs: { files: r.outputs, bytes },
    peak_rss_mb: peak,
    warnings: r.plan.warnings,
    recommendations: recommendations({ stages, peakRssMb: peak, advice, extra }),
  };
}
