/**
 * `npm run bench:batch`: an archive of 20 small scenes (copies of one make_scene.py --size 1024 scene,
 * each its own id) scanned with --jobs 1, 2 and 4 into fresh output folders; wall time, peak RSS and
 * throughput. Then a rerun over the finished folder (nothing to do) for the skip path's cost.
 *
 *   npm run bench:batch -- [--scenes 20] [--size 1024] [--runs 2] [--peers DIR]
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { ensureArchive, fastest, flag, hostLine, root, timed, type Measure } from './common.js';

const args = process.argv.slice(2);
const scenes = Number(flag(args, '--scenes', '20'));
const size = Number(flag(args, '--size', '1024'));
const runs = Number(flag(args, '--runs', '2'));
const peers = resolve(flag(args, '--peers', join(root, '..', 'shared', 'peers')));
const cache = join(root, 'bench', 'cache');
const work = join(os.tmpdir(), 'archeo-bench-batch');

function main(): void {
  const archive = ensureArchive(peers, cache, scenes, size);
  const results = new Map<number, Measure[]>();
  const scan = (out: string, jobs: number): Measure =>
    timed(process.execPath, [
      join(root, 'bin', 'archeo.js'),
      'scan',
      archive,
      '--out',
      out,
      '-q',
      '--no-progress',
      '--jobs',
      String(jobs),
    ]);
  for (let r = 0; r < runs; r++) {
    for (const jobs of [1, 2, 4]) {
      const out = join(work, `jobs${jobs}`);
      rmSync(out, { recursive: true, force: true });
      process.stdout.write(`run ${r + 1}/${runs}: --jobs ${jobs} ... `);
      const m = scan(out, jobs);
      console.log(`${m.wall_s.toFixed(2)} s, ${m.peak_rss_mb.toFixed(0)} MB`);
      results.set(jobs, [...(results.get(jobs) ?? []), m]);
    }
  }
  const rerun = scan(join(work, 'jobs1'), 1);
  const base = fastest(results.get(1))!;
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${hostLine()}, ${scenes} scenes of ${size}x${size} (make_scene.py), default options, min of ${runs} run(s)\n`,
  );
  console.log('| run | wall s | peak RSS MB | scenes / min | speed-up vs --jobs 1 |');
  console.log('|---|---|---|---|---|');
  for (const jobs of [1, 2, 4]) {
    const m = fastest(results.get(jobs))!;
    console.log(
      `| --jobs ${jobs} | ${m.wall_s.toFixed(2)} | ${m.peak_rss_mb.toFixed(0)} | ${((scenes / m.wall_s) * 60).toFixed(1)} | ${(base.wall_s / m.wall_s).toFixed(2)} |`,
    );
  }
  console.log(`| rerun, nothing to do | ${rerun.wall_s.toFixed(2)} | ${rerun.peak_rss_mb.toFixed(0)} | - | - |`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  appendFileSync(
    join(root, 'bench', 'results', 'batch.jsonl'),
    `${JSON.stringify({
      date: new Date().toISOString(),
      host: hostLine(),
      scenes,
      size,
      runs,
      results: Object.fromEntries(results),
      rerun,
    })}\n`,
  );
}

main();
