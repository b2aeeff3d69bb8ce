/**
 * `npm run bench:invert`: archeo invert against MintPy 1.5.1's ifgram_inversion (the peer, run by
 * ../shared/peers/run_mintpy.sh) on a synthetic interferogram stack, in the same run, on the same machine:
 * wall time, peak RSS and their ratios, for the default weights (-w var: every pixel solved alone) and
 * -w no (pixels valid in every pair solved together). Then checks that MintPy reads archeo's
 * timeseries.h5 and how far the two sets of outputs are apart.
 *
 *   npm run bench:invert -- [--size 60x4x500x500] [--runs 1] [--peers DIR]
 *
 * The size is dates x connections per date x rows x cols: 60 dates with 4 connections make 230 pairs.
 * The stack is generated once with make_ifgram_stack.py (2 % no-data pixels, 2 % partly no data, seed 1),
 * cached under bench/cache/.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import {
  ensureMintpy,
  flag,
  generateOnce,
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
const size = flag(args, '--size', '60x4x500x500');
const runs = Number(flag(args, '--runs', '1'));
const peers = resolve(flag(args, '--peers', join(root, '..', 'shared', 'peers')));
const work = join(os.tmpdir(), 'archeo-bench-invert');

type Config = PeerConfig;

const configs: Config[] = [
  { name: 'archeo invert (defaults: -w var)', tool: 'archeo', argv: [] },
  { name: 'MintPy ifgram_inversion (defaults: -w var)', tool: 'mintpy', argv: [] },
  { name: 'archeo invert -w no', tool: 'archeo', argv: ['-w', 'no'] },
  { name: 'MintPy ifgram_inversion -w no', tool: 'mintpy', argv: ['-w', 'no'] },
];

function runOnce(c: Config, stack: string, out: string): Measure {
  mkdirSync(out, { recursive: true });
  if (c.tool === 'archeo')
    return timed(process.execPath, [
      join(root, 'bin', 'archeo.js'),
      'invert',
      stack,
      '--out',
      out,
      '-q',
      '--no-progress',
      ...c.argv,
    ]);
  // MintPy writes into the current directory.
  return timed('bash', [join(peers, 'run_mintpy.sh'), 'inv', stack, ...c.argv], { cwd: out });
}

/** MintPy opens archeo's time series as its own, and the two sets of outputs agree (printed). */
function crossCheck(ours: string, theirs: string): Record<string, unknown> {
  const info = spawnSync(python, ['-m', 'mintpy.cli.info', join(ours, 'timeseries.h5')], { encoding: 'utf8' });
  const script = `
import h5py, numpy as np, json, sys
out = {}
for f, d in [('timeseries.h5', 'timeseries'), ('temporalCoherence.h5', 'temporalCoherence'), ('numInvIfgram.h5', 'mask')]:
    x = h5py.File(sys.argv[1] + '/' + f, 'r')[d][()].astype(float)
    y = h5py.File(sys.argv[2] + '/' + f, 'r')[d][()].astype(float)
    out[d] = float(np.abs(x - y).max())
print(json.dumps(out))`;
  const cmp = spawnSync(python, ['-c', script, ours, theirs], { encoding: 'utf8' });
  return {
    mintpy_info_reads_it: info.status === 0 && /timeseries/.test(info.stdout),
    max_differences: cmp.status === 0 ? JSON.parse(cmp.stdout) : cmp.stderr.slice(-300),
  };
}

function main(): void {
  ensureMintpy(peers);
  const [dates, conn, rows, cols] = size.split('x');
  const stack = generateOnce(
    join(root, 'bench', 'cache', `ifg_${size}_seed1`, 'ifgramStack.h5'),
    join(peers, 'make_ifgram_stack.py'),
    ['--dates', dates!, '--conn', conn!, '--rows', rows!, '--cols', cols!, '--seed', '1'],
  );
  const results = measureRounds(
    size,
    configs,
    runs,
    (i) => join(work, `${i}`),
    (c, dir) => runOnce(c, stack, dir),
  );
  printPairs(
    `stack ${size} (dates x connections x rows x cols), min of ${runs} run(s)`,
    configs.map((c) => c.name),
    results,
    'MintPy',
  );
  const checks = [0, 2].map((i) => crossCheck(join(work, `${i}`), join(work, `${i + 1}`)));
  checks.forEach((check, k) => {
    console.log(
      `\n${configs[2 * k]!.argv.join(' ') || 'defaults'}: MintPy reads archeo's timeseries.h5: ${check['mintpy_info_reads_it'] ? 'yes' : 'NO'}; largest differences (m, 1, pairs): ${JSON.stringify(check['max_differences'])}`,
    );
  });
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const record = {
    date: new Date().toISOString(),
    host: hostLine(),
    runs,
    size,
    results: Object.fromEntries(results),
    checks,
  };
  appendFileSync(join(root, 'bench', 'results', 'invert.jsonl'), `${JSON.stringify(record)}\n`);
}

main();
