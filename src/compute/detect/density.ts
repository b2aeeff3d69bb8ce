/**
 * Density limit (product.md): candidates closer than `cluster_m` (centroid to centroid, chained as
 * single linkage, like DBSCAN with one sample) form a cluster; the most confident of each cluster is
 * kept, then the `limit` most confident of those. Neighbours are found through a grid of cluster_m
 * cells, so the cost grows with the number of candidates, not with the image.
 */

export interface Placed {
  x: number;
  y: number;
  confidence: number;
  /** Tie-break when confidences are equal: larger first. */
  area: number;
}

/** Indices of the candidates kept, in decreasing confidence. */
export function densityFilter(items: readonly Placed[], clusterM: number, limit: number): number[] {
  const n = items.length;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]!]!;
    return a;
  };
  if (clusterM > 0) {
    const cell = new Map<string, number[]>();
    const key = (cx: number, cy: number): string => `${cx},${cy}`;
    items.forEach((it, i) => {
      const cx = Math.floor(it.x / clusterM);
      const cy = Math.floor(it.y / clusterM);
      for (let dx = -1; dx <= 1; dx++) {
        for (let dy = -1; dy <= 1; dy++) {
          for (const j of cell.get(key(cx + dx, cy + dy)) ?? []) {
            const o = items[j]!;
            if (Math.hypot(o.x - it.x, o.y - it.y) <= clusterM) parent[find(i)] = find(j);
          }
        }
      }
      const k = key(cx, cy);
      cell.set(k, [...(cell.get(k) ?? []), i]);
    });
  }
  const better = (a: number, b: number): boolean =>
    items[a]!.confidence > items[b]!.confidence ||
    (items[a]!.confidence === items[b]!.confidence &&
      (items[a]!.area > items[b]!.area || (items[a]!.area === items[b]!.area && a < b)));
  const best = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    const cur = best.get(r);
    if (cur === undefined || better(i, cur)) best.set(r, i);
  }
  return [...best.values()].sort((a, b) => (better(a, b) ? -1 : 1)).slice(0, Math.max(0, limit));
}
