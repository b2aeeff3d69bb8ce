/**
 * `--shard` and the job arrays' variables (cli/shard.ts), the exit status of transient faults
 * (core/errors.ts), and the split's stability when the archive grows. The Slurm variables below are
 * the ones a real slurmd set for `--array=1-3`, `0-9:3` and `1,5,7` (slurm-wlm 22.05, printed with `env`
 * inside the tasks); test/scan/slurm.test.ts runs the real thing.
 */
import { describe, expect, test } from '@jest/globals';
import { parseArraySpec, parseShard } from '../../src/cli/shard.js';
import { ExitCode, exitCodeOf, InputError, isTransient, OutputError, outputErrorOf } from '../../src/core/errors.js';
import { LockedError } from '../../src/io/output/lock.js';
import { shardOf } from '../../src/pipeline/batch.js';

const slurm = (id: number, min: number, max: number, step: number, count: number) => ({
  SLURM_ARRAY_TASK_ID: String(id),
  SLURM_ARRAY_TASK_MIN: String(min),
  SLURM_ARRAY_TASK_MAX: String(max),
  SLURM_ARRAY_TASK_STEP: String(step),
  SLURM_ARRAY_TASK_COUNT: String(count),
});

const usage = (value: string, env: Record<string, string>): string => {
  try {
    parseShard(value, env);
  } catch (err) {
    expect((err as Error).name).toBe('UsageError');
    return (err as Error).message;
  }
  throw new Error(`--shard ${value} was accepted`);
};

describe('--shard auto from a Slurm job array', () => {
  test('--array=1-3: ids 1, 2, 3 are shards 0, 1, 2 of 3', () => {
    expect([1, 2, 3].map((id) => parseShard('auto', slurm(id, 1, 3, 1, 3)))).toEqual([
      { index: 0, count: 3, source: 'SLURM_ARRAY_TASK_ID=1 of 3' },
      { index: 1, count: 3, source: 'SLURM_ARRAY_TASK_ID=2 of 3' },
      { index: 2, count: 3, source: 'SLURM_ARRAY_TASK_ID=3 of 3' },
    ]);
  });

  test('--array=0-9:3 (a step): ids 0, 3, 6, 9 are shards 0..3 of 4; auto/4 agrees, auto/3 is refused', () => {
    expect([0, 3, 6, 9].map((id) => parseShard('auto', slurm(id, 0, 9, 3, 4)).index)).toEqual([0, 1, 2, 3]);
    expect(parseShard('auto/4', slurm(6, 0, 9, 3, 4))).toMatchObject({ index: 2, count: 4 });
    expect(usage('auto/3', slurm(6, 0, 9, 3, 4))).toBe(
      '--shard auto/3: SLURM_ARRAY_TASK_COUNT says 4 tasks, not 3 (a task resubmitted alone? set ARCHEO_SLURM_ARRAY to the original --array)',
    );
  });

  test('--array=1,5,7 (irregular): refused without ARCHEO_SLURM_ARRAY, placed with it', () => {
    expect(usage('auto', slurm(5, 1, 7, 1, 3))).toBe(
      '--shard auto: the Slurm array 1-7:1 has 7 ids but SLURM_ARRAY_TASK_COUNT=3 (an irregular --array such as 1,5,7): set ARCHEO_SLURM_ARRAY to the --array spec',
    );
    const env = { ...slurm(5, 1, 7, 1, 3), ARCHEO_SLURM_ARRAY: '1,5,7' };
    expect(parseShard('auto', env)).toEqual({ index: 1, count: 3, source: 'SLURM_ARRAY_TASK_ID=5 of 3' });
  });

  test('a task resubmitted alone (--array=2 of a 1-3 array) needs the original spec', () => {
    expect(usage('auto', slurm(2, 2, 2, 1, 1))).toMatch(/a Slurm array of one task \(SLURM_ARRAY_TASK_ID=2\)/);
    expect(usage('auto/3', slurm(2, 2, 2, 1, 1))).toMatch(/a Slurm array of one task .* or give --shard i\/n$/);
    const env = { ...slurm(2, 2, 2, 1, 1), ARCHEO_SLURM_ARRAY: '1-3%2' };
    expect(parseShard('auto', env)).toMatchObject({ index: 1, count: 3 });
    // An array of one meant as such.
    expect(parseShard('auto/1', slurm(0, 0, 0, 1, 1))).toMatchObject({ index: 0, count: 1 });
    expect(usage('auto', { ...slurm(4, 2, 2, 1, 1), ARCHEO_SLURM_ARRAY: '1-3' })).toBe(
      '--shard auto: SLURM_ARRAY_TASK_ID=4 is not in the array 1,2,3 (ARCHEO_SLURM_ARRAY=1-3)',
    );
  });

  test('array specs: ranges, steps, lists, throttle; bad ones name the variable', () => {
    expect(parseArraySpec('auto', '0-30:3')).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    expect(parseArraySpec('auto', '7,1-3,5%4')).toEqual([1, 2, 3, 5, 7]);
    expect(usage('auto', { SLURM_ARRAY_TASK_ID: '1', ARCHEO_SLURM_ARRAY: '3-1' })).toBe(
      "--shard auto: ARCHEO_SLURM_ARRAY=3-1: '3-1' is an empty range (expected e.g. 1-16, 0-30:3 or 1,5,7)",
    );
    expect(usage('auto', { SLURM_ARRAY_TASK_ID: '1' })).toBe(
      '--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not (set ARCHEO_SLURM_ARRAY to the --array spec)',
    );
  });
});

describe('--shard auto from Kubernetes, AWS Batch and Cloud Run', () => {
  test('Kubernetes Indexed Job: the index from JOB_COMPLETION_INDEX, the count from auto/n or ARCHEO_SHARD_COUNT', () => {
    expect(parseShard('auto/4', { JOB_COMPLETION_INDEX: '3' })).toEqual({
      index: 3,
      count: 4,
      source: 'JOB_COMPLETION_INDEX=3',
    });
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '0', ARCHEO_SHARD_COUNT: '2' })).toMatchObject({
      index: 0,
      count: 2,
    });
    expect(usage('auto', { JOB_COMPLETION_INDEX: '0' })).toBe(
      '--shard auto: JOB_COMPLETION_INDEX=0 gives the index but not the number of tasks: use --shard auto/n or set ARCHEO_SHARD_COUNT',
    );
    expect(usage('auto/4', { JOB_COMPLETION_INDEX: '4' })).toBe(
      '--shard auto/4: JOB_COMPLETION_INDEX=4 is index 4, but there are 4 tasks',
    );
    expect(usage('auto/4', { JOB_COMPLETION_INDEX: 'x' })).toBe(
      '--shard auto/4: JOB_COMPLETION_INDEX=x is not a non-negative integer',
    );
  });

  test('AWS Batch and Cloud Run give the count too', () => {
    expect(parseShard('auto', { AWS_BATCH_JOB_ARRAY_INDEX: '5', AWS_BATCH_JOB_ARRAY_SIZE: '8' })).toMatchObject({
      index: 5,
      count: 8,
    });
    expect(parseShard('auto/8', { AWS_BATCH_JOB_ARRAY_INDEX: '5' })).toMatchObject({ index: 5, count: 8 });
    expect(parseShard('auto', { CLOUD_RUN_TASK_INDEX: '1', CLOUD_RUN_TASK_COUNT: '3' })).toEqual({
      index: 1,
      count: 3,
      source: 'CLOUD_RUN_TASK_INDEX=1',
    });
    expect(usage('auto/2', { CLOUD_RUN_TASK_INDEX: '1', CLOUD_RUN_TASK_COUNT: '3' })).toBe(
      '--shard auto/2: CLOUD_RUN_TASK_COUNT says 3 tasks, not 2',
    );
  });

  test('no scheduler: the error names every variable it looked for; i/n needs no environment', () => {
    expect(usage('auto', {})).toBe(
      "--shard auto: auto needs a job array's index in the environment: SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX or CLOUD_RUN_TASK_INDEX (none is set)",
    );
    expect(parseShard('2/3', { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 2, count: 3, source: '--shard' });
    expect(usage('3/3', {})).toBe('--shard 3/3: expected 0 <= i < n');
    expect(usage('1', {})).toBe('--shard 1: expected i/n (e.g. 0/4), auto/n or auto');
    expect(usage('0/0', {})).toBe('--shard 0/0: n must be at least 1');
  });
});

test('the split is stable when the archive grows: every scene keeps its shard, new ones spread', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `S2B_MSIL2A_2023${String(i).padStart(6, '0')}`);
  const before = new Map(ids(200).map((id) => [id, shardOf(id, 3)]));
  const after = new Map(ids(260).map((id) => [id, shardOf(id, 3)]));
  for (const [id, shard] of before) expect(after.get(id)).toBe(shard);
  // The 60 new scenes land in every shard (a hash, not "the last shard takes the tail").
  const fresh = ids(260).slice(200);
  expect(new Set(fresh.map((id) => after.get(id))).size).toBe(3);
  // Independent reference: the first 4 bytes of SHA-256, big-endian, modulo n, from coreutils:
  //   h=$(printf S2A_scene01 | sha256sum | cut -c1-8); echo $((16#$h % 3)) $((16#$h % 7))   → e8726064: 2 6
  expect([shardOf('S2A_scene01', 3), shardOf('S2A_scene01', 7), shardOf('S2A_scene02', 7)]).toEqual([2, 6, 5]);
});

describe('exit statuses: transient faults are 75, permanent ones 1, 3 or 2', () => {
  test('file-system and network faults that a later try may not meet', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'EIO', 'ESTALE', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'ENOMEM']) {
      const err = Object.assign(new Error(code), { code });
      expect([code, isTransient(err), exitCodeOf(err)]).toEqual([code, true, ExitCode.Transient]);
    }
    const full = outputErrorOf('/out/x.tif', Object.assign(new Error('x'), { code: 'ENOSPC' }))!;
    expect(full).toBeInstanceOf(OutputError);
    expect([full.message, exitCodeOf(full)]).toEqual(['cannot write /out/x.tif: no space left on device', 75]);
    expect(isTransient(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(exitCodeOf(new LockedError('held'))).toBe(ExitCode.Locked);
    expect(isTransient(new LockedError('held'))).toBe(true);
  });

  test('bad input, permissions and read-only file systems are permanent', () => {
    expect(exitCodeOf(new InputError('/a/B04.tif', 'file is truncated'))).toBe(1);
    const ro = outputErrorOf('/out', Object.assign(new Error('x'), { code: 'EROFS' }))!;
    expect([isTransient(ro), exitCodeOf(ro)]).toEqual([false, 1]);
    expect(exitCodeOf(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(1);
    expect(exitCodeOf(new Error('bug'))).toBe(1);
  });
});
