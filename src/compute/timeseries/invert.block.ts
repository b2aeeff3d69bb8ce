/**
 * One row block of a network inversion, MintPy's run_ifgram_inversion_patch: the observations are
 * referenced (the reference pixel's value subtracted where the value is not 0), 0 becomes NaN (no data),
 * the mask dataset blanks more; pixels masked out, NaN in every pair, or 0 in avgSpatialCoh are left at 0.
 * Unweighted pixels valid in every pair share one factored system; every other pixel is solved alone
 * on the pairs it has (with its weights). Output in metres: ts · (−λ / 4π).
 */
import type { NetworkSolver, SharedSystem } from './network.js';
import type { CoherenceWeights } from './weights.js';

export interface InvertBlockInput {
  /** Observed phase, (all pairs of the file, pixels): only `kept` pairs are used. */
  phase: Float32Array;
  /** Coherence, same layout, when weighting or masking with it. */
  coherence?: Float32Array;
  /** connectComponent, same layout, when masking with it. */
  components?: ArrayLike<number>;
  npix: number;
  /** File indices of the pairs used, in order. */
  kept: readonly number[];
  /** Reference phase of each kept pair (0 with --skip-ref). */
  refPhase: Float64Array;
  /** Pixel mask (water mask and avgSpatialCoh ≠ 0): 0 = skip; undefined: every pixel. */
  pixelMask?: Uint8Array;
  mask?: { dataset: 'coherence' | 'connectComponent'; threshold: number };
  weights?: CoherenceWeights;
  /** −WAVELENGTH / (4π): radian → metre. */
  phase2range: number;
}

export interface InvertBlockResult {
  /** (dates, pixels), metres. */
  ts: Float32Array;
  tcoh: Float32Array;
  /** Pairs used per pixel (float32, as numInvIfgram.h5 holds it). */
  nobs: Float32Array;
  counts: { all: number; partial: number; skipped: number; notInverted: number };
}

export function invertBlock(
  solver: NetworkSolver,
  shared: SharedSystem | null | undefined,
  input: InvertBlockInput,
): InvertBlockResult {
  const { npix, kept, phase, refPhase } = input;
  const nPairs = kept.length;
  const nDates = solver.p + 1;
  const ts = new Float32Array(nDates * npix);
  const tcoh = new Float32Array(npix);
  const nobs = new Float32Array(npix);
  const counts = { all: 0, partial: 0, skipped: 0, notInverted: 0 };
  // Pixels are taken in tiles, gathered pair-major (y[k·TILE + t]): reads are contiguous, and the pixels
  // valid in every pair are solved together with every inner loop over contiguous pixels.
  const TILE = 256;
  const yTile = new Float64Array(TILE * nPairs);
  const wTile = input.weights ? new Float64Array(TILE * nPairs) : null;
  const yAll = new Float64Array(TILE * nPairs);
  const xAll = new Float64Array(TILE * solver.p);
  const allIndex = new Int32Array(TILE);
  const re = new Float64Array(TILE);
  const im = new Float64Array(TILE);
  const validCount = new Int32Array(TILE);
  const y = new Float64Array(nPairs);
  const ws = wTile ? new Float64Array(nPairs) : null;
  const x = new Float64Array(solver.p);
  const tsPixel = new Float64Array(nDates);
  const f = Math.fround;
  const threshold = f(input.mask?.threshold ?? 0);
  for (let j0 = 0; j0 < npix; j0 += TILE) {
    const n = Math.min(npix, j0 + TILE) - j0;
    validCount.fill(0);
    for (let k = 0; k < nPairs; k++) {
      const base = kept[k]! * npix + j0;
      const ref = refPhase[k]!;
      for (let t = 0; t < n; t++) {
        const at = base + t;
        let v = phase[at]!;
        // Referencing touches values that are not 0 only; then 0 is no data.
        if (v !== 0) v = f(v - ref);
        if (v === 0 || v !== v) v = NaN;
        else if (input.mask) {
          if (input.mask.dataset === 'coherence') {
            // MintPy: NaN coherence counts as 0; kept where coherence >= threshold (compared in float32).
            const c = input.coherence![at]!;
            if (!((c !== c ? 0 : c) >= threshold)) v = NaN;
          } else if (input.components![at] === 0) v = NaN;
        }
        yTile[k * TILE + t] = v;
        if (v === v) validCount[t] = validCount[t]! + 1;
        if (wTile) wTile[k * TILE + t] = input.weights!.sqrtWeight(input.coherence![at]!);
      }
    }
    let nAll = 0;
    for (let t = 0; t < n; t++) {
      const j = j0 + t;
      if (input.pixelMask && input.pixelMask[j] === 0) {
        counts.skipped++;
        continue;
      }
      const valid = validCount[t]!;
      if (valid === 0) {
        counts.skipped++;
        continue;
      }
      if (!wTile && valid === nPairs && shared !== undefined) {
        // Valid in every pair, unweighted: MintPy solves these together (one system, factored once).
        counts.all++;
        if (shared === null) counts.notInverted++;
        else allIndex[nAll++] = t;
        continue;
      }
      if (!ws) counts.partial++;
      for (let k = 0; k < nPairs; k++) {
        y[k] = yTile[k * TILE + t]!;
        if (ws) ws[k] = wTile![k * TILE + t]!;
      }
      const sol = solver.solve(y, ws);
      if (!sol.inverted) {
        counts.notInverted++;
        continue;
      }
      tcoh[j] = sol.tcoh;
      nobs[j] = sol.used;
      for (let d = 0; d < nDates; d++) ts[d * npix + j] = sol.ts[d]! * input.phase2range;
    }
    if (nAll > 0 && shared) {
      // The tile's pixels valid in every pair, compacted (they are usually all of them).
      let src = yTile;
      if (nAll < n) {
        for (let k = 0; k < nPairs; k++)
          for (let i = 0; i < nAll; i++) yAll[k * TILE + i] = yTile[k * TILE + allIndex[i]!]!;
        src = yAll;
      }
      shared.solveTile(src, TILE, nAll, xAll);
      for (let i = 0; i < nAll; i++) allIndex[i] = allIndex[i]! + j0;
      shared.coherenceTile(src, TILE, nAll, xAll, re, im, tcoh, allIndex);
      for (let i = 0; i < nAll; i++) {
        const j = allIndex[i]!;
        nobs[j] = nPairs;
        for (let c = 0; c < solver.p; c++) x[c] = xAll[c * TILE + i]!;
        solver.timeSeries(x, tsPixel);
        for (let d = 0; d < nDates; d++) ts[d * npix + j] = tsPixel[d]! * input.phase2range;
      }
    }
  }
  return { ts, tcoh, nobs, counts };
}
