/**
 * Least-squares fit of a block of pixels, NaN policy stated in code (architecture habit 7):
 *  - pixels NaN on every date, or whose mean over the dates is 0, are skipped as MintPy skips them
 *    (0 in every output), except the reference pixel, which is always fitted;
 *  - pixels valid on every date are solved together: m = G⁺ d accumulated in one pass over the block
 *    (engine/cpu/lsq.ts), with Σd² so that the residual norm needs no second pass (e² = dᵀd − mᵀ(GᵀG)m,
 *    exact for the least-squares m; accumulated in double precision);
 *  - pixels NaN on some dates are grouped by their NaN pattern and each group is solved with the rows
 *    of G it has, when at least parameters + 1 dates remain and those rows have full rank; otherwise
 *    they are NaN and counted (MintPy aborts the whole run on them).
 * The uncertainty of each parameter follows MintPy's "residue" rule, std_k = sqrt([N⁻¹]_kk e²/(n − p)),
 * unless the caller supplies another (covariance, bootstrap: uncertainty.ts).
 */
import { compileAccumulateKernel, type AccumulateKernel } from '../../engine/cpu/lsq.js';
import { compileWasmAccumulateKernel, TILE } from '../../engine/cpu/wasm.lsq.js';
import type { DesignMatrix } from './design.js';
import { designRows, fitSystem, isRankDeficient, type FitSystem } from './system.js';

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
  system: FitSystem;
  pixels: number[];
}

/** Caches the fit systems of partial-pixel groups across blocks (patterns repeat). */
export class SystemCache {
  private readonly map = new Map<string, FitSystem | null>();
  constructor(private readonly design: DesignMatrix) {}

  get(valid: number[]): FitSystem | null {
    const key = valid.join(',');
    let s = this.map.get(key);
    if (s === undefined) {
      const r = fitSystem(designRows(this.design, valid));
      s = isRankDeficient(r) ? null : r;
      if (this.map.size < 100_000) this.map.set(key, s);
    }
    return s;
  }
}

/** Pixels per run of the accumulation kernel: its accumulators and the run's dates stay in L1/L2. */
const RUN = TILE;

/** Fits blocks of one run: the compiled kernel, the partial-pixel systems and the scratch accumulators. */
export class BlockFitter {
  private readonly kernel: AccumulateKernel;
  private readonly cache: SystemCache;
  private readonly acc: Float64Array[];
  private readonly ss = new Float64Array(RUN);
  private readonly sum = new Float64Array(RUN);
  private readonly nan = new Uint16Array(RUN);

  /** `simd`: the WebAssembly SIMD kernel (same bits as the JavaScript one, faster). */
  constructor(
    readonly system: FitSystem,
    design: DesignMatrix,
    simd: boolean,
  ) {
    this.kernel = simd ? compileWasmAccumulateKernel(system.p, system.n) : compileAccumulateKernel(system.p);
    this.cache = new SystemCache(design);
    this.acc = Array.from({ length: system.p }, () => new Float64Array(RUN));
  }

  fit(input: BlockInput): BlockFit {
    const { npix, data, offsets } = input;
    const { n, p, Pt, N } = this.system;
    const { acc, ss, sum, nan } = this;
    const m = Array.from({ length: p }, () => new Float64Array(npix));
    const status = new Uint8Array(npix);
    const e2 = new Float64Array(npix);
    const dates = new Uint16Array(npix);
    const counts = { Skipped: 0, Full: 0, Partial: 0, TooFewDates: 0, RankDeficient: 0 };
    const partial: number[] = [];
    for (let j0 = 0; j0 < npix; j0 += RUN) {
      const len = Math.min(RUN, npix - j0);
      this.kernel(data, offsets, j0, len, Pt, acc, ss, sum, nan);
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
        if (bad > 0) {
          partial.push(j);
          continue;
        }
        status[j] = PixelStatus.Full;
        counts.Full++;
        dates[j] = n;
        // e² = dᵀd − mᵀ N m for the least-squares m (N m = Gᵀd).
        let q = 0;
        for (let a = 0; a < p; a++) {
          let row = 0;
          for (let b = 0; b < p; b++) row += N[a * p + b]! * acc[b]![t]!;
          q += acc[a]![t]! * row;
          m[a]![j] = acc[a]![t]!;
        }
        e2[j] = Math.max(0, ss[t]! - q);
      }
    }
    const groups = fitPartial(input, this.system, this.cache, partial, { m, e2, dates, status });
    for (const j of partial) {
      const s = status[j]!;
      if (s === PixelStatus.Partial) counts.Partial++;
      else if (s === PixelStatus.TooFewDates) counts.TooFewDates++;
      else counts.RankDeficient++;
    }
    return { m, e2, dates, status, counts, groups };
  }
}

/** Groups partial pixels by the dates they have and solves each group with those rows of G. */
function fitPartial(
  input: BlockInput,
  system: FitSystem,
  cache: SystemCache,
  pixels: number[],
  out: { m: Float64Array[]; e2: Float64Array; dates: Uint16Array; status: Uint8Array },
): PixelGroup[] {
  const { planes } = input;
  const { n, p } = system;
  const byPattern = new Map<string, { valid: number[]; pixels: number[] }>();
  for (const j of pixels) {
    const valid: number[] = [];
    for (let i = 0; i < n; i++) if (planes[i]![j] === planes[i]![j]) valid.push(i);
    const key = valid.join(',');
    let g = byPattern.get(key);
    if (!g) byPattern.set(key, (g = { valid, pixels: [] }));
    g.pixels.push(j);
  }
  const groups: PixelGroup[] = [];
  for (const { valid, pixels: members } of byPattern.values()) {
    const sub = valid.length >= p + 1 ? cache.get(valid) : null;
    if (!sub) {
      const s = valid.length < p + 1 ? PixelStatus.TooFewDates : PixelStatus.RankDeficient;
      for (const j of members) {
        out.status[j] = s;
        for (let k = 0; k < p; k++) out.m[k]![j] = NaN;
        out.e2[j] = NaN;
        out.dates[j] = valid.length;
      }
      continue;
    }
    const nv = valid.length;
    const d = new Float64Array(nv);
    const mj = new Float64Array(p);
    for (const j of members) {
      for (let r = 0; r < nv; r++) d[r] = planes[valid[r]!]![j]!;
      for (let k = 0; k < p; k++) {
        let acc = 0;
        for (let r = 0; r < nv; r++) acc += sub.P[k * nv + r]! * d[r]!;
        mj[k] = acc;
        out.m[k]![j] = acc;
      }
      // Few pixels take this path: the residual is summed explicitly.
      let e = 0;
      for (let r = 0; r < nv; r++) {
        let fit = 0;
        for (let k = 0; k < p; k++) fit += sub.G[r * p + k]! * mj[k]!;
        e += (d[r]! - fit) ** 2;
      }
      out.e2[j] = e;
      out.dates[j] = nv;
      out.status[j] = PixelStatus.Partial;
    }
    groups.push({ valid, system: sub, pixels: members });
  }
  return groups;
}

/** MintPy's "residue" uncertainty: std_k = sqrt([N⁻¹]_kk · e²/(dates − parameters)), per pixel. */
export function residueStd(fit: BlockFit, system: FitSystem): Float64Array[] {
  const { p, NinvDiag } = system;
  const npix = fit.e2.length;
  const std = Array.from({ length: p }, () => new Float64Array(npix));
  const groupOf = new Map<number, FitSystem>();
  for (const g of fit.groups) for (const j of g.pixels) groupOf.set(j, g.system);
  for (let j = 0; j < npix; j++) {
    const s = fit.status[j]!;
    if (s === PixelStatus.Skipped) continue;
    if (s !== PixelStatus.Full && s !== PixelStatus.Partial) {
      for (let k = 0; k < p; k++) std[k]![j] = NaN;
      continue;
    }
    const diag = s === PixelStatus.Full ? NinvDiag : groupOf.get(j)!.NinvDiag;
    const variance = fit.e2[j]! / (fit.dates[j]! - p);
    for (let k = 0; k < p; k++) std[k]![j] = Math.sqrt(diag[k]! * variance);
  }
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
