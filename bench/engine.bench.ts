/**
 * `npm run bench:engine`: the scan's stages on the webgpu engine against the cpu engine, same scene, same
 * run (`make_scene.py --size 2048 --seed 42`, cached under bench/cache/). Without a GPU the webgpu
 * engine runs on SwiftShader (software Vulkan on the CPU): it is expected to be slower; the figures are
 * for the record, and they show the engine's fixed cost per strip task (upload, dispatch, download).
 *
 *   npm run bench:engine -- [--size 2048] [--runs 2] [--backends cpu,webgpu] [--peers DIR]
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fastest, flag, hostLine, python, root, timed, type Measure } from './common.js';

const args = process.argv.slice(2);
const size = flag(args, '--size', '2048');
const runs = Number(flag(args, '--runs', '2'));
const backends = flag(args, '--backends', 'cpu,webgpu').split(',');
const peers = resolve(flag(args, '--peers', join(root, '..', 'shared', 'peers')));
const scene = join(root, 'bench', 'cache', `scene_${size}_seed42`);

function ensureScene(): void {
  try {
    readFileSync(join(scene, 'B04.tif'));
  } catch {
    const r = spawnSync(python, [join(peers, 'make_scene.py'), '--size', size, '--out', scene, '--seed', '42'], {
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error('make_scene.py failed');
  }
}

interface Run extends Measure {
  stages: Record<string, { count: number; total_s: number }>;
  engine: Record<string, unknown>;
  tasks: number;
}

function runOnce(backend: string): Run {
  const out = join(os.tmpdir(), `archeo-bench-engine-${backend}`);
  rmSync(out, { recursive: true, force: true });
  const m = timed(process.execPath, [
    join(root, 'bin', 'archeo.js'),
    'scan',
    scene,
    '--out',
    out,
    '--backend',
    backend,
    '-q',
    '--no-progress',
  ]);
  const sceneDir = readdirSync(out).find((n) => !n.endsWith('.json') && !n.startsWith('.'))!;
  const report = JSON.parse(readFileSync(join(out, sceneDir, 'report.json'), 'utf8'));
  return { ...m, stages: report.stages, engine: report.engine, tasks: report.stages.indices?.count ?? 0 };
}

function main(): void {
  ensureScene();
  const results = new Map<string, Run[]>();
  for (let r = 0; r < runs; r++) {
    for (const b of backends) {
      process.stdout.write(`run ${r + 1}/${runs}: --backend ${b} ... `);
      const m = runOnce(b);
      console.log(`${m.wall_s.toFixed(2)} s, ${m.peak_rss_mb.toFixed(0)} MB`);
      results.set(b, [...(results.get(b) ?? []), m]);
    }
  }
  const stages = ['read', 'resample', 'indices', 'mask', 'encode', 'write', 'morphology', 'label', 'stats'];
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${hostLine()}, scene ${size}² (make_scene.py seed 42, 7 indices, 3 detectors), fastest of ${runs}\n`,
  );
  console.log(`| backend | device | wall s | peak RSS MB | ${stages.join(' s | ')} s | strips |`);
  console.log(`|---|---|---|---|${stages.map(() => '---|').join('')}---|`);
  const best = new Map<string, Run>();
  for (const b of backends) {
    const m = fastest(results.get(b)) as Run;
    best.set(b, m);
    const cells = stages.map((s) => (m.stages[s] ? m.stages[s]!.total_s.toFixed(2) : '-'));
    console.log(
      `| ${b} | ${String(m.engine['device'])} | ${m.wall_s.toFixed(2)} | ${m.peak_rss_mb.toFixed(0)} | ${cells.join(' | ')} | ${m.tasks} |`,
    );
  }
  const cpu = best.get('cpu');
  for (const [b, m] of best) {
    if (b === 'cpu' || !cpu) continue;
    // Device stage time is on the main thread, one task at a time; the CPU's is worker time.
    const dev = (m.stages['indices']?.total_s ?? 0) / Math.max(1, m.tasks);
    const host = ((cpu.stages['indices']?.total_s ?? 0) + (cpu.stages['mask']?.total_s ?? 0)) / Math.max(1, cpu.tasks);
    const probe = spawnSync(process.execPath, [join(root, 'build', 'bench', 'engine.overhead.js'), b], {
      encoding: 'utf8',
    });
    const o =
      probe.status === 0
        ? (JSON.parse(probe.stdout.trim().split('\n').pop()!) as {
            tiny_ms: number;
            full_ms: number;
            per_mpx_ms: number;
          })
        : undefined;
    if (o)
      console.log(
        `\n${b}: fixed cost of a strip task (32 px: upload, 7 indices, 3 detectors' bits, download) ${o.tiny_ms.toFixed(1)} ms; a 512 x 2048 task ${o.full_ms.toFixed(0)} ms (${o.per_mpx_ms.toFixed(0)} ms per megapixel)`,
      );
    console.log(
      `${b}: ${(dev * 1000).toFixed(1)} ms of device time per strip (upload, indices, bits, download) vs ${(host * 1000).toFixed(1)} ms of CPU kernel time per strip; peak device memory ${(((m.engine['gpu_memory'] as { peak_bytes: number } | undefined)?.peak_bytes ?? 0) / 2 ** 20).toFixed(0)} MiB, tensors left ${(m.engine['gpu_memory'] as { tensors: number } | undefined)?.tensors}`,
    );
  }
}

main();
