/**
 * `archeo status`: the merged view of an output folder while a run works, after it is killed (SIGKILL),
 * after the rerun, over shards (one never started), and the exit status of a transient fault (a full
 * disk: a 1.5 MB tmpfs, when this machine lets the test mount one) with its retry by the next run.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { archeo, errorLines } from '../helpers/cli.js';
import { rkhSample, root, tempDir } from '../helpers/paths.js';

function archive(ids: string[]): string {
  const dir = tempDir('archeo-status-archive-');
  for (const id of ids) {
    cpSync(rkhSample, join(dir, id), { recursive: true });
    rmSync(join(dir, id, 'S2A_29RKH_20200219_0_L2A.json'));
  }
  return dir;
}

interface Status {
  counts: { done: number; failed: number; pending: number; running: number; total: number };
  running: { shard: string | null; pid: number; host: string }[];
  missing_shards: string[];
  shards: { shard: string | null; lock: { live: boolean; pid: number } | null; counts: Record<string, number> }[];
  scenes: { id: string; status: string; shard: string | null; message?: string; holder?: string }[];
  totals: { wall_s: number; output_bytes: number };
}
const status = (out: string): Status => JSON.parse(archeo(['status', out, '--json']).stdout) as Status;

test('while a run works, after it is killed, and after the rerun', async () => {
  const ids = ['S2A_scene01', 'S2A_scene02', 'S2A_scene03', 'S2A_scene04'];
  const dir = archive(ids);
  const out = tempDir('archeo-status-out-');
  const child = spawn(process.execPath, [join(root, 'bin', 'archeo.js'), 'scan', dir, '--out', out, '--threads', '1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  while (!stderr.includes('"event":"Scene:Done"')) {
    if (child.exitCode !== null) throw new Error(`the scan ended early: ${stderr}`);
    await new Promise((res) => setTimeout(res, 20));
  }
  const live = status(out);
  expect(live.running).toEqual([expect.objectContaining({ shard: null, pid: child.pid })]);
  expect(live.counts.done).toBeGreaterThanOrEqual(1);
  expect(live.counts.done + live.counts.pending + live.counts.running).toBe(4);
  expect(live.counts.total).toBe(4);
  for (const s of live.scenes.filter((x) => x.status !== 'done'))
    expect(s.holder).toBe(`pid ${child.pid} on ${live.running[0]!.host}`);
  child.kill('SIGKILL');
  await exited;

  const killed = status(out);
  expect(killed.running).toEqual([]);
  expect(killed.shards[0]!.lock).toMatchObject({ live: false, pid: child.pid });
  const left = killed.scenes.filter((s) => s.status !== 'done');
  expect(left.length).toBe(4 - killed.counts.done);
  expect(left.length).toBeGreaterThanOrEqual(1);
  for (const s of left) {
    expect(s.status).toBe('pending');
    expect(s.message).toMatch(/which ended before reaching it: the next run of this shard takes it$/);
  }
  const text = archeo(['status', out]).stdout;
  expect(text).toContain(`lock of a run that is gone (pid ${child.pid} on `);
  expect(text).toMatch(new RegExp(`^pending  ${left[0]!.id}  planned by run `, 'm'));

  expect(archeo(['scan', dir, '--out', out, '--threads', '1', '-q']).code).toBe(0);
  const after = status(out);
  expect(after.counts).toEqual({ done: 4, failed: 0, pending: 0, running: 0, total: 4 });
  expect(after.shards[0]!.lock).toBeNull();
  // Totals: the outputs' bytes are the sum of the state's records (read here independently).
  const state = JSON.parse(readFileSync(join(out, 'archeo-state.json'), 'utf8')) as {
    scenes: Record<string, { outputs: { bytes: number }[] }>;
  };
  const bytes = Object.values(state.scenes).reduce((a, r) => a + r.outputs.reduce((b, o) => b + o.bytes, 0), 0);
  expect(after.totals.output_bytes).toBe(bytes);
}, 120000);

test('shards are merged; a shard that never started is named; a folder of something else is refused', () => {
  // Shards of 3 (sha256sum of the id, first 4 bytes mod 3): scene06 → 0, scene09 → 1, scene01 → 2.
  const dir = archive(['S2A_scene06', 'S2A_scene09', 'S2A_scene01']);
  const out = tempDir('archeo-status-shards-');
  for (const i of [0, 2]) expect(archeo(['scan', dir, '--out', out, '--shard', `${i}/3`, '-q']).code).toBe(0);
  const r = status(out);
  expect(r.counts).toEqual({ done: 2, failed: 0, pending: 0, running: 0, total: 2 });
  expect(r.missing_shards).toEqual(['1/3']);
  expect(r.scenes.map((s) => [s.id, s.shard])).toEqual([
    ['S2A_scene01', '2/3'],
    ['S2A_scene06', '0/3'],
  ]);
  expect(archeo(['status', out]).stdout).toContain('never started: shard 1/3');

  const empty = tempDir('archeo-status-empty-');
  const bad = archeo(['status', empty]);
  expect(errorLines(bad.stderr)).toEqual([
    `archeo: ${empty}: no archeo state, plan or lock here (not an output folder of archeo scan)`,
  ]);
  expect(bad.code).toBe(1);
});

/** A tmpfs of `size` at a fresh folder, or undefined when this machine does not allow mounting one. */
function tmpfs(size: string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const at = tempDir('archeo-tmpfs-');
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at]).status === 0 ? at : undefined;
}
const mountable = (() => {
  const at = tmpfs('64k');
  if (at) spawnSync('umount', [at]);
  return at !== undefined;
})();

describe('exit statuses a scheduler can act on', () => {
  (mountable ? test : test.skip)('a full disk is transient: exit 75, recorded as such, retried by the next run', () => {
    const dir = archive(['S2A_scene01', 'S2A_scene02']);
    // One scene fits (its peak while its COGs are assembled: 1.5-1.6 MB), two do not (2 x 1 MB of outputs):
    // 1800k sits between the two with a margin on each side (2000k let both fit once).
    const disk = tmpfs('1800k')!;
    try {
      const out = join(disk, 'out');
      mkdirSync(out);
      const r = archeo(['scan', dir, '--out', out, '--threads', '1', '-q', '--json']);
      expect(r.code).toBe(75);
      const failed = (JSON.parse(r.stdout) as { scenes: { ok: boolean; error?: string }[] }).scenes.filter(
        (s) => !s.ok,
      );
      expect(failed).toHaveLength(1);
      expect(failed[0]!.error).toMatch(/^cannot write .*\/out\/S2A_scene0[12]: no space left on device$/);
      const s = status(out);
      expect(s.scenes.find((x) => x.status === 'failed')).toMatchObject({ transient: true });
      // Space again: the next run retries the scene without --retry-failed, and ends well.
      expect(spawnSync('mount', ['-o', 'remount,size=10m', disk]).status).toBe(0);
      expect(archeo(['scan', dir, '--out', out, '--list']).stdout).toMatch(
        /retry\s+run\s+S2A_scene0[12]\s+failed on a transient fault before/,
      );
      expect(archeo(['scan', dir, '--out', out, '--threads', '1', '-q']).code).toBe(0);
      expect(status(out).counts).toMatchObject({ done: 2, failed: 0 });
    } finally {
      spawnSync('umount', [disk]);
    }
  });

  test('bad input stays permanent: exit 3 for a batch, and the failure is not retried without --retry-failed', () => {
    const dir = archive(['S2A_scene01']);
    cpSync(join(dir, 'S2A_scene01'), join(dir, 'S2A_truncated'), { recursive: true });
    spawnSync('truncate', ['-s', '20000', join(dir, 'S2A_truncated', 'B04.tif')]);
    const out = tempDir('archeo-status-bad-');
    expect(archeo(['scan', dir, '--out', out, '-q']).code).toBe(3);
    expect(archeo(['scan', dir, '--out', out, '-q']).code).toBe(0);
    const s = status(out).scenes.find((x) => x.id === 'S2A_truncated')!;
    expect(s).toMatchObject({ status: 'failed', stage: 'open' });
    expect(s).not.toHaveProperty('transient');
  });
});
