/**
 * Hough gradient circles as OpenCV computes them (cv::HoughCircles, HOUGH_GRADIENT), for the `original` set
 * and its parity test: Sobel + Canny (param1, param1/2) edges; each edge pixel votes along its gradient,
 * both ways, radii minRadius..maxRadius, in a 1/dp accumulator (10-bit fixed-point steps); centres are
 * accumulator cells above `accThreshold` and greater than their left/upper and not less than their
 * right/lower neighbours, ordered by votes; each centre's radius is the 1/10-dp-binned distance band
 * (one dp wide) of edge pixels with the best count per radius; circles with more than `accThreshold`
 * pixels in it, ordered by that count, and closer than minDist to a stronger one dropped.
 * Centres are reported like OpenCV's, at (cell + 0.5)·dp of the bordered accumulator.
 */
import { cannyFromGradients, sobel3 } from './canny.js';
import { cvRound } from './round.js';

export type Circle = [number, number, number];

export function houghCircles(
  img: Uint8Array,
  width: number,
  height: number,
  dpIn: number,
  minDist: number,
  param1: number,
  param2: number,
  minRadiusIn: number,
  maxRadiusIn: number,
): Circle[] {
  const f = Math.fround;
  const canny = cvRound(param1);
  const accThreshold = cvRound(param2);
  const minRadius = Math.max(0, minRadiusIn);
  let maxRadius = maxRadiusIn;
  if (maxRadius <= 0) maxRadius = Math.max(width, height);
  else if (maxRadius <= minRadius) maxRadius = minRadius + 2;
  const dp = Math.max(f(dpIn), 1);
  const idp = f(1 / dp);
  const { dx, dy } = sobel3(img, width, height);
  const edges = cannyFromGradients(dx, dy, width, height, Math.max(1, Math.trunc(canny / 2)), canny, false);
  const acols = Math.ceil(f(width * idp));
  const arows = Math.ceil(f(height * idp));
  const astep = acols + 2;
  const accum = new Int32Array((arows + 2) * astep);
  const nz: [number, number][] = [];
  const ONE = 1024;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!edges[i]) continue;
      const vx = dx[i]!;
      const vy = dy[i]!;
      if (vx === 0 && vy === 0) continue;
      const mag = f(Math.sqrt(f(f(vx * vx) + f(vy * vy))));
      if (mag < 1) continue;
      nz.push([x, y]);
      let sx = cvRound(f(f(f(vx * idp) * ONE) / mag));
      let sy = cvRound(f(f(f(vy * idp) * ONE) / mag));
      const x0 = cvRound(f(f(x * idp) * ONE));
      const y0 = cvRound(f(f(y * idp) * ONE));
      for (let k = 0; k < 2; k++) {
        let x1 = x0 + minRadius * sx;
        let y1 = y0 + minRadius * sy;
        for (let r = minRadius; r <= maxRadius; x1 += sx, y1 += sy, r++) {
          const x2 = x1 >> 10;
          const y2 = y1 >> 10;
          if (x2 < 0 || x2 >= acols || y2 < 0 || y2 >= arows) break;
          accum[y2 * astep + x2]!++;
        }
        sx = -sx;
        sy = -sy;
      }
    }
  }
  if (!nz.length) return [];
  const centers: number[] = [];
  for (let y = 1; y < arows + 1; y++) {
    for (let x = 1; x < astep - 1; x++) {
      const b = y * astep + x;
      const v = accum[b]!;
      if (
        v > accThreshold &&
        v > accum[b - 1]! &&
        v >= accum[b + 1]! &&
        v > accum[b - astep]! &&
        v >= accum[b + astep]!
      ) {
        centers.push(b);
      }
    }
  }
  centers.sort((l, r) => accum[r]! - accum[l]! || l - r);
  const nBinsPerDr = 10;
  const nBins = cvRound(f(f((maxRadius - minRadius) / dp) * nBinsPerDr));
  const minR2 = f(minRadius * minRadius);
  const maxR2 = f(maxRadius * maxRadius);
  const est: { c: Circle; count: number }[] = [];
  for (const ofs of centers) {
    const y = Math.trunc(ofs / astep);
    const x = ofs - y * astep;
    const cx = f(f(x + 0.5) * dp);
    const cy = f(f(y + 0.5) * dp);
    const bins = new Int32Array(nBins);
    let any = false;
    // only the edge pixels in rows cy ± maxRadius can fall in the shell (nz is in row order)
    const from = firstRow(nz, Math.floor(cy - maxRadius - 1));
    for (let k = from; k < nz.length; k++) {
      const [px, py] = nz[k]!;
      if (py > cy + maxRadius + 1) break;
      const ddx = f(cx - px);
      const ddy = f(cy - py);
      const r2 = f(f(ddx * ddx) + f(ddy * ddy));
      if (minR2 <= r2 && r2 <= maxR2) {
        any = true;
        const d = f(Math.sqrt(r2));
        const bin = Math.max(0, Math.min(nBins - 1, cvRound(f(f(f(d - minRadius) / dp) * nBinsPerDr))));
        bins[bin]!++;
      }
    }
    let maxCount = 0;
    let rBest = 0;
    if (any) {
      // OpenCV's scan from the largest bin down: each non-empty bin opens a band one dp wide
      for (let j = nBins - 1; j > 0; j--) {
        if (!bins[j]) continue;
        const up = j;
        let cur = 0;
        for (; j > up - nBinsPerDr && j >= 0; j--) cur += bins[j]!;
        const rCur = f(f(f(f((up + j) / 2) / nBinsPerDr) * dp) + minRadius);
        if (cur * rBest >= maxCount * rCur || (rBest < 1.1920929e-7 && cur >= maxCount)) {
          rBest = rCur;
          maxCount = cur;
        }
      }
    }
    if (maxCount > accThreshold) est.push({ c: [cx, cy, rBest], count: maxCount });
  }
  est.sort((a, b) => b.count - a.count || b.c[2] - a.c[2] || a.c[0] - b.c[0] || a.c[1] - b.c[1]);
  const md2 = f(minDist * minDist);
  const out: Circle[] = [];
  for (const e of est) {
    if (out.every((o) => f(f((e.c[0] - o[0]) ** 2) + f((e.c[1] - o[1]) ** 2)) >= md2)) out.push(e.c);
  }
  return out;
}

/** Index of the first point whose row is ≥ y (points in row order). */
function firstRow(nz: [number, number][], y: number): number {
  let lo = 0;
  let hi = nz.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (nz[m]![1] < y) lo = m + 1;
    else hi = m;
  }
  return lo;
}
