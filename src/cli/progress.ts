/** A one-line progress bar on a terminal (stderr); nothing when stderr is not a terminal. */
import type { Logger } from '../core/log.js';

export interface Progress {
  update(label: string, done: number, total: number): void;
  clear(): void;
}

export function progressBar(logger: Logger, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, clear: () => undefined };
  let shown = false;
  let started = Date.now();
  let lastLabel = '';
  const clear = (): void => {
    if (shown) process.stderr.write('\r\x1b[2K');
    shown = false;
  };
  logger.beforeWrite = clear;
  return {
    update(label, done, total) {
      if (label !== lastLabel) {
        lastLabel = label;
        started = Date.now();
      }
      const width = 30;
      const filled = Math.round((done / total) * width);
      const elapsed = (Date.now() - started) / 1000;
      const eta = done > 0 ? (elapsed / done) * (total - done) : 0;
      process.stderr.write(
        `\r\x1b[2K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ETA ${eta.toFixed(0)}s`,
      );
      shown = true;
      if (done === total) clear();
    },
    clear,
  };
}
