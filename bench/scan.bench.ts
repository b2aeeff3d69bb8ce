/**
 * `npm run bench`: archeo scan against the numpy/GDAL/OpenCV peer (../shared/peers/peer_numpy.py) on a
 * full-size synthetic Sentinel-2 scene, in the same run, on the same machine. Prints wall time, peak RSS
 * and their ratios to the peer (machines here are shared and noisy: compare ratios, not seconds).
 *
 *   npm run bench -- [--size 10980] [--runs 1] [--peers /path/to/shared/peers] [--only archeo]
 *
 * The scene is generated once with make_scene.py (seed 42) and cached under bench/cache/. The peers are
 * installed with install_peers.sh when missing (Debian, needs root). Every run goes through
 * /usr/bin/time -v, so wall time and peak RSS are measured the same way for both tools.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fastest, flag as flagOf, hostLine, python, ratio, root, timed, type Measure } from './common.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => flagOf(args, name, fallback);
const size = Number(flag('--size', '10980'));
const runs = Number(flag('--runs', '1'));
const peers = resolve(flag('--peers', join(root, '..', 'shared', 'peers')));
const only = flag('--only', '');
const cache = join(root, 'bench', 'cache');
const scene = join(cache, `scene_${size}_seed42`);
const work = join(os.tmpdir(), 'archeo-bench');

function ensurePeers(): void {
  const ok = spawnSync(python, ['-c', 'import numpy, cv2; from osgeo import gdal'], { encoding: 'utf8' }).status === 0;
  if (ok) return;
  console.log('installing the peers (install_peers.sh)...');
  const r = spawnSync('bash', [join(peers, 'install_peers.sh')], { stdio: 'inherit' });
  if (r.status !== 0)
    throw new Error('install_peers.sh failed: run it as root, or install GDAL, numpy and OpenCV for /usr/bin/python3');
}

function ensureScene(): void {
  if (existsSync(join(scene, 'truth.json'))) return;
  mkdirSync(cache, { recursive: true });
  console.log(`generating the ${size}x${size} scene once (make_scene.py, a few minutes)...`);
  const r = spawnSync(python, [join(peers, 'make_scene.py'), '--size', String(size), '--out', scene, '--seed', '42'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('make_scene.py failed');
}

interface Config {
  name: string;
  tool: 'archeo' | 'peer';
  argv: string[];
  /** Keep the output (to compare masks and read stage timings). */
  keep?: string;
}

const peerRule = join(root, 'test', 'fixtures', 'peer', 'peer_rule.json');
const configs: Config[] = [
  { name: 'archeo --detect none (indices only: zstd)', tool: 'archeo', argv: ['--detect', 'none'] },
  { name: 'peer_numpy.py (defaults: GDAL DEFLATE)', tool: 'peer', argv: [] },
  {
    name: 'archeo --detect none --compress deflate',
    tool: 'archeo',
    argv: ['--detect', 'none', '--compress', 'deflate'],
  },
  {
    name: 'peer_numpy.py --compress zstd --threads 2 (tuned)',
    tool: 'peer',
    argv: ['--compress', 'zstd', '--threads', '2'],
  },
  { name: 'archeo (defaults: 3 detectors, masks, GeoJSON, quicklook)', tool: 'archeo', argv: [] },
  {
    name: "archeo, the peer's rule (--params peer_rule.json --resample nearest --reflectance multiply)",
    tool: 'archeo',
    argv: ['--params', peerRule, '--resample', 'nearest', '--reflectance', 'multiply'],
    keep: 'archeo-peer-rule',
  },
  { name: 'peer_numpy.py --kernel square', tool: 'peer', argv: ['--kernel', 'square'], keep: 'peer-square' },
];

function runOnce(c: Config): Measure {
  const out = join(work, c.keep ?? c.tool);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  try {
    if (c.tool === 'archeo') {
      return timed(process.execPath, [
        join(root, 'bin', 'archeo.js'),
        'scan',
        scene,
        '--out',
        out,
        '-q',
        '--no-progress',
        ...c.argv,
      ]);
    }
    return timed(python, [join(peers, 'peer_numpy.py'), scene, out, ...c.argv]);
  } finally {
    if (!c.keep) rmSync(out, { recursive: true, force: true });
  }
}

/** Detection stage times of the last kept runs, and whether the two masks are identical. */
async function detectionRecord(): Promise<void> {
  const { openGeoTiff } = await import('../src/io/raster/geotiff.reader.js');
  const read = async (path: string) => {
    const r = await openGeoTiff(path);
    const a = await r.readWindow({ x0: 0, y0: 0, width: r.grid.width, height: r.grid.height });
    await r.close();
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  };
  const ours = join(work, 'archeo-peer-rule', `scene_${size}_seed42`);
  const peerOut = join(work, 'peer-square');
  if (!existsSync(join(ours, 'report.json')) || !existsSync(join(peerOut, 'timing.json'))) return;
  const report = JSON.parse(readFileSync(join(ours, 'report.json'), 'utf8')) as {
    stages: Record<string, { total_s: number }>;
    detection: { detectors: { peer: { components: number; candidates: number } } };
  };
  const timing = JSON.parse(readFileSync(join(peerOut, 'timing.json'), 'utf8')) as {
    timing_s: Record<string, number>;
    n_components: number;
    n_features: number;
  };
  // Our masks code 1 candidate, 0 none and 255 "no valid value to test" (docs/scan.md); the peer's has
  // no third class (0 there): the candidates must be the same pixels, and only ours may say 255.
  const mine = await read(join(ours, 'masks', 'peer.tif'));
  const theirs = await read(join(peerOut, 'mask.tif'));
  let same = mine.length === theirs.length;
  for (let i = 0; same && i < mine.length; i++) same = mine[i] === theirs[i] || (mine[i] === 255 && theirs[i] === 0);
  const a = (k: string): number => report.stages[k]?.total_s ?? 0;
  const p = (k: string): number => timing.timing_s[k] ?? 0;
  console.log(
    `\nDetection stages, the peer's rule, full tile (s): mask identical to the peer's (our nodata 255 as its 0): ${same ? 'yes' : 'NO'}; components ${report.detection.detectors.peer.components} vs ${timing.n_components}; kept ${report.detection.detectors.peer.candidates} vs ${timing.n_features}\n`,
  );
  console.log('| stage | archeo | peer_numpy.py |');
  console.log('|---|---|---|');
  console.log(`| mask (conditions) | ${a('mask').toFixed(3)} | ${p('mask').toFixed(3)} |`);
  console.log(`| morphology | ${a('morphology').toFixed(3)} | ${p('morphology').toFixed(3)} |`);
  console.log(`| labelling | ${a('label').toFixed(3)} | ${p('labelling').toFixed(3)} |`);
  console.log(
    `| statistics (means, contrast) / features | ${a('statistics').toFixed(3)} | ${p('features').toFixed(3)} |`,
  );
  console.log(`| polygons (outlines; the peer writes points) | ${a('polygons').toFixed(3)} | - |`);
  const ours5 = a('mask') + a('morphology') + a('label') + a('statistics') + a('polygons');
  const peer3 = p('mask') + p('morphology') + p('labelling') + p('features');
  console.log(`| **total** | **${ours5.toFixed(3)}** | **${peer3.toFixed(3)}** |`);
}

async function main(): Promise<void> {
  ensurePeers();
  ensureScene();
  const selected = configs.filter((c) => !only || c.tool === only);
  const results = new Map<string, Measure[]>();
  for (let r = 0; r < runs; r++) {
    for (const c of selected) {
      process.stdout.write(`run ${r + 1}/${runs}: ${c.name} ... `);
      const m = runOnce(c);
      console.log(`${m.wall_s.toFixed(1)} s, ${m.peak_rss_mb.toFixed(0)} MB`);
      results.set(c.name, [...(results.get(c.name) ?? []), m]);
    }
  }
  // Minimum over runs, as the peers' README reports.
  const best = (name: string): Measure | undefined => fastest(results.get(name));
  const peer = best(configs[1]!.name);
  const tuned = best(configs[3]!.name);
  const host = hostLine();
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${host}, scene ${size}x${size} (make_scene.py --seed 42), min of ${runs} run(s)\n`,
  );
  console.log('| configuration | wall s | peak RSS MB | wall / peer | RSS / peer | wall / tuned peer |');
  console.log('|---|---|---|---|---|---|');
  for (const c of selected) {
    const m = best(c.name)!;
    console.log(
      `| ${c.name} | ${m.wall_s.toFixed(1)} | ${m.peak_rss_mb.toFixed(0)} | ${ratio(m.wall_s, peer?.wall_s)} | ${ratio(m.peak_rss_mb, peer?.peak_rss_mb)} | ${ratio(m.wall_s, tuned?.wall_s)} |`,
    );
  }
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  appendFileSync(
    join(root, 'bench', 'results', 'scan.jsonl'),
    `${JSON.stringify({ date: new Date().toISOString(), host, size, runs, results: Object.fromEntries(results) })}\n`,
  );
  await detectionRecord();
}

await main();
