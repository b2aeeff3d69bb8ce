/**
 * Temporary paths that must not outlive the process: outputs are written under a temporary name and
 * renamed when complete. On SIGINT/SIGTERM, `cli/main.ts` removes whatever is still registered.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';

export class TempRegistry {
  private readonly paths = new Set<string>();

  add(path: string): void {
    this.paths.add(path);
  }

  delete(path: string): void {
    this.paths.delete(path);
  }

  /** Removes every registered path (files or folders), synchronously: safe inside a signal handler. */
  removeAll(): void {
    for (const p of this.paths) {
      try {
        rmSync(p, { recursive: true, force: true });
      } catch {
        // best effort: the process is ending
      }
    }
    this.paths.clear();
  }
}

/** The process-wide registry (one process, one set of temporary outputs). */
export const tempPaths = new TempRegistry();

/** A short tag of this host, so that temporary names from other machines (a shared output folder) are told apart. */
export const hostTag = hostTagOf(os.hostname());

/** The tag of host `host` in temporary names (to match another host's temporaries with its lock). */
export function hostTagOf(host: string): string {
  return createHash('sha256').update(host).digest('hex').slice(0, 8);
}

let counter = 0;
/**
 * A temporary sibling name for `path`: same folder (so rename is atomic), hidden, unique, and naming its
 * host and process — so a later run can tell a temporary left by a killed process from one in use.
 */
export function tempNameFor(dir: string, base: string): string {
  counter++;
  return `${dir}/.${base}.tmp-${hostTag}-${process.pid}-${Date.now().toString(36)}${counter}`;
}

/** The host tag and pid of a temporary name made by tempNameFor, or undefined for other names. */
export function tempOwner(name: string): { host: string; pid: number } | undefined {
  const m = /\.tmp-([0-9a-f]{8})-(\d+)-[0-9a-z]+(\.old)?$/.exec(name);
  return m ? { host: m[1]!, pid: Number(m[2]) } : undefined;
}

/** Whether process `pid` is alive on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
