/** Pixel-space outlines of candidates, and the evidence test they share (a line point within 1.5 px). */
import type { LinePoints } from './points.js';

/** A closed circle outline with `n` vertices (the first repeated last). */
export function circleOutline(cx: number, cy: number, r: number, n = 64): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k <= n; k++) {
    const a = ((k % n) / n) * 2 * Math.PI;
    out.push([cx + r * Math.cos(a), cy + r * Math.sin(a)]);
  }
  return out;
}

/** Whether a line point lies within 1.5 px of (x, y) (the 3x3 pixels around its nearest pixel). */
export function hasPointNear(pts: LinePoints, x: number, y: number): boolean {
  let found = false;
  const rx = Math.round(x);
  const ry = Math.round(y);
  pts.forEachNear(rx, ry, 1, 1, () => {
    found = true;
  });
  return found;
}

/** Fraction of 1-px steps along the polyline `path` (closed or open as given) with a line point near. */
export function pathSupport(pts: LinePoints, path: [number, number][]): number {
  let hit = 0;
  let total = 0;
  for (let k = 0; k + 1 < path.length; k++) {
    const [x0, y0] = path[k]!;
    const [x1, y1] = path[k + 1]!;
    const n = Math.max(1, Math.round(Math.hypot(x1 - x0, y1 - y0)));
    for (let s = 0; s < n; s++) {
      total++;
      if (hasPointNear(pts, x0 + ((x1 - x0) * s) / n, y0 + ((y1 - y0) * s) / n)) hit++;
    }
  }
  return total ? hit / total : 0;
}

/** Mean line response of the points within 1.5 px of `path`'s steps (the contrast a confidence weighs). */
export function pathContrast(pts: LinePoints, path: [number, number][]): number {
  let sum = 0;
  let n = 0;
  for (let k = 0; k + 1 < path.length; k++) {
    const [x0, y0] = path[k]!;
    const [x1, y1] = path[k + 1]!;
    const steps = Math.max(1, Math.round(Math.hypot(x1 - x0, y1 - y0)));
    for (let s = 0; s < steps; s++) {
      let best = 0;
      pts.forEachNear(Math.round(x0 + ((x1 - x0) * s) / steps), Math.round(y0 + ((y1 - y0) * s) / steps), 1, 1, (i) => {
        if (pts.value[i]! > best) best = pts.value[i]!;
      });
      if (best > 0) {
        sum += best;
        n++;
      }
    }
  }
  return n ? sum / n : 0;
}

/** The confidence every geometric detector uses: support, damped when the line is faint. */
export function confidenceOf(support: number, contrast: number, lineMin: number): number {
  return Math.min(1, support * Math.min(1, contrast / (2 * lineMin)));
}
