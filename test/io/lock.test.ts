/**
 * The output-folder lock is taken over when its holder is provably gone: an empty or unparsable lock
 * file older than LOCK_GRACE_MS (a run killed, or a full disk, between creating and writing it), or a
 * lock naming a dead pid on this host; a fresh unreadable lock still means "another run is starting".
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { archeo, errorLines } from '../helpers/cli.js';
import { tempDir, unuSample } from '../helpers/paths.js';
import * as lockModule from '../../src/io/output/lock.js';

const { LockedError, OutputLock } = lockModule;
/** (Read loosely so this file also compiles against the lock before its fix, to see the tests fail.) */
const LOCK_GRACE_MS = ((lockModule as Record<string, unknown>)['LOCK_GRACE_MS'] as number | undefined) ?? 120_000;

const UNU_ID = 'S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454';

/** A lock file `content` in a fresh output folder, its mtime `ageMs` in the past. */
function lockWith(content: string, ageMs: number): { out: string; lock: string } {
  const out = tempDir('archeo-lock-');
  const lock = join(out, '.archeo.lock');
  writeFileSync(lock, content);
  const t = new Date(Date.now() - ageMs);
  utimesSync(lock, t, t);
  return { out, lock };
}

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('taking over a lock whose holder is gone', () => {
  test.each([
    ['empty', ''],
    ['unparsable', '{"pid": 12'],
    ['not an owner record', '[1,2,3]'],
    [
      'a pid that must never be signalled',
      JSON.stringify({ pid: -1, host: os.hostname(), started_at: 'x', run_id: 'r' }),
    ],
  ])('a lock file that is %s, older than the grace period: taken over, and said so', async (_, content) => {
    const { out, lock } = lockWith(content, LOCK_GRACE_MS + 60_000);
    const l = await OutputLock.acquire(out, '.archeo.lock', 'run-1');
    try {
      expect(l.tookOver).toMatch(
        /^took over an empty or unreadable lock .* left by a run that is gone \(no owner recorded, older than 120 s\)$/,
      );
      expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(process.pid);
    } finally {
      l.release();
    }
    expect(existsSync(lock)).toBe(false);
  });

  test('a fresh empty lock file is left alone: another run may be writing it (LockedError, exit 4)', async () => {
    const { out, lock } = lockWith('', 5_000);
    await expect(OutputLock.acquire(out, '.archeo.lock', 'run-1')).rejects.toThrow(LockedError);
    expect(readFileSync(lock, 'utf8')).toBe('');
  });

  test('a lock naming a dead pid on this host: taken over at once', async () => {
    const pid = deadPid();
    const { out } = lockWith(
      JSON.stringify({ pid, host: os.hostname(), started_at: '2026-01-01T00:00:00Z', run_id: 'gone' }),
      0,
    );
    const l = await OutputLock.acquire(out, '.archeo.lock', 'run-1');
    expect(l.tookOver).toBe(
      `took over the lock of a run that is gone (pid ${pid} on ${os.hostname()}, since 2026-01-01T00:00:00Z)`,
    );
    l.release();
  });

  test('a lock naming a live pid on this host, or a fresh lock of another host: exit 4', async () => {
    const live = lockWith(JSON.stringify({ pid: process.pid, host: os.hostname(), started_at: 'x', run_id: 'r' }), 0);
    await expect(OutputLock.acquire(live.out, '.archeo.lock', 'run-1')).rejects.toThrow(LockedError);
    const other = lockWith(
      JSON.stringify({ pid: deadPid(), host: `not-${os.hostname()}`, started_at: 'x', run_id: 'r' }),
      0,
    );
    await expect(OutputLock.acquire(other.out, '.archeo.lock', 'run-1')).rejects.toThrow(LockedError);
  });

  test('the CLI: an old empty lock (a run that died on a full disk) no longer blocks every later run', () => {
    const { out } = lockWith('', 3_600_000);
    const r = archeo(['scan', unuSample, '--out', out]);
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('took over an empty or unreadable lock');
    expect(existsSync(join(out, UNU_ID, 'report.json'))).toBe(true);
    expect(existsSync(join(out, '.archeo.lock'))).toBe(false);
  });

  test('the CLI: a fresh empty lock still stops the run with exit 4 and one line', () => {
    const { out, lock } = lockWith('', 1_000);
    const r = archeo(['scan', unuSample, '--out', out]);
    expect(errorLines(r.stderr)).toEqual([
      `archeo: ${out}: another archeo run holds this output folder (an unreadable lock); wait for it to finish, or remove ${lock} if that run is gone`,
    ]);
    expect(r.code).toBe(4);
  });
});
