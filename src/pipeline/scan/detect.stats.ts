/**
 * Statistics of the kept candidates: means of every computed index over each candidate's pixels, and of
 * the detector's index over its background ring (pixels within ring_px, outside every candidate of the
 * detector). A candidate's pixels (a flood fill of its final mask in its bounding box) and its ring
 * become runs of pixels; the indices are recomputed by the workers for the task regions holding runs,
 * and summed over them. Exact (final labels, each pixel once) and bounded in memory.
 *
 * The collector works while the first pass streams: it keeps each strip's source windows (uint16, a
 * fraction of the index values' size) until no open or pending component can still put runs in the
 * strip, then sends that strip's runs to the workers on the same windows, so nothing is read twice.
 * A strip kept too long (under a very tall component) is processed anyway; runs that arrive for it
 * later are summed at the end from a fresh read of that strip.
 */
import type { Component } from '../../compute/detect/components.js';
import { componentPixels, visitRing } from '../../compute/detect/shape.js';
import type { BitMask } from '../../compute/morphology.js';
import type { Metrics } from '../../core/metrics.js';
import type { WorkerPool } from '../../engine/cpu/pool.js';
import type { DetectionStream, DetectorRun, Measured } from './detect.stream.js';
import { axesOf, forEachStrip, readStrip, WindowPool, type StripSpan } from './scan.read.js';
import type { ScanPlan } from './scan.plan.js';
import type { SampleWindow } from '../../core/types.js';
import type { StatsResult, StatsTask } from './scan.worker.js';

interface RunRef {
  /** Candidate number (over all detectors). */
  id: number;
  /** -1: the candidate's pixels (every index); else the ring (that index slot). */
  slot: number;
  /** Full-grid row and columns [x0, x1). */
  y: number;
  x0: number;
  x1: number;
}

export interface StatsContext {
  plan: ScanPlan;
  pool: WorkerPool;
  key: string;
  /** Strip height and tile size, as in the first pass. */
  block: number;
  /** Tile columns per task. */
  chunk: number;
  ringPx: number;
  metrics: Metrics;
  /** Strips of windows kept at most while waiting for tall components. */
  maxRetained: number;
}

interface Retained {
  span: StripSpan;
  bands: SampleWindow[];
  scl: SampleWindow | undefined;
  release: () => void;
}

/** Runs of a candidate's pixels and of its ring, in full-grid coordinates. */
function candidateRuns(
  id: number,
  run: DetectorRun,
  c: Component,
  mask: BitMask,
  ringPx: number,
  window: { x0: number; y0: number },
  out: RunRef[],
): void {
  const b = componentPixels(mask, c.seedX, c.seedY, c, run.spec.connectivity);
  for (let y = 0; y < b.height; y++) {
    let x = 0;
    while (x < b.width) {
      while (x < b.width && !b.data[y * b.width + x]) x++;
      const x0 = x;
      while (x < b.width && b.data[y * b.width + x]) x++;
      if (x > x0)
        out.push({ id, slot: -1, y: window.y0 + b.y0 + y, x0: window.x0 + b.x0 + x0, x1: window.x0 + b.x0 + x });
    }
  }
  // Ring pixels come row by row, left to right: join neighbours into runs.
  let open: RunRef | undefined;
  visitRing(b, ringPx, mask, (x, y) => {
    const gx = window.x0 + x;
    const gy = window.y0 + y;
    if (open && open.y === gy && open.x1 === gx) {
      open.x1++;
      return;
    }
    open = { id, slot: run.slot, y: gy, x0: gx, x1: gx + 1 };
    out.push(open);
  });
}

export class StatsCollector {
  private readonly runs: DetectorRun[];
  private readonly M: number;
  private readonly comps: { d: number; c: Component }[] = [];
  private readonly pending: { d: number; c: Component }[] = [];
  /** Runs per strip index. */
  private readonly byStrip = new Map<number, RunRef[]>();
  private readonly retained: Retained[] = [];
  /** Strips already summed: runs arriving for them are summed at the end from a new read. */
  private readonly closed = new Set<number>();
  private readonly late = new Map<number, RunRef[]>();
  private readonly inflight = new Set<Promise<void>>();
  private failure: unknown;
  private sums = new Float64Array(0);
  private counts = new Float64Array(0);
  private ringSum = new Float64Array(0);
  private ringCount = new Float64Array(0);
  /** Seconds of statistics work: building runs (main thread) plus the workers' tasks. */
  private seconds = 0;
  private mainSeconds = 0;
  private pixels = 0;

  constructor(
    private readonly stream: DetectionStream,
    runs: readonly DetectorRun[],
    private readonly ctx: StatsContext,
  ) {
    this.runs = [...runs];
    this.M = ctx.plan.computed.length;
  }

  /** Takes a strip's source windows (after its first-pass tasks); they are released when summed. */
  addStrip(span: StripSpan, data: { bands: SampleWindow[]; scl: SampleWindow | undefined; release: () => void }): void {
    this.retained.push({ span, ...data });
    this.retained.sort((a, b) => a.span.index - b.span.index);
    this.advance(false);
  }

  /** Turns ready components into runs and sends every strip no component can still reach. */
  private advance(last: boolean): void {
    const { ringPx: r, plan, block: T } = this.ctx;
    const { window } = plan;
    const t0 = performance.now();
    this.pending.push(...this.stream.drainKept().map((k) => ({ d: k.detector, c: k.component })));
    const waiting: { d: number; c: Component }[] = [];
    for (const p of this.pending) {
      // Runs need the final rows down to the bottom of the ring.
      if (!last && p.c.maxY + r >= this.stream.finalRows(p.d)) {
        waiting.push(p);
        continue;
      }
      const id = this.comps.length;
      this.comps.push(p);
      const list: RunRef[] = [];
      candidateRuns(id, this.runs[p.d]!, p.c, this.stream.mask(p.d), r, window, list);
      for (const run of list) {
        const s = Math.floor((run.y - window.y0) / T);
        const target = this.closed.has(s) ? this.late : this.byStrip;
        const bucket = target.get(s) ?? [];
        target.set(s, bucket);
        bucket.push(run);
      }
    }
    this.pending.length = 0;
    this.pending.push(...waiting);
    this.seconds += (performance.now() - t0) / 1000;
    this.mainSeconds += (performance.now() - t0) / 1000;
    // Rows from which runs may still come: open components, pending ones, rows not final yet.
    let reach = Infinity;
    for (let d = 0; d < this.stream.detectors; d++) {
      reach = Math.min(reach, this.stream.openMinY(d) - r, this.stream.finalRows(d) - r);
    }
    for (const p of this.pending) reach = Math.min(reach, p.c.minY - r);
    while (this.retained.length) {
      const first = this.retained[0]!;
      const end = first.span.gy0 - window.y0 + first.span.rows;
      const ready = last || (end <= reach && end <= this.stream.rowsReceived);
      if (!ready && this.retained.length <= this.ctx.maxRetained) break;
      this.retained.shift();
      this.closed.add(first.span.index);
      this.dispatch(first.span, first.bands, first.scl, this.byStrip.get(first.span.index) ?? []).finally(
        first.release,
      );
      this.byStrip.delete(first.span.index);
    }
  }

  /** Sends a strip's runs to the workers, grouped by task region; sums accumulate as results come. */
  private dispatch(
    span: StripSpan,
    bands: SampleWindow[],
    scl: SampleWindow | undefined,
    runs: RunRef[],
  ): Promise<void> {
    if (runs.length === 0) return Promise.resolve();
    const { plan, block: T, chunk } = this.ctx;
    const { window } = plan;
    const width = chunk * T;
    const byTask = new Map<number, RunRef[]>();
    for (const r of runs) {
      for (let x0 = r.x0; x0 < r.x1; ) {
        const t = Math.floor((x0 - window.x0) / width);
        const end = Math.min(r.x1, window.x0 + (t + 1) * width);
        const list = byTask.get(t) ?? [];
        byTask.set(t, list);
        list.push({ ...r, x0, x1: end });
        x0 = end;
      }
    }
    const M = this.M;
    const p = Promise.all(
      [...byTask].map(async ([t, list]) => {
        const gridX0 = window.x0 + t * width;
        const packed = new Int32Array(list.length * 4);
        list.forEach((r, k) => packed.set([r.slot, r.y, r.x0, r.x1], k * 4));
        const task: StatsTask = {
          type: 'stats',
          key: this.ctx.key,
          gridX0,
          gridY0: span.gy0,
          cols: Math.min(width, window.x0 + window.width - gridX0),
          rows: span.rows,
          bands,
          scl,
          runs: packed,
        };
        const result = await this.ctx.pool.run<StatsResult>(task);
        this.seconds += result.seconds; // worker time: the tasks overlap the first pass
        this.grow();
        list.forEach((r, k) => {
          const at = k * 2 * M;
          this.pixels += r.x1 - r.x0;
          if (r.slot < 0) {
            for (let m = 0; m < M; m++) {
              this.sums[r.id * M + m] = this.sums[r.id * M + m]! + result.sums[at + m]!;
              this.counts[r.id * M + m] = this.counts[r.id * M + m]! + result.sums[at + M + m]!;
            }
          } else {
            this.ringSum[r.id] = this.ringSum[r.id]! + result.sums[at + r.slot]!;
            this.ringCount[r.id] = this.ringCount[r.id]! + result.sums[at + M + r.slot]!;
          }
        });
      }),
    ).then(
      () => undefined,
      (err: unknown) => {
        this.failure ??= err;
      },
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  /** Accumulators sized for every candidate so far. */
  private grow(): void {
    const n = this.comps.length;
    if (this.ringSum.length >= n) return;
    const cap = Math.max(n, this.ringSum.length * 2, 64);
    const g = (a: Float64Array, k: number): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(cap * k);
      b.set(a);
      return b;
    };
    this.sums = g(this.sums, this.M);
    this.counts = g(this.counts, this.M);
    this.ringSum = g(this.ringSum, 1);
    this.ringCount = g(this.ringCount, 1);
  }

  /**
   * After the first pass: the remaining candidates and strips, then the late runs (strips summed before
   * a tall candidate completed) from a new read. Returns each detector's measured candidates.
   */
  async finish(inflight: number): Promise<Measured[][]> {
    const t0 = performance.now();
    this.advance(true);
    await Promise.all(this.inflight);
    if (this.late.size) {
      const { plan, block: T } = this.ctx;
      const bandAxes = plan.bands.map(axesOf);
      const sclAxes = plan.scl ? axesOf(plan.scl) : undefined;
      const windows = new WindowPool();
      const strips = [...this.late.keys()]
        .sort((a, b) => a - b)
        .map((index) => {
          const gy0 = plan.window.y0 + index * T;
          return { index, gy0, rows: Math.min(T, plan.window.y0 + plan.window.height - gy0) };
        });
      await forEachStrip(
        strips,
        inflight,
        (s) => readStrip(plan, bandAxes, sclAxes, s.gy0, s.rows, windows),
        async (s, data) => {
          await this.dispatch(s, data.bands, data.scl, this.late.get(s.index)!);
          data.release();
        },
      );
    }
    if (this.failure !== undefined) throw this.failure;
    this.grow();
    this.ctx.metrics.add('statistics', this.seconds + (performance.now() - t0) / 1000, { pixels: this.pixels });
    this.ctx.metrics.add('outline', this.mainSeconds, { pixels: this.pixels });
    const M = this.M;
    const measured: Measured[][] = this.runs.map(() => []);
    this.comps.forEach(({ d, c }, id) => {
      const means = new Float64Array(M);
      for (let m = 0; m < M; m++)
        means[m] = this.counts[id * M + m]! > 0 ? this.sums[id * M + m]! / this.counts[id * M + m]! : NaN;
      const n = this.ringCount[id]!;
      measured[d]!.push({
        detector: this.runs[d]!.name,
        component: c,
        means,
        ringMean: n > 0 ? this.ringSum[id]! / n : null,
        ringPixels: n,
      });
    });
    return measured;
  }

  /** Releases every window still held (after a failure). */
  discard(): void {
    for (const r of this.retained.splice(0)) r.release();
  }
}
