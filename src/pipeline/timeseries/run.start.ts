/**
 * How every MintPy command's run begins (velocity, rms, invert): a run id, the start date and clock for
 * report.json, stage metrics, and its input opened under the metrics' 'open' stage.
 */
import { Metrics } from '../../core/metrics.js';
import { newRunId } from '../../io/output/report.js';

export interface RunStart<T> {
  runId: string;
  /** Wall-clock start (report.json's started_at). */
  started: Date;
  /** performance.now() at the start (for wall_s). */
  t0: number;
  metrics: Metrics;
  /** What `open` returned. */
  input: T;
}

/** Starts a run: its id and clocks, then `open()` timed as the stage 'open'. */
export async function startRun<T>(open: () => Promise<T>): Promise<RunStart<T>> {
  const runId = newRunId();
  const started = new Date();
  const t0 = performance.now();
  const metrics = new Metrics();
  const input = await metrics.time('open', open);
  return { runId, started, t0, metrics, input };
}
