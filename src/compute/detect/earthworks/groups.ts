/**
 * Line points linked into groups: points within 2 px (Chebyshev) of each other share a group, so a ditch
 * with one-pixel gaps stays one group. Union-find over the row-ordered points; each point looks back at
 * the two rows above and the two points before it in its row.
 */
import type { LinePoints } from './points.js';

/** The groups' point indices (groups of at least `minPoints` points only). */
export function linkPoints(pts: LinePoints, minPoints: number): number[][] {
  const n = pts.count;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i]! !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  for (let i = 0; i < n; i++) {
    const x = pts.x[i]!;
    const y = pts.y[i]!;
    pts.forEachNear(x, y - 1, 2, 1, (j) => {
      if (j < i) union(i, j);
    });
    pts.forEachNear(x, y, 2, 0, (j) => {
      if (j < i) union(i, j);
    });
  }
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    let g = byRoot.get(r);
    if (!g) {
      g = [];
      byRoot.set(r, g);
    }
    g.push(i);
  }
  return [...byRoot.values()].filter((g) => g.length >= minPoints);
}
