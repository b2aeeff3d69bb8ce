/**
 * `npm run bench:array`: an archive of 24 small scenes (copies of one make_scene.py --size 1024 scene)
 * scanned by a 3-task Slurm job array (`--array=1-3`, `--shard auto`, one CPU and one thread per task) on
 * a one-node Slurm started on this machine (test/helpers/slurm.cluster.ts: needs slurm-wlm, munge, root),
 * against the same archive in one process with `--jobs 2`. The array's wall time runs from sbatch to the
 * last task's end (scheduling included); on one machine it cannot be faster: the figure is its overhead.
 * CPU seconds (user + system, /usr/bin/time around each process) are summed too: on a machine other jobs
 * load, wall time follows the share of the CPUs each side gets, CPU time the work each side does.
 *
 *   npm run bench:array -- [--scenes 24] [--size 1024] [--runs 2] [--peers DIR]
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { SlurmCluster, slurmAvailable, slurmMissing } from '../test/helpers/slurm.cluster.js';
import { ensureArchive, flag, hostLine, root, timed, type Measure } from './common.js';

const args = process.argv.slice(2);
const scenes = Number(flag(args, '--scenes', '24'));
const size = Number(flag(args, '--size', '1024'));
const runs = Number(flag(args, '--runs', '2'));
const peers = resolve(flag(args, '--peers', join(root, '..', 'shared', 'peers')));
const cache = join(root, 'bench', 'cache');
// Under the repository (scratch/, ignored by git): other jobs on a shared machine may clean /tmp/archeo-*.
const work = join(root, 'scratch', 'bench-array');
const tasks = 3;

/** Submits the array, waits for it to drain; wall seconds from submission, and every task's exit code. */
async function arrayRun(
  cluster: SlurmCluster,
  archive: string,
  out: string,
): Promise<{ wall_s: number; cpu_s: number; codes: string[] }> {
  const logs = join(out, '..', 'logs');
  rmSync(logs, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  const script = join(out, '..', 'scan.sh');
  writeFileSync(
    script,
    `#!/bin/sh\nexec /usr/bin/time -f "%e %U %S" -o "${logs}/time_$SLURM_ARRAY_TASK_ID" "${process.execPath}" "${join(root, 'bin', 'archeo.js')}" scan "${archive}" --out "${out}" --shard auto --threads 1 -q --no-progress\n`,
    { mode: 0o755 },
  );
  const t0 = performance.now();
  const job = cluster.sbatch([
    `--array=1-${tasks}`,
    '--cpus-per-task=1',
    `--chdir=${root}`,
    `--output=${join(logs, '%A_%a.log')}`,
    script,
  ]);
  await cluster.drain(600000);
  const wall_s = (performance.now() - t0) / 1000;
  const codes = Array.from({ length: tasks }, (_, i) => cluster.jobField(`${job}_${i + 1}`, 'ExitCode') ?? '?');
  let cpu_s = 0;
  for (let i = 1; i <= tasks; i++) cpu_s += cpuOf(join(logs, `time_${i}`));
  return { wall_s, cpu_s, codes };
}

/** User + system seconds from a `/usr/bin/time -f "%e %U %S"` file. */
function cpuOf(file: string): number {
  const [, user, sys] = readFileSync(file, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return user! + sys!;
}

/** The one-process run, with its CPU seconds. */
function singleRun(archive: string, out: string): Measure & { cpu_s: number } {
  const file = join(work, 'time_single');
  const m = timed('/usr/bin/time', [
    '-f',
    '%e %U %S',
    '-o',
    file,
    process.execPath,
    join(root, 'bin', 'archeo.js'),
    'scan',
    archive,
    '--out',
    out,
    '-q',
    '--no-progress',
    '--jobs',
    '2',
  ]);
  return { ...m, cpu_s: cpuOf(file) };
}

async function main(): Promise<void> {
  if (!slurmAvailable) throw new Error(`bench:array needs a Slurm here: ${slurmMissing}`);
  const archive = ensureArchive(peers, cache, scenes, size);
  // One CPU per task and one task per CPU named: the three tasks run at once, as --jobs 2 uses every core.
  mkdirSync(work, { recursive: true });
  const cluster = await SlurmCluster.start(Math.max(tasks, os.availableParallelism()), work);
  const single: (Measure & { cpu_s: number })[] = [];
  const array: { wall_s: number; cpu_s: number; codes: string[] }[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const out1 = join(work, 'jobs2');
      rmSync(out1, { recursive: true, force: true });
      process.stdout.write(`run ${r + 1}/${runs}: one process --jobs 2 ... `);
      const m = singleRun(archive, out1);
      console.log(`${m.wall_s.toFixed(2)} s, ${m.cpu_s.toFixed(1)} CPU s`);
      single.push(m);
      const out3 = join(work, 'array', 'out');
      rmSync(join(work, 'array'), { recursive: true, force: true });
      mkdirSync(out3, { recursive: true });
      process.stdout.write(`run ${r + 1}/${runs}: Slurm array of ${tasks} ... `);
      const a = await arrayRun(cluster, archive, out3);
      console.log(`${a.wall_s.toFixed(2)} s, ${a.cpu_s.toFixed(1)} CPU s (exit codes ${a.codes.join(' ')})`);
      if (a.codes.some((c) => c !== '0:0')) throw new Error(`a task failed: ${a.codes.join(' ')}`);
      const done = readdirSync(out3).filter((n) => n.startsWith('S2B_bench')).length;
      if (done !== scenes) throw new Error(`the array wrote ${done} scene folders, not ${scenes}`);
      array.push(a);
    }
  } finally {
    await cluster.stop();
  }
  const one = single.reduce((a, b) => (b.wall_s < a.wall_s ? b : a));
  const arr = array.reduce((a, b) => (b.wall_s < a.wall_s ? b : a));
  const cpuOne = Math.min(...single.map((m) => m.cpu_s));
  const cpuArr = Math.min(...array.map((m) => m.cpu_s));
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${hostLine()}, ${scenes} scenes of ${size}x${size} (make_scene.py), default options, min of ${runs} run(s)\n`,
  );
  console.log('| run | wall s | scenes / min | wall / one process | CPU s (user + sys) | CPU / one process |');
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| one process, --jobs 2 | ${one.wall_s.toFixed(2)} | ${((scenes / one.wall_s) * 60).toFixed(1)} | 1.00 | ${cpuOne.toFixed(1)} | 1.00 |`,
  );
  console.log(
    `| Slurm array 1-${tasks} (--shard auto, 1 CPU and --threads 1 per task) | ${arr.wall_s.toFixed(2)} | ${((scenes / arr.wall_s) * 60).toFixed(1)} | ${(arr.wall_s / one.wall_s).toFixed(2)} | ${cpuArr.toFixed(1)} | ${(cpuArr / cpuOne).toFixed(2)} |`,
  );
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  appendFileSync(
    join(root, 'bench', 'results', 'array.jsonl'),
    `${JSON.stringify({ date: new Date().toISOString(), host: hostLine(), scenes, size, runs, tasks, single, array })}\n`,
  );
}

await main();
