/**
 * One worker thread run against a deadline: started, optionally sent one message, and ended by its
 * first message, error or exit — or terminated when the deadline passes. For work that may never end
 * (a WebAssembly library looping on damaged input): a loop on the main thread cannot be interrupted,
 * not even by SIGTERM, while a worker can always be terminated.
 */
import { type TransferListItem, Worker, type WorkerOptions } from 'node:worker_threads';

/** How a worker run ended. */
export type WorkerEnd<T> =
  | { kind: 'message'; message: T }
  | { kind: 'error'; error: Error }
  | { kind: 'exit'; code: number }
  | { kind: 'timeout' };

export async function runWorkerWithin<T>(
  url: URL,
  seconds: number,
  options: WorkerOptions = {},
  send?: { message: unknown; transfer?: TransferListItem[] },
): Promise<WorkerEnd<T>> {
  return new Promise((resolve) => {
    const worker = new Worker(url, options);
    // Only the timer keeps the process alive while the worker runs: one left behind never does, and
    // SIGTERM's handlers stay free to run.
    worker.unref();
    let settled = false;
    const finish = (end: WorkerEnd<T>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(end);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), seconds * 1000);
    worker.once('message', (message: T) => finish({ kind: 'message', message }));
    worker.once('error', (error) => finish({ kind: 'error', error }));
    worker.once('exit', (code) => finish({ kind: 'exit', code }));
    if (send) {
      try {
        worker.postMessage(send.message, send.transfer);
      } catch (error) {
        finish({ kind: 'error', error: error as Error });
      }
    }
  });
}
