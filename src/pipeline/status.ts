/**
 * `archeo status <out>`: one view of an output folder that one run or many shards (on one host or many)
 * write. Per shard it reads the state (snapshot + journal, read-only), the plan of its last run and its
 * lock; it takes nothing and changes nothing, so it can run while the shards work. A scene is:
 *  - done / failed: its latest record says so (stage and message of a failure);
 *  - running: planned by a run whose lock is live, not yet recorded by that run, and its temporary
 *    folder (named with the holder's host tag and pid) exists;
 *  - pending: planned to run and not recorded by that run — queued in a live run, or left behind by a run
 *    that is gone (killed: the next run of that shard takes it).
 * Across shards a scene's status is its newest (a running one wins). Shards never started are named from
 * the counts seen (`-shard-i-of-n`): their scenes are unknown until they plan.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hostTagOf } from '../core/cleanup.js';
import { InputError } from '../core/errors.js';
import { readPlan, type RunPlan } from '../io/output/batch.plan.js';
import { readStateReadOnly, type SceneRecord } from '../io/output/batch.state.js';
import { readLock, type LockHolder } from '../io/output/lock.js';

export type SceneState = 'done' | 'failed' | 'pending' | 'running';

export interface SceneStatus {
  id: string;
  status: SceneState;
  /** `i/n`, or null for a run without --shard. */
  shard: string | null;
  path?: string;
  /** Failure: the stage and one-line message; transient when the next run retries it. */
  stage?: string;
  message?: string;
  transient?: boolean;
  finished_at?: string;
  wall_s?: number;
  output_bytes?: number;
  /** Running or queued: who holds the scene's shard. */
  holder?: string;
}

export interface ShardStatus {
  shard: string | null;
  /** The lock's holder, live or not (a dead holder's lock is taken over by the next run). */
  lock: LockHolder | null;
  /** The last run's id and start, from its plan. */
  run_id: string | null;
  started_at: string | null;
  planned: number;
  counts: Record<SceneState, number>;
  problems: string[];
}

export interface StatusReport {
  format: 'archeo-status/1';
  out: string;
  generated_at: string;
  counts: Record<SceneState, number> & { total: number };
  totals: { wall_s: number; output_bytes: number };
  shards: ShardStatus[];
  /** Shards `i/n` with no file at all in the folder: never started (or another folder). */
  missing_shards: string[];
  /** Live locks: who is working now. */
  running: { shard: string | null; pid: number | null; host: string | null; since: string | null }[];
  scenes: SceneStatus[];
}

const FILE = /^(?:archeo-state|archeo-plan|run-report|\.archeo)(-shard-(\d+)-of-(\d+))?\.(?:json|journal|lock)$/;
const TEMP = /^\.(.+)\.tmp-([0-9a-f]{8})-(\d+)-[0-9a-z]+$/;

export function folderStatus(out: string): StatusReport {
  let names: string[];
  try {
    names = readdirSync(out);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(out, code === 'ENOENT' ? 'no such output folder' : `cannot read the output folder (${code})`);
  }
  const tags = new Map<string, { index: number; count: number } | null>();
  for (const n of names) {
    const m = FILE.exec(n);
    if (m) tags.set(m[1] ?? '', m[1] ? { index: Number(m[2]), count: Number(m[3]) } : null);
  }
  if (tags.size === 0)
    throw new InputError(out, 'no archeo state, plan or lock here (not an output folder of archeo scan)');
  // Temporary scene folders by (host tag, pid): the scenes a live run is writing now.
  const temps = new Set<string>();
  for (const n of names) {
    const m = TEMP.exec(n);
    if (m) temps.add(`${m[2]}:${m[3]}:${m[1]}`);
  }

  const merged = new Map<string, SceneStatus & { at: string }>();
  const shards: ShardStatus[] = [];
  const running: StatusReport['running'] = [];
  for (const [tag, shard] of [...tags].sort((a, b) => order(a[1]) - order(b[1]))) {
    const label = shard ? `${shard.index}/${shard.count}` : null;
    const problems: string[] = [];
    const { state, problem } = readStateReadOnly(join(out, `archeo-state${tag}.json`));
    if (problem) problems.push(problem);
    const planRead = readPlan(join(out, `archeo-plan${tag}.json`));
    if (planRead.problem) problems.push(planRead.problem);
    const plan = planRead.plan;
    const lock = readLock(join(out, `.archeo${tag}.lock`)) ?? null;
    if (lock?.live) running.push({ shard: label, pid: lock.pid, host: lock.host, since: lock.started_at });
    const mine = new Map<string, SceneStatus & { at: string }>();
    for (const rec of Object.values(state.scenes)) mine.set(rec.id, fromRecord(rec, label));
    if (plan) for (const s of planned(plan, lock, label, temps, state.scenes)) mine.set(s.id, s);
    const counts = { done: 0, failed: 0, pending: 0, running: 0 };
    for (const s of mine.values()) {
      counts[s.status]++;
      const other = merged.get(s.id);
      if (!other || newer(s, other)) merged.set(s.id, s);
    }
    shards.push({
      shard: label,
      lock,
      run_id: plan?.run_id ?? null,
      started_at: plan?.started_at ?? null,
      planned: plan?.scenes.length ?? 0,
      counts,
      problems,
    });
  }

  const missing: string[] = [];
  for (const count of new Set([...tags.values()].flatMap((s) => (s ? [s.count] : []))))
    for (let i = 0; i < count; i++) if (!tags.has(`-shard-${i}-of-${count}`)) missing.push(`${i}/${count}`);

  const scenes = [...merged.values()]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(({ at: _at, ...s }) => s);
  const counts = { done: 0, failed: 0, pending: 0, running: 0, total: scenes.length };
  const totals = { wall_s: 0, output_bytes: 0 };
  for (const s of scenes) {
    counts[s.status]++;
    totals.wall_s += s.wall_s ?? 0;
    totals.output_bytes += s.output_bytes ?? 0;
  }
  totals.wall_s = Math.round(totals.wall_s * 1000) / 1000;
  return {
    format: 'archeo-status/1',
    out,
    generated_at: new Date().toISOString(),
    counts,
    totals,
    shards,
    missing_shards: missing,
    running,
    scenes,
  };
}

function order(s: { index: number; count: number } | null): number {
  return s ? s.count * 1e6 + s.index : -1;
}

function fromRecord(rec: SceneRecord, shard: string | null): SceneStatus & { at: string } {
  const base = {
    id: rec.id,
    shard,
    path: rec.path,
    finished_at: rec.finished_at,
    wall_s: rec.wall_s,
    at: rec.finished_at ?? '',
  };
  if (rec.outcome === 'done')
    return { ...base, status: 'done', output_bytes: (rec.outputs ?? []).reduce((sum, o) => sum + o.bytes, 0) };
  return {
    ...base,
    status: 'failed',
    stage: rec.stage,
    message: rec.error,
    ...(rec.fault === 'transient' ? { transient: true } : {}),
  };
}

/** The scenes a plan set out to run that its run has not recorded: running, queued, or left behind. */
function planned(
  plan: RunPlan,
  lock: LockHolder | null,
  shard: string | null,
  temps: Set<string>,
  records: Record<string, SceneRecord>,
): (SceneStatus & { at: string })[] {
  // The lock belongs to this plan's run only when the run ids agree (a new run may not have planned yet).
  const live = lock?.live === true && lock.run_id === plan.run_id;
  const who = `pid ${plan.pid} on ${plan.host}`;
  const tag = hostTagOf(plan.host);
  return plan.scenes
    .filter((p) => p.run && records[p.id]?.run_id !== plan.run_id)
    .map((p) => {
      const busy = live && temps.has(`${tag}:${plan.pid}:${p.id}`);
      return {
        id: p.id,
        shard,
        path: p.path,
        status: busy ? 'running' : 'pending',
        holder: live ? who : undefined,
        message: busy
          ? `being processed by ${who}`
          : live
            ? `queued in the live run of ${who}`
            : `planned by run ${plan.run_id} (${who}, ${plan.started_at}), which ended before reaching it: the next run of this shard takes it`,
        at: plan.started_at,
      } satisfies SceneStatus & { at: string };
    });
}

/** Whether `a` says more about a scene now than `b`: a running scene wins, then the newer time. */
function newer(a: SceneStatus & { at: string }, b: SceneStatus & { at: string }): boolean {
  if ((a.status === 'running') !== (b.status === 'running')) return a.status === 'running';
  return a.at > b.at;
}
