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
 */
import { LinePoints } from './points.js';
import type { EarthworkParams } from './settings.js';

export const LINE_HALO = 4;

export class LineResponseStream {
  readonly points = new LinePoints();
  private width = 0;
  /** raw rows bufY0 .. bufY0 + bufRows - 1 */
  private buf = new Float32Array(0);
  private bufY0 = 0;
  private bufRows = 0;
  /** first row whose points are not yet extracted */
  private next = 0;
  private readonly sign: number;

  private readonly lineMin: number;
  private readonly lineMax: number;
  private readonly depthMax: number;
  private readonly flankMin: number;

  constructor(p: Pick<EarthworkParams, 'polarity' | 'line_min' | 'line_max' | 'depth_max' | 'flank_min'>) {
    this.sign = p.polarity === 'valley' ? 1 : -1;
    this.lineMin = p.line_min;
    this.lineMax = p.line_max;
    this.depthMax = p.depth_max ?? Number.POSITIVE_INFINITY;
    this.flankMin = p.flank_min ?? Number.NEGATIVE_INFINITY;
  }

  push(rows: Float32Array, y0: number, height: number, width: number): void {
    if (this.bufRows === 0 && this.next === 0) this.width = width;
    if (width !== this.width) throw new Error(`earthworks: strip width ${width} differs from ${this.width}`);
    if (y0 !== this.bufY0 + this.bufRows)
      throw new Error(`earthworks: strip at row ${y0}, expected row ${this.bufY0 + this.bufRows}`);
    // keep the halo behind `next`, append the strip
    const keepFrom = Math.max(this.bufY0, this.next - LINE_HALO);
    const kept = this.bufY0 + this.bufRows - keepFrom;
    const nb = new Float32Array((kept + height) * width);
    nb.set(this.buf.subarray((keepFrom - this.bufY0) * width, (keepFrom - this.bufY0 + kept) * width));
    nb.set(rows.subarray(0, height * width), kept * width);
    this.buf = nb;
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

  /** Points of rows a..b; `last` = last row of the raster known so far (rows beyond it replicate it). */
  private extract(a: number, b: number, last: number): void {
    const w = this.width;
    // S for rows a-3 .. b+3 (response rows a-1 .. b+1 for the suppression)
    const s0 = a - 3;
    const sRows = b - a + 7;
    const S = new Float32Array(sRows * w);
    for (let k = 0; k < sRows; k++) this.meanRow(s0 + k, last, S.subarray(k * w, (k + 1) * w));
    const r0 = a - 1;
    const rRows = b - a + 3;
    const R = new Float32Array(rRows * w);
    for (let k = 0; k < rRows; k++) this.responseRow(S, s0, r0 + k, R.subarray(k * w, (k + 1) * w));
    const sRow = (y: number) => (Math.min(Math.max(y, 0), last) - s0) * w;
    for (let y = a; y <= b; y++) {
      const rc = (y - r0) * w;
      const rp = (y - 1 - r0) * w;
      const rn = (y + 1 - r0) * w;
      const sc = sRow(y);
      const sp = sRow(y - 2);
      const sn = sRow(y + 2);
      for (let x = 0; x < w; x++) {
        const v = R[rc + x]!;
        if (!(v >= this.lineMin && v <= this.lineMax)) continue;
        // Hessian with 2-px steps: the 3x3 mean spreads a 1-px line over 3 px, flat at ±1
        const xl = x >= 2 ? x - 2 : 0;
        const xr = x + 2 < w ? x + 2 : w - 1;
        const c = S[sc + x]!;
        const hxx = S[sc + xl]! - 2 * c + S[sc + xr]!;
        const hyy = S[sp + x]! - 2 * c + S[sn + x]!;
        const hxy = (S[sn + xr]! - S[sn + xl]! - S[sp + xr]! + S[sp + xl]!) / 4;
        // direction of largest curvature of sign·S (the valley's across-direction)
        const sg = this.sign;
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

  /** 3x3 mean of raw row y (rows and columns clamped to the raster); NaN where any of the 9 is NaN. */
  private meanRow(y: number, last: number, out: Float32Array): void {
    const w = this.width;
    const row = (yy: number) => (Math.min(Math.max(yy, 0), last) - this.bufY0) * w;
    const p = row(y - 1);
    const c = row(y);
    const n = row(y + 1);
    const B = this.buf;
    let prev = B[p]! + B[c]! + B[n]!; // column -1 replicates column 0
    let cur = prev;
    for (let x = 0; x < w; x++) {
      const xn = x + 1 < w ? x + 1 : w - 1;
      const next = B[p + xn]! + B[c + xn]! + B[n + xn]!;
      out[x] = (prev + cur + next) / 9;
      prev = cur;
      cur = next;
    }
  }

  /** Response of row y from the S block (rows s0..), rows and columns clamped to the block. */
  private responseRow(S: Float32Array, s0: number, y: number, out: Float32Array): void {
    const w = this.width;
    const sRows = S.length / w;
    const at = (yy: number) => Math.min(Math.max(yy - s0, 0), sRows - 1) * w;
    const c = at(y);
    const up = at(y - 2);
    const dn = at(y + 2);
    const sg = this.sign;
    for (let x = 0; x < w; x++) {
      const v = S[c + x]!;
      const xl = x >= 2 ? x - 2 : 0;
      const xr = x + 2 < w ? x + 2 : w - 1;
      // min of the two sides minus the centre, per direction (horizontal, vertical, two diagonals)
      const h = Math.min(sg * (S[c + xl]! - v), sg * (S[c + xr]! - v));
      const vt = Math.min(sg * (S[up + x]! - v), sg * (S[dn + x]! - v));
      const d1 = Math.min(sg * (S[up + xl]! - v), sg * (S[dn + xr]! - v));
      const d2 = Math.min(sg * (S[up + xr]! - v), sg * (S[dn + xl]! - v));
      // Math.max/min propagate NaN: no data near the pixel → no response
      out[x] = Math.max(h, vt, d1, d2);
    }
  }
}
