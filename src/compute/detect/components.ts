/**
 * Connected components of a bit mask, row by row: each row's runs of set pixels are joined to the runs
 * of the row above that touch them (4-connectivity: sharing an edge; 8: also a corner), with union-find
 * over labels. Statistics are accumulated per run, so one pass gives every component's area, bounding
 * box, centroid and the sums of any per-pixel values. A component is reported as soon as a row arrives
 * that does not continue it, which lets scan release the rows it used; nothing per component looks
 * beyond its own runs.
 */

export interface Component {
  /** Pixels. */
  area: number;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
  /** Sum of pixel column and row indices (the centroid of pixel centres is sum/area + 0.5). */
  sumX: number;
  sumY: number;
  /** The component's first pixel in raster order (a seed for tracing it again). */
  seedX: number;
  seedY: number;
  /** Per value: the sum and the count of finite values over the component's pixels. */
  sums: Float64Array;
  counts: Float64Array;
}

/** Adds the values of pixels [x0, x1) of row y into sums/counts at `at` (one slot per value). */
export type RunValues = (
  y: number,
  x0: number,
  x1: number,
  sums: Float64Array,
  counts: Float64Array,
  at: number,
) => void;

/** Index of the lowest set bit of a non-zero word. */
function ctz(v: number): number {
  return 31 - Math.clz32(v & -v);
}

/** Runs of set bits in a bit row: pairs [x0, x1) written to `out`; returns the number of runs. */
export function rowRuns(row: Uint32Array, width: number, out: Int32Array): number {
  const words = row.length;
  let n = 0;
  let x = 0;
  while (x < width) {
    // next set bit at or after x
    let j = x >>> 5;
    let w = row[j]! & (-1 << (x & 31));
    while (w === 0) {
      if (++j >= words) return n >> 1;
      w = row[j]!;
    }
    const start = (j << 5) + ctz(w);
    if (start >= width) break;
    // next clear bit after start
    let c = ~row[j]! & (-1 << (start & 31));
    while (c === 0) {
      if (++j >= words) break;
      c = ~row[j]!;
    }
    const end = c === 0 ? width : Math.min(width, (j << 5) + ctz(c));
    out[n++] = start;
    out[n++] = end;
    x = end;
  }
  return n >> 1;
}

export class RunLabeler {
  private parent = new Int32Array(1024);
  private stats = new Float64Array(1024 * 10);
  private sums: Float64Array;
  private counts: Float64Array;
  private labels = 0;
  private done = new Uint8Array(1024);
  private prev = { runs: new Int32Array(0), labels: new Int32Array(0), n: 0 };
  private cur = { runs: new Int32Array(0), labels: new Int32Array(0), n: 0 };
  private lastY = -1;

  constructor(
    readonly width: number,
    readonly connectivity: 4 | 8,
    /** Values summed per component (indices). */
    readonly nValues: number,
    private readonly onComplete: (c: Component) => void,
  ) {
    this.sums = new Float64Array(1024 * nValues);
    this.counts = new Float64Array(1024 * nValues);
    const cap = (width >> 1) * 2 + 2;
    for (const r of [this.prev, this.cur]) {
      r.runs = new Int32Array(cap);
      r.labels = new Int32Array(cap >> 1);
    }
  }

  private find(a: number): number {
    const p = this.parent;
    while (p[a] !== a) {
      p[a] = p[p[a]!]!;
      a = p[a]!;
    }
    return a;
  }

  private newLabel(y: number, x: number): number {
    const l = this.labels++;
    if (l >= this.parent.length) this.grow();
    this.parent[l] = l;
    const s = l * 10;
    this.stats.fill(0, s, s + 10);
    this.stats[s + 1] = Infinity; // minX
    this.stats[s + 2] = -Infinity; // maxX
    this.stats[s + 3] = y; // minY
    this.stats[s + 4] = y; // maxY
    this.stats[s + 7] = x; // seedX
    this.stats[s + 8] = y; // seedY
    this.sums.fill(0, l * this.nValues, (l + 1) * this.nValues);
    this.counts.fill(0, l * this.nValues, (l + 1) * this.nValues);
    return l;
  }

  private grow(): void {
    const cap = this.parent.length * 2;
    const g = <T extends Int32Array | Float64Array | Uint8Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.parent = g(this.parent, cap);
    this.done = g(this.done, cap);
    this.stats = g(this.stats, cap * 10);
    this.sums = g(this.sums, cap * this.nValues);
    this.counts = g(this.counts, cap * this.nValues);
  }

  /** Joins two labels; the lower label survives and takes the other's statistics. */
  private union(a: number, b: number): number {
    a = this.find(a);
    b = this.find(b);
    if (a === b) return a;
    if (b < a) [a, b] = [b, a];
    this.parent[b] = a;
    const s = this.stats;
    const A = a * 10;
    const B = b * 10;
    s[A] = s[A]! + s[B]!; // area
    s[A + 1] = Math.min(s[A + 1]!, s[B + 1]!);
    s[A + 2] = Math.max(s[A + 2]!, s[B + 2]!);
    s[A + 3] = Math.min(s[A + 3]!, s[B + 3]!);
    s[A + 4] = Math.max(s[A + 4]!, s[B + 4]!);
    s[A + 5] = s[A + 5]! + s[B + 5]!; // sumX
    s[A + 6] = s[A + 6]! + s[B + 6]!; // sumY
    if (s[B + 8]! < s[A + 8]! || (s[B + 8] === s[A + 8] && s[B + 7]! < s[A + 7]!)) {
      s[A + 7] = s[B + 7]!;
      s[A + 8] = s[B + 8]!;
    }
    const M = this.nValues;
    for (let k = 0; k < M; k++) {
      this.sums[a * M + k] = this.sums[a * M + k]! + this.sums[b * M + k]!;
      this.counts[a * M + k] = this.counts[a * M + k]! + this.counts[b * M + k]!;
    }
    return a;
  }

  /** Adds row y (rows must come in order, one call per row, starting at any row). */
  pushRow(y: number, row: Uint32Array, values?: RunValues): void {
    if (y !== this.lastY + 1 && this.lastY >= 0) throw new Error(`RunLabeler: row ${y} after row ${this.lastY}`);
    this.lastY = y;
    [this.prev, this.cur] = [this.cur, this.prev];
    const cur = this.cur;
    const prev = this.prev;
    cur.n = rowRuns(row, this.width, cur.runs);
    const c = this.connectivity === 8 ? 1 : 0;
    const M = this.nValues;
    let p = 0;
    for (let i = 0; i < cur.n; i++) {
      const x0 = cur.runs[2 * i]!;
      const x1 = cur.runs[2 * i + 1]!;
      let label = -1;
      // Previous-row runs that end before this one starts (minus the diagonal) can be skipped for good.
      while (p < prev.n && prev.runs[2 * p + 1]! + c <= x0) p++;
      for (let q = p; q < prev.n && prev.runs[2 * q]! < x1 + c; q++) {
        label = label < 0 ? this.find(prev.labels[q]!) : this.union(label, prev.labels[q]!);
      }
      if (label < 0) label = this.newLabel(y, x0);
      cur.labels[i] = label;
      const s = this.stats;
      const L = label * 10;
      const len = x1 - x0;
      s[L] = s[L]! + len;
      s[L + 1] = Math.min(s[L + 1]!, x0);
      s[L + 2] = Math.max(s[L + 2]!, x1 - 1);
      s[L + 3] = Math.min(s[L + 3]!, y);
      s[L + 4] = Math.max(s[L + 4]!, y);
      s[L + 5] = s[L + 5]! + (len * (x0 + x1 - 1)) / 2;
      s[L + 6] = s[L + 6]! + len * y;
      if (values && M > 0) values(y, x0, x1, this.sums, this.counts, label * M);
    }
    // Components of the previous row that no run of this row continues are complete.
    const alive = new Set<number>();
    for (let i = 0; i < cur.n; i++) alive.add(this.find(cur.labels[i]!));
    for (let q = 0; q < prev.n; q++) {
      const r = this.find(prev.labels[q]!);
      if (!alive.has(r)) this.complete(r);
    }
  }

  /**
   * The topmost row of the components still open (continued by the last row pushed) whose area is at
   * most `maxArea` pixels (a larger one can only grow); Infinity if none.
   */
  openMinY(maxArea = Infinity): number {
    let m = Infinity;
    for (let i = 0; i < this.cur.n; i++) {
      const r = this.find(this.cur.labels[i]!) * 10;
      if (this.stats[r]! <= maxArea) m = Math.min(m, this.stats[r + 3]!);
    }
    return m;
  }

  /** Reports every component still open (after the last row). */
  finish(): void {
    for (let i = 0; i < this.cur.n; i++) this.complete(this.find(this.cur.labels[i]!));
    this.cur.n = 0;
  }

  private complete(r: number): void {
    if (this.done[r]) return;
    this.done[r] = 1;
    const s = this.stats;
    const R = r * 10;
    const M = this.nValues;
    this.onComplete({
      area: s[R]!,
      minX: s[R + 1]!,
      maxX: s[R + 2]!,
      minY: s[R + 3]!,
      maxY: s[R + 4]!,
      sumX: s[R + 5]!,
      sumY: s[R + 6]!,
      seedX: s[R + 7]!,
      seedY: s[R + 8]!,
      sums: this.sums.slice(r * M, (r + 1) * M),
      counts: this.counts.slice(r * M, (r + 1) * M),
    });
  }
}

/** Components of a whole mask (for tests and small rasters). */
export function labelAll(
  mask: { width: number; height: number; row(y: number): Uint32Array },
  connectivity: 4 | 8,
): Component[] {
  const out: Component[] = [];
  const l = new RunLabeler(mask.width, connectivity, 0, (c) => out.push(c));
  for (let y = 0; y < mask.height; y++) l.pushRow(y, mask.row(y));
  l.finish();
  return out.sort((a, b) => a.seedY - b.seedY || a.seedX - b.seedX);
}
