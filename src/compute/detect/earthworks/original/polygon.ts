/**
 * Measures of a contour (contours.ts) as OpenCV 4.6 computes them, for the `original` set's contour
 * rectangles: cv::arcLength (float32 steps summed in double), cv::approxPolyDP (its Douglas-Peucker
 * variant: the start pair from three far-point passes, an explicit stack, then the clean-up pass that drops
 * vertices on almost straight runs), cv::contourArea (shoelace), the centroid of cv::moments (m10/m00,
 * m01/m00) and the minimum-area rectangle (cv::minAreaRect's rectangle; its corners, sides and angle in
 * our own convention, see minAreaRect below).
 */
import type { Contour } from './contours.js';

/** Perimeter (closed) or length (open) of a polyline: each step's length in float32, summed in double. */
export function arcLength(c: Contour, closed: boolean): number {
  const n = c.length / 2;
  if (n <= 1) return 0;
  const last = closed ? n - 1 : 0;
  let px = c[2 * last]!;
  let py = c[2 * last + 1]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const dx = c[2 * i]! - px;
    const dy = c[2 * i + 1]! - py;
    sum += Math.fround(Math.sqrt(Math.fround(dx * dx + dy * dy)));
    px = c[2 * i]!;
    py = c[2 * i + 1]!;
  }
  return sum;
}

/** |shoelace area| of a closed polygon. */
export function contourArea(c: Contour): number {
  const n = c.length / 2;
  let a = 0;
  let px = c[2 * n - 2]!;
  let py = c[2 * n - 1]!;
  for (let i = 0; i < n; i++) {
    const x = c[2 * i]!;
    const y = c[2 * i + 1]!;
    a += px * y - py * x;
    px = x;
    py = y;
  }
  return Math.abs(a / 2);
}

/** Centroid of the polygon's area (cv::moments m10/m00, m01/m00); null for a zero area. */
export function polygonCentroid(c: Contour): [number, number] | null {
  const n = c.length / 2;
  let a = 0;
  let mx = 0;
  let my = 0;
  let px = c[2 * n - 2]!;
  let py = c[2 * n - 1]!;
  for (let i = 0; i < n; i++) {
    const x = c[2 * i]!;
    const y = c[2 * i + 1]!;
    const cross = px * y - x * py;
    a += cross;
    mx += cross * (px + x);
    my += cross * (py + y);
    px = x;
    py = y;
  }
  return a === 0 ? null : [mx / (3 * a), my / (3 * a)];
}

/** cv::approxPolyDP on integer points: vertices of the simplified polyline, in OpenCV's order. */
export function approxPolyDP(src: Contour, epsilon: number, closed0: boolean): Contour {
  const count0 = src.length / 2;
  if (count0 === 0) return new Int32Array(0);
  const X = (i: number) => src[2 * i]!;
  const Y = (i: number) => src[2 * i + 1]!;
  const eps = epsilon * epsilon;
  const stack: [number, number][] = [];
  const dst: number[] = [];
  let closed = closed0;
  let initIters = 3;
  let count = count0;
  let rightStart = 0;
  let pos = 0;
  if (!closed) {
    rightStart = count;
    if (X(0) !== X(count - 1) || Y(0) !== Y(count - 1)) stack.push([0, count - 1]);
    else {
      closed = true;
      initIters = 1;
    }
  }
  if (closed) {
    // 1. two points far apart: from the start, the farthest, then the farthest from that (three passes)
    rightStart = 0;
    let leEps = false;
    let sx = 0;
    let sy = 0;
    for (let it = 0; it < initIters; it++) {
      let maxDist = 0;
      pos = (pos + rightStart) % count;
      sx = X(pos);
      sy = Y(pos);
      pos = (pos + 1) % count;
      for (let j = 1; j < count; j++) {
        const dx = X(pos) - sx;
        const dy = Y(pos) - sy;
        pos = (pos + 1) % count;
        const d = dx * dx + dy * dy;
        if (d > maxDist) {
          maxDist = d;
          rightStart = j;
        }
      }
      leEps = maxDist <= eps;
    }
    if (!leEps) {
      const start = pos % count;
      const mid = (rightStart + start) % count;
      stack.push([mid, start]);
      stack.push([start, mid]);
    } else dst.push(sx, sy);
  }
  // 2. split each slice at its farthest point from the chord until every point is within epsilon
  while (stack.length) {
    const [s0, s1] = stack.pop()!;
    const ex = X(s1);
    const ey = Y(s1);
    let p = s0;
    const sx = X(p);
    const sy = Y(p);
    p = (p + 1) % count;
    let leEps = true;
    let split = 0;
    if (p !== s1) {
      const dx = ex - sx;
      const dy = ey - sy;
      let maxDist = 0;
      while (p !== s1) {
        const d = Math.abs((Y(p) - sy) * dx - (X(p) - sx) * dy);
        p = (p + 1) % count;
        if (d > maxDist) {
          maxDist = d;
          split = (p + count - 1) % count;
        }
      }
      leEps = maxDist * maxDist <= eps * (dx * dx + dy * dy);
    }
    if (leEps) dst.push(sx, sy);
    else {
      stack.push([split, s1]);
      stack.push([s0, split]);
    }
  }
  if (!closed) dst.push(X(count - 1), Y(count - 1));
  // 3. clean-up: drop a vertex lying within epsilon/√2 of its neighbours' chord, between them
  closed = closed0;
  count = dst.length / 2;
  let newCount = count;
  const D = Int32Array.from(dst);
  let rp = closed ? count - 1 : 0;
  const read = (): [number, number] => {
    const v: [number, number] = [D[2 * rp]!, D[2 * rp + 1]!];
    if (++rp >= count) rp = 0;
    return v;
  };
  let start = read();
  let wpos = rp;
  let pt = read();
  const lo = closed ? 0 : 1;
  for (let i = lo; i < count - lo && newCount > 2; i++) {
    const end = read();
    const dx = end[0] - start[0];
    const dy = end[1] - start[1];
    const dist = Math.abs((pt[0] - start[0]) * dy - (pt[1] - start[1]) * dx);
    const inner = (pt[0] - start[0]) * (end[0] - pt[0]) + (pt[1] - start[1]) * (end[1] - pt[1]);
    if (dist * dist <= 0.5 * eps * (dx * dx + dy * dy) && dx !== 0 && dy !== 0 && inner >= 0) {
      newCount--;
      start = end;
      D[2 * wpos] = end[0];
      D[2 * wpos + 1] = end[1];
      if (++wpos >= count) wpos = 0;
      pt = read();
      i++;
      continue;
    }
    start = pt;
    D[2 * wpos] = pt[0];
    D[2 * wpos + 1] = pt[1];
    if (++wpos >= count) wpos = 0;
    pt = end;
  }
  if (!closed) {
    D[2 * wpos] = pt[0];
    D[2 * wpos + 1] = pt[1];
  }
  return D.slice(0, 2 * newCount);
}

/** Convex hull of integer points (Andrew's monotone chain), counter-clockwise in x-right/y-up terms, no collinear points. */
function convexHull(c: Contour): [number, number][] {
  const pts: [number, number][] = [];
  for (let i = 0; i < c.length; i += 2) pts.push([c[i]!, c[i + 1]!]);
  pts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: [number, number][] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

export interface MinAreaRect {
  cx: number;
  cy: number;
  /** side along (ux, uy), the hull edge the rectangle rests on */
  width: number;
  /** side along the normal (-uy, ux) */
  height: number;
  ux: number;
  uy: number;
  /** the 4 corners, in order around the rectangle */
  corners: [number, number][];
}

/**
 * The minimum-area enclosing rectangle of the points: one of its sides lies on an edge of the convex hull
 * (Freeman & Shapira), so every hull edge is tried (the first of equal areas kept). OpenCV's rotating
 * calipers find the same rectangle; its sides' order and angle convention (which side is `width`) are
 * not copied, so the parity test compares corners as a set, sides as a pair and the angle modulo 90°.
 */
export function minAreaRect(c: Contour): MinAreaRect {
  const hull = convexHull(c);
  if (hull.length === 1) {
    const [x, y] = hull[0]!;
    return { cx: x, cy: y, width: 0, height: 0, ux: 1, uy: 0, corners: [hull[0]!, hull[0]!, hull[0]!, hull[0]!] };
  }
  let best: {
    area: number;
    ux: number;
    uy: number;
    a0: number;
    a1: number;
    b0: number;
    b1: number;
    ox: number;
    oy: number;
  } | null = null;
  for (let i = 0; i < hull.length; i++) {
    const [ox, oy] = hull[i]!;
    const [qx, qy] = hull[(i + 1) % hull.length]!;
    const len = Math.hypot(qx - ox, qy - oy);
    const ux = (qx - ox) / len;
    const uy = (qy - oy) / len;
    let a0 = 0;
    let a1 = 0;
    let b0 = 0;
    let b1 = 0;
    for (const [x, y] of hull) {
      const a = (x - ox) * ux + (y - oy) * uy;
      const b = -(x - ox) * uy + (y - oy) * ux;
      if (a < a0) a0 = a;
      if (a > a1) a1 = a;
      if (b < b0) b0 = b;
      if (b > b1) b1 = b;
    }
    const area = (a1 - a0) * (b1 - b0);
    if (!best || area < best.area) best = { area, ux, uy, a0, a1, b0, b1, ox, oy };
  }
  const { ux, uy, a0, a1, b0, b1, ox, oy } = best!;
  const at = (a: number, b: number): [number, number] => [ox + a * ux - b * uy, oy + a * uy + b * ux];
  const corners = [at(a0, b0), at(a1, b0), at(a1, b1), at(a0, b1)];
  const [cx, cy] = at((a0 + a1) / 2, (b0 + b1) / 2);
  return { cx, cy, width: a1 - a0, height: b1 - b0, ux, uy, corners };
}
