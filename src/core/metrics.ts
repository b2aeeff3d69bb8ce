/**
 * Stage timers. Every timed operation adds one sample to its stage; the report gives
 * `{count, total_s, mean_s, min_s, max_s}` per stage. Stages of a streaming pipeline overlap in time
 * (strip k is encoded while strip k+1 is read), so stage totals may add up to more than the wall time.
 */
import { roundTo } from './numbers.js';

export interface StageStats {
  count: number;
  total_s: number;
  mean_s: number;
  min_s: number;
  max_s: number;
  /** Bytes that passed through the stage, when it moves data (for MB/s). */
  bytes?: number;
  /** Pixels the stage produced, when it computes pixels (for pixels/s). */
  pixels?: number;
}

interface Acc {
  count: number;
  total: number;
  min: number;
  max: number;
  bytes: number;
  pixels: number;
}

export class Metrics {
  private readonly stages = new Map<string, Acc>();

  /** Adds one sample of `seconds` to `stage`, with the bytes and pixels it handled. */
  add(stage: string, seconds: number, volume: { bytes?: number; pixels?: number } = {}): void {
    let acc = this.stages.get(stage);
    if (!acc) {
      acc = { count: 0, total: 0, min: Infinity, max: 0, bytes: 0, pixels: 0 };
      this.stages.set(stage, acc);
    }
    acc.count++;
    acc.total += seconds;
    acc.min = Math.min(acc.min, seconds);
    acc.max = Math.max(acc.max, seconds);
    acc.bytes += volume.bytes ?? 0;
    acc.pixels += volume.pixels ?? 0;
  }

  /** Times `fn` (sync or async) as one sample of `stage`. */
  async time<T>(stage: string, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(stage, (performance.now() - t0) / 1000);
    }
  }

  /** Merges another set of samples (from a worker, say) into this one. */
  merge(other: Metrics): void {
    for (const [stage, acc] of other.stages) {
      const mine = this.stages.get(stage);
      if (!mine) {
        this.stages.set(stage, { ...acc });
        continue;
      }
      mine.count += acc.count;
      mine.total += acc.total;
      mine.min = Math.min(mine.min, acc.min);
      mine.max = Math.max(mine.max, acc.max);
      mine.bytes += acc.bytes;
      mine.pixels += acc.pixels;
    }
  }

  toJSON(): Record<string, StageStats> {
    const out: Record<string, StageStats> = {};
    for (const [stage, acc] of this.stages) {
      out[stage] = {
        count: acc.count,
        total_s: roundTo(acc.total, 6),
        mean_s: roundTo(acc.total / acc.count, 6),
        min_s: roundTo(acc.min, 6),
        max_s: roundTo(acc.max, 6),
        ...(acc.bytes ? { bytes: acc.bytes } : {}),
        ...(acc.pixels ? { pixels: acc.pixels } : {}),
      };
    }
    return out;
  }
}
