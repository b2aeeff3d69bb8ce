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
import { runWorkerWithin } from '../../core/worker.deadline.js';
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

async function runProbe(path: string, budgetSeconds: number): Promise<void> {
  const end = await runWorkerWithin(new URL('./h5.probe.worker.js', import.meta.url), budgetSeconds, {
    workerData: path,
  });
  // A fault the probe met (an error message, a worker error or exit) is said by the main thread's own
  // open and reads, the usual way; only a probe that never ends is refused here.
  if (end.kind === 'timeout') {
    throw new InputError(
      path,
      `the file's metadata could not be read within ${budgetSeconds} s (a damaged HDF5 structure, such as a global heap, sends the library into a loop)`,
    );
  }
}
