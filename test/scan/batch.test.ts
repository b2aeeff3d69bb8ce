/**
 * Nightly runs over an archive: the state file (skip what is done and unchanged, redo what changed),
 * failures recorded and isolated, SIGKILL in the middle of a run, the output-folder lock, and shards.
 * The archives are built from the samples: copies of the COG sample without its STAC item (so each
 * copy's id is its folder name), the SAFE sample, a scene with a truncated band and a folder named like
 * a product that holds no bands.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { archeo } from '../helpers/cli.js';
import { outputEntries, rkhSample, root, tempDir, unuSample } from '../helpers/paths.js';

const UNU_ID = 'S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454';

/** `good` copies of the COG sample (S2A_scene01…), plus, optionally, the SAFE sample and two bad folders. */
function makeArchive(good: number, opts: { safe?: boolean; bad?: boolean } = {}): string {
  const archive = tempDir('archeo-archive-');
  for (let i = 1; i <= good; i++) {
    const dir = join(archive, `S2A_scene${String(i).padStart(2, '0')}`);
    cpSync(rkhSample, dir, { recursive: true });
    rmSync(join(dir, 'S2A_29RKH_20200219_0_L2A.json'));
  }
  if (opts.safe) cpSync(unuSample, join(archive, 'safe', `${UNU_ID}.SAFE`), { recursive: true });
  if (opts.bad) {
    const broken = join(archive, 'S2A_truncated');
    cpSync(rkhSample, broken, { recursive: true });
    rmSync(join(broken, 'S2A_29RKH_20200219_0_L2A.json'));
    truncateSync(join(broken, 'B04.tif'), 20000);
    mkdirSync(join(archive, 'S2B_MSIL2A_20230101_nobands'));
    writeFileSync(join(archive, 'S2B_MSIL2A_20230101_nobands', 'download.log'), 'interrupted\n');
  }
  return archive;
}

interface Summary {
  failed: number;
  skipped: number;
  scenes: { id: string | null; ok: boolean; skipped?: string; error?: string; stage?: string; output?: string }[];
}

function scan(archive: string, out: string, ...args: string[]): { code: number; summary: Summary; stderr: string } {
  const r = archeo(['scan', archive, '--out', out, '--json', '-q', ...args]);
  return { code: r.code, summary: JSON.parse(r.stdout || '{}') as Summary, stderr: r.stderr };
}

function runReport(
  out: string,
  name = 'run-report.json',
): {
  scenes: Record<string, number | Record<string, number>>;
  wall_s: number;
  failures: { id: string; stage: string; error: string }[];
} {
  return JSON.parse(readFileSync(join(out, name), 'utf8'));
}

const processed = (s: Summary): string[] =>
  s.scenes
    .filter((x) => x.output)
    .map((x) => x.id!)
    .sort();

describe('archive runs and the state file', () => {
  const archive = makeArchive(3, { safe: true, bad: true });
  const out = tempDir('archeo-archive-out-');
  const good = ['S2A_scene01', 'S2A_scene02', 'S2A_scene03', UNU_ID];

  test('first run: the good scenes are written, the failures recorded with their stage (exit 3)', () => {
    const r = scan(archive, out);
    expect(r.code).toBe(3);
    expect(processed(r.summary)).toEqual(good.sort());
    expect(r.summary.failed).toBe(2);
    expect(outputEntries(out)).toEqual(good.sort());
    const state = JSON.parse(readFileSync(join(out, 'archeo-state.json'), 'utf8'));
    expect(state.format).toBe('archeo-state/1');
    expect(state.scenes['S2A_truncated']).toMatchObject({ outcome: 'failed', stage: 'open' });
    expect(state.scenes['S2A_truncated'].error).toContain('B04.tif: file is truncated');
    expect(state.scenes['S2B_MSIL2A_20230101_nobands']).toMatchObject({ outcome: 'failed', stage: 'discover' });
    const done = state.scenes['S2A_scene01'];
    expect(done.outcome).toBe('done');
    expect(done.inputs.map((i: [string]) => i[0]).sort()).toEqual(readdirSync(join(archive, 'S2A_scene01')).sort());
    // Outputs with sizes and SHA-256 checksums (compared with a hash computed here).
    const report = done.outputs.find((o: { path: string }) => o.path === 'report.json');
    expect(report.bytes).toBe(readFileSync(join(out, 'S2A_scene01', 'report.json')).length);
    const tif = done.outputs.find((o: { path: string }) => o.path === 'indices/ndvi.tif');
    expect(tif.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(tif.sha256).toBe(sha256(join(out, 'S2A_scene01', 'indices', 'ndvi.tif')));
    // Every output of every finished scene: the rasters hashed by their writers before they took their
    // final form (insert.range.ts), the others read back; all must be the files' hashes.
    for (const [id, scene] of Object.entries(state.scenes) as [string, { outcome: string; outputs?: never[] }][]) {
      if (scene.outcome !== 'done') continue;
      const outputs = scene.outputs as unknown as { path: string; bytes: number; sha256: string }[];
      expect(outputs.some((o) => o.path.startsWith('indices/'))).toBe(true);
      for (const o of outputs) {
        const file = join(out, id, o.path);
        expect({ file, sha256: o.sha256, bytes: o.bytes }).toEqual({
          file,
          sha256: sha256(file),
          bytes: readFileSync(file).length,
        });
      }
    }
    const rr = runReport(out);
    expect(rr.scenes).toMatchObject({ found: 6, in_shard: 6, processed: 6, succeeded: 4, failed: 2, skipped: 0 });
    expect(rr.failures.map((f) => [f.id, f.stage]).sort()).toEqual([
      ['S2A_truncated', 'open'],
      ['S2B_MSIL2A_20230101_nobands', 'discover'],
    ]);
  });

  test('second run: nothing to do (done and unchanged skipped, failed-before skipped), exit 0', () => {
    const r = scan(archive, out);
    expect(r.code).toBe(0);
    expect(processed(r.summary)).toEqual([]);
    expect(r.summary.skipped).toBe(6);
    const rr = runReport(out);
    expect(rr.scenes).toMatchObject({ processed: 0, skipped: 6, by_status: { done: 4, failed: 2 } });
    // Nothing was processed: a fraction of a second per scene (the fingerprints and a state read).
    expect(rr.wall_s).toBeLessThan(6 * 1);
    const list = archeo(['scan', archive, '--out', out, '--list']);
    expect(list.stdout).toContain('6 scene(s): 0 to run, 6 to skip');
    expect(list.stdout).toMatch(/failed\s+skip\s+S2A_truncated\s+failed before \(open: .*file is truncated/);
  });

  test('touching one input redoes only that scene', () => {
    const later = new Date(Date.now() + 5000);
    utimesSync(join(archive, 'S2A_scene02', 'B08.tif'), later, later);
    const list = archeo(['scan', archive, '--out', out, '--list']);
    expect(list.stdout).toMatch(/changed\s+run\s+S2A_scene02\s+B08.tif was modified/);
    const r = scan(archive, out);
    expect(r.code).toBe(0);
    expect(processed(r.summary)).toEqual(['S2A_scene02']);
  });

  test('a changed parameter file redoes every scene (and retries the failures)', () => {
    const params = JSON.parse(archeo(['scan', '--print-params']).stdout);
    params.detectors.terra_preta.conditions[0].value = 0.13;
    const file = join(tempDir(), 'params.json');
    writeFileSync(file, JSON.stringify(params));
    const r = scan(archive, out, '--params', file);
    expect(r.code).toBe(3);
    expect(processed(r.summary)).toEqual(good.sort());
    expect(r.summary.failed).toBe(2);
    const again = scan(archive, out, '--params', file);
    expect(processed(again.summary)).toEqual([]);
  });

  test('an output deleted by hand is noticed and its scene redone; --force redoes all', () => {
    rmSync(join(out, 'S2A_scene03', 'indices', 'ndre1.tif'));
    const params = JSON.parse(archeo(['scan', '--print-params']).stdout);
    params.detectors.terra_preta.conditions[0].value = 0.13;
    const file = join(tempDir(), 'params.json');
    writeFileSync(file, JSON.stringify(params));
    const list = archeo(['scan', archive, '--out', out, '--params', file, '--list']);
    expect(list.stdout).toMatch(/outputs\s+run\s+S2A_scene03\s+output indices\/ndre1.tif is missing/);
    expect(processed(scan(archive, out, '--params', file).summary)).toEqual(['S2A_scene03']);
    expect(processed(scan(archive, out, '--params', file, '--force').summary)).toEqual(good.sort());
  });
});

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Spawns a scan and resolves when `event` appears in its log (JSON lines on stderr). */
function spawnScan(args: string[]): {
  child: ReturnType<typeof spawn>;
  stderr: () => string;
  waitFor: (event: string) => Promise<void>;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [join(root, 'bin', 'archeo.js'), 'scan', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (event: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (err.includes(event)) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
      void exit.then(() => {
        clearInterval(timer);
        if (!err.includes(event)) reject(new Error(`exited before ${event}: ${err.slice(-500)}`));
      });
    });
  return { child, stderr: () => err, waitFor, exit };
}

test('SIGKILL in the middle of a run: no partial output under a final name, the state parses, the next run completes', async () => {
  const archive = makeArchive(8);
  const out = tempDir('archeo-kill-');
  // Small blocks: each scene takes long enough for the kill to land inside one.
  const options = ['--block', '16', '--threads', '1'];
  const run = spawnScan([archive, '--out', out, ...options]);
  // Right after the first scene is done, the next one is being written.
  await run.waitFor('Scene:Done');
  run.child.kill('SIGKILL');
  expect(await run.exit).toBe(null);
  const left = readdirSync(out);
  // The lock of the dead run and, most likely, the temporary folder of the scene it was writing.
  expect(left).toContain('.archeo.lock');
  const finals = outputEntries(out).filter((n) => !n.startsWith('.'));
  expect(finals.length).toBeGreaterThan(0);
  expect(finals.length).toBeLessThan(8);
  for (const id of finals) {
    expect(readdirSync(join(out, id)).sort()).toEqual([
      'candidates.geojson',
      'indices',
      'masks',
      'quicklook.pgw',
      'quicklook.png',
      'quicklook.png.aux.xml',
      'report.json',
    ]);
    expect(readdirSync(join(out, id, 'indices'))).toHaveLength(7);
  }
  // The state: the snapshot (if any) and every complete journal line parse; a torn last line may not.
  if (existsSync(join(out, 'archeo-state.json'))) JSON.parse(readFileSync(join(out, 'archeo-state.json'), 'utf8'));
  const journal = existsSync(join(out, 'archeo-state.journal'))
    ? readFileSync(join(out, 'archeo-state.journal'), 'utf8')
    : '';
  const lines = journal.split('\n').filter((l) => l.length > 0);
  const complete = journal.endsWith('\n') ? lines : lines.slice(0, -1);
  for (const line of complete) expect(JSON.parse(line).outcome).toBe('done');
  const recorded = new Set(complete.map((l) => JSON.parse(l).id as string));
  // A temporary named for the dead run (its host tag: the first 8 hex digits of sha256(hostname)), so the
  // cleanup below has one to remove whatever the kill left.
  const hostTag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
  const planted = `.S2A_scene99.tmp-${hostTag}-${run.child.pid}-zz1`;
  writeFileSync(join(out, planted), 'left by the killed run');

  // The next run (same parameters: --block is in the parameter hash, since it shapes the output tiles)
  // takes the dead run's lock over, removes its temporaries and finishes the archive.
  const next = archeo(['scan', archive, '--out', out, ...options, '--json']);
  expect(next.code).toBe(0);
  expect(next.stderr).toContain('took over the lock of a run that is gone');
  expect(next.stderr).toContain(`removed ${planted}, left by a run that is gone`);
  const summary = JSON.parse(next.stdout) as Summary;
  // Scenes recorded done are skipped; the rest — including one whose folder was renamed into place but
  // not yet recorded when the kill came — are (re)done.
  expect(
    summary.scenes
      .filter((s) => s.output)
      .map((s) => s.id)
      .sort(),
  ).toEqual(
    Array.from({ length: 8 }, (_, i) => `S2A_scene${String(i + 1).padStart(2, '0')}`).filter((id) => !recorded.has(id)),
  );
  expect(recorded.size).toBeLessThan(8);
  expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
  expect(outputEntries(out)).toHaveLength(8);
  const state = JSON.parse(readFileSync(join(out, 'archeo-state.json'), 'utf8'));
  expect(Object.values(state.scenes).every((s) => (s as { outcome: string }).outcome === 'done')).toBe(true);
});

test('two runs at once on one folder: one works, the other exits 4 with the lock message', async () => {
  const archive = makeArchive(3);
  const out = tempDir('archeo-lock-');
  const first = spawnScan([archive, '--out', out, '--block', '16', '--threads', '1']);
  await first.waitFor('Scene:Start');
  const second = archeo(['scan', archive, '--out', out]);
  expect(second.code).toBe(4);
  expect(second.stderr.trim()).toMatch(
    new RegExp(
      `^archeo: ${out}: another archeo run holds this output folder \\(pid ${first.child.pid} on .+, since .+\\); wait for it to finish, or remove ${join(out, '.archeo.lock')} if that run is gone$`,
    ),
  );
  expect(await first.exit).toBe(0);
  expect(outputEntries(out)).toEqual(['S2A_scene01', 'S2A_scene02', 'S2A_scene03']);
});

test('shards 0/3, 1/3 and 2/3 cover every scene exactly once, and can share an output folder', async () => {
  const archive = makeArchive(10);
  const out = tempDir('archeo-shard-');
  const ids: string[][] = [];
  for (let i = 0; i < 3; i++) {
    const r = archeo(['scan', archive, '--out', out, '--shard', `${i}/3`, '--list', '--json']);
    expect(r.code).toBe(0);
    ids.push((JSON.parse(r.stdout) as { id: string }[]).map((d) => d.id));
  }
  const all = ids.flat().sort();
  expect(all).toEqual(Array.from({ length: 10 }, (_, i) => `S2A_scene${String(i + 1).padStart(2, '0')}`));
  expect(new Set(all).size).toBe(10);
  expect(ids.every((s) => s.length > 0)).toBe(true);
  // The three shards run at the same time on one folder: each has its own lock, state and report.
  const runs = [0, 1, 2].map((i) => spawnScan([archive, '--out', out, '--shard', `${i}/3`, '--threads', '1']));
  expect(await Promise.all(runs.map((r) => r.exit))).toEqual([0, 0, 0]);
  expect(outputEntries(out)).toHaveLength(10);
  for (let i = 0; i < 3; i++) {
    const rr = runReport(out, `run-report-shard-${i}-of-3.json`);
    expect(rr.scenes).toMatchObject({ found: 10, in_shard: ids[i]!.length, succeeded: ids[i]!.length });
    expect(existsSync(join(out, `archeo-state-shard-${i}-of-3.json`))).toBe(true);
  }
  // auto/n takes the index from the scheduler's environment (a Kubernetes Indexed Job here).
  const auto = archeo(['scan', archive, '--out', out, '--shard', 'auto/3', '--list', '--json'], {
    JOB_COMPLETION_INDEX: '2',
  });
  expect((JSON.parse(auto.stdout) as { id: string }[]).map((d) => d.id)).toEqual(ids[2]);
});

test('--jobs 2 processes the archive as --jobs 1 does', () => {
  const archive = makeArchive(4, { bad: true });
  const [a, b] = [tempDir('archeo-j1-'), tempDir('archeo-j2-')];
  const one = scan(archive, a, '--jobs', '1');
  const two = scan(archive, b, '--jobs', '2');
  expect([one.code, two.code]).toEqual([3, 3]);
  expect(processed(two.summary)).toEqual(processed(one.summary));
  expect(outputEntries(b)).toEqual(outputEntries(a));
  for (const id of processed(one.summary)) {
    const features = (dir: string) => JSON.parse(readFileSync(join(dir, id, 'candidates.geojson'), 'utf8')).features;
    expect(features(b)).toEqual(features(a));
  }
  expect(runReport(b).scenes).toMatchObject({ succeeded: 4, failed: 2 });
});
