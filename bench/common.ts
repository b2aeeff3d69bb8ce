/** What the benchmarks share: timing a command through /usr/bin/time -v, flags, the host line, minima. */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    maxBuffer: 1 << 26,
  });
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

/** MintPy 1.5.1 and h5py under /usr/bin/python3 (the peers' install script when missing). */
export function ensureMintpy(peers: string): void {
  if (spawnSync(python, ['-c', 'import mintpy, h5py'], { encoding: 'utf8' }).status === 0) return;
  console.log('installing the peers (install_peers.sh)...');
  const r = spawnSync('bash', [join(peers, 'install_peers.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('install_peers.sh failed: run it as root, or install python3-mintpy');
}

/** Runs a peer's generator script once; its output is cached (bench/cache/) for later runs. */
export function generateOnce(path: string, script: string, argv: string[]): string {
  if (existsSync(path)) return path;
  console.log(`generating ${path} once (${basename(script)})...`);
  const r = spawnSync(python, [script, ...argv, '--out', path], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${basename(script)} failed`);
  return path;
}

/**
 * An archive of `scenes` copies of one `make_scene.py --size <size> --seed 42` scene under `cache`
 * (`archive_<scenes>x<size>/S2B_benchNN`), made once; the batch and job-array benchmarks scan it.
 */
export function ensureArchive(peers: string, cache: string, scenes: number, size: number): string {
  const scene = join(cache, `scene_${size}_seed42`);
  if (!existsSync(join(scene, 'truth.json'))) {
    mkdirSync(cache, { recursive: true });
    const r = spawnSync(
      python,
      [join(peers, 'make_scene.py'), '--size', String(size), '--out', scene, '--seed', '42'],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) throw new Error('make_scene.py failed (install the peers: ../shared/peers/install_peers.sh)');
  }
  const archive = join(cache, `archive_${scenes}x${size}`);
  if (existsSync(archive) && readdirSync(archive).length === scenes) return archive;
  rmSync(archive, { recursive: true, force: true });
  for (let i = 1; i <= scenes; i++)
    cpSync(scene, join(archive, `S2B_bench${String(i).padStart(2, '0')}`), { recursive: true });
  return archive;
}

/**
 * Prints the markdown table of a benchmark whose configurations come in pairs (archeo, then the peer
 * with the same options), with the fastest run of each and archeo's ratios to its peer.
 */
export function printPairs(title: string, names: string[], results: Map<string, Measure[]>, peerName = 'peer'): void {
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${hostLine()}, ${title}\n`);
  console.log(`| configuration | wall s | peak RSS MB | wall / ${peerName} | RSS / ${peerName} |`);
  console.log('|---|---|---|---|---|');
  names.forEach((name, i) => {
    const m = fastest(results.get(name))!;
    const peer = fastest(results.get(names[i - (i % 2) + 1]!));
    console.log(
      `| ${name} | ${m.wall_s.toFixed(2)} | ${m.peak_rss_mb.toFixed(0)} | ${ratio(m.wall_s, peer?.wall_s)} | ${ratio(m.peak_rss_mb, peer?.peak_rss_mb)} |`,
    );
  });
}

/** A command compared with its peer: archeo and MintPy configurations alternate in a benchmark's list. */
export interface PeerConfig {
  name: string;
  tool: 'archeo' | 'mintpy';
  argv: string[];
}

/**
 * Runs every configuration `runs` times, round-robin (so load drifts hit all alike), each in a fresh
 * folder `dirOf(i)`; prints each run and returns the measures by configuration name.
 */
export function measureRounds<C extends PeerConfig>(
  label: string,
  configs: C[],
  runs: number,
  dirOf: (i: number) => string,
  once: (c: C, dir: string) => Measure,
): Map<string, Measure[]> {
  const results = new Map<string, Measure[]>();
  for (let r = 0; r < runs; r++) {
    for (const [i, c] of configs.entries()) {
      process.stdout.write(`${label} run ${r + 1}/${runs}: ${c.name} ... `);
      const dir = dirOf(i);
      rmSync(dir, { recursive: true, force: true });
      const m = once(c, dir);
      console.log(`${m.wall_s.toFixed(2)} s, ${m.peak_rss_mb.toFixed(0)} MB`);
      results.set(c.name, [...(results.get(c.name) ?? []), m]);
    }
  }
  return results;
}
