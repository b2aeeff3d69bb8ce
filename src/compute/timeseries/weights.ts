/**
 * Interferogram weights from spatial coherence, as MintPy's ifgram_inversion computes them
 * (simulation/decorrelation.py; reference/mintpy.md §4.4): coherence below 0.05 (or NaN) is 0.05; then
 *  - var: 1 / phase variance of a distributed scatterer with L looks (Tough et al. 1995, eq. 66), from a
 *    200-entry lookup table over coherence, the variance summed over 200 phase samples in [−π, π];
 *  - fim: Fisher information 2L·γ²/(1 − γ²), γ at most 1 − 1e-3;
 *  - coh: γ itself.
 * Weights are float32 as in MintPy, and the inversion uses their square roots (float32) on each row.
 */

export type WeightFunction = 'var' | 'fim' | 'coh' | 'no';

/** Independent looks: NCORRLOOKS, or ALOOKS·RLOOKS/1.94; rounded, at least 1 (calc_weight_sqrt). */
export function independentLooks(attrs: Record<string, string>): number {
  let L: number;
  if (attrs['NCORRLOOKS'] !== undefined) L = Number(attrs['NCORRLOOKS']);
  else L = (Math.trunc(Number(attrs['ALOOKS'] ?? 1)) * Math.trunc(Number(attrs['RLOOKS'] ?? 1))) / 1.94;
  return Math.max(roundHalfEven(L), 1);
}

/** numpy.rint: round half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Γ(x) for x > 0 (Lanczos, g = 7; within 1e-13 of math.gamma), +∞ where Python's math.gamma raises. */
export function gamma(x: number): number {
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  if (x > 171.6) return Infinity;
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0]!;
  const t = z + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (z + i);
  // t^(z+0.5) split in two halves around e^−t, so that Γ(159) (≈ 6e278; L = 80) does not overflow on the way.
  const half = t ** ((z + 0.5) / 2);
  return Math.sqrt(2 * Math.PI) * half * (half * Math.exp(-t)) * a;
}

/** numpy.linspace: start + i·step, the last value exactly `stop`. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

/** Phase variance (rad²) of a distributed scatterer for each coherence in `coh` (phase_variance_ds). */
export function phaseVarianceDs(L: number, coh: readonly number[]): Float64Array {
  const phiNum = coh.length;
  const phiStep = (2 * Math.PI) / phiNum;
  const phi = linspace(-Math.PI, Math.PI, phiNum);
  const B = gamma(2 * L - 1) / (gamma(L) ** 2 * 2 ** (2 * (L - 1)));
  const D: number[] = [];
  if (L > 1)
    for (let r = 0; r < L - 1; r++) D.push((gamma(L - 0.5) / gamma(L - 0.5 - r)) * (gamma(L - 1 - r) / gamma(L - 1)));
  const variance = new Float64Array(coh.length);
  coh.forEach((g, j) => {
    const A = (1 - g * g) ** L / (2 * Math.PI);
    let v = 0;
    for (const p of phi) {
      const beta = Math.abs(g) * Math.cos(p);
      const b2 = 1 - beta * beta;
      let C = ((2 * L - 1) * beta) / b2 ** (L + 0.5);
      C *= Math.PI / 2 + Math.asin(beta);
      C += 1 / b2 ** L;
      let sumD = 0;
      if (L > 1) {
        for (let r = 0; r < L - 1; r++) sumD += (D[r]! * (1 + (2 * r + 1) * beta * beta)) / b2 ** (r + 2);
        sumD /= 2 * (L - 1);
      }
      v += p * p * (A * (B * C + sumD)) * phiStep;
      // (numpy: Σ φ²·pdf·Δφ over the 200 samples; summation order differs by ulps only)
    }
    variance[j] = v;
  });
  // Non-positive variances (coherence very near 1) take the smallest positive one.
  let minPositive = Infinity;
  for (const v of variance) if (v > 0 && v < minPositive) minPositive = v;
  for (let j = 0; j < variance.length; j++)
    if (!(variance[j]! > 0)) variance[j] = Number.isFinite(minPositive) ? minPositive : Number.EPSILON;
  return variance;
}

const FLOOR = Math.fround(0.05);

/**
 * Maps coherence to the square root of the weight, float32 as MintPy keeps it, for one weight function
 * and number of looks (tables built once).
 */
export class CoherenceWeights {
  private readonly lut: Float32Array | undefined;
  private readonly cohMin = 0.005 - 0.0025;
  private readonly cohMax = 1.0 - 0.0025;

  constructor(
    readonly func: Exclude<WeightFunction, 'no'>,
    readonly looks: number,
  ) {
    if (func === 'var') {
      const L = Math.min(looks, 80); // MintPy: "use L=80 to avoid dividing by 0"
      const cohLut = linspace(0.005, 1.0, 200).map((c) => c - 0.0025);
      const variance = phaseVarianceDs(L, cohLut);
      this.lut = Float32Array.from(variance, (v) => Math.fround(Math.sqrt(Math.fround(1 / v))));
    }
  }

  /** sqrt(weight) of one coherence value (float32 coherence in, float32 value out). */
  sqrtWeight(coherence: number): number {
    // MintPy floors coherence in its float32 array: at float32(0.05).
    let g = coherence !== coherence || coherence < FLOOR ? FLOOR : coherence;
    switch (this.func) {
      case 'var': {
        if (g < this.cohMin) g = this.cohMin;
        if (g > this.cohMax) g = this.cohMax;
        return this.lut![Math.trunc((g - this.cohMin) / 0.005)]!;
      }
      case 'fim': {
        if (g > 1 - 1e-3) g = 1 - 1e-3;
        return Math.fround(Math.sqrt(Math.fround((2 * Math.trunc(this.looks) * (g * g)) / (1 - g * g))));
      }
      case 'coh':
        return Math.fround(Math.sqrt(Math.fround(g)));
    }
  }
}
