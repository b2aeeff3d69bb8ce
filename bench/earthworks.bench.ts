/**
 * `npm run bench:earthworks`: the cost of the earthwork detectors (src/compute/detect/earthworks) per
 * megapixel, against the budget issue 14 gives them (at most 25 % of a default scan's wall time on the same
 * scene) and against the peer: OpenCV running the original pipeline's geometric step on the same NDVI
 * (bench/earthworks_peer.py). All three are measured in the same run on the same machine.
 *
 *   npm run bench:earthworks -- [--size 2048] [--runs 3] [--earthworks 40] [--peers ../shared/peers] [--no-scan]
 *                               [--no-simd]   (the line response in JavaScript, not WebAssembly SIMD)
 *                               [--scene DIR]   (an existing square scene, e.g. the scan bench's full tile)
 *
 * The scene (make_scene.py --earthworks, seed 42) and its NDVI are made once under bench/cache/. The
 * detector reads the NDVI in strips of 512 rows from disk, as a scan would hand them over.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createEarthworkDetector } from '../src/compute/detect/earthworks/detector.js';
import { wasmLineResponseKernels } from '../src/engine/cpu/wasm.line.js';
import { flag as flagOf, hostLine, python, root, timed } from './common.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => flagOf(args, name, fallback);
const size = Number(flag('--size', '2048'));
const runs = Number(flag('--runs', '3'));
const works = Number(flag('--earthworks', String(Math.max(8, Math.round(40 * (size / 2048) ** 2)))));
const peers = resolve(flag('--peers', join(root, '..', 'shared', 'peers')));
const cache = join(root, 'bench', 'cache');
const given = flag('--scene', '');
const scene = given ? resolve(given) : join(cache, `earthworks_${size}_seed42`);
const ndviPath = given ? join(cache, `ndvi_${basename(scene)}.f32`) : join(scene, 'ndvi.f32');
const helper = join(root, 'bench', 'earthworks_peer.py');
const STRIP = 512;

function run(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

function ensureScene(): void {
  if (!given && !existsSync(join(scene, 'truth.json'))) {
    mkdirSync(cache, { recursive: true });
    console.log(`generating the ${size}x${size} scene with ${works} earthworks once (make_scene.py)...`);
    run(python, [
      join(peers, 'make_scene.py'),
      '--size',
      String(size),
      '--seed',
      '42',
      '--earthworks',
      String(works),
      '--out',
      scene,
    ]);
  }
  mkdirSync(cache, { recursive: true });
  if (!existsSync(ndviPath)) run(python, [helper, 'ndvi', scene, ndviPath]);
}

/** One pass of the default detectors over the NDVI file, strip by strip: wall seconds and candidates. */
function detectOnce(): { wall_s: number; cpu_s: number; candidates: number; heap_mb: number } {
  const fd = openSync(ndviPath, 'r');
  const strip = new Float32Array(STRIP * size);
  const bytes = new Uint8Array(strip.buffer);
  const d = createEarthworkDetector({}, args.includes('--no-simd') ? undefined : wasmLineResponseKernels);
  let heap = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  try {
    for (let y0 = 0; y0 < size; y0 += STRIP) {
      const h = Math.min(STRIP, size - y0);
      readSync(fd, bytes, 0, h * size * 4, y0 * size * 4);
      d.push(strip, y0, h, size);
      heap = Math.max(heap, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers);
    }
    const c = d.finish();
    const cpu = process.cpuUsage(c0);
    // CPU seconds too: on a shared machine they are steadier than wall time (the reads are a small part)
    const cpu_s = (cpu.user + cpu.system) / 1e6;
    return { wall_s: (performance.now() - t0) / 1000, cpu_s, candidates: c.length, heap_mb: heap / 2 ** 20 };
  } finally {
    closeSync(fd);
  }
}

function main(): void {
  ensureScene();
  const mp = (size * size) / 1e6;
  const what = given ? scene : `${works} earthworks`;
  console.log(`host: ${hostLine()}; scene ${size}x${size} (${mp.toFixed(1)} MP), ${what}; ${new Date().toISOString()}`);
  const ours = Array.from({ length: runs }, detectOnce).sort((a, b) => a.wall_s - b.wall_s)[0]!;
  const peerRuns = Array.from(
    { length: runs },
    () => JSON.parse(run(python, [helper, 'peer', ndviPath, String(size)])) as { wall_s: number },
  );
  const peer = peerRuns.sort((a, b) => a.wall_s - b.wall_s)[0]!;
  console.log(
    `earthworks (ours, default set): ${ours.wall_s.toFixed(2)} s = ${(ours.wall_s / mp).toFixed(3)} s/MP (CPU ${ours.cpu_s.toFixed(2)} s), ${ours.candidates} candidates, heap+buffers ≤ ${ours.heap_mb.toFixed(0)} MB`,
  );
  console.log(
    `OpenCV original geometric step (peer): ${peer.wall_s.toFixed(2)} s = ${(peer.wall_s / mp).toFixed(3)} s/MP; ours/peer ${(ours.wall_s / peer.wall_s).toFixed(2)}`,
  );
  if (args.includes('--no-scan')) return;
  const out = join(os.tmpdir(), 'archeo-bench-earthworks');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  try {
    const scans = Array.from({ length: runs }, () => {
      rmSync(out, { recursive: true, force: true });
      return timed(process.execPath, [
        join(root, 'bin', 'archeo.js'),
        'scan',
        scene,
        '--out',
        out,
        '-q',
        '--no-progress',
      ]);
    });
    const scan = scans.sort((a, b) => a.wall_s - b.wall_s)[0]!;
    console.log(
      `archeo scan (default): ${scan.wall_s.toFixed(2)} s = ${(scan.wall_s / mp).toFixed(3)} s/MP; earthworks/scan ${((100 * ours.wall_s) / scan.wall_s).toFixed(1)} % (budget 25 %)`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main();
