/**
 * `--shard i/n`, `--shard auto/n` and `--shard auto`: which share of the archive this process takes. With
 * `auto` the index (and, when the scheduler tells it, the count) comes from the job array's variables:
 *
 * | scheduler | index | count |
 * |---|---|---|
 * | Slurm job array | position of SLURM_ARRAY_TASK_ID in the array (SLURM_ARRAY_TASK_MIN, _STEP) | SLURM_ARRAY_TASK_COUNT |
 * | Kubernetes Indexed Job | JOB_COMPLETION_INDEX | `auto/n` or ARCHEO_SHARD_COUNT |
 * | AWS Batch array job | AWS_BATCH_JOB_ARRAY_INDEX | AWS_BATCH_JOB_ARRAY_SIZE, `auto/n` or ARCHEO_SHARD_COUNT |
 * | Cloud Run job | CLOUD_RUN_TASK_INDEX | CLOUD_RUN_TASK_COUNT |
 *
 * Slurm numbers tasks by the ids of `--array` (`1-16`, `0-30:3`, `1,5,7`): the shard is the task's position
 * in that list, not the id itself. The list is rebuilt from MIN, MAX and STEP; an irregular list (`1,5,7`)
 * or a single task resubmitted out of a larger array (`--array=2`) cannot be told from the variables alone,
 * so ARCHEO_SLURM_ARRAY gives the original `--array` spec, and without it such a task is a usage error
 * (a wrong count would put every scene in a different shard and redo them). The environment is passed in,
 * so the rules are tested without touching process.env.
 */
import { UsageError } from '../core/errors.js';

export interface Shard {
  index: number;
  count: number;
  /** Where the index came from, in words (for the run's log). */
  source: string;
}

type Env = Record<string, string | undefined>;

/** Parses the value of --shard with the scheduler's variables in `env`. */
export function parseShard(value: string, env: Env): Shard {
  const m = /^\s*(auto|\d+)\s*(?:\/\s*(\d+))?\s*$/.exec(value);
  if (!m || (m[1] !== 'auto' && m[2] === undefined))
    throw new UsageError(`--shard ${value}: expected i/n (e.g. 0/4), auto/n or auto`);
  const given = m[2] === undefined ? undefined : Number(m[2]);
  if (given !== undefined && given < 1) throw new UsageError(`--shard ${value}: n must be at least 1`);
  if (m[1] !== 'auto') {
    const index = Number(m[1]);
    if (index >= given!) throw new UsageError(`--shard ${value}: expected 0 <= i < n`);
    return { index, count: given!, source: '--shard' };
  }
  const found = fromScheduler(value, env, given);
  if (!found)
    throw new UsageError(
      `--shard ${value}: auto needs a job array's index in the environment: SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX or CLOUD_RUN_TASK_INDEX (none is set)`,
    );
  const fromEnvCount = envInt(value, env, 'ARCHEO_SHARD_COUNT', 1);
  if (found.count !== undefined && given !== undefined && found.count !== given)
    throw new UsageError(
      `--shard ${value}: ${found.countFrom} says ${found.count} tasks, not ${given}${found.countFrom.startsWith('SLURM') ? ' (a task resubmitted alone? set ARCHEO_SLURM_ARRAY to the original --array)' : ''}`,
    );
  const count = found.count ?? given ?? fromEnvCount;
  if (count === undefined)
    throw new UsageError(
      `--shard ${value}: ${found.source} gives the index but not the number of tasks: use --shard auto/n or set ARCHEO_SHARD_COUNT`,
    );
  if (found.index >= count)
    throw new UsageError(`--shard ${value}: ${found.source} is index ${found.index}, but there are ${count} tasks`);
  return { index: found.index, count, source: found.source };
}

interface Found {
  index: number;
  count?: number;
  countFrom: string;
  source: string;
}

function fromScheduler(value: string, env: Env, given: number | undefined): Found | undefined {
  if (env['SLURM_ARRAY_TASK_ID'] !== undefined) return fromSlurm(value, env, given);
  for (const [indexVar, countVar] of [
    ['JOB_COMPLETION_INDEX', undefined],
    ['AWS_BATCH_JOB_ARRAY_INDEX', 'AWS_BATCH_JOB_ARRAY_SIZE'],
    ['CLOUD_RUN_TASK_INDEX', 'CLOUD_RUN_TASK_COUNT'],
  ] as const) {
    if (env[indexVar] === undefined) continue;
    const index = envInt(value, env, indexVar, 0)!;
    const count = countVar ? envInt(value, env, countVar, 1) : undefined;
    return { index, count, countFrom: countVar ?? '', source: `${indexVar}=${index}` };
  }
  return undefined;
}

function fromSlurm(value: string, env: Env, given: number | undefined): Found {
  const id = envInt(value, env, 'SLURM_ARRAY_TASK_ID', 0)!;
  const spec = env['ARCHEO_SLURM_ARRAY'];
  let ids: number[];
  let from: string;
  if (spec !== undefined) {
    ids = parseArraySpec(value, spec);
    from = `ARCHEO_SLURM_ARRAY=${spec}`;
  } else {
    const need = (k: string, min: number): number => {
      const v = envInt(value, env, k, min);
      if (v === undefined)
        throw new UsageError(
          `--shard ${value}: SLURM_ARRAY_TASK_ID is set but ${k} is not (set ARCHEO_SLURM_ARRAY to the --array spec)`,
        );
      return v;
    };
    const [min, max, step, count] = [
      need('SLURM_ARRAY_TASK_MIN', 0),
      need('SLURM_ARRAY_TASK_MAX', 0),
      need('SLURM_ARRAY_TASK_STEP', 1),
      need('SLURM_ARRAY_TASK_COUNT', 1),
    ];
    ids = [];
    for (let i = min; i <= max; i += step) ids.push(i);
    if (ids.length !== count)
      throw new UsageError(
        `--shard ${value}: the Slurm array ${min}-${max}:${step} has ${ids.length} ids but SLURM_ARRAY_TASK_COUNT=${count} (an irregular --array such as 1,5,7): set ARCHEO_SLURM_ARRAY to the --array spec`,
      );
    // An array of one task is what a task resubmitted alone looks like; `auto/1` says it is meant.
    if (count === 1 && given !== 1)
      throw new UsageError(
        `--shard ${value}: a Slurm array of one task (SLURM_ARRAY_TASK_ID=${id}), as when one task is resubmitted: set ARCHEO_SLURM_ARRAY to the original --array spec (e.g. 1-3), or give --shard i/n`,
      );
    from = 'SLURM_ARRAY_TASK_COUNT';
  }
  const index = ids.indexOf(id);
  if (index < 0)
    throw new UsageError(`--shard ${value}: SLURM_ARRAY_TASK_ID=${id} is not in the array ${ids.join(',')} (${from})`);
  return { index, count: ids.length, countFrom: from, source: `SLURM_ARRAY_TASK_ID=${id} of ${ids.length}` };
}

/**
 * The ids of a Slurm `--array` spec: comma-separated ids and ranges `a-b[:step]`, a `%N` throttle
 * ignored; sorted and unique, as Slurm runs them.
 */
export function parseArraySpec(value: string, spec: string): number[] {
  const bad = (why: string): UsageError =>
    new UsageError(`--shard ${value}: ARCHEO_SLURM_ARRAY=${spec}: ${why} (expected e.g. 1-16, 0-30:3 or 1,5,7)`);
  const ids = new Set<number>();
  for (const part of spec.replace(/%\d+$/, '').split(',')) {
    const r = /^\s*(\d+)(?:-(\d+)(?::(\d+))?)?\s*$/.exec(part);
    if (!r) throw bad(`'${part}' is not an id or a range`);
    const a = Number(r[1]);
    const b = r[2] === undefined ? a : Number(r[2]);
    const step = r[3] === undefined ? 1 : Number(r[3]);
    if (b < a || step < 1) throw bad(`'${part}' is an empty range`);
    if ((b - a) / step > 100_000) throw bad(`'${part}' has too many ids`);
    for (let i = a; i <= b; i += step) ids.add(i);
  }
  return [...ids].sort((x, y) => x - y);
}

/** A variable as a non-negative integer ≥ min; undefined when unset; a usage error naming it when not a number. */
function envInt(value: string, env: Env, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw)))
    throw new UsageError(
      `--shard ${value}: ${name}=${raw} is not ${min > 0 ? 'a positive' : 'a non-negative'} integer`,
    );
  return Number(raw);
}
