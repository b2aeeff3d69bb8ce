/**
 * Least-squares fit of a block of pixels, NaN policy stated in code (architecture habit 7):
 *  - pixels NaN on every date, or whose mean over the dates is 0, are skipped as MintPy skips them
 *    (0 in every output), except the reference pixel, which is always fitted;
 *  - one pass over the block (engine/cpu/lsq.ts) accumulates, per pixel and over its valid dates only,
 *    b = Gᵀd, Σd² and the count of NaN dates, in double precision;
 *  - pixels valid on every date are then solved together: m = (GᵀG)⁻¹ b, and the residual norm needs no
 *    second pass: e² = dᵀd − mᵀb, exact for the least-squares m;
 *  - pixels NaN on some dates are grouped by their NaN pattern (found date by date, in memory order) and
 *    each group is solved with the (GᵀG)⁻¹ of the rows it has — b already covers exactly those rows —
 *    when at least parameters + 1 dates remain and those rows have full rank; otherwise they are NaN and
 *    counted (MintPy aborts the whole run on them).
 * The uncertainty of each parameter follows MintPy's "residue" rule, std_k = sqrt([N⁻¹]_kk e²/(n − p)),
 * unless the caller supplies another (covariance, bootstrap: uncertainty.ts).
 */
import { ACCUMULATE_RUN, type AccumulateKernel } from './kernels.js';
import type { DesignMatrix } from './design.js';
import { fitSubsystem, isRankDeficient, type FitSystem, type Subsystem } from './system.js';

/** What happened to each pixel. */
export const PixelStatus = {
  Skipped: 0,
  Full: 1,
  Partial: 2,
  TooFewDates: 3,
  RankDeficient: 4,
} as const;
export type PixelStatus = (typeof PixelStatus)[keyof typeof PixelStatus];

export interface BlockInput {
  /** The block as read: (dates of the file, pixels). */
  data: Float32Array;
  /** Offset in `data` of each date used, in date order. */
  offsets: Int32Array;
  /** The same planes as views, one per date used. */
  planes: Float32Array[];
  npix: number;
  /** Index in the block of the reference pixel, or -1 when it is not in this block. */
  refIndex: number;
}

export interface BlockFit {
  /** Parameters, one plane per column of G (float64 accumulators; NaN where not fitted). */
  m: Float64Array[];
  /** Squared residual norm per pixel (NaN where not fitted). */
  e2: Float64Array;
  /** Dates used per pixel (n for full pixels, fewer for partial ones, 0 when skipped). */
  dates: Uint16Array;
  status: Uint8Array;
  counts: Record<keyof typeof PixelStatus, number>;
  /** The fit system of every partial-pixel group, by the dates it kept (for the uncertainty step). */
  groups: PixelGroup[];
}

export interface PixelGroup {
  /** Indices (into the dates used) the group's pixels are valid on. */
  valid: number[];
  system: Subsystem;
  pixels: number[];
}

/**
 * The fit systems of partial-pixel groups, kept across blocks because patterns often repeat (a date
 * missing over a region). Bounded: when every pixel has its own pattern the cache is emptied and refilled
 * rather than growing with the image.
 */
export class SystemCache {
  private readonly map = new Map<string, Subsystem | null>();
  constructor(
    private readonly design: DesignMatrix,
    private readonly limit = 4096,
  ) {}

  get(key: string, valid: number[]): Subsystem | null {
    let s = this.map.get(key);
    if (s === undefined) {
      const r = fitSubsystem(this.design, valid);
      s = isRankDeficient(r) ? null : r;
      if (this.map.size >= this.limit) this.map.clear();
      this.map.set(key, s);
    }
    return s;
  }
}

/** Pixels per run of the accumulation kernel: its accumulators and the run's dates stay in L1/L2. */
const RUN = ACCUMULATE_RUN;

/** Fits blocks of one run: the compiled kernel, the partial-pixel systems and the scratch accumulators. */
export class BlockFitter {
  private readonly kernel: AccumulateKernel;
  private readonly cache: SystemCache;
  private readonly acc: Float64Array[];
  private readonly ss = new Float64Array(RUN);
  private readonly sum = new Float64Array(RUN);
  private readonly nan = new Uint16Array(RUN);

  /** `kernel`: the accumulation for `system.p` parameters over `system.n` dates (an engine's). */
  constructor(
    readonly system: FitSystem,
    design: DesignMatrix,
    kernel: AccumulateKernel,
  ) {
    this.kernel = kernel;
    this.cache = new SystemCache(design);
    this.acc = Array.from({ length: system.p }, () => new Float64Array(RUN));
  }

  fit(input: BlockInput): BlockFit {
    const { npix, data, offsets } = input;
    const { n, p, G, Ninv } = this.system;
    const { acc, ss, sum, nan } = this;
    // m holds b = Gᵀd and e2 holds Σd² until each pixel is solved.
    const m = Array.from({ length: p }, () => new Float64Array(npix));
    const status = new Uint8Array(npix);
    const e2 = new Float64Array(npix);
    const dates = new Uint16Array(npix);
    const counts = { Skipped: 0, Full: 0, Partial: 0, TooFewDates: 0, RankDeficient: 0 };
    const partial: number[] = [];
    const b = new Float64Array(p);
    for (let j0 = 0; j0 < npix; j0 += RUN) {
      const len = Math.min(RUN, npix - j0);
      this.kernel(data, offsets, j0, len, G, acc, ss, sum, nan);
      for (let t = 0; t < len; t++) {
        const j = j0 + t;
        const bad = nan[t]!;
        // MintPy's mask: nanmean over the dates is neither NaN nor 0 — or this is the reference pixel.
        const fitted = bad < n && (sum[t] !== 0 || j === input.refIndex);
        if (!fitted) {
          status[j] = PixelStatus.Skipped;
          counts.Skipped++;
          continue; // m and e² stay 0, as MintPy writes skipped pixels
        }
        for (let k = 0; k < p; k++) b[k] = acc[k]![t]!;
        if (bad > 0) {
          for (let k = 0; k < p; k++) m[k]![j] = b[k]!;
          e2[j] = ss[t]!;
          dates[j] = n - bad;
          partial.push(j);
          continue;
        }
        status[j] = PixelStatus.Full;
        counts.Full++;
        dates[j] = n;
        e2[j] = solve(Ninv, p, b, ss[t]!, m, j);
      }
    }
    const groups = this.fitPartial(input, partial, { m, e2, dates, status });
    for (const j of partial) {
      const s = status[j]!;
      if (s === PixelStatus.Partial) counts.Partial++;
      else if (s === PixelStatus.TooFewDates) counts.TooFewDates++;
      else counts.RankDeficient++;
    }
    return { m, e2, dates, status, counts, groups };
  }

  /**
   * Groups the partial pixels by the dates they lack — the planes are scanned in memory order, date by
   * date, rather than pixel by pixel across planes — and solves each from its b = Gᵀd and Σd².
   */
  private fitPartial(
    input: BlockInput,
    pixels: number[],
    out: { m: Float64Array[]; e2: Float64Array; dates: Uint16Array; status: Uint8Array },
  ): PixelGroup[] {
    const { n, p } = this.system;
    if (pixels.length === 0) return [];
    // The NaN dates of every partial pixel, in one flat array: pixel q's are at [start[q], start[q + 1]).
    const start = new Int32Array(pixels.length + 1);
    pixels.forEach((j, q) => (start[q + 1] = start[q]! + (n - out.dates[j]!)));
    const missing = new Int32Array(start[pixels.length]!);
    const fill = start.slice(0, pixels.length);
    for (let i = 0; i < n; i++) {
      const plane = input.planes[i]!;
      for (let q = 0; q < pixels.length; q++) {
        const v = plane[pixels[q]!]!;
        if (v !== v) missing[fill[q]!++] = i;
      }
    }
    const byPattern = new Map<string, { missing: Int32Array; pixels: number[] }>();
    pixels.forEach((j, q) => {
      const gap = missing.subarray(start[q]!, start[q + 1]!);
      const key = gap.join(',');
      let g = byPattern.get(key);
      if (!g) {
        g = { missing: gap, pixels: [] };
        byPattern.set(key, g);
      }
      g.pixels.push(j);
    });
    const groups: PixelGroup[] = [];
    const b = new Float64Array(p);
    for (const [key, { missing: gap, pixels: members }] of byPattern) {
      const valid: number[] = [];
      for (let i = 0, g = 0; i < n; i++) {
        if (g < gap.length && gap[g] === i) g++;
        else valid.push(i);
      }
      const sub = valid.length >= p + 1 ? this.cache.get(key, valid) : null;
      if (!sub) {
        const s = valid.length < p + 1 ? PixelStatus.TooFewDates : PixelStatus.RankDeficient;
        for (const j of members) {
          out.status[j] = s;
          for (let k = 0; k < p; k++) out.m[k]![j] = NaN;
          out.e2[j] = NaN;
        }
        continue;
      }
      for (const j of members) {
        for (let k = 0; k < p; k++) b[k] = out.m[k]![j]!;
        out.e2[j] = solve(sub.Ninv, p, b, out.e2[j]!, out.m, j);
        out.status[j] = PixelStatus.Partial;
      }
      groups.push({ valid, system: sub, pixels: members });
    }
    return groups;
  }
}

/** m = N⁻¹b into column j of `m`; returns e² = dᵀd − mᵀb (≥ 0). */
function solve(Ninv: Float64Array, p: number, b: Float64Array, dd: number, m: Float64Array[], j: number): number {
  let mb = 0;
  for (let a = 0; a < p; a++) {
    let x = 0;
    for (let c = 0; c < p; c++) x += Ninv[a * p + c]! * b[c]!;
    m[a]![j] = x;
    mb += x * b[a]!;
  }
  return Math.max(0, dd - mb);
}

/**
 * Visits the fitted pixels of a block: `each(j, what)` for every Full pixel (with `full`) and Partial
 * pixel (with `perGroup` of its NaN-pattern group, computed once per group); pixels that could not be
 * fitted get NaN in every plane of `out`; skipped pixels are left alone (0, as MintPy).
 */
export function forEachFittedPixel<T>(
  fit: BlockFit,
  out: readonly Float64Array[],
  full: T,
  perGroup: (group: PixelGroup) => T,
  each: (j: number, what: T) => void,
): void {
  const groupOf = new Map<number, T>();
  for (const g of fit.groups) {
    const what = perGroup(g);
    for (const j of g.pixels) groupOf.set(j, what);
  }
  const npix = fit.status.length;
  for (let j = 0; j < npix; j++) {
    const s = fit.status[j]!;
    if (s === PixelStatus.Skipped) continue;
    if (s !== PixelStatus.Full && s !== PixelStatus.Partial) {
      for (const plane of out) plane[j] = NaN;
      continue;
    }
    each(j, s === PixelStatus.Full ? full : groupOf.get(j)!);
  }
}

/** MintPy's "residue" uncertainty: std_k = sqrt([N⁻¹]_kk · e²/(dates − parameters)), per pixel. */
export function residueStd(fit: BlockFit, system: FitSystem): Float64Array[] {
  const { p, NinvDiag } = system;
  const npix = fit.e2.length;
  const std = Array.from({ length: p }, () => new Float64Array(npix));
  forEachFittedPixel(
    fit,
    std,
    NinvDiag,
    (g) => g.system.NinvDiag,
    (j, diag) => {
      const variance = fit.e2[j]! / (fit.dates[j]! - p);
      for (let k = 0; k < p; k++) std[k]![j] = Math.sqrt(diag[k]! * variance);
    },
  );
  return std;
}

/**
 * The residual time series d − G m of a block (--save-res), float32, one plane per date used: NaN for
 * pixels not fitted and on the dates a partial pixel lacks.
 */
export function residuals(input: BlockInput, fit: BlockFit, system: FitSystem): Float32Array {
  const { planes, npix } = input;
  const { n, p, G } = system;
  const out = new Float32Array(n * npix);
  for (let i = 0; i < n; i++) {
    const plane = planes[i]!;
    const res = out.subarray(i * npix, (i + 1) * npix);
    for (let j = 0; j < npix; j++) {
      const s = fit.status[j]!;
      if (s !== PixelStatus.Full && s !== PixelStatus.Partial) {
        res[j] = NaN;
        continue;
      }
      let model = 0;
      for (let k = 0; k < p; k++) model += G[i * p + k]! * fit.m[k]![j]!;
      res[j] = plane[j]! - model;
    }
  }
  return out;
}
