/**
 * Overview levels of a GeoTIFF and the row kernels that make them, defined as GDAL's `gdaladdo` makes
 * them (GDAL 3.6): level k has ceil(size / 2^k) pixels a side and is computed from level k − 1 (GDAL's
 * cascading generation for `-r average`). A destination pixel x of a level covers source pixels
 * [x·r, (x+1)·r) with r = source size / destination size (exactly 2 for an even source size; slightly
 * less for an odd one, so windows then straddle pixels); `average` weights each source pixel by the part
 * of it inside the window and skips NaN (nodata), NaN when nothing valid is left; `mode` (masks) takes
 * the most frequent valid value among the pixels the window touches (ties: the value that reached the
 * count first, as GDAL counts), nodata when all are nodata. Sums are in float64, rounded once to float32, as GDAL does.
 */

export type OverviewMethod = 'average' | 'mode';

export interface LevelSize {
  width: number;
  height: number;
}

/**
 * GDAL's COG rule for the levels: halve until the level fits in one tile (both sides ≤ the tile size).
 * Level 0 (full resolution) first; a raster that fits in one tile has no overviews.
 */
export function overviewSizes(width: number, height: number, tileSize: number): LevelSize[] {
  const sizes: LevelSize[] = [{ width, height }];
  let f = 1;
  while (Math.ceil(width / f) > tileSize || Math.ceil(height / f) > tileSize) {
    f *= 2;
    sizes.push({ width: Math.ceil(width / f), height: Math.ceil(height / f) });
  }
  return sizes;
}

/** One destination index's source window: first pixel, one past the last, and each pixel's weight. */
export interface Window {
  first: number;
  end: number;
  weights: Float64Array;
}

/** The source windows of every destination pixel along one axis (GDAL's fractional coverage). */
export function axisWindows(src: number, dst: number): Window[] {
  const r = src / dst;
  return Array.from({ length: dst }, (_, x) => {
    const lo = x * r;
    const hi = Math.min((x + 1) * r, src);
    const first = Math.floor(lo + 1e-8);
    const end = Math.max(first + 1, Math.min(src, Math.ceil(hi - 1e-8)));
    const weights = new Float64Array(end - first);
    for (let i = first; i < end; i++) weights[i - first] = Math.min(i + 1, hi) - Math.max(i, lo);
    return { first, end, weights };
  });
}

/**
 * One destination row of a float32 level from its source rows (`rows[j]` is source row window.first + j,
 * `srcWidth` samples): weighted mean of the valid samples, NaN when none.
 */
export function averageRow(
  rows: readonly Float32Array[],
  rowWeights: Float64Array,
  cols: readonly Window[],
  out: Float32Array,
  exact2: boolean,
): void {
  if (exact2 && rows.length === 2) {
    // Even source width and height: 2 x 2 blocks of equal weight (the common case, kept fast).
    const a = rows[0]!;
    const b = rows[1]!;
    for (let x = 0; x < out.length; x++) {
      const i = 2 * x;
      let sum = 0;
      let n = 0;
      // Unrolled: no array per pixel in the hot loop.
      let v = a[i]!;
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
      v = a[i + 1]!;
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
      v = b[i]!;
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
      v = b[i + 1]!;
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
      out[x] = n ? sum / n : NaN;
    }
    return;
  }
  for (let x = 0; x < out.length; x++) {
    const c = cols[x]!;
    let sum = 0;
    let weight = 0;
    for (let j = 0; j < rows.length; j++) {
      const row = rows[j]!;
      const wy = rowWeights[j]!;
      for (let i = c.first; i < c.end; i++) {
        const v = row[i]!;
        if (Number.isNaN(v)) continue;
        const w = wy * c.weights[i - c.first]!;
        sum += w * v;
        weight += w;
      }
    }
    out[x] = weight > 0 ? sum / weight : NaN;
  }
}

/**
 * One destination row of a uint8 mask level: the mode of the valid values the window touches, as GDAL
 * counts it (row by row, left to right: the first value whose count exceeds every count before it wins,
 * so of two values tied, the one that reached the tie first).
 */
export function modeRow(
  rows: readonly Uint8Array[],
  cols: readonly Window[],
  out: Uint8Array,
  nodata: number,
  exact2 = false,
): void {
  const counts = new Uint16Array(256);
  if (exact2 && rows.length === 2) {
    // Even source width and height: 2 x 2 windows, in GDAL's order (the mask's common case, kept fast).
    const a = rows[0]!;
    const b = rows[1]!;
    for (let x = 0; x < out.length; x++) {
      const i = 2 * x;
      const v0 = a[i]!;
      const v1 = a[i + 1]!;
      const v2 = b[i]!;
      const v3 = b[i + 1]!;
      if (v0 === v1 && v0 === v2 && v0 === v3) {
        // One value under the window (most of a mask): it is the mode, or nodata when it is nodata.
        out[x] = v0;
        continue;
      }
      let best = nodata;
      let most = 0;
      let n = 0;
      if (v0 !== nodata) {
        n = ++counts[v0]!;
        if (n > most) {
          most = n;
          best = v0;
        }
      }
      if (v1 !== nodata) {
        n = ++counts[v1]!;
        if (n > most) {
          most = n;
          best = v1;
        }
      }
      if (v2 !== nodata) {
        n = ++counts[v2]!;
        if (n > most) {
          most = n;
          best = v2;
        }
      }
      if (v3 !== nodata) {
        n = ++counts[v3]!;
        if (n > most) {
          most = n;
          best = v3;
        }
      }
      counts[v0] = 0;
      counts[v1] = 0;
      counts[v2] = 0;
      counts[v3] = 0;
      out[x] = best;
    }
    return;
  }
  for (let x = 0; x < out.length; x++) {
    const c = cols[x]!;
    let best = nodata;
    let most = 0;
    for (const row of rows) {
      for (let i = c.first; i < c.end; i++) {
        const v = row[i]!;
        if (v === nodata) continue;
        const n = ++counts[v]!;
        if (n > most) {
          most = n;
          best = v;
        }
      }
    }
    // Reset only what this window touched (at most 3 x 3 pixels).
    for (const row of rows) for (let i = c.first; i < c.end; i++) counts[row[i]!] = 0;
    out[x] = best;
  }
}
