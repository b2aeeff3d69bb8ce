/**
 * Reading the source windows a band of grid rows needs, for every planned band (and SCL): both scan
 * passes use it. Windows live in shared memory so worker threads read them without copies, and are
 * reused once a strip is done with them.
 */
import { planAxis, sourceRange, type AxisPlan } from '../../compute/resample.js';
import type { PlannedBand, ScanPlan } from './scan.plan.js';
import type { SampleWindow } from '../../core/types.js';

export interface BandAxes {
  band: PlannedBand;
  x: AxisPlan;
  y: AxisPlan;
}

export function axesOf(band: PlannedBand): BandAxes {
  const p = band.plan;
  return {
    band,
    x: planAxis(p.gridWidth, p.srcWidth, p.method, 'x'),
    y: planAxis(p.gridHeight, p.srcHeight, p.method, 'y'),
  };
}

/**
 * Strip windows (shared memory) reused once their strip is written: a full tile reads 22 strips of
 * 11 MB windows per 10 m band, and fresh SharedArrayBuffers for each cost page faults and GC.
 */
export class WindowPool {
  private readonly free = new Map<string, SampleWindow['data'][]>();
  take(key: string, length: number): SampleWindow['data'] | undefined {
    const list = this.free.get(key);
    const i = list?.findIndex((a) => a.length === length) ?? -1;
    return i >= 0 ? list!.splice(i, 1)[0] : undefined;
  }
  give(key: string, data: SampleWindow['data']): void {
    const list = this.free.get(key) ?? [];
    list.push(data);
    this.free.set(key, list);
  }
}

/** Reads the source window of one band that grid rows [gy0, gy0+rows) of the window need. */
export async function readBandWindow(
  a: BandAxes,
  plan: ScanPlan,
  gy0: number,
  rows: number,
  pool: WindowPool,
  key: string,
): Promise<SampleWindow> {
  const { window } = plan;
  const [sx0, sx1] = sourceRange(a.x, window.x0, window.x0 + window.width, a.band.plan.srcWidth);
  const [sy0, sy1] = sourceRange(a.y, gy0, gy0 + rows, a.band.plan.srcHeight);
  const size = { x0: sx0, y0: sy0, width: sx1 - sx0, height: sy1 - sy0 };
  const data = await a.band.reader.readWindow(size, true, pool.take(key, size.width * size.height));
  return { data, ...size };
}

/** The windows of every band (and SCL) for grid rows [gy0, gy0 + rows) of the plan's window. */
export async function readStrip(
  plan: ScanPlan,
  bandAxes: readonly BandAxes[],
  sclAxes: BandAxes | undefined,
  gy0: number,
  rows: number,
  pool: WindowPool,
): Promise<{ bands: SampleWindow[]; scl: SampleWindow | undefined; release: () => void }> {
  const [bands, scl] = await Promise.all([
    Promise.all(bandAxes.map((a, i) => readBandWindow(a, plan, gy0, rows, pool, String(i)))),
    sclAxes ? readBandWindow(sclAxes, plan, gy0, rows, pool, 'scl') : Promise.resolve(undefined),
  ]);
  const release = (): void => {
    bands.forEach((w, i) => pool.give(String(i), w.data));
    if (scl) pool.give('scl', scl.data);
  };
  return { bands, scl, release };
}

export interface StripSpan {
  index: number;
  /** First full-grid row and number of rows. */
  gy0: number;
  rows: number;
}

/**
 * Reads strips one after another (reads stay in row order: readers' tile caches move down) and
 * processes up to `inflight` of them at once; the first failure stops the reading and is rethrown once
 * everything in flight has settled (so no task is left writing after its outputs are discarded).
 */
export async function forEachStrip<R>(
  strips: readonly StripSpan[],
  inflight: number,
  read: (s: StripSpan) => Promise<R>,
  process: (s: StripSpan, data: R) => Promise<void>,
): Promise<void> {
  let failure: unknown;
  const running = new Set<Promise<void>>();
  for (const s of strips) {
    if (failure !== undefined) break;
    let data: R;
    try {
      data = await read(s);
    } catch (err) {
      failure = err;
      break;
    }
    while (running.size >= inflight) await Promise.race(running).catch(() => undefined);
    if (failure !== undefined) break;
    const p: Promise<void> = process(s, data)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  if (failure !== undefined) throw failure;
}
