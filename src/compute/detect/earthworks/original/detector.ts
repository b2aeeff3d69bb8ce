/**
 * The `original` set's geometric step (original-pipeline.md §3.6) over strips, for comparison with the
 * default detectors: the index scaled to 8 bits, then per window of rows
 *   circles:    3x3 Gaussian (σ 0.8) → Canny (30, 100) → HoughCircles (dp 1.2, minDist 2·r_min, 60, 45) on the
 *               edge image → validation: 0.4·edge strength on a 2-px ring + 0.3·size coherence + 0.3·circularity ≥ 0.7;
 *   lines:      Canny (50, 150) → HoughLinesP (1 px, 1°, 140, max(6, min_size/10) px, gap 2) → length ≥ min_size,
 *               confidence 0.6·min(1, length_m/150) + 0.4, not within 2° of the grid axes;
 *   rectangles: the same Canny (50, 150) → external contours (simple chain) → approxPolyDP at 2 % of the
 *               perimeter; a 4-vertex one with min_size² ≤ 100·area ≤ 500,000 m² → its minimum-area rectangle,
 *               confidence 0.7·min(1, area_m2/1000) + 0.3·min(1, 2/aspect) ≥ 0.5, not within 2° of the axes.
 * Every kernel is OpenCV's to the pixel (parity.test.ts). Deviations, so that it streams: the 8-bit scaling
 * uses a fixed range (`scale`, NDVI's -1..1) instead of the image's min/max; windows of `window_rows` rows
 * overlap by a halo (the largest radius, or half the diagonal of the largest rectangle, + 8 rows), a shape
 * belongs to the window holding its centre (a line: its midpoint), and a contour touching a window's cut
 * row is left to the window that holds it whole; circularity is the constant 0.9 (the reference measures
 * 0.88-0.93 on such rings). The original's bugs are not copied: circles become polygons, and the
 * post-filters (over-confident > 0.98 dropped) are not applied.
 */
import type { EarthworkCandidate, EarthworkDetector } from '../types.js';
import { circleOutline } from '../outline.js';
import { angleDeg } from '../shapes.js';
import { canny } from './canny.js';
import { findExternalContours } from './contours.js';
import { gaussianBlur3 } from './gaussian.js';
import { houghCircles } from './hough.circles.js';
import { houghLinesP } from './hough.lines.js';
import { approxPolyDP, arcLength, contourArea, minAreaRect, polygonCentroid } from './polygon.js';

/** the original's largest rectangle and circle area (m², hard-coded there) */
const MAX_AREA_M2 = 500_000;

export interface OriginalEarthworkParams {
  pixel_m: number;
  min_size_m: number;
  max_size_m: number;
  /** index values mapped to 0 and 255 */
  scale: [number, number];
  window_rows: number;
}

export const ORIGINAL_EARTHWORK_PARAMS: OriginalEarthworkParams = {
  pixel_m: 10,
  min_size_m: 50,
  max_size_m: 500,
  scale: [-1, 1],
  window_rows: 512,
};

export function createOriginalEarthworkDetector(input: Partial<OriginalEarthworkParams> = {}): EarthworkDetector {
  const p = { ...ORIGINAL_EARTHWORK_PARAMS, ...input };
  const rmin = Math.max(3, Math.trunc(p.min_size_m / (2 * p.pixel_m)));
  const rmaxCap = Math.trunc(p.max_size_m / (2 * p.pixel_m));
  // a rectangle of the largest area, square, reaches half its diagonal from its centroid
  const rectReach = Math.ceil(Math.sqrt(2 * MAX_AREA_M2) / (2 * p.pixel_m));
  const halo = Math.max(rmaxCap, rectReach) + 8;
  let width = 0;
  /** 8-bit rows from row bufY0 */
  let buf = new Uint8Array(0);
  let bufY0 = 0;
  let rows = 0;
  /** first row of the next window's core */
  let core = 0;
  const out: EarthworkCandidate[] = [];

  /** rows a..b-1 are the window's core; `last` is the newest row in, `final` when it is the raster's last */
  const runWindow = (a: number, b: number, last: number, final: boolean): void => {
    const w0 = Math.max(0, a - halo);
    const w1 = Math.min(last, b - 1 + halo);
    const h = w1 - w0 + 1;
    const img = buf.subarray((w0 - bufY0) * width, (w1 + 1 - bufY0) * width);
    const inCore = (y: number) => y >= a && y < b;
    // circles
    const rmax = Math.min(Math.trunc(h / 2), rmaxCap);
    const edges = canny(gaussianBlur3(img, width, h), width, h, 30, 100);
    for (const [cx, cy, r] of houghCircles(edges, width, h, 1.2, 2 * rmin, 60, 45, rmin, rmax)) {
      if (!inCore(cy + w0)) continue;
      const edge = ringMean(edges, width, h, cx, cy, r) / 255;
      const rm = r * p.pixel_m;
      const size = rm >= 60 ? Math.min(1, rm / 100) : 0.5;
      const significance = 0.4 * edge + 0.3 * size + 0.3 * 0.9;
      if (significance < 0.7 || Math.PI * rm * rm > MAX_AREA_M2) continue;
      out.push({
        shape: 'circle',
        detector: 'original_circles',
        confidence: significance,
        cx,
        cy: cy + w0,
        radius_m: rm,
        support: edge,
        points: circleOutline(cx, cy + w0, r, 32),
      });
    }
    // lines
    const minLen = Math.max(6, Math.trunc(p.min_size_m / p.pixel_m));
    const e2 = canny(img, width, h, 50, 150);
    for (const [x0, y0, x1, y1] of houghLinesP(e2, width, h, 1, Math.PI / 180, 140, minLen, 2)) {
      if (!inCore((y0 + y1) / 2 + w0)) continue;
      const len = Math.hypot(x1 - x0, y1 - y0);
      const lm = len * p.pixel_m;
      if (lm < p.min_size_m) continue;
      const conf = 0.6 * Math.min(1, lm / 150) + 0.4;
      const a = Math.abs((Math.atan2(y1 - y0, x1 - x0) * 180) / Math.PI) % 90;
      if (a < 2 || a > 88 || conf < 0.5) continue;
      out.push({
        shape: 'line',
        detector: 'original_lines',
        confidence: conf,
        cx: (x0 + x1) / 2,
        cy: (y0 + y1) / 2 + w0,
        length_m: lm,
        angle_deg: angleDeg((x1 - x0) / len, (y1 - y0) / len),
        support: 1,
        points: [
          [x0, y0 + w0],
          [x1, y1 + w0],
        ],
      });
    }
    // rectangles, on the lines' edges
    const cutTop = w0 > 0;
    const cutBottom = !(final && w1 === last);
    for (const contour of findExternalContours(e2, width, h)) {
      const peri = arcLength(contour, true);
      if (approxPolyDP(contour, 0.02 * peri, true).length !== 8) continue;
      const areaM2 = contourArea(contour) * p.pixel_m * p.pixel_m;
      if (areaM2 < p.min_size_m * p.min_size_m || areaM2 > MAX_AREA_M2) continue;
      const centroid = polygonCentroid(contour);
      if (!centroid || !inCore(centroid[1] + w0)) continue;
      let ymin = h;
      let ymax = -1;
      for (let k = 1; k < contour.length; k += 2) {
        ymin = Math.min(ymin, contour[k]!);
        ymax = Math.max(ymax, contour[k]!);
      }
      if ((cutTop && ymin === 0) || (cutBottom && ymax === h - 1)) continue;
      const r = minAreaRect(contour);
      const aspect = Math.max(r.width, r.height) / Math.min(r.width, r.height);
      const conf = 0.7 * Math.min(1, areaM2 / 1000) + 0.3 * Math.min(1, 2 / aspect);
      const a = ((((Math.atan2(r.uy, r.ux) * 180) / Math.PI) % 90) + 90) % 90;
      if (a < 2 || a > 88 || conf < 0.5) continue;
      const corners = r.corners.map(([x, y]): [number, number] => [x, y + w0]);
      out.push({
        shape: 'rectangle',
        detector: 'original_rectangles',
        confidence: conf,
        cx: centroid[0],
        cy: centroid[1] + w0,
        width_m: r.width * p.pixel_m,
        height_m: r.height * p.pixel_m,
        angle_deg: angleDeg(r.ux, r.uy),
        support: 1,
        points: [...corners, corners[0]!],
      });
    }
  };

  return {
    halo,
    push(strip, y0, height, w) {
      if (rows === 0) width = w;
      if (w !== width || y0 !== rows) throw new Error(`earthworks (original): strip ${y0}+${height}x${w} out of order`);
      const [lo, hi] = p.scale;
      const keepFrom = Math.max(bufY0, core - halo);
      const kept = rows - keepFrom;
      const nb = new Uint8Array((kept + height) * width);
      nb.set(buf.subarray((keepFrom - bufY0) * width));
      for (let i = 0; i < height * width; i++) {
        const v = strip[i]!;
        // truncation like numpy's astype(uint8) after scaling; no data → 0 (the original's NaN cast)
        nb[kept * width + i] = Number.isNaN(v)
          ? 0
          : Math.min(255, Math.max(0, Math.trunc(((v - lo) / (hi - lo)) * 255)));
      }
      buf = nb;
      bufY0 = keepFrom;
      rows = y0 + height;
      while (core + p.window_rows + halo <= rows) {
        runWindow(core, core + p.window_rows, rows - 1, false);
        core += p.window_rows;
      }
    },
    finish() {
      while (core < rows) {
        runWindow(core, Math.min(rows, core + p.window_rows), rows - 1, true);
        core += p.window_rows;
      }
      return out;
    },
  };
}

/** Mean of `img` over a 2-px-thick ring of radius r (pixels whose centre is within r ± 1). */
function ringMean(img: Uint8Array, w: number, h: number, cx: number, cy: number, r: number): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.max(0, Math.floor(cy - r - 1)); y <= Math.min(h - 1, Math.ceil(cy + r + 1)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r - 1)); x <= Math.min(w - 1, Math.ceil(cx + r + 1)); x++) {
      if (Math.abs(Math.hypot(x - cx, y - cy) - r) <= 1) {
        sum += img[y * w + x]!;
        n++;
      }
    }
  }
  return n ? sum / n : 0;
}
