/**
 * Pieces of every command's `report.json`: host description, peak memory, throughput, and the
 * recommendation rules of product.md ("Performance report"), each naming the flag that helps.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { StageStats } from '../../core/metrics.js';
import { roundTo } from '../../core/numbers.js';
import { toolVersion } from '../../core/version.js';

export interface HostInfo {
  hostname: string;
  platform: string;
  arch: string;
  cpus: number;
  cpu_model: string;
  memory_gb: number;
  node: string;
}

export function hostInfo(): HostInfo {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    arch: os.arch(),
    cpus: os.availableParallelism?.() ?? cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    memory_gb: roundTo(os.totalmem() / 2 ** 30, 1),
    node: process.version,
  };
}

/** Peak resident set size of this process (all threads) so far, in MB. */
export function peakRssMb(): number {
  return roundTo(process.resourceUsage().maxRSS / 1024, 1);
}

/** A short unique id for a run: time-sortable, then random. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * The fields every report.json starts with, in this order (a scene's report and run-report.json of
 * scan, and the reports of velocity, rms and invert).
 */
export interface ReportHeader<C extends string> {
  tool: 'archeo';
  version: string;
  command: C;
  run_id: string;
  started_at: string;
  /** started_at + wall_s. */
  finished_at: string;
  wall_s: number;
  host: HostInfo;
}

/** The header of a run of `command` that started at `started` and took `wallSeconds`. */
export function reportHeader<C extends string>(
  command: C,
  runId: string,
  started: Date,
  wallSeconds: number,
): ReportHeader<C> {
  return {
    tool: 'archeo',
    version: toolVersion,
    command,
    run_id: runId,
    started_at: started.toISOString(),
    finished_at: new Date(started.getTime() + wallSeconds * 1000).toISOString(),
    wall_s: roundTo(wallSeconds, 3),
    host: hostInfo(),
  };
}

/** Which flag helps each stage when it is slow. */
export type StageAdvice = Record<string, string>;

export interface RecommendationInput {
  stages: Record<string, StageStats>;
  peakRssMb: number;
  advice: StageAdvice;
  /** Extra findings of the command (a slow decoder, a software GPU), already phrased with their flag. */
  extra?: string[];
}

/** The fixed rules: a stage mean > 10 s, peak memory > 4 GB, an operation called > 100 times. */
export function recommendations(input: RecommendationInput): string[] {
  const out: string[] = [];
  for (const [stage, s] of Object.entries(input.stages)) {
    if (s.mean_s > 10)
      out.push(
        `${stage} is slow (${s.mean_s.toFixed(1)} s mean per call): ${input.advice[stage] ?? input.advice['*'] ?? 'see docs/performance.md'}`,
      );
  }
  if (input.peakRssMb > 4000) {
    out.push(
      `peak memory ${(input.peakRssMb / 1024).toFixed(1)} GB exceeds 4 GB: ${input.advice['memory'] ?? 'lower --ram'}`,
    );
  }
  for (const [stage, s] of Object.entries(input.stages)) {
    if (s.count > 100) out.push(`${stage} ran ${s.count} times: ${input.advice['calls'] ?? 'use larger blocks'}`);
  }
  out.push(...(input.extra ?? []));
  if (out.length === 0) out.push('Performance looks good: no recommendations.');
  return out;
}
