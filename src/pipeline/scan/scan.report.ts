/** Assembles a scene's `report.json` (product.md, "Performance report"). */
import type { ReflectanceReport } from './reflectance.range.js';
import { createHash } from 'node:crypto';
import type { EngineSelection } from '../../engine/select.js';
import type { Metrics } from '../../core/metrics.js';
import { roundTo } from '../../core/numbers.js';
import { peakRssMb, recommendations, reportHeader, type ReportHeader } from '../../io/output/report.js';
import type { Scene } from '../../io/scene/discover.js';
import type { ScanPlan } from './scan.plan.js';

/** Options that change a scan's outputs; their hash identifies the outputs a run produced. */
export interface ScanParameters {
  indices: string[];
  resolution: number;
  resample: string;
  mask_classes: number[];
  boa_offset: number | null;
  reflectance: string;
  /** --clip-reflectance: negative reflectance set to 0 (present only when set: hashes of other runs unchanged). */
  clip_reflectance?: true;
  aoi: number[] | null;
  compress: string;
  level: number;
  block: number;
  /** Hash of the detector parameters, null without detection. */
  detection: string | null;
}

export function parameterHash(params: ScanParameters): string {
  return createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 16);
}

export interface ScanReport extends ReportHeader<'scan'> {
  engine: {
    name: string;
    /** --backend as given (auto, cpu, webgpu, tensorflow). */
    requested: string;
    threads: number;
    device: string;
    /** What computed the indices: the CPU kernels, or TF.js on a device. */
    kernels: 'wasm-simd' | 'javascript' | 'tfjs';
    adapter?: { vendor?: string; architecture?: string; fallback: boolean };
    /** Device memory: tensors alive after the scene, bytes now and at the peak (TF.js's tf.memory()). */
    gpu_memory?: { tensors: number; bytes: number; peak_bytes: number };
    note?: string;
  };
  scene: {
    id: string;
    path: string;
    layout: string;
    datetime: string | null;
    baseline: string | null;
    offset_source: string;
    /** A STAC item's radiometry rule (earthsearch:boa_offset_applied, raster:bands, s2:processing_baseline, none). */
    radiometry_rule: string | null;
  };
  parameters: ScanParameters;
  parameter_hash: string;
  grid: {
    width: number;
    height: number;
    resolution_m: number;
    epsg: number | null;
    transform: number[];
    window: { x0: number; y0: number; width: number; height: number };
  };
  inputs: {
    bands: {
      band: string;
      path: string;
      format: string;
      width: number;
      height: number;
      resolution_m: number;
      bytes: number;
      bytes_read: number;
      /** What was fetched from the band's source: header and tiles, requests, retries, seconds waiting on them. */
      fetched: { bytes: number; requests: number; retries: number; wait_s: number } | null;
      offset: number;
    }[];
    /** Size of the band files. */
    bytes: number;
    /** Compressed bytes actually read (less than `bytes` with --aoi). */
    bytes_read: number;
    /** Totals of the bands' `fetched` (remote reads: what crossed the network). */
    fetched: { bytes: number; requests: number; retries: number; wait_s: number };
  };
  outputs: { files: { path: string; bytes: number }[]; bytes: number };
  indices: { written: string[]; skipped: { name: string; missing: string[] }[] };
  pixels: { total: number; valid: number };
  stages: ReturnType<Metrics['toJSON']>;
  throughput: { pixels_per_s: number; stages: Record<string, { mb_per_s?: number; pixels_per_s?: number }> };
  /** Candidate detection, or null when it did not run. */
  detection: {
    parameter_set: string;
    parameter_hash: string;
    detectors: Record<string, unknown>;
    skipped: { name: string; missing: string[] }[];
    candidates: number;
  } | null;
  /** Negative reflectance per band (before clipping) and whether it was clipped (reflectance.range.ts). */
  reflectance: ReflectanceReport;
  peak_rss_mb: number;
  warnings: string[];
  recommendations: string[];
}

export interface ReportInput {
  runId: string;
  started: Date;
  wallSeconds: number;
  threads: number;
  kernels: 'wasm-simd' | 'javascript';
  engine: EngineSelection | undefined;
  scene: Scene;
  plan: ScanPlan;
  params: ScanParameters;
  metrics: Metrics;
  outputs: { path: string; bytes: number }[];
  validPixels: number;
  detection: ScanReport['detection'];
  reflectance: ReflectanceReport;
}

const advice = {
  read: '--aoi reads only the tiles of a window; COG input decodes much faster than JPEG 2000',
  resample: '--threads N spreads resampling over more cores; --resample nearest is cheaper',
  indices: '--threads N spreads the index kernels over more cores; --indices computes fewer',
  encode: '--compress zstd is the fastest codec (none writes uncompressed)',
  write: 'write the output to a local disk (--out)',
  memory: 'lower --block (strip height) or --threads',
  calls: 'raise --block to process fewer, larger strips',
  '*': 'see docs/performance.md',
};

export function buildScanReport(r: ReportInput): ScanReport {
  const stages = r.metrics.toJSON();
  const pixels = r.plan.window.width * r.plan.window.height;
  const peak = peakRssMb();
  const extra: string[] = [];
  const sel = r.engine;
  if (sel?.device.software)
    extra.push(
      `indices ran on ${sel.device.description}, a software GPU: --backend cpu is faster here; a hardware GPU needs its Vulkan driver (docs/gpu.md)`,
    );
  const decode = stages['decode'];
  const jp2 = r.plan.readers.some((x) => x.format === 'JPEG 2000');
  if (decode && jp2 && decode.total_s > 0.3 * r.wallSeconds && r.wallSeconds > 5) {
    extra.push(
      `JPEG 2000 decoding took ${decode.total_s.toFixed(1)} s: convert the bands to COG once (gdal_translate -of COG) for repeated scans, or use --aoi`,
    );
  }
  const throughput: ScanReport['throughput']['stages'] = {};
  for (const [name, s] of Object.entries(stages)) {
    if (s.total_s <= 0) continue;
    throughput[name] = {
      ...(s.bytes ? { mb_per_s: roundTo(s.bytes / 1e6 / s.total_s, 3) } : {}),
      ...(s.pixels ? { pixels_per_s: Math.round(s.pixels / s.total_s) } : {}),
    };
  }
  const header = reportHeader('scan', r.runId, r.started, r.wallSeconds);
  const inputs = [...r.plan.bands, ...(r.plan.scl ? [r.plan.scl] : [])].map((b) => ({
    band: b.band,
    path: b.file.path,
    format: b.reader.format,
    width: b.reader.grid.width,
    height: b.reader.grid.height,
    resolution_m: b.file.resolution,
    bytes: b.reader.fileBytes,
    bytes_read: b.reader.stats.bytesRead,
    fetched: b.reader.fetched
      ? {
          bytes: b.reader.fetched.bytes,
          requests: b.reader.fetched.requests,
          retries: b.reader.fetched.retries,
          wait_s: roundTo(b.reader.fetched.waitSeconds, 3),
        }
      : null,
    offset: b.radiometry.offset,
  }));
  return {
    ...header,
    engine: engineReport(r, header.host.cpu_model),
    scene: {
      id: r.scene.id,
      path: r.scene.path,
      layout: r.scene.layout,
      datetime: r.scene.metadata.datetime ?? null,
      baseline: r.scene.metadata.baseline ?? null,
      offset_source: r.params.boa_offset === null ? r.scene.metadata.offsetSource : '--boa-offset',
      radiometry_rule: r.params.boa_offset === null ? (r.scene.metadata.radiometryRule ?? null) : '--boa-offset',
    },
    parameters: r.params,
    parameter_hash: parameterHash(r.params),
    grid: {
      width: r.plan.outGrid.width,
      height: r.plan.outGrid.height,
      resolution_m: r.plan.gridResolution,
      epsg: r.plan.outGrid.epsg ?? null,
      transform: [...r.plan.outGrid.transform],
      window: { ...r.plan.window },
    },
    inputs: {
      bands: inputs,
      bytes: inputs.reduce((a, b) => a + b.bytes, 0),
      bytes_read: inputs.reduce((a, b) => a + b.bytes_read, 0),
      fetched: sumFetched(inputs.map((b) => b.fetched)),
    },
    outputs: { files: r.outputs, bytes: r.outputs.reduce((a, b) => a + b.bytes, 0) },
    indices: { written: r.plan.indices.map((d) => d.name), skipped: r.plan.skipped },
    pixels: { total: pixels, valid: r.validPixels },
    stages,
    throughput: { pixels_per_s: Math.round(pixels / r.wallSeconds), stages: throughput },
    detection: r.detection,
    reflectance: r.reflectance,
    peak_rss_mb: peak,
    warnings: r.plan.warnings,
    recommendations: recommendations({ stages, peakRssMb: peak, advice, extra }),
  };
}

function engineReport(r: ReportInput, cpu: string): ScanReport['engine'] {
  const sel = r.engine;
  if (!sel?.engine)
    return {
      name: 'cpu',
      requested: sel?.requested ?? 'cpu',
      threads: r.threads,
      device: cpu,
      kernels: r.kernels,
      ...(sel?.note ? { note: sel.note } : {}),
    };
  const m = sel.engine.memory();
  return {
    name: sel.name,
    requested: sel.requested,
    threads: r.threads,
    device: sel.device.description,
    kernels: 'tfjs',
    adapter: { vendor: sel.device.vendor, architecture: sel.device.architecture, fallback: sel.device.software },
    gpu_memory: { tensors: m.tensors, bytes: m.bytes, peak_bytes: m.peakBytes },
    ...(sel.note ? { note: sel.note } : {}),
  };
}

/** The sum of per-band (or per-scene) fetch counters. */
export function sumFetched(
  list: readonly ({ bytes: number; requests: number; retries: number; wait_s: number } | null | undefined)[],
): { bytes: number; requests: number; retries: number; wait_s: number } {
  const t = { bytes: 0, requests: 0, retries: 0, wait_s: 0 };
  for (const f of list) {
    if (!f) continue;
    t.bytes += f.bytes;
    t.requests += f.requests;
    t.retries += f.retries;
    t.wait_s += f.wait_s;
  }
  t.wait_s = roundTo(t.wait_s, 3);
  return t;
}
