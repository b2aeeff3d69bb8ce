/**
 * Temporary paths that must not outlive the process: outputs are written under a temporary name and
 * renamed when complete. On SIGINT/SIGTERM, `cli/main.ts` removes whatever is still registered.
 */
import { rmSync } from 'node:fs';

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

let counter = 0;
/** A temporary sibling name for `path`: same folder (so rename is atomic), hidden, unique. */
export function tempNameFor(dir: string, base: string): string {
  counter++;
  return `${dir}/.${base}.tmp-${process.pid}-${Date.now().toString(36)}${counter}`;
}
