/**
 * Resampling a band onto the output grid, defined as OpenCV's `cv2.resize` defines it so that results
 * match numpy/OpenCV pipelines:
 * - bilinear (INTER_LINEAR) upsampling: pixel-centre aligned, source x = (X + 0.5)·scale − 0.5 in float32;
 *   columns beyond the edge are clamped with the outer weight set to 0, rows beyond the edge are clamped
 *   with the weights kept (OpenCV's own asymmetry). Horizontal pass first, then vertical.
 * - nearest (INTER_NEAREST): source x = floor(X·scale), clamped.
 * - downsampling by an integer factor k (for --resolution 20/60): the mean of each k×k block
 *   (INTER_AREA, what INTER_LINEAR becomes for integer factors) or nearest.
 * NaN (nodata) propagates: an output pixel is NaN when any source pixel with a non-zero weight is NaN.
 *
 * Plans are made once per band for the whole grid axis, so a strip or window gives exactly the pixels
 * a whole-image resize would.
 */
import { ComputeError } from '../core/errors.js';

export type ResampleMethod = 'bilinear' | 'nearest';

export type AxisPlan =
  | { kind: 'identity' }
  | { kind: 'linear'; i0: Int32Array; i1: Int32Array; w0: Float32Array; w1: Float32Array }
  | { kind: 'nearest'; i0: Int32Array }
  | { kind: 'area'; factor: number };

/** Plans one axis of a resize from `src` to `dst` samples. `clampWeights` is true for columns (see above). */
export function planAxis(dst: number, src: number, method: ResampleMethod, axis: 'x' | 'y'): AxisPlan {
  if (dst === src) return { kind: 'identity' };
  const scale = 1 / (dst / src); // as OpenCV: scale = 1 / inv_scale, inv_scale = dst / src
  if (method === 'nearest') {
    const i0 = new Int32Array(dst);
    for (let x = 0; x < dst; x++) i0[x] = Math.min(Math.floor(x * scale), src - 1);
    return { kind: 'nearest', i0 };
  }
  if (dst < src) {
    const factor = src / dst;
    if (!Number.isInteger(factor))
      throw new ComputeError(`planAxis: downsampling ${src} to ${dst} is not by an integer factor`);
    return { kind: 'area', factor };
  }
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w0 = new Float32Array(dst);
  const w1 = new Float32Array(dst);
  const f = Math.fround;
  for (let x = 0; x < dst; x++) {
    let fx = f((x + 0.5) * scale - 0.5);
    let sx = Math.floor(fx);
    fx = f(fx - sx);
    if (axis === 'x') {
      if (sx < 0) {
        fx = 0;
        sx = 0;
      }
      if (sx >= src - 1) {
        fx = 0;
        sx = src - 1;
      }
      i0[x] = sx;
      i1[x] = Math.min(sx + 1, src - 1);
    } else {
      i0[x] = Math.min(Math.max(sx, 0), src - 1);
      i1[x] = Math.min(Math.max(sx + 1, 0), src - 1);
    }
    w0[x] = f(1 - fx);
    w1[x] = fx;
  }
  return { kind: 'linear', i0, i1, w0, w1 };
}

/** Source samples [start, end) that grid samples [g0, g1) read. */
export function sourceRange(plan: AxisPlan, g0: number, g1: number, src: number): [number, number] {
  switch (plan.kind) {
    case 'identity':
      return [g0, g1];
    case 'nearest':
      return [plan.i0[g0]!, plan.i0[g1 - 1]! + 1];
    case 'linear':
      return [plan.i0[g0]!, plan.i1[g1 - 1]! + 1];
    case 'area':
      return [g0 * plan.factor, Math.min(g1 * plan.factor, src)];
  }
}

/** How a band maps onto the grid: sizes of the full grid and of the full source band, and the method. */
export interface PlanSpec {
  gridWidth: number;
  gridHeight: number;
  srcWidth: number;
  srcHeight: number;
  method: ResampleMethod;
}

/** A window of a source band: `data` holds `height` rows of `width` samples starting at (x0, y0). */
export interface SourceWindow<T> {
  data: T;
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** Output window on the grid: `width` x `height` samples starting at grid (x0, y0). */
export interface GridWindow {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/**
 * Resamples float32 reflectance (NaN = nodata) into `out` (`win.height` rows of `win.width`).
 * `scratch`, when given, holds the horizontal pass (at least source rows x window width) and saves an
 * allocation per call.
 */
export function resampleFloat(
  src: SourceWindow<Float32Array>,
  xPlan: AxisPlan,
  yPlan: AxisPlan,
  win: GridWindow,
  out: Float32Array,
  scratch?: Float32Array,
): void {
  // Horizontal pass over every source row of the window, then vertical: OpenCV's order of operations.
  // Each kind has its own loop so that the JIT sees flat, monomorphic code (this runs on every pixel).
  if (xPlan.kind === 'identity') {
    vertical(src.data, src.width, win.x0 - src.x0, src.y0, yPlan, win, out);
    return;
  }
  const rows = scratch && scratch.length >= src.height * win.width ? scratch : new Float32Array(src.height * win.width);
  if (xPlan.kind === 'linear') horizontalLinear(src, xPlan, win, rows);
  else if (xPlan.kind === 'nearest') horizontalNearest(src, xPlan.i0, win, rows);
  else horizontalArea(src, xPlan.factor, win, rows);
  vertical(rows, win.width, 0, src.y0, yPlan, win, out);
}

export type LinearPlan = { i0: Int32Array; i1: Int32Array; w0: Float32Array; w1: Float32Array };

function horizontalLinear(src: SourceWindow<Float32Array>, plan: LinearPlan, win: GridWindow, out: Float32Array): void {
  const { data, width: sw, height: sh, x0: sx0 } = src;
  const { i0, i1, w0, w1 } = plan;
  const gw = win.width;
  const gx0 = win.x0;
  const f = Math.fround;
  // Exact 2x (20 m onto 10 m): interior outputs come in pairs 2j+1, 2j+2 reading the same taps j, j+1
  // with weights (3/4, 1/4) and (1/4, 3/4). The pair loop loads each tap once and no index arrays; the
  // weights are taken from the plan, so the arithmetic is the general loop's, operation for operation.
  const [p0, p1] = pairedRange(plan, gx0, gw);
  for (let r = 0; r < sh; r++) {
    const s = r * sw - sx0;
    const o = r * gw;
    const general = (x: number): void => {
      const g = gx0 + x;
      const a1 = w1[g]!;
      const v0 = data[s + i0[g]!]!;
      out[o + x] = a1 === 0 ? v0 : f(f(v0 * w0[g]!) + f(data[s + i1[g]!]! * a1));
    };
    for (let x = 0; x < p0; x++) general(x);
    if (p1 > p0) {
      const g = gx0 + p0;
      const a0 = w0[g]!;
      const a1 = w1[g]!;
      const b0 = w0[g + 1]!;
      const b1 = w1[g + 1]!;
      let j = s + i0[g]!;
      for (let x = p0; x < p1; x += 2, j++) {
        const u = data[j]!;
        const v = data[j + 1]!;
        out[o + x] = f(f(u * a0) + f(v * a1));
        out[o + x + 1] = f(f(u * b0) + f(v * b1));
      }
    }
    for (let x = p1; x < gw; x++) general(x);
  }
}

/**
 * Window columns [p0, p1) (an even count) over which a linear plan is an exact 2x pattern: pairs of
 * outputs share taps (j, j+1), the next pair reads (j+1, j+2), and the weights repeat. [0, 0) otherwise.
 */
export function pairedRange(plan: LinearPlan, gx0: number, gw: number): [number, number] {
  const { i0, i1, w0, w1 } = plan;
  let p0 = 0;
  while (p0 < gw && (w1[gx0 + p0] === 0 || i0[gx0 + p0 + 1] !== i0[gx0 + p0])) p0++;
  if (p0 >= gw - 1) return [0, 0];
  const g = gx0 + p0;
  const [a0, a1, b0, b1] = [w0[g], w1[g], w0[g + 1], w1[g + 1]];
  let p1 = p0;
  while (p1 + 1 < gw) {
    const h = gx0 + p1;
    const j = i0[g]! + (p1 - p0) / 2;
    const ok =
      i0[h] === j &&
      i1[h] === j + 1 &&
      i0[h + 1] === j &&
      i1[h + 1] === j + 1 &&
      w0[h] === a0 &&
      w1[h] === a1 &&
      w0[h + 1] === b0 &&
      w1[h + 1] === b1 &&
      a1 !== 0 &&
      b1 !== 0;
    if (!ok) break;
    p1 += 2;
  }
  return p1 - p0 >= 8 ? [p0, p1] : [0, 0];
}

function horizontalNearest(src: SourceWindow<Float32Array>, i0: Int32Array, win: GridWindow, out: Float32Array): void {
  const { data, width: sw, height: sh, x0: sx0 } = src;
  const gw = win.width;
  for (let r = 0; r < sh; r++) {
    const s = r * sw - sx0;
    const o = r * gw;
    for (let x = 0; x < gw; x++) out[o + x] = data[s + i0[win.x0 + x]!]!;
  }
}

function horizontalArea(src: SourceWindow<Float32Array>, k: number, win: GridWindow, out: Float32Array): void {
  const { data, width: sw, height: sh, x0: sx0 } = src;
  const gw = win.width;
  for (let r = 0; r < sh; r++) {
    const s = r * sw;
    const o = r * gw;
    for (let x = 0; x < gw; x++) {
      const c0 = s + (win.x0 + x) * k - sx0;
      let sum = 0;
      for (let j = 0; j < k; j++) sum += data[c0 + j]!;
      out[o + x] = sum; // summed here, scaled in the vertical pass
    }
  }
}

/**
 * Vertical pass: `rows` holds one row per source row (from source row `sy0`), `stride` wide, the grid
 * window's first column at `col0`.
 */
function vertical(
  rows: Float32Array,
  stride: number,
  col0: number,
  sy0: number,
  plan: AxisPlan,
  win: GridWindow,
  out: Float32Array,
): void {
  const gw = win.width;
  const f = Math.fround;
  for (let y = 0; y < win.height; y++) {
    const g = win.y0 + y;
    const o = y * gw;
    if (plan.kind === 'identity' || plan.kind === 'nearest') {
      const r = ((plan.kind === 'identity' ? g : plan.i0[g]!) - sy0) * stride + col0;
      out.set(rows.subarray(r, r + gw), o);
    } else if (plan.kind === 'linear') {
      const r0 = (plan.i0[g]! - sy0) * stride + col0;
      const r1 = (plan.i1[g]! - sy0) * stride + col0;
      const b0 = plan.w0[g]!;
      const b1 = plan.w1[g]!;
      if (b1 === 0) out.set(rows.subarray(r0, r0 + gw), o);
      else for (let x = 0; x < gw; x++) out[o + x] = f(f(rows[r0 + x]! * b0) + f(rows[r1 + x]! * b1));
    } else {
      const k = plan.factor;
      const inv = 1 / (k * k);
      const r0 = (g * k - sy0) * stride + col0;
      for (let x = 0; x < gw; x++) {
        let sum = 0;
        for (let j = 0; j < k; j++) sum += rows[r0 + j * stride + x]!;
        out[o + x] = f(sum * inv);
      }
    }
  }
}

/**
 * Nearest-neighbour lookup of 8-bit classes through `lut` (SCL class → masked flag), for the cloud mask.
 * `xPlan`/`yPlan` must be identity or nearest plans (SCL is never interpolated).
 */
export function resampleClasses(
  src: SourceWindow<Uint8Array>,
  xPlan: AxisPlan,
  yPlan: AxisPlan,
  win: GridWindow,
  lut: Uint8Array,
  out: Uint8Array,
): void {
  const pick = (plan: AxisPlan, g: number): number => {
    if (plan.kind === 'identity') return g;
    if (plan.kind === 'nearest') return plan.i0[g]!;
    throw new ComputeError(`resampleClasses: classes need a nearest plan, got ${plan.kind}`);
  };
  const cols = new Int32Array(win.width);
  for (let x = 0; x < win.width; x++) cols[x] = pick(xPlan, win.x0 + x) - src.x0;
  let previous = -1;
  for (let y = 0; y < win.height; y++) {
    const row = pick(yPlan, win.y0 + y);
    const o = y * win.width;
    if (row === previous) {
      // Upsampling repeats source rows: copy the output row just made.
      out.copyWithin(o, o - win.width, o);
      continue;
    }
    previous = row;
    const s = (row - src.y0) * src.width;
    for (let x = 0; x < win.width; x++) out[o + x] = lut[src.data[s + cols[x]!]!]!;
  }
}

/**
 * The value `resampleFloat` gives at grid pixel (gx, gy), computed for that pixel alone: the same taps,
 * weights and float32 roundings, so it is bit-identical. `at(sx, sy)` returns the source value (reflectance,
 * NaN = nodata) at full-image source coordinates. For statistics over a few pixels of a large window.
 */
export function samplePoint(
  at: (sx: number, sy: number) => number,
  xPlan: AxisPlan,
  yPlan: AxisPlan,
  gx: number,
  gy: number,
): number {
  const f = Math.fround;
  const horizontal = (sy: number): number => {
    switch (xPlan.kind) {
      case 'identity':
        return at(gx, sy);
      case 'nearest':
        return at(xPlan.i0[gx]!, sy);
      case 'linear': {
        const a1 = xPlan.w1[gx]!;
        const v0 = at(xPlan.i0[gx]!, sy);
        return a1 === 0 ? v0 : f(f(v0 * xPlan.w0[gx]!) + f(at(xPlan.i1[gx]!, sy) * a1));
      }
      case 'area': {
        let sum = 0;
        for (let j = 0; j < xPlan.factor; j++) sum += at(gx * xPlan.factor + j, sy);
        return f(sum); // the horizontal pass stores its sums as float32
      }
    }
  };
  switch (yPlan.kind) {
    case 'identity':
      return horizontal(gy);
    case 'nearest':
      return horizontal(yPlan.i0[gy]!);
    case 'linear': {
      const b1 = yPlan.w1[gy]!;
      const h0 = horizontal(yPlan.i0[gy]!);
      return b1 === 0 ? h0 : f(f(h0 * yPlan.w0[gy]!) + f(horizontal(yPlan.i1[gy]!) * b1));
    }
    case 'area': {
      const k = yPlan.factor;
      let sum = 0;
      for (let j = 0; j < k; j++) sum += horizontal(gy * k + j);
      return f(sum * (1 / (k * k)));
    }
  }
}

/**
 * samplePoint for every pixel of a list of runs (4 integers per run: any, row, x0, x1 in full-grid
 * coordinates) from a uint16 DN window through a reflectance table, written in order to `out`. The
 * common plans (identity, and bilinear in both directions) are flat loops; others go pixel by pixel.
 */
export function sampleRuns(
  dn: ArrayLike<number>,
  win: { x0: number; y0: number; width: number },
  lut: Float32Array,
  xPlan: AxisPlan,
  yPlan: AxisPlan,
  runs: Int32Array,
  out: Float32Array,
): void {
  const f = Math.fround;
  const W = win.width;
  const n = runs.length >> 2;
  let o = 0;
  if (xPlan.kind === 'identity' && yPlan.kind === 'identity') {
    for (let r = 0; r < n; r++) {
      const row = (runs[4 * r + 1]! - win.y0) * W - win.x0;
      for (let gx = runs[4 * r + 2]!; gx < runs[4 * r + 3]!; gx++) out[o++] = lut[dn[row + gx]!]!;
    }
    return;
  }
  if (xPlan.kind === 'linear' && yPlan.kind === 'linear') {
    const { i0: xi0, i1: xi1, w0: xw0, w1: xw1 } = xPlan;
    for (let r = 0; r < n; r++) {
      const gy = runs[4 * r + 1]!;
      const r0 = (yPlan.i0[gy]! - win.y0) * W - win.x0;
      const r1 = (yPlan.i1[gy]! - win.y0) * W - win.x0;
      const b0 = yPlan.w0[gy]!;
      const b1 = yPlan.w1[gy]!;
      for (let gx = runs[4 * r + 2]!; gx < runs[4 * r + 3]!; gx++) {
        const a1 = xw1[gx]!;
        const c0 = xi0[gx]!;
        const c1 = xi1[gx]!;
        const a0 = xw0[gx]!;
        const u0 = lut[dn[r0 + c0]!]!;
        const h0 = a1 === 0 ? u0 : f(f(u0 * a0) + f(lut[dn[r0 + c1]!]! * a1));
        if (b1 === 0) {
          out[o++] = h0;
          continue;
        }
        const v0 = lut[dn[r1 + c0]!]!;
        const h1 = a1 === 0 ? v0 : f(f(v0 * a0) + f(lut[dn[r1 + c1]!]! * a1));
        out[o++] = f(f(h0 * b0) + f(h1 * b1));
      }
    }
    return;
  }
  if (
    (xPlan.kind === 'nearest' || xPlan.kind === 'identity') &&
    (yPlan.kind === 'nearest' || yPlan.kind === 'identity')
  ) {
    const xi = xPlan.kind === 'nearest' ? xPlan.i0 : undefined;
    for (let r = 0; r < n; r++) {
      const gy = runs[4 * r + 1]!;
      const row = ((yPlan.kind === 'nearest' ? yPlan.i0[gy]! : gy) - win.y0) * W - win.x0;
      for (let gx = runs[4 * r + 2]!; gx < runs[4 * r + 3]!; gx++) out[o++] = lut[dn[row + (xi ? xi[gx]! : gx)]!]!;
    }
    return;
  }
  const at = (sx: number, sy: number): number => lut[dn[(sy - win.y0) * W + (sx - win.x0)]!]!;
  for (let r = 0; r < n; r++) {
    const gy = runs[4 * r + 1]!;
    for (let gx = runs[4 * r + 2]!; gx < runs[4 * r + 3]!; gx++) out[o++] = samplePoint(at, xPlan, yPlan, gx, gy);
  }
}
