/** What the benchmarks share: timing a command through /usr/bin/time -v, flags, the host line, minima. */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const python = '/usr/bin/python3';

export interface Measure {
  wall_s: number;
  peak_rss_mb: number;
  code: number;
}

/** Runs `cmd` under /usr/bin/time -v: wall time and peak RSS measured the same way for every tool. */
export function timed(cmd: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Measure {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...argv], { encoding: 'utf8', env: { ...process.env, ...opts.env }, cwd: opts.cwd, maxBuffer: 1 << 26 });
  const err = r.stderr ?? '';
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  if (r.status !== 0 || !wall || !rss) {
    throw new Error(`${cmd} ${argv.join(' ')} failed (exit ${r.status}):\n${err.split('\n').slice(-15).join('\n')}`);
  }
  const wall_s = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { wall_s, peak_rss_mb: Number(rss[1]) / 1024, code: r.status };
}

/** `--name value` from the command line, or the fallback. */
export function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

export function hostLine(): string {
  return `${os.cpus()[0]?.model.trim()} x${os.availableParallelism()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load ${os.loadavg()[0]!.toFixed(1)}`;
}

/** The fastest of a configuration's runs (the peers' READMEs report minima too). */
export function fastest(list: Measure[] | undefined): Measure | undefined {
  return list?.reduce((a, b) => (b.wall_s < a.wall_s ? b : a));
}

export function ratio(a: number, b: number | undefined): string {
  return b ? (a / b).toFixed(3) : '-';
}
