/**
 * One run per output folder: a lock file created exclusively (O_EXCL), holding the owner's pid, host and
 * start time, its mtime refreshed every minute while the run lives. A second run finds it and stops with
 * exit code 4. A lock whose owner is provably gone is taken over: renamed aside (only one contender can
 * win that rename), then recreated. Gone means: a dead pid on this host; no heartbeat for 10 minutes
 * (another host, or a reused pid); or a lock file that is empty or unparsable (a run killed, or a full
 * disk, between creating it and writing it) and older than LOCK_GRACE_MS — a younger one may be a run
 * that is writing it right now (docs/reliability.md).
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { basename, join } from 'node:path';
import { processAlive, tempPaths } from '../../core/cleanup.js';
import { ArcheoError, ExitCode, InputError } from '../../core/errors.js';

/** Another live run holds the output folder. */
export class LockedError extends ArcheoError {
  override readonly exitCode = ExitCode.Locked;
  override readonly name = 'LockedError';
}

interface Owner {
  pid: number;
  host: string;
  started_at: string;
  run_id: string;
}

export const HEARTBEAT_MS = 60_000;
/** A lock from another host without a heartbeat for this long is stale. */
export const STALE_MS = 10 * 60_000;
/**
 * An empty or unparsable lock file older than this is stale: a live run writes its owner line right
 * after creating the file and refreshes the mtime every HEARTBEAT_MS, so two heartbeats without a
 * readable owner mean nobody is there.
 */
export const LOCK_GRACE_MS = 2 * HEARTBEAT_MS;

export class OutputLock {
  private readonly timer: NodeJS.Timeout;

  private constructor(
    readonly path: string,
    /** What was taken over, in words (for the log), when the lock of a run that is gone was taken. */
    readonly tookOver: string | undefined,
  ) {
    this.timer = setInterval(() => {
      try {
        const now = new Date();
        utimesSync(this.path, now, now);
      } catch {
        // the folder went away: the run will fail on its own
      }
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Locks `dir` (created if missing) with the lock file `name`, or throws LockedError. */
  static async acquire(dir: string, name: string, runId: string): Promise<OutputLock> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new InputError(
        dir,
        `cannot create the output folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    const path = join(dir, name);
    const me: Owner = { pid: process.pid, host: os.hostname(), started_at: new Date().toISOString(), run_id: runId };
    let tookOver: string | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (create(path, me)) {
        tempPaths.add(path); // removed on SIGINT/SIGTERM with the temporary files
        return new OutputLock(path, tookOver);
      }
      const owner = readOwner(path);
      if (owner === 'gone') continue; // released between our attempts
      if (!isStale(path, owner)) {
        const who = owner ? `pid ${owner.pid} on ${owner.host}, since ${owner.started_at}` : 'an unreadable lock';
        throw new LockedError(
          `${dir}: another archeo run holds this output folder (${who}); wait for it to finish, or remove ${path} if that run is gone`,
        );
      }
      // Take over: rename the stale lock aside; if another contender renamed it first, try again.
      const aside = `${path}.stale-${process.pid}`;
      try {
        renameSync(path, aside);
        rmSync(aside, { force: true });
        tookOver = owner
          ? `took over the lock of a run that is gone (pid ${owner.pid} on ${owner.host}, since ${owner.started_at})`
          : `took over an empty or unreadable lock ${path} left by a run that is gone (no owner recorded, older than ${LOCK_GRACE_MS / 1000} s)`;
      } catch {
        // lost the race
      }
    }
    throw new LockedError(
      `${dir}: could not take the lock ${basename(path)} (another run is starting at the same time)`,
    );
  }

  /** Removes the lock (idempotent). */
  release(): void {
    clearInterval(this.timer);
    rmSync(this.path, { force: true });
    tempPaths.delete(this.path);
  }
}

function create(path: string, me: Owner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new InputError(
      path,
      `cannot create the lock file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`);
  } catch (err) {
    // A full disk (ENOSPC) or quota: never leave an empty lock behind to block every later run.
    closeSync(fd);
    rmSync(path, { force: true });
    throw new InputError(
      path,
      `cannot write the lock file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  closeSync(fd);
  return true;
}

/** The owner recorded in a lock file; null when unreadable (being written, or damaged); 'gone' when removed. */
function readOwner(path: string): Owner | null | 'gone' {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<Owner> | null;
    // Anything but a complete owner record is "unreadable": a pid 0 or -1 must never reach kill().
    if (!o || typeof o !== 'object' || !Number.isSafeInteger(o.pid) || o.pid! <= 0 || typeof o.host !== 'string')
      return null;
    return { pid: o.pid!, host: o.host, started_at: String(o.started_at ?? '?'), run_id: String(o.run_id ?? '?') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return null;
  }
}

/**
 * Stale: its process is dead (same host), it has had no heartbeat for STALE_MS (any host; a reused
 * pid), or it records no owner and is older than LOCK_GRACE_MS.
 */
function isStale(path: string, owner: Owner | null): boolean {
  if (owner && owner.host === os.hostname() && !processAlive(owner.pid)) return true;
  try {
    return Date.now() - statSync(path).mtimeMs > (owner ? STALE_MS : LOCK_GRACE_MS);
  } catch {
    return true;
  }
}

/** Who holds a lock file, as a reader that takes nothing sees it (`archeo status`). */
export interface LockHolder {
  pid: number | null;
  host: string | null;
  started_at: string | null;
  run_id: string | null;
  /** Seconds since the last heartbeat (the lock file's mtime). */
  heartbeat_age_s: number;
  /** Whether the holder is alive by the rules a run uses to take a lock over (isStale). */
  live: boolean;
}

/** The holder of the lock file at `path`, or undefined when there is none. */
export function readLock(path: string): LockHolder | undefined {
  const owner = readOwner(path);
  if (owner === 'gone') return undefined;
  let mtime: number;
  try {
    mtime = statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  return {
    pid: owner?.pid ?? null,
    host: owner?.host ?? null,
    started_at: owner?.started_at ?? null,
    run_id: owner?.run_id ?? null,
    heartbeat_age_s: Math.max(0, Math.round((Date.now() - mtime) / 100) / 10),
    live: !isStale(path, owner),
  };
}
