/**
 * `npm run bench:rms`: archeo rms against MintPy 1.5.1's timeseries_rms (the peer, run by
 * ../shared/peers/run_mintpy.sh) on a synthetic residual time series with ramps and outlier dates, in the
 * same run, on the same machine: wall time, peak RSS and their ratios; then how far the two RMS tables
 * are apart and whether the reference and excluded dates agree.
 *
 *   npm run bench:rms -- [--size 100x1000x1000] [--runs 1] [--peers DIR]
 *
 * The series is generated once with make_timeseries.py --residual (2 outlier dates, 1 cm ramps, 5 % NaN
 * pixels, seed 1), cached under bench/cache/. Both tools run in a folder holding a link to it (MintPy
 * writes its text files into the current directory), without a mask file.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import {
  ensureMintpy,
  flag,
  generateOnce,
  hostLine,
  measureRounds,
  printPairs,
  root,
  timed,
  type Measure,
  type PeerConfig,
} from './common.js';

const args = process.argv.slice(2);
const size = flag(args, '--size', '100x1000x1000');
const runs = Number(flag(args, '--runs', '1'));
const peers = resolve(flag(args, '--peers', join(root, '..', 'shared', 'peers')));
const work = join(os.tmpdir(), 'archeo-bench-rms');

type Config = PeerConfig;

const configs: Config[] = [
  { name: 'archeo rms (defaults: quadratic ramp)', tool: 'archeo', argv: [] },
  { name: 'MintPy timeseries_rms (defaults)', tool: 'mintpy', argv: [] },
  { name: 'archeo rms -r no', tool: 'archeo', argv: ['-r', 'no'] },
  { name: 'MintPy timeseries_rms -r no', tool: 'mintpy', argv: ['-r', 'no'] },
];

function runOnce(c: Config, series: string, dir: string): Measure {
  mkdirSync(dir, { recursive: true });
  symlinkSync(series, join(dir, 'timeseriesResidual.h5'));
  if (c.tool === 'archeo')
    return timed(
      process.execPath,
      [join(root, 'bin', 'archeo.js'), 'rms', 'timeseriesResidual.h5', '-q', '--no-progress', ...c.argv],
      { cwd: dir },
    );
  return timed('bash', [join(peers, 'run_mintpy.sh'), 'rms', 'timeseriesResidual.h5', ...c.argv], { cwd: dir });
}

/** Largest relative difference of the two RMS tables; reference and excluded dates equal or not. */
function crossCheck(ours: string, theirs: string, ramp: boolean): Record<string, unknown> {
  const table = (dir: string): number[] =>
    readFileSync(join(dir, ramp ? 'rms_timeseriesResidual_ramp.txt' : 'rms_timeseriesResidual.txt'), 'utf8')
      .split('\n')
      .filter((l) => /^\d{8}\t/.test(l))
      .map((l) => Number(l.split('\t')[1]));
  const [a, b] = [table(ours), table(theirs)];
  const text = (dir: string, f: string): string => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
  return {
    dates: b.length,
    max_relative_difference: Math.max(...b.map((v, i) => Math.abs(a[i]! - v) / v)),
    reference_date_equal: text(ours, 'reference_date.txt') === text(theirs, 'reference_date.txt'),
    exclude_date_equal: text(ours, 'exclude_date.txt') === text(theirs, 'exclude_date.txt'),
  };
}

function main(): void {
  ensureMintpy(peers);
  const [dates, rows, cols] = size.split('x');
  const series = generateOnce(
    join(root, 'bench', 'cache', `tsres_${size}_seed1`, 'timeseriesResidual.h5'),
    join(peers, 'make_timeseries.py'),
    [
      '--residual',
      '--dates',
      dates!,
      '--rows',
      rows!,
      '--cols',
      cols!,
      '--outlier-dates',
      '2',
      '--ramp',
      '0.01',
      '--nan-frac',
      '0.05',
      '--seed',
      '1',
    ],
  );
  const results = measureRounds(
    size,
    configs,
    runs,
    (i) => join(work, `${i}`),
    (c, dir) => runOnce(c, series, dir),
  );
  printPairs(
    `residual series ${size} (dates x rows x cols), min of ${runs} run(s)`,
    configs.map((c) => c.name),
    results,
    'MintPy',
  );
  const checks = [0, 2].map((i) =>
    crossCheck(join(work, `${i}`), join(work, `${i + 1}`), configs[i]!.argv.length === 0),
  );
  checks.forEach((check, k) =>
    console.log(`\n${configs[2 * k]!.argv.join(' ') || 'defaults'}: ${JSON.stringify(check)}`),
  );
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const record = {
    date: new Date().toISOString(),
    host: hostLine(),
    runs,
    size,
    results: Object.fromEntries(results),
    checks,
  };
  appendFileSync(join(root, 'bench', 'results', 'rms.jsonl'), `${JSON.stringify(record)}\n`);
}

main();
