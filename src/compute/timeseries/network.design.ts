/**
 * The design matrices of a network of interferograms, MintPy's, in float32 as it builds them
 * (get_design_matrix4timeseries; reference/mintpy.md §4.2): A (−1/+1 at a pair's dates, the reference
 * date's column removed) and B (the pair's span of date intervals, each its length in years). Both are
 * sparse — a pair touches only its own dates or the intervals between them — and are kept as sparse rows.
 */
import { Matrix } from 'ml-matrix';

export interface SparseRow {
  cols: Int32Array;
  vals: Float64Array;
}

export interface NetworkDesign {
  /** Dates of the kept pairs, sorted. */
  dates: string[];
  /** Each kept pair's date indices (into `dates`), in file order. */
  pairs: { i1: number; i2: number }[];
  /** Years since the first date, float32 (days / 365.25). */
  tbase: Float32Array;
  /** tbase[k + 1] − tbase[k], float32. */
  tbaseDiff: Float32Array;
  /** The date whose column A lacks (the first date, or the common reference of a single-reference network). */
  refIndex: number;
  /** Rows of A and B. */
  rowsA: SparseRow[];
  rowsB: SparseRow[];
  /** Unknowns per pixel: dates − 1. */
  unknowns: number;
}

function days(date: string): number {
  const d = date.slice(0, 8);
  const t = Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)));
  const hm = date.length > 9 ? Number(date.slice(9, 11)) * 3600 + Number(date.slice(11, 13)) * 60 : 0;
  return t / 86400000 + hm / 86400;
}

/** MintPy's get_design_matrix4timeseries for the kept pairs [date1, date2] (ifgramStack objects/stack.py). */
export function networkDesign(pairs: readonly [string, string][]): NetworkDesign {
  const dates = [...new Set(pairs.flat())].sort();
  const index = new Map(dates.map((d, i) => [d, i]));
  const t0 = days(dates[0]!);
  const tbase = Float32Array.from(dates, (d) => Math.fround(Math.fround(days(d) - t0) / 365.25));
  const tbaseDiff = Float32Array.from({ length: dates.length - 1 }, (_, k) => Math.fround(tbase[k + 1]! - tbase[k]!));
  const firsts = new Set(pairs.map((p) => p[0]));
  const refIndex = firsts.size === 1 ? index.get(pairs[0]![0])! : 0;
  const colA = (i: number): number => (i < refIndex ? i : i - 1);
  const idx = pairs.map(([a, b]) => ({ i1: index.get(a)!, i2: index.get(b)! }));
  const rowsA = idx.map(({ i1, i2 }) => {
    const entries: [number, number][] = [];
    if (i1 !== refIndex) entries.push([colA(i1), -1]);
    if (i2 !== refIndex) entries.push([colA(i2), 1]);
    entries.sort((x, y) => x[0] - y[0]);
    return { cols: Int32Array.from(entries, (e) => e[0]), vals: Float64Array.from(entries, (e) => e[1]) };
  });
  const rowsB = idx.map(({ i1, i2 }) => {
    const lo = Math.min(i1, i2);
    const hi = Math.max(i1, i2);
    const sign = i1 < i2 ? 1 : -1;
    const cols = Int32Array.from({ length: hi - lo }, (_, k) => lo + k);
    const vals = Float64Array.from(cols, (k) => sign * tbaseDiff[k]!);
    return { cols, vals };
  });
  return { dates, pairs: idx, tbase, tbaseDiff, refIndex, rowsA, rowsB, unknowns: dates.length - 1 };
}

/** Sparse rows as a dense matrix (rows x p), each row multiplied by its scale when given. */
export function denseRows(rows: readonly SparseRow[], p: number, scales?: readonly number[]): Matrix {
  const g = new Matrix(rows.length, p);
  rows.forEach(({ cols, vals }, k) => {
    const w = scales ? scales[k]! : 1;
    for (let a = 0; a < cols.length; a++) g.set(k, cols[a]!, vals[a]! * w);
  });
  return g;
}
