/**
 * A time-bounded first read of an HDF5 file's metadata, off the main thread. Some damaged structures
 * make the HDF5 library loop forever — a global heap object of index 0 and size 0 (where vlen strings,
 * i.e. every MintPy attribute, live) never advances its parser — and a loop inside WebAssembly on the
 * main thread cannot be interrupted, not even by SIGTERM. So before the main thread opens a file, a
 * worker reads all of its attributes (h5.probe.worker.ts); one that does not finish within the budget
 * is terminated and the file refused with one line. The probe's result is remembered per file version
 * (path, size, mtime) for the process's life, so a file read several times is probed once.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { InputError } from '../../core/errors.js';

/**
 * Seconds the metadata read may take: it takes well under a second on an idle core and about 3 s with
 * the machine's load at ten times its cores; a looping read never ends.
 */
export const metadataBudgetSeconds = 20;

const probed = new Map<string, Promise<void>>();

/** Resolves when `path`'s metadata reads in bounded time; rejects with an InputError naming it if not. */
export function probeMetadata(path: string, budgetSeconds = metadataBudgetSeconds): Promise<void> {
  let key = path;
  try {
    const st = statSync(path);
    key = `${path}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    // the open that follows says what is wrong with the path
  }
  let done = probed.get(key);
  if (!done) {
    done = runProbe(path, budgetSeconds);
    probed.set(key, done);
  }
  return done;
}

function runProbe(path: string, budgetSeconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./h5.probe.worker.js', import.meta.url), { workerData: path });
    // Only the timer keeps the process alive while the probe runs: SIGTERM's handlers stay free to run.
    worker.unref();
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      fn();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new InputError(
              path,
              `the file's metadata could not be read within ${budgetSeconds} s (a damaged HDF5 structure, such as a global heap, sends the library into a loop)`,
            ),
          ),
        ),
      budgetSeconds * 1000,
    );
    // A fault the probe met is said by the main thread's own open and reads, the usual way.
    worker.once('message', () => finish(resolve));
    worker.once('error', () => finish(resolve));
    worker.once('exit', () => finish(resolve));
  });
}
