/** Small geometric fits on point sets: principal axis, convex hull, minimum-area rectangle. */

export type Pt = [number, number];

export interface Axis {
  mx: number;
  my: number;
  /** unit direction of the largest spread */
  ux: number;
  uy: number;
  /** RMS distance of the points from the axis */
  rms: number;
}

/** Principal axis of the points (the eigenvector of the larger eigenvalue of their covariance). */
export function principalAxis(p: Pt[]): Axis {
  let mx = 0;
  let my = 0;
  for (const [x, y] of p) {
    mx += x;
    my += y;
  }
  mx /= p.length;
  my /= p.length;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (const [x, y] of p) {
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
    sxy += (x - mx) * (y - my);
  }
  sxx /= p.length;
  syy /= p.length;
  sxy /= p.length;
  const a = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  const ux = Math.cos(a);
  const uy = Math.sin(a);
  const tr = sxx + syy;
  const disc = Math.sqrt(Math.max(0, ((sxx - syy) / 2) ** 2 + sxy * sxy));
  const small = Math.max(0, tr / 2 - disc);
  return { mx, my, ux, uy, rms: Math.sqrt(small) };
}

/** Convex hull (Andrew's monotone chain), counter-clockwise in a y-up sense, no repeated end. */
export function convexHull(points: Pt[]): Pt[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: Pt, a: Pt, b: Pt) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Pt[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Pt[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  upper.pop();
  lower.pop();
  return lower.concat(upper);
}

export interface Rect {
  cx: number;
  cy: number;
  /** side along (ux, uy) and the side across it */
  w: number;
  h: number;
  ux: number;
  uy: number;
  corners: Pt[];
}

/** Minimum-area enclosing rectangle: one of its sides lies along a hull edge (rotating calipers, O(n²) here: hulls are small). */
export function minAreaRect(points: Pt[]): Rect | null {
  const hull = convexHull(points);
  if (hull.length < 3) return null;
  let best: Rect | null = null;
  let bestArea = Number.POSITIVE_INFINITY;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    let s0 = Number.POSITIVE_INFINITY;
    let s1 = Number.NEGATIVE_INFINITY;
    let t0 = Number.POSITIVE_INFINITY;
    let t1 = Number.NEGATIVE_INFINITY;
    for (const [x, y] of hull) {
      const s = x * ux + y * uy;
      const t = -x * uy + y * ux;
      if (s < s0) s0 = s;
      if (s > s1) s1 = s;
      if (t < t0) t0 = t;
      if (t > t1) t1 = t;
    }
    const area = (s1 - s0) * (t1 - t0);
    if (area < bestArea) {
      bestArea = area;
      const at = (s: number, t: number): Pt => [s * ux - t * uy, s * uy + t * ux];
      const sm = (s0 + s1) / 2;
      const tm = (t0 + t1) / 2;
      const [cx, cy] = at(sm, tm);
      best = { cx, cy, w: s1 - s0, h: t1 - t0, ux, uy, corners: [at(s0, t0), at(s1, t0), at(s1, t1), at(s0, t1)] };
    }
  }
  return best;
}

/** Distance from (x, y) to the segment a-b. */
export function segmentDistance(x: number, y: number, a: Pt, b: Pt): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const l2 = dx * dx + dy * dy;
  const t = l2 ? Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / l2)) : 0;
  return Math.hypot(x - a[0] - t * dx, y - a[1] - t * dy);
}
