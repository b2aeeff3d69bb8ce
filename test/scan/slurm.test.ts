/**
 * archeo on a real Slurm (test/helpers/slurm.ts starts munged, slurmctld and slurmd on this machine):
 * a job array `--array=1-3%2` of `archeo scan ARCHIVE --shard auto` over an archive of seven good scenes
 * and one broken one; one task is killed with `scancel --signal=KILL` while it works, then resubmitted
 * alone (`--array=3` with ARCHEO_SLURM_ARRAY=1-3), and a dependent job (`--dependency=afterany`) runs
 * `archeo status`. Every good scene must be done exactly once (one Scene:Done across all task logs, one
 * done record, one folder), the broken one recorded with its stage, and status must agree.
 *
 * The scene names are chosen so that the three shards get 1 + the broken scene, 2 and 4 scenes:
 *   for id in S2A_scene06 S2A_truncated …; do h=$(printf $id | sha256sum | cut -c1-8); echo $id $((16#$h % 3)); done
 */
import { afterAll, beforeAll, expect } from '@jest/globals';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { archeo } from '../helpers/cli.js';
import { outputEntries, rkhSample, root, tempDir } from '../helpers/paths.js';
import { SlurmCluster, slurmAvailable, slurmTest } from '../helpers/slurm.js';

/** Shard (sha256 → first 4 bytes mod 3, from sha256sum) of each scene: 0, 1 or 2 = array ids 1, 2, 3. */
const SHARDS: Record<string, number> = {
  S2A_scene06: 0,
  S2A_truncated: 0,
  S2A_scene09: 1,
  S2A_scene11: 1,
  S2A_scene01: 2,
  S2A_scene02: 2,
  S2A_scene03: 2,
  S2A_scene04: 2,
};
const GOOD = Object.keys(SHARDS)
  .filter((id) => id !== 'S2A_truncated')
  .sort();

let cluster: SlurmCluster | undefined;
beforeAll(async () => {
  if (slurmAvailable) cluster = await SlurmCluster.start();
}, 60000);
afterAll(async () => {
  if (cluster) {
    cluster.cmd('scancel', ['--user', 'root']);
    await cluster.stop();
  }
}, 60000);

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

slurmTest(
  'a Slurm job array scans an archive: a task killed mid-run and resubmitted alone, each scene done once, status agrees',
  async () => {
    const c = cluster!;
    const archive = tempDir('archeo-slurm-archive-');
    for (const id of Object.keys(SHARDS)) {
      cpSync(rkhSample, join(archive, id), { recursive: true });
      rmSync(join(archive, id, 'S2A_29RKH_20200219_0_L2A.json'));
    }
    truncateSync(join(archive, 'S2A_truncated', 'B04.tif'), 20000);
    const out = tempDir('archeo-slurm-out-');
    const logs = join(c.dir, 'jobs');
    const script = join(c.dir, 'scan.sh');
    writeFileSync(
      script,
      `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin', 'archeo.js')}" scan "${archive}" --out "${out}" --shard auto --threads 1\n`,
      { mode: 0o755 },
    );

    const job = c.sbatch([
      '--array=1-3%2',
      '--cpus-per-task=1',
      `--chdir=${root}`,
      `--output=${join(logs, '%A_%a.log')}`,
      script,
    ]);

    // Task 3 (shard 2/3, four scenes): look at the folder once it has planned (status sees it work), then
    // kill it as soon as it has recorded its first scene.
    const waitFor = async (what: string, ok: () => boolean): Promise<void> => {
      const t0 = Date.now();
      while (!ok()) {
        if (Date.now() - t0 > 90000) throw new Error(`task 3 never ${what}\n${c.logs()}`);
        await sleep(20);
      }
    };
    await waitFor('planned', () => existsSync(join(out, 'archeo-plan-shard-2-of-3.json')));
    const live = JSON.parse(archeo(['status', out, '--json']).stdout);
    const holder = live.running.find((r: { shard: string }) => r.shard === '2/3');
    expect(holder).toMatchObject({ host: os.hostname() });
    const planned = live.scenes.filter((s: { shard: string }) => s.shard === '2/3');
    expect(planned.length).toBe(4);
    expect(planned.every((s: { status: string }) => s.status === 'running' || s.status === 'pending')).toBe(true);
    const journal = join(out, 'archeo-state-shard-2-of-3.journal');
    await waitFor('recorded a scene', () => existsSync(journal) && readFileSync(journal, 'utf8').includes('\n'));
    // --batch: the signal goes to the batch step itself (the task's archeo, exec'd by the script); without
    // it Slurm cancels the job, and archeo gets a SIGTERM it handles (exit 130, temporaries removed).
    const scancel = c.cmd('scancel', ['--batch', '--signal=KILL', `${job}_3`]);
    expect(scancel.status).toBe(0);
    await c.drain();

    // The killed task left scenes behind; status names them pending, and no lock as live.
    const killed = JSON.parse(archeo(['status', out, '--json']).stdout);
    const shard2 = killed.shards.find((s: { shard: string }) => s.shard === '2/3');
    expect(shard2.lock).toMatchObject({ live: false, pid: holder.pid });
    expect(killed.running).toEqual([]);
    expect(killed.counts.pending).toBeGreaterThanOrEqual(1);
    expect(killed.counts.done + killed.counts.pending).toBe(GOOD.length);
    const left = killed.scenes.filter((s: { status: string }) => s.status === 'pending');
    expect(
      left.every((s: { shard: string; message: string }) => s.shard === '2/3' && /ended before/.test(s.message)),
    ).toBe(true);
    expect(c.jobField(`${job}_1`, 'ExitCode')).toBe('3:0'); // the broken scene: a permanent failure
    expect(c.jobField(`${job}_2`, 'ExitCode')).toBe('0:0');
    expect(c.jobField(`${job}_3`, 'JobState')).toMatch(/CANCELLED|FAILED/);

    // Resubmit task 3 alone (ARCHEO_SLURM_ARRAY keeps its shard 2 of 3), then a status job after it.
    const again = c.sbatch([
      '--array=3',
      '--cpus-per-task=1',
      '--export=ALL,ARCHEO_SLURM_ARRAY=1-3%2',
      `--chdir=${root}`,
      `--output=${join(logs, '%A_%a.log')}`,
      script,
    ]);
    const statusJob = c.sbatch([
      `--dependency=afterany:${again}`,
      `--chdir=${root}`,
      `--output=${join(logs, 'status.json')}`,
      `--wrap=exec "${process.execPath}" bin/archeo.js status "${out}" --json`,
    ]);
    await c.drain();
    expect(c.jobField(`${again}_3`, 'ExitCode')).toBe('0:0');
    expect(c.jobField(statusJob, 'ExitCode')).toBe('0:0');

    // Exactly once: one Scene:Done per good scene over every task's log (the killed one included), one
    // done record over every shard's state, one output folder.
    const done = new Map<string, number>();
    for (const f of readdirSync(logs).filter((n) => n.endsWith('.log')))
      for (const line of readFileSync(join(logs, f), 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as { event: string; scene?: string };
        if (e.event === 'Scene:Done') done.set(e.scene!, (done.get(e.scene!) ?? 0) + 1);
      }
    expect([...done.keys()].sort()).toEqual(GOOD);
    expect([...done.values()].every((n) => n === 1)).toBe(true);
    const records = [0, 1, 2].flatMap((i) =>
      Object.values(
        JSON.parse(readFileSync(join(out, `archeo-state-shard-${i}-of-3.json`), 'utf8')).scenes as Record<
          string,
          { id: string; outcome: string; stage?: string; error?: string }
        >,
      ).map((r) => ({ ...r, shard: i })),
    );
    expect(
      records
        .filter((r) => r.outcome === 'done')
        .map((r) => r.id)
        .sort(),
    ).toEqual(GOOD);
    for (const r of records) expect(r.shard).toBe(SHARDS[r.id]);
    const broken = records.find((r) => r.id === 'S2A_truncated')!;
    expect(broken).toMatchObject({ outcome: 'failed', stage: 'open' });
    expect(broken.error).toContain('B04.tif: file is truncated');
    expect(outputEntries(out)).toEqual(GOOD); // no lock, no temporary left

    // The dependent job's status, and status now: the same answer as the records.
    for (const report of [
      JSON.parse(readFileSync(join(logs, 'status.json'), 'utf8')),
      JSON.parse(archeo(['status', out, '--json']).stdout),
    ]) {
      expect(report.counts).toEqual({ done: GOOD.length, failed: 1, pending: 0, running: 0, total: GOOD.length + 1 });
      expect(report.missing_shards).toEqual([]);
      expect(report.running).toEqual([]);
      expect(
        report.scenes.map((s: { id: string; status: string; shard: string }) => [s.id, s.status, s.shard]),
      ).toEqual(
        Object.keys(SHARDS)
          .sort()
          .map((id) => [id, id === 'S2A_truncated' ? 'failed' : 'done', `${SHARDS[id]}/3`]),
      );
      expect(report.scenes.find((s: { id: string }) => s.id === 'S2A_truncated')).toMatchObject({
        stage: 'open',
        message: broken.error,
      });
    }
  },
  150000,
);
