/**
 * The thin-line (valley / ridge) response, streamed over strips: a ditch 1-2 px wide is a line whose index
 * differs from BOTH sides, a clearing's border is a step with one side like the line. So, on the 3x3 mean S:
 *   response(p) = max over 4 directions n of  min(S(p + 2n), S(p - 2n)) - S(p)      (valley; ridge: negated)
 * (n = (1,0), (0,1), (1,1), (1,-1); a step edge has one side at the centre's level, so min(...) - S ≤ noise).
 * A pixel is a line point when its response lies in [line_min, line_max] and is not below its two neighbours
 * across the line (thin ridges of response, one pixel wide); the normal across the line comes from the
 * Hessian of S (the direction of largest curvature), which the ring detector's Hough votes follow.
 *
 * Rows needed: response of row y reads S of rows y±2 (and the suppression response rows y±1), S reads raw
 * rows ±1: a halo of 4 rows; the image border is replicated.
 *
 * Cost: this is most of the detectors' time (docs/performance.md, "Earthwork detectors"), so the rows roll
 * through two small rings (8 rows of S, 4 of the response: each row computed once and read while it is in
 * the cache) and every buffer is kept from strip to strip. The arithmetic is that of the plain formulas
 * (double sums in the same order, rounded to float32 once), so the points do not depend on the strip size.
 */
import { LinePoints } from './points.js';
import type { EarthworkParams } from './settings.js';

export const LINE_HALO = 4;

/** Rows of S and of the response held while row y is examined: S y-4..y+3, response y-1..y+2 (powers of 2). */
export const S_RING = 8;
export const R_RING = 4;

/**
 * The hot loops in another engine (engine/cpu/wasm.line.ts: WebAssembly SIMD, the same double-precision
 * formulas, so the same bits). The kernel holds the S and response rings and three raw rows:
 * - `mean(o)`: S row at s[o..] from the raw rows (above, the row, below: `raw`, 3 · width), as meanRow;
 * - `interior(c, up, dn, o)`: r[o + x] for x in [2, width - 2) from the S rows starting at c (row y),
 *   up (y - 2) and dn (y + 2); element offsets into s and r.
 */
export interface LineResponseKernel {
  readonly s: Float32Array;
  readonly r: Float32Array;
  readonly raw: Float32Array;
  mean(o: number): void;
  interior(c: number, up: number, dn: number, o: number): void;
}

/**
 * The response out[o + x] for x in [from, to) of the interior (2 ≤ x < width - 2: no column clamps),
 * from the S rows at c (row y), up (y - 2) and dn (y + 2); element offsets into S and out. The
 * definition, and what a kernel does for the pixels its vector loop leaves.
 */
export function interiorResponse(
  S: Float32Array,
  out: Float32Array,
  c: number,
  up: number,
  dn: number,
  o: number,
  from: number,
  to: number,
  sign: 1 | -1,
): void {
  for (let x = from; x < to; x++) {
    const v = S[c + x]!;
    // min of the two sides minus the centre, per direction (horizontal, vertical, two diagonals)
    const h = Math.min(sign * (S[c + x - 2]! - v), sign * (S[c + x + 2]! - v));
    const vt = Math.min(sign * (S[up + x]! - v), sign * (S[dn + x]! - v));
    const d1 = Math.min(sign * (S[up + x - 2]! - v), sign * (S[dn + x + 2]! - v));
    const d2 = Math.min(sign * (S[up + x + 2]! - v), sign * (S[dn + x - 2]! - v));
    // Math.max/min propagate NaN: no data near the pixel → no response
    out[o + x] = Math.max(h, vt, d1, d2);
  }
}

/** Makes the kernel of rows `width` wide, for valleys (sign 1) or ridges (-1). */
export type LineResponseKernels = (width: number, sign: 1 | -1) => LineResponseKernel;

export class LineResponseStream {
  readonly points = new LinePoints();
  private width = 0;
  /** raw rows bufY0 .. bufY0 + bufRows - 1, from the start of `buf` (its capacity kept between strips) */
  private buf = new Float32Array(0);
  private bufY0 = 0;
  private bufRows = 0;
  /** first row whose points are not yet extracted */
  private next = 0;
  private readonly sign: 1 | -1;
  private kernel: LineResponseKernel | undefined;
  /** S rows by (virtual row & 7), response rows by (row & 3); a column sum of the raw rows (double) */
  private sRing: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private rRing: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private colSum = new Float64Array(0);

  private readonly lineMin: number;
  private readonly lineMax: number;
  private readonly depthMax: number;
  private readonly flankMin: number;

  constructor(
    p: Pick<EarthworkParams, 'polarity' | 'line_min' | 'line_max' | 'depth_max' | 'flank_min'>,
    private readonly kernels?: LineResponseKernels,
  ) {
    this.sign = p.polarity === 'valley' ? 1 : -1;
    this.lineMin = p.line_min;
    this.lineMax = p.line_max;
    this.depthMax = p.depth_max ?? Number.POSITIVE_INFINITY;
    this.flankMin = p.flank_min ?? Number.NEGATIVE_INFINITY;
  }

  push(rows: Float32Array, y0: number, height: number, width: number): void {
    if (this.bufRows === 0 && this.next === 0) this.setWidth(width);
    if (width !== this.width) throw new Error(`earthworks: strip width ${width} differs from ${this.width}`);
    if (y0 !== this.bufY0 + this.bufRows)
      throw new Error(`earthworks: strip at row ${y0}, expected row ${this.bufY0 + this.bufRows}`);
    // keep the halo behind `next` at the start of the buffer, append the strip
    const keepFrom = Math.max(this.bufY0, this.next - LINE_HALO);
    const kept = this.bufY0 + this.bufRows - keepFrom;
    const need = (kept + height) * width;
    const from = (keepFrom - this.bufY0) * width;
    if (need > this.buf.length) {
      const nb = new Float32Array(need);
      nb.set(this.buf.subarray(from, from + kept * width));
      this.buf = nb;
    } else if (from > 0) this.buf.copyWithin(0, from, from + kept * width);
    this.buf.set(rows.subarray(0, height * width), kept * width);
    this.bufY0 = keepFrom;
    this.bufRows = kept + height;
    const last = this.bufY0 + this.bufRows - 1;
    if (last - LINE_HALO >= this.next) this.extract(this.next, last - LINE_HALO, last);
  }

  /** The last rows (bottom border replicated); the points are complete after this. */
  finish(): LinePoints {
    const last = this.bufY0 + this.bufRows - 1;
    if (this.bufRows > 0 && this.next <= last) this.extract(this.next, last, last);
    this.points.index(last + 1);
    return this.points;
  }

  private setWidth(width: number): void {
    this.width = width;
    this.kernel = this.kernels?.(width, this.sign);
    this.sRing = this.kernel?.s ?? new Float32Array(S_RING * width);
    this.rRing = this.kernel?.r ?? new Float32Array(R_RING * width);
    this.colSum = new Float64Array(width);
  }

  /** Offset of virtual S row y (rows outside the raster are means of clamped raw rows) in its ring. */
  private sAt(y: number): number {
    return (y & (S_RING - 1)) * this.width;
  }

  /** Points of rows a..b; `last` = last row of the raster known so far (rows beyond it replicate it). */
  private extract(a: number, b: number, last: number): void {
    const w = this.width;
    // S rows a-3 .. a+2 and response rows a-1, a before the first row; then, per row y, S y+3 and response y+1
    for (let k = a - 3; k <= a + 2; k++) this.meanRow(k, last);
    this.responseRow(a - 1);
    this.responseRow(a);
    const R = this.rRing;
    const S = this.sRing;
    const sg = this.sign;
    const lineMin = this.lineMin;
    const lineMax = this.lineMax;
    for (let y = a; y <= b; y++) {
      this.meanRow(y + 3, last);
      this.responseRow(y + 1);
      const rc = (y & (R_RING - 1)) * w;
      const rp = ((y - 1) & (R_RING - 1)) * w;
      const rn = ((y + 1) & (R_RING - 1)) * w;
      // the Hessian reads S of the raster's own rows (clamped at its top and bottom)
      const sc = this.sAt(y); // y ≤ b ≤ last
      const sp = this.sAt(Math.min(Math.max(y - 2, 0), last));
      const sn = this.sAt(Math.min(Math.max(y + 2, 0), last));
      for (let x = 0; x < w; x++) {
        const v = R[rc + x]!;
        if (!(v >= lineMin && v <= lineMax)) continue;
        // Hessian with 2-px steps: the 3x3 mean spreads a 1-px line over 3 px, flat at ±1
        const xl = x >= 2 ? x - 2 : 0;
        const xr = x + 2 < w ? x + 2 : w - 1;
        const c = S[sc + x]!;
        const hxx = S[sc + xl]! - 2 * c + S[sc + xr]!;
        const hyy = S[sp + x]! - 2 * c + S[sn + x]!;
        const hxy = (S[sn + xr]! - S[sn + xl]! - S[sp + xr]! + S[sp + xl]!) / 4;
        // direction of largest curvature of sign·S (the valley's across-direction)
        let theta = 0.5 * Math.atan2(2 * sg * hxy, sg * (hxx - hyy));
        if (theta < 0) theta += Math.PI;
        // neighbours across the line (the normal rounded to the 8-neighbourhood)
        const dx = Math.round(Math.cos(theta));
        const dy = Math.round(Math.sin(theta));
        const xa = Math.min(Math.max(x + dx, 0), w - 1);
        const xb = Math.min(Math.max(x - dx, 0), w - 1);
        const ya = dy === 0 ? rc : dy > 0 ? rn : rp;
        const yb = dy === 0 ? rc : dy > 0 ? rp : rn;
        if (v < R[ya + xa]! || v < R[yb + xb]!) continue;
        // the line's own pixel against its flanks: roads and rivers cut deeper than ditches, water has no flank
        const flank = c + sg * v;
        if (sg * (flank - this.darkest(x, y, last)) > this.depthMax || sg * flank < sg * this.flankMin) continue;
        this.points.add(x, y, v, theta, flank);
      }
    }
    this.next = b + 1;
  }

  /**
   * The line's own value near (x, y): the darkest raw pixel of the 3x3 (valley; brightest, ridge). A 1-px
   * diagonal line's staircase leaves points beside it as well as on it, so the pixel itself may be a flank.
   */
  private darkest(x: number, y: number, last: number): number {
    const w = this.width;
    let best = Number.POSITIVE_INFINITY;
    for (let dy = -1; dy <= 1; dy++) {
      const row = (Math.min(Math.max(y + dy, 0), last) - this.bufY0) * w;
      for (let dx = -1; dx <= 1; dx++) {
        const v = this.sign * this.buf[row + Math.min(Math.max(x + dx, 0), w - 1)]!;
        if (v < best) best = v;
      }
    }
    return this.sign * best;
  }

  /**
   * S row y (virtual: raw rows and columns clamped to the raster) into its ring slot: the 3x3 mean as
   * ((col(x-1) + col(x)) + col(x+1)) / 9 of the column sums (row y-1 + row y) + row y+1, in double, rounded
   * to float32 once; NaN where any of the 9 is NaN.
   */
  private meanRow(y: number, last: number): void {
    const w = this.width;
    const B = this.buf;
    const at = (yy: number): number => (Math.min(Math.max(yy, 0), last) - this.bufY0) * w;
    const p = at(y - 1);
    const c = at(y);
    const n = at(y + 1);
    if (this.kernel) {
      const raw = this.kernel.raw;
      raw.set(B.subarray(p, p + w), 0);
      raw.set(B.subarray(c, c + w), w);
      raw.set(B.subarray(n, n + w), 2 * w);
      this.kernel.mean(this.sAt(y));
      return;
    }
    const col = this.colSum;
    for (let x = 0; x < w; x++) col[x] = B[p + x]! + B[c + x]! + B[n + x]!;
    const out = this.sRing;
    const o = this.sAt(y);
    if (w === 1) {
      out[o] = (col[0]! + col[0]! + col[0]!) / 9;
      return;
    }
    out[o] = (col[0]! + col[0]! + col[1]!) / 9; // column -1 replicates column 0
    for (let x = 1; x < w - 1; x++) out[o + x] = (col[x - 1]! + col[x]! + col[x + 1]!) / 9;
    out[o + w - 1] = (col[w - 2]! + col[w - 1]! + col[w - 1]!) / 9;
  }

  /** Response of (virtual) row y into its ring slot, from S rows y-2..y+2; columns clamped. */
  private responseRow(y: number): void {
    const w = this.width;
    const S = this.sRing;
    const out = this.rRing;
    const o = (y & (R_RING - 1)) * w;
    const c = this.sAt(y);
    const up = this.sAt(y - 2);
    const dn = this.sAt(y + 2);
    const lo = Math.min(2, w);
    const hi = Math.max(lo, w - 2);
    for (let x = 0; x < lo; x++)
      out[o + x] = this.responseAt(c, up, dn, x, x >= 2 ? x - 2 : 0, x + 2 < w ? x + 2 : w - 1);
    for (let x = hi; x < w; x++)
      out[o + x] = this.responseAt(c, up, dn, x, x >= 2 ? x - 2 : 0, x + 2 < w ? x + 2 : w - 1);
    if (this.kernel) {
      this.kernel.interior(c, up, dn, o);
      return;
    }
    interiorResponse(S, out, c, up, dn, o, lo, hi, this.sign);
  }

  private responseAt(c: number, up: number, dn: number, x: number, xl: number, xr: number): number {
    const S = this.sRing;
    const sg = this.sign;
    const v = S[c + x]!;
    const h = Math.min(sg * (S[c + xl]! - v), sg * (S[c + xr]! - v));
    const vt = Math.min(sg * (S[up + x]! - v), sg * (S[dn + x]! - v));
    const d1 = Math.min(sg * (S[up + xl]! - v), sg * (S[dn + xr]! - v));
    const d2 = Math.min(sg * (S[up + xr]! - v), sg * (S[dn + xl]! - v));
    return Math.max(h, vt, d1, d2);
  }
}
