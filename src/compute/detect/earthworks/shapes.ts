/**
 * Enclosures and causeways from groups of linked line points.
 * - enclosure: the group's minimum-area rectangle, kept when its sides are in range, the group's points lie
 *   on its outline (fit) and line points cover its perimeter (support): a ring fails both at its corners;
 * - causeway: the group's principal axis, refitted on the points within 2 px of it, kept when nearly all
 *   points are on it, the line is thin, its length in range and line points cover it.
 */
import type { EarthworkParams } from './settings.js';
import type { EarthworkCandidate } from './types.js';
import type { LinePoints } from './points.js';
import { confidenceOf, pathContrast, pathSupport } from './outline.js';
import { principalAxis, type Pt, type Rect, segmentDistance } from './fit.js';

/** Angle of direction (ux, uy) in the candidates' convention: degrees counter-clockwise from +x with y down, in [0, 180). */
export function angleDeg(ux: number, uy: number): number {
  let a = (Math.atan2(-uy, ux) * 180) / Math.PI;
  if (a < 0) a += 180;
  if (a >= 180) a -= 180;
  return a;
}

/** a group whose normals agree with a right-angled frame less than this is no rectangle (a ring's are uniform) */
const FRAME_COHERENCE_MIN = 0.5;

/**
 * The rectangle a group of points outlines: its axes from the points' normals (the mean of 4θ, which folds
 * the four sides' normals onto one direction, so a spur or a rounded corner does not tilt it), each side at
 * the densest 1-px slice of the points' projections on its half (not at the extreme point, which a spur
 * would move).
 */
export function fitRectangle(pts: LinePoints, group: number[]): Rect | null {
  let sx = 0;
  let sy = 0;
  for (const i of group) {
    sx += Math.cos(4 * pts.normal[i]!);
    sy += Math.sin(4 * pts.normal[i]!);
  }
  if (Math.hypot(sx, sy) / group.length < FRAME_COHERENCE_MIN) return null;
  const phi = Math.atan2(sy, sx) / 4;
  const ux = Math.cos(phi);
  const uy = Math.sin(phi);
  const s = group.map((i) => pts.x[i]! * ux + pts.y[i]! * uy);
  const t = group.map((i) => -pts.x[i]! * uy + pts.y[i]! * ux);
  const [s0, s1] = sides(s);
  const [t0, t1] = sides(t);
  const at = (a: number, b: number): Pt => [a * ux - b * uy, a * uy + b * ux];
  const [cx, cy] = at((s0 + s1) / 2, (t0 + t1) / 2);
  return { cx, cy, w: t1 - t0, h: s1 - s0, ux: -uy, uy: ux, corners: [at(s0, t0), at(s1, t0), at(s1, t1), at(s0, t1)] };
}

/** The two side positions along one axis: in each half, the mean of the points within 1 px of the densest 1-px bin. */
function sides(v: number[]): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const a of v) {
    if (a < lo) lo = a;
    if (a > hi) hi = a;
  }
  const n = Math.floor(hi - lo) + 1;
  const hist = new Int32Array(n);
  for (const a of v) hist[Math.min(n - 1, Math.floor(a - lo))]!++;
  const mid = (n - 1) / 2;
  let b0 = 0;
  let b1 = n - 1;
  for (let k = 0; k < n; k++) {
    if (k <= mid && hist[k]! > hist[b0]!) b0 = k;
    if (k >= mid && hist[k]! > hist[b1]!) b1 = k;
  }
  const centre = (b: number) => {
    let sum = 0;
    let m = 0;
    for (const a of v) {
      if (Math.abs(a - (lo + b + 0.5)) <= 1.5) {
        sum += a;
        m++;
      }
    }
    return m ? sum / m : lo + b + 0.5;
  };
  return [centre(b0), centre(b1)];
}

export function findEnclosure(pts: LinePoints, group: number[], p: EarthworkParams): EarthworkCandidate | null {
  const e = p.enclosure;
  const smin = e.side_min_m / p.pixel_m;
  const smax = e.side_max_m / p.pixel_m;
  const rect = fitRectangle(pts, group);
  if (!rect) return null;
  const long = Math.max(rect.w, rect.h);
  const short = Math.min(rect.w, rect.h);
  if (short < smin || long > smax || long / Math.max(short, 1e-9) > e.aspect_max) return null;
  const c = rect.corners;
  let on = 0;
  for (const i of group) {
    const x = pts.x[i]!;
    const y = pts.y[i]!;
    let d = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 4; k++) d = Math.min(d, segmentDistance(x, y, c[k]!, c[(k + 1) % 4]!));
    if (d <= 1.5) on++;
  }
  const fit = on / group.length;
  if (fit < e.fit_min) return null;
  const ring: Pt[] = [...c, c[0]!];
  const support = pathSupport(pts, ring);
  if (support < e.support_min) return null;
  return {
    shape: 'rectangle',
    detector: 'enclosure',
    confidence: confidenceOf(support, pathContrast(pts, ring), p.line_min),
    cx: rect.cx,
    cy: rect.cy,
    width_m: rect.w * p.pixel_m,
    height_m: rect.h * p.pixel_m,
    angle_deg: angleDeg(rect.ux, rect.uy),
    support,
    points: ring,
  };
}

export function findCauseway(pts: LinePoints, group: number[], p: EarthworkParams): EarthworkCandidate | null {
  const cw = p.causeway;
  const lmin = cw.length_min_m / p.pixel_m;
  const lmax = cw.length_max_m / p.pixel_m;
  let xy: Pt[] = group.map((i) => [pts.x[i]!, pts.y[i]!]);
  let axis = principalAxis(xy);
  const all = xy.length;
  for (let it = 0; it < 2; it++) {
    const a = axis;
    xy = xy.filter(([x, y]) => Math.abs(-(x - a.mx) * a.uy + (y - a.my) * a.ux) <= 2);
    if (xy.length < 2) return null;
    axis = principalAxis(xy);
  }
  if (xy.length < 0.8 * all || axis.rms > cw.width_max_px) return null;
  let s0 = Number.POSITIVE_INFINITY;
  let s1 = Number.NEGATIVE_INFINITY;
  for (const [x, y] of xy) {
    const s = (x - axis.mx) * axis.ux + (y - axis.my) * axis.uy;
    if (s < s0) s0 = s;
    if (s > s1) s1 = s;
  }
  const length = s1 - s0;
  if (length < lmin || length > lmax) return null;
  const ends: Pt[] = [
    [axis.mx + s0 * axis.ux, axis.my + s0 * axis.uy],
    [axis.mx + s1 * axis.ux, axis.my + s1 * axis.uy],
  ];
  const support = pathSupport(pts, ends);
  if (support < cw.support_min) return null;
  return {
    shape: 'line',
    detector: 'causeway',
    confidence: confidenceOf(support, pathContrast(pts, ends), p.line_min),
    cx: (ends[0]![0] + ends[1]![0]) / 2,
    cy: (ends[0]![1] + ends[1]![1]) / 2,
    length_m: length * p.pixel_m,
    angle_deg: angleDeg(axis.ux, axis.uy),
    support,
    points: ends,
  };
}
