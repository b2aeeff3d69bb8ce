/**
 * `npm run bench:velocity`: archeo velocity against MintPy 1.5.1's timeseries2velocity (the peer, run by
 * ../shared/peers/run_mintpy.sh) on synthetic MintPy time series, in the same run, on the same machine.
 * Prints wall time, peak RSS and their ratios to MintPy; then checks that MintPy reads archeo's
 * velocity.h5 (`python3 -m mintpy.cli.info`) and how far the two velocity.h5 files are apart.
 *
 *   npm run bench:velocity -- [--sizes 100x1000x1000,150x2000x2000] [--runs 3] [--peers DIR]
 *
 * Each time series is generated once with make_timeseries.py (5 % NaN pixels, seed 1), cached under
 * bench/cache/.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import {
  ensureMintpy,
  flag,
  hostLine,
  measureRounds,
  printPairs,
  python,
  root,
  timed,
  type Measure,
  type PeerConfig,
} from './common.js';

const args = process.argv.slice(2);
const sizes = flag(args, '--sizes', '100x1000x1000,150x2000x2000').split(',');
const runs = Number(flag(args, '--runs', '3'));
const peers = resolve(flag(args, '--peers', join(root, '..', 'shared', 'peers')));
const cache = join(root, 'bench', 'cache');
const work = join(os.tmpdir(), 'archeo-bench-velocity');

function ensureSeries(size: string): string {
  const [dates, rows, cols] = size.split('x');
  const path = join(cache, `ts_${size}_seed1`, 'timeseries.h5');
  if (existsSync(path)) return path;
  console.log(`generating ${size} once (make_timeseries.py)...`);
  const r = spawnSync(
    python,
    [
      join(peers, 'make_timeseries.py'),
      '--dates',
      dates!,
      '--rows',
      rows!,
      '--cols',
      cols!,
      '--nan-frac',
      '0.05',
      '--seed',
      '1',
      '--out',
      path,
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('make_timeseries.py failed');
  return path;
}

type Config = PeerConfig;

const configs: Config[] = [
  { name: 'archeo velocity (defaults: linear, --uq residue)', tool: 'archeo', argv: [] },
  { name: 'MintPy timeseries2velocity (defaults)', tool: 'mintpy', argv: [] },
  { name: 'archeo velocity --periodic 1', tool: 'archeo', argv: ['--periodic', '1'] },
  { name: 'MintPy timeseries2velocity --periodic 1', tool: 'mintpy', argv: ['--periodic', '1'] },
];

function runOnce(c: Config, ts: string, out: string): Measure {
  mkdirSync(out, { recursive: true });
  if (c.tool === 'archeo') {
    return timed(process.execPath, [
      join(root, 'bin', 'archeo.js'),
      'velocity',
      ts,
      '--out',
      out,
      '-q',
      '--no-progress',
      ...c.argv,
    ]);
  }
  // MintPy writes into the current directory.
  return timed('bash', [join(peers, 'run_mintpy.sh'), 'vel', ts, ...c.argv, '-o', join(out, 'velocity.h5')], {
    cwd: out,
  });
}

/** MintPy opens archeo's file as its own, and the two velocity.h5 files agree (printed). */
function crossCheck(ours: string, theirs: string): Record<string, unknown> {
  const info = spawnSync(python, ['-m', 'mintpy.cli.info', ours], { encoding: 'utf8' });
  const readable = info.status === 0 && /velocity/.test(info.stdout);
  const script = `
import h5py, numpy as np, json, sys
a = h5py.File(sys.argv[1], 'r'); b = h5py.File(sys.argv[2], 'r')
out = {'datasets_equal': sorted(a) == sorted(b)}
for k in sorted(b):
    x = a[k][()].astype(float); y = b[k][()].astype(float); ok = np.isfinite(y) & (y != 0)
    d = np.abs(x[ok] - y[ok])
    out[k] = float((d / np.abs(y[ok])).max()) if k.endswith('Std') or k == 'residue' else float(d.max())
print(json.dumps(out))`;
  const cmp = spawnSync(python, ['-c', script, ours, theirs], { encoding: 'utf8' });
  return {
    mintpy_info_reads_it: readable,
    max_differences: cmp.status === 0 ? JSON.parse(cmp.stdout) : cmp.stderr.slice(-300),
  };
}

function main(): void {
  ensureMintpy(peers);
  const record: Record<string, unknown> = { date: new Date().toISOString(), host: hostLine(), runs, sizes: {} };
  for (const size of sizes) {
    const ts = ensureSeries(size);
    const results = measureRounds(
      size,
      configs,
      runs,
      (i) => join(work, `${size}-${i}`),
      (c, dir) => runOnce(c, ts, dir),
    );
    printPairs(
      `${size} (dates x rows x cols), min of ${runs} run(s)`,
      configs.map((c) => c.name),
      results,
      'MintPy',
    );
    const check = crossCheck(join(work, `${size}-0`, 'velocity.h5'), join(work, `${size}-1`, 'velocity.h5'));
    console.log(
      `\nMintPy reads archeo's velocity.h5: ${check['mintpy_info_reads_it'] ? 'yes' : 'NO'}; largest differences (parameters: absolute; Std, residue: relative): ${JSON.stringify(check['max_differences'])}\n`,
    );
    (record['sizes'] as Record<string, unknown>)[size] = { results: Object.fromEntries(results), check };
  }
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  appendFileSync(join(root, 'bench', 'results', 'velocity.jsonl'), `${JSON.stringify(record)}\n`);
}

main();
