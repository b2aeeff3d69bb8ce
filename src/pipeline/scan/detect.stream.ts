/**
 * Detection while scan streams its strips (main thread), on bits only. For each detector, the condition
 * bits of each strip go into a window-sized bit mask; the morphology chain is evaluated `halo` rows
 * behind the last strip; each final row is labelled at once (components.ts). A component that no longer
 * continues is checked against the area and shape limits; the ones kept get their statistics in a second,
 * targeted pass (detect.stats.ts), which reads only where they are. Masks are bits: 15 MB per detector
 * for a 10980 x 10980 tile.
 */
import { type Component, RunLabeler } from '../../compute/detect/components.js';
import type { SpectralSpec } from '../../compute/detect/params.js';
import {
  BitMask,
  MorphChain,
  explicitElement,
  stepsOf,
  structuringElement,
  type MorphStep,
} from '../../compute/morphology.js';
import type { PixelWindow } from '../../core/types.js';
import type { StripResult } from './scan.worker.js';

export interface DetectorRun {
  name: string;
  spec: SpectralSpec;
  /** Slot of the detector's own index among the computed indices. */
  slot: number;
}

/** A component that passed the area and shape limits, with its statistics from the second pass. */
export interface Measured {
  detector: string;
  component: Component;
  /** Mean of each computed index over the component (NaN where no pixel has a value). */
  means: Float64Array;
  /** Mean of the detector's index in the background ring, or null when no ring pixel has a value. */
  ringMean: number | null;
  ringPixels: number;
}

export interface DetectorSummary {
  /** Components after morphology. */
  components: number;
  /** Rejected by the area limits and by the shape limit. */
  rejectedArea: number;
  rejectedShape: number;
  /** Pixels of the final mask. */
  maskPixels: number;
}

interface Arrived {
  y0: number;
  rows: number;
  results: StripResult[];
  /** Window column of each task's first column, in the order of `results`. */
  cols0: number[];
}

/** A device engine's morphology, as the stream calls it. */
export interface DeviceMorphology {
  /** Whether a band of rows x cols fits the device in one piece. */
  fits(rows: number, cols: number): boolean;
  run(mask: Uint8Array, rows: number, cols: number, steps: readonly MorphStep[]): Promise<Uint8Array>;
}

export function morphSteps(spec: SpectralSpec): MorphStep[] {
  return spec.morphology.flatMap((m) =>
    stepsOf(m.op, Array.isArray(m.kernel) ? explicitElement(m.kernel) : structuringElement(m.kernel, m.size ?? 3)),
  );
}

/** Writes `nbits` bits of `src` (bit 0 first) into `dst` starting at bit `at`. */
function insertBits(dst: Uint32Array, at: number, src: Uint32Array, nbits: number): void {
  for (let b = 0; b < nbits; b += 32) {
    const word = src[b >>> 5]!;
    const n = Math.min(32, nbits - b);
    const bits = n === 32 ? word : word & ((1 << n) - 1);
    const pos = at + b;
    const j = pos >>> 5;
    const r = pos & 31;
    dst[j] = dst[j]! | (bits << r);
    if (r !== 0 && r + n > 32) dst[j + 1] = dst[j + 1]! | (bits >>> (32 - r));
  }
}

class DetectorState {
  readonly raw: BitMask;
  readonly valid: BitMask;
  readonly final: BitMask;
  readonly chain: MorphChain;
  readonly labeler: RunLabeler;
  finalDone = 0;
  readonly kept: Component[] = [];
  readonly summary: DetectorSummary = { components: 0, rejectedArea: 0, rejectedShape: 0, maskPixels: 0 };

  constructor(
    readonly run: DetectorRun,
    width: number,
    height: number,
    pixelArea: number,
    onKept: (c: Component) => void,
  ) {
    this.raw = new BitMask(width, height);
    this.valid = new BitMask(width, height);
    this.final = new BitMask(width, height);
    this.chain = new MorphChain(width, height, morphSteps(run.spec));
    const { area_m2: area, max_aspect: maxAspect } = run.spec;
    this.labeler = new RunLabeler(width, run.spec.connectivity, 0, (c) => {
      this.summary.components++;
      const m2 = c.area * pixelArea;
      if (m2 < area.min || (area.max !== null && m2 > area.max)) {
        this.summary.rejectedArea++;
        return;
      }
      const h = c.maxY - c.minY + 1;
      const w = c.maxX - c.minX + 1;
      if (maxAspect !== null && Math.max(h, w) / Math.max(Math.min(h, w), 1) > maxAspect) {
        this.summary.rejectedShape++;
        return;
      }
      this.kept.push(c);
      onKept(c);
    });
  }
}

export class DetectionStream {
  private readonly states: DetectorState[];
  private readonly arrived = new Map<number, Arrived>();
  private next = 0;
  private rowsIn = 0;
  /** Seconds per stage, for the report. */
  readonly timings = { morphology: 0, label: 0 };

  /**
   * `morphology`: a device engine's erosions and dilations (DeviceEngine.morphology); without it, the
   * CPU's bit-packed chain. Either way the rows made final are those whose halo has arrived.
   */
  constructor(
    private readonly window: PixelWindow,
    detectors: readonly DetectorRun[],
    private readonly remask: boolean,
    private readonly pixelArea: number,
    private readonly morphology?: DeviceMorphology,
  ) {
    this.states = detectors.map(
      (d, i) =>
        new DetectorState(d, window.width, window.height, pixelArea, (c) =>
          this.fresh.push({ detector: i, component: c }),
        ),
    );
  }

  private readonly fresh: { detector: number; component: Component }[] = [];

  /** Kept components completed since the last call. */
  drainKept(): { detector: number; component: Component }[] {
    return this.fresh.splice(0);
  }

  /** Rows of detector d's final mask computed so far (all rows above are final and labelled). */
  finalRows(d: number): number {
    return this.states[d]!.finalDone;
  }

  /** Topmost row of detector d's open components that can still be kept (Infinity if none). */
  openMinY(d: number): number {
    const s = this.states[d]!;
    const max = s.run.spec.area_m2.max;
    return s.labeler.openMinY(max === null ? Infinity : max / this.pixelArea);
  }

  get detectors(): number {
    return this.states.length;
  }

  /** Detector d's final mask (rows below finalRows(d) are not final yet). */
  mask(d: number): BitMask {
    return this.states[d]!.final;
  }

  /** Where detector d's index had a value to test (rows received so far). */
  validMask(d: number): BitMask {
    return this.states[d]!.valid;
  }

  /** Rows received so far (from the window's top). */
  get rowsReceived(): number {
    return this.rowsIn;
  }

  /**
   * A strip's task results, in any order; strips are processed in order. Resolves when every strip that
   * could be processed has been (one ingestion at a time: device morphology is asynchronous).
   */
  add(index: number, strip: Arrived): Promise<void> {
    this.arrived.set(index, strip);
    this.ingesting = this.ingesting.then(async () => {
      for (let a = this.arrived.get(this.next); a; a = this.arrived.get(this.next)) {
        this.arrived.delete(this.next);
        await this.ingest(a);
        this.next++;
      }
    });
    return this.ingesting;
  }

  private ingesting: Promise<void> = Promise.resolve();

  private async ingest(a: Arrived): Promise<void> {
    const W = this.window.width;
    const y0 = a.y0 - this.window.y0;
    a.results.forEach((r, t) => {
      if (!r.bits) return;
      const cols = (t + 1 < a.cols0.length ? a.cols0[t + 1]! : W) - a.cols0[t]!;
      const words = Math.ceil(cols / 32);
      this.states.forEach((s, d) => {
        for (let y = 0; y < a.rows; y++) {
          insertBits(s.raw.row(y0 + y), a.cols0[t]!, r.bits!.raw[d]!.subarray(y * words, (y + 1) * words), cols);
          insertBits(s.valid.row(y0 + y), a.cols0[t]!, r.bits!.valid[d]!.subarray(y * words, (y + 1) * words), cols);
        }
      });
    });
    this.rowsIn = y0 + a.rows;
    const last = this.rowsIn === this.window.height;
    for (const s of this.states) await this.advance(s, last);
  }

  private async advance(s: DetectorState, last: boolean): Promise<void> {
    const target = last ? this.window.height : Math.max(s.finalDone, this.rowsIn - s.chain.halo);
    if (target <= s.finalDone) return;
    let t0 = performance.now();
    if (!this.morphology || !(await this.onDevice(s, s.finalDone, target)))
      s.chain.run(s.raw, s.finalDone, target, s.final);
    if (this.remask) {
      const f = s.final.data;
      const v = s.valid.data;
      for (let i = s.finalDone * s.final.stride; i < target * s.final.stride; i++) f[i] = f[i]! & v[i]!;
    }
    this.timings.morphology += (performance.now() - t0) / 1000;
    t0 = performance.now();
    for (let y = s.finalDone; y < target; y++) s.labeler.pushRow(y, s.final.row(y));
    if (last) s.labeler.finish();
    s.finalDone = target;
    this.timings.label += (performance.now() - t0) / 1000;
  }

  /**
   * Rows [y0, y1) of the final mask by the device: the raw rows with their halo go up as bytes, the
   * chain runs there, the rows wanted come back. The halo makes them exact: a band edge that is not the
   * image's reaches at most `halo` rows in. False when the band exceeds the device's limit (the CPU
   * chain does those rows).
   */
  private async onDevice(s: DetectorState, y0: number, y1: number): Promise<boolean> {
    const W = this.window.width;
    const H = this.window.height;
    const b0 = Math.max(0, y0 - s.chain.halo);
    const b1 = Math.min(H, y1 + s.chain.halo);
    if (s.chain.steps.length === 0 || !this.morphology!.fits(b1 - b0, W)) return false;
    const out = await this.morphology!.run(s.raw.toBytes(b0, b1), b1 - b0, W, s.chain.steps);
    for (let y = y0; y < y1; y++) {
      const row = s.final.row(y);
      row.fill(0);
      const o = (y - b0) * W;
      for (let x = 0; x < W; x++) if (out[o + x]) row[x >>> 5] = row[x >>> 5]! | (1 << (x & 31));
    }
    return true;
  }

  /** After the last strip: every detector's kept components, summary and final mask. */
  results(): { run: DetectorRun; kept: Component[]; summary: DetectorSummary; mask: BitMask }[] {
    return this.states.map((s) => {
      s.summary.maskPixels = s.final.count();
      return { run: s.run, kept: s.kept, summary: s.summary, mask: s.final };
    });
  }
}
