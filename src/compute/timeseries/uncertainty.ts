/**
 * The two other uncertainty rules of timeseries2velocity (reference/mintpy.md §2.5 step 9):
 *  - covariance: std_k = sqrt([G⁺ C_d G⁺ᵀ]_kk), C_d the pixel's time-series variances (diagonal) or full
 *    covariance, restricted to the dates used;
 *  - bootstrap: the fit repeated on `count` resamplings of the dates (drawn with replacement, sorted,
 *    origin at the first drawn date); the parameters are the mean over draws, the std their population
 *    std. Every draw is linear in d (m_b = W_b d), so the mean is w̄ d and the variance dᵀ C_k d with C_k
 *    the covariance of the weight vectors over draws — computed once, not per pixel and draw. The draws
 *    come from a seeded generator (MintPy's are unseeded), the same draws for every block.
 */
import { designMatrix, type TimeModel } from './design.js';
import { forEachFittedPixel, PixelStatus, type BlockFit, type BlockInput, type PixelGroup } from './fit.js';
import type { DesignMatrix } from './design.js';
import { fitSystem, isRankDeficient, pseudoInverseFromNinv, type FitSystem } from './system.js';

export function covarianceStd(
  fit: BlockFit,
  system: FitSystem,
  design: DesignMatrix,
  cov: Float32Array,
  kind: 'variance' | 'covariance',
  keptIndex: readonly number[],
  nAll: number,
): Float64Array[] {
  const { p } = system;
  const npix = fit.status.length;
  const std = Array.from({ length: p }, () => new Float64Array(npix));
  const all = keptIndex.map((_, i) => i);
  // G⁺ of all dates for full pixels; of each partial-pixel group, over its own dates.
  const fullInverse = { P: system.P, valid: all };
  const groupInverse = (g: PixelGroup) => ({
    P: pseudoInverseFromNinv(design, g.valid, g.system.Ninv),
    valid: g.valid,
  });
  forEachFittedPixel(fit, std, fullInverse, groupInverse, (j, g) => {
    const rows = g.valid.map((i) => keptIndex[i]!);
    const nv = rows.length;
    const P = g.P;
    for (let k = 0; k < p; k++) {
      let acc = 0;
      if (kind === 'variance') {
        for (let r = 0; r < nv; r++) acc += P[k * nv + r]! ** 2 * cov[rows[r]! * npix + j]!;
      } else {
        for (let a = 0; a < nv; a++) {
          const pa = P[k * nv + a]!;
          for (let b = 0; b < nv; b++) acc += pa * P[k * nv + b]! * cov[(rows[a]! * nAll + rows[b]!) * npix + j]!;
        }
      }
      std[k]![j] = Math.sqrt(acc);
    }
  });
  return std;
}

export interface Bootstrap {
  count: number;
  seed: number;
  /** The dates used (for the design matrix of each draw). */
  dates: readonly string[];
  seconds: number;
}

/** Mean weights w̄ (p x n) and per-parameter weight covariances C_k (n x n) of a set of draws. */
interface BootstrapWeights {
  n: number;
  mean: Float64Array;
  cov: Float64Array[];
  /** Draws whose resampled dates could not be fitted (rank-deficient), left out. */
  dropped: number;
}

/**
 * The bootstrap weights of each set of dates a block needs (all dates; each NaN pattern of partial pixels),
 * computed once per run and reused by every block.
 */
export class BootstrapSampler {
  private readonly cache = new Map<string, BootstrapWeights>();
  constructor(
    private readonly model: TimeModel,
    private readonly boot: Bootstrap,
    private readonly p: number,
  ) {}

  /** Draws left out because their resampled dates could not be fitted. */
  get dropped(): number {
    let d = 0;
    for (const w of this.cache.values()) d += w.dropped;
    return d;
  }

  weights(valid: readonly number[]): BootstrapWeights {
    const key = valid.join(',');
    let w = this.cache.get(key);
    if (!w) {
      w = this.compute(valid);
      if (this.cache.size < 10_000) this.cache.set(key, w);
    }
    return w;
  }

  private compute(valid: readonly number[]): BootstrapWeights {
    const { model, boot, p } = this;
    const n = valid.length;
    const rand = splitmix32(boot.seed);
    const mean = new Float64Array(p * n);
    const sumOuter = Array.from({ length: p }, () => new Float64Array(n * n));
    const w = new Float64Array(p * n);
    let used = 0;
    let dropped = 0;
    const idx = new Int32Array(n);
    for (let b = 0; b < boot.count; b++) {
      for (let r = 0; r < n; r++) idx[r] = Math.floor(rand() * n);
      idx.sort();
      const dates = Array.from(idx, (i) => boot.dates[valid[i]!]!);
      const sys = fitSystem(designMatrix(model, dates, boot.seconds));
      if (isRankDeficient(sys)) {
        dropped++;
        continue;
      }
      // m_b = P_b d[idx] = W_b d: a date drawn twice adds both of its columns.
      w.fill(0);
      for (let k = 0; k < p; k++) {
        for (let r = 0; r < n; r++) {
          const at = k * n + idx[r]!;
          w[at] = w[at]! + sys.P[k * n + r]!;
        }
      }
      for (let k = 0; k < p; k++) {
        const row = w.subarray(k * n, (k + 1) * n);
        const outer = sumOuter[k]!;
        for (let a = 0; a < n; a++) {
          const wa = row[a]!;
          if (wa === 0) continue;
          for (let c = 0; c < n; c++) outer[a * n + c] = outer[a * n + c]! + wa * row[c]!;
        }
      }
      for (let i = 0; i < p * n; i++) mean[i] = mean[i]! + w[i]!;
      used++;
    }
    if (used === 0) return { n, mean: mean.fill(NaN), cov: sumOuter.map((c) => c.fill(NaN)), dropped };
    for (let i = 0; i < p * n; i++) mean[i] = mean[i]! / used;
    // C_k = E[w wᵀ] − w̄ w̄ᵀ (population covariance over the draws).
    const cov = sumOuter.map((outer, k) => {
      const c = new Float64Array(n * n);
      for (let a = 0; a < n; a++)
        for (let d = 0; d < n; d++) c[a * n + d] = outer[a * n + d]! / used - mean[k * n + a]! * mean[k * n + d]!;
      return c;
    });
    return { n, mean, cov, dropped };
  }
}

/**
 * Bootstrap parameters and std for a block: replaces `fit.m` by the mean over draws (as MintPy writes it)
 * and returns the std planes.
 */
export function bootstrapStd(fit: BlockFit, input: BlockInput, sampler: BootstrapSampler): Float64Array[] {
  const p = fit.m.length;
  const npix = input.npix;
  const std = Array.from({ length: p }, () => new Float64Array(npix));
  const all = Array.from({ length: input.planes.length }, (_, i) => i);
  applyWeights(fit, input, sampler.weights(all), all, collect(fit, PixelStatus.Full), std);
  for (const g of fit.groups) applyWeights(fit, input, sampler.weights(g.valid), g.valid, g.pixels, std);
  for (let j = 0; j < npix; j++) {
    const s = fit.status[j]!;
    if (s === PixelStatus.TooFewDates || s === PixelStatus.RankDeficient) for (let k = 0; k < p; k++) std[k]![j] = NaN;
  }
  return std;
}

function collect(fit: BlockFit, status: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < fit.status.length; j++) if (fit.status[j] === status) out.push(j);
  return out;
}

function applyWeights(
  fit: BlockFit,
  input: BlockInput,
  wts: BootstrapWeights,
  valid: readonly number[],
  pixels: number[],
  std: Float64Array[],
): void {
  const { n, mean, cov } = wts;
  const p = fit.m.length;
  const d = new Float64Array(n);
  for (const j of pixels) {
    for (let r = 0; r < n; r++) d[r] = input.planes[valid[r]!]![j]!;
    for (let k = 0; k < p; k++) {
      let m = 0;
      for (let r = 0; r < n; r++) m += mean[k * n + r]! * d[r]!;
      const c = cov[k]!;
      let q = 0;
      for (let a = 0; a < n; a++) {
        let row = 0;
        for (let b = 0; b < n; b++) row += c[a * n + b]! * d[b]!;
        q += d[a]! * row;
      }
      fit.m[k]![j] = m;
      std[k]![j] = Math.sqrt(Math.max(0, q));
    }
  }
}

/** A small, fast, seeded generator of uniform doubles in [0, 1) (SplitMix32). */
export function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}
