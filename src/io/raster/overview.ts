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
    const first = c.first;
    const cw = c.weights;
    let sum = 0;
    let weight = 0;
    if (c.end - first === 3) {
      // Three columns (an odd source's windows, mostly): unrolled, the same operations in the same order.
      const c0 = cw[0]!;
      const c1 = cw[1]!;
      const c2 = cw[2]!;
      for (let j = 0; j < rows.length; j++) {
        const row = rows[j]!;
        const wy = rowWeights[j]!;
        let v = row[first]!;
        let w = 0;
        if (!Number.isNaN(v)) {
          w = wy * c0;
          sum += w * v;
          weight += w;
        }
        v = row[first + 1]!;
        if (!Number.isNaN(v)) {
          w = wy * c1;
          sum += w * v;
          weight += w;
        }
        v = row[first + 2]!;
        if (!Number.isNaN(v)) {
          w = wy * c2;
          sum += w * v;
          weight += w;
        }
      }
    } else {
      for (let j = 0; j < rows.length; j++) {
        const row = rows[j]!;
        const wy = rowWeights[j]!;
        for (let i = first; i < c.end; i++) {
          const v = row[i]!;
          if (Number.isNaN(v)) continue;
          const w = wy * cw[i - first]!;
          sum += w * v;
          weight += w;
        }
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
    modeRow2x2(rows[0]!, rows[1]!, out, nodata, counts);
    return;
  }
  for (let x = 0; x < out.length; x++) {
    const c = cols[x]!;
    // One value under the window (most of a mask): it is the mode, or nodata when it is nodata.
    const first = rows[0]![c.first]!;
    let one = true;
    for (let j = 0; j < rows.length && one; j++) {
      const row = rows[j]!;
      for (let i = c.first; i < c.end; i++) {
        if (row[i] !== first) {
          one = false;
          break;
        }
      }
    }
    if (one) {
      out[x] = first;
      continue;
    }
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

/**
 * The 2 x 2 windows of a mask (even source width and height, the common case), in GDAL's order: a[2x],
 * a[2x+1], b[2x], b[2x+1]. Masks hold few values (0, 1 and nodata: compute/morphology.ts classBytes),
 * so a window of those is looked up (`MaskModes`); two windows of one value (most of a mask)
 * are found with one 32-bit comparison a row where the rows allow it; any other window is counted.
 */
function modeRow2x2(a: Uint8Array, b: Uint8Array, out: Uint8Array, nodata: number, counts: Uint16Array): void {
  const { code, mode } = maskModes(nodata);
  let x = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && out.byteOffset % 2 === 0) {
    // Two windows at a time: a's and b's 4 bytes equal, and all one value, make two outputs of it.
    const pairs = out.length >> 1;
    const a32 = new Uint32Array(a.buffer, a.byteOffset, pairs);
    const b32 = new Uint32Array(b.buffer, b.byteOffset, pairs);
    const o16 = new Uint16Array(out.buffer, out.byteOffset, pairs);
    for (let k = 0; k < pairs; k++) {
      const v = a32[k]!;
      if (v === b32[k]! && v === Math.imul(v & 0xff, 0x01010101) >>> 0) {
        o16[k] = v; // its low two bytes: the value twice
        continue;
      }
      out[2 * k] = window2x2(a, b, 2 * k, code, mode, nodata, counts);
      out[2 * k + 1] = window2x2(a, b, 2 * k + 1, code, mode, nodata, counts);
    }
    x = 2 * pairs;
  }
  for (; x < out.length; x++) out[x] = window2x2(a, b, x, code, mode, nodata, counts);
}

/** The mode of window x of modeRow2x2: looked up when its four values are coded, else counted. */
function window2x2(
  a: Uint8Array,
  b: Uint8Array,
  x: number,
  code: Uint8Array,
  mode: Int16Array,
  nodata: number,
  counts: Uint16Array,
): number {
  const i = 2 * x;
  const v0 = a[i]!;
  const v1 = a[i + 1]!;
  const v2 = b[i]!;
  const v3 = b[i + 1]!;
  const known = mode[code[v0]! | (code[v1]! << 2) | (code[v2]! << 4) | (code[v3]! << 6)]!;
  if (known >= 0) return known;
  if (v0 === v1 && v0 === v2 && v0 === v3) return v0; // one value: the mode, or nodata when it is nodata
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
  return best;
}

/**
 * The modes of every 2 x 2 window of a mask's values 0, 1 and `nodata`: `code` numbers those values
 * 0, 1, 2 (fewer when nodata is 0 or 1) and every other value 3; `mode` gives, for the four codes of a
 * window (2 bits each, in GDAL's order from the low bits), its mode by the general rule (modeRow over
 * that one window), or -1 when a code is 3 (the window is then counted).
 */
interface MaskModes {
  code: Uint8Array;
  mode: Int16Array;
}

const maskModesByNodata = new Map<number, MaskModes>();

function maskModes(nodata: number): MaskModes {
  let m = maskModesByNodata.get(nodata);
  if (m) return m;
  const values = [...new Set([0, 1, nodata])];
  const code = new Uint8Array(256).fill(3);
  values.forEach((v, i) => {
    code[v] = i;
  });
  const mode = new Int16Array(256).fill(-1);
  const window = axisWindows(2, 1);
  const out = new Uint8Array(1);
  for (let key = 0; key < 256; key++) {
    const c = [key & 3, (key >> 2) & 3, (key >> 4) & 3, key >> 6];
    if (c.some((k) => k >= values.length)) continue;
    const v = c.map((k) => values[k]!);
    modeRow([Uint8Array.of(v[0]!, v[1]!), Uint8Array.of(v[2]!, v[3]!)], window, out, nodata);
    mode[key] = out[0]!;
  }
  m = { code, mode };
  maskModesByNodata.set(nodata, m);
  return m;
}
