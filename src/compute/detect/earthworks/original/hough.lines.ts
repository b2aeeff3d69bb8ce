/**
 * Probabilistic Hough line segments as OpenCV computes them (cv::HoughLinesP), for the `original` set and
 * its parity test. Edge pixels are drawn in cv::RNG's order (seed 2^64 - 1); each votes in a (θ, ρ)
 * accumulator with float32 trigonometry; when a vote reaches `threshold`, the line is walked both ways from
 * the pixel in 16-bit fixed point, gaps up to `maxGap` bridged, and a segment at least `minLength` long in
 * x or y is kept: its pixels leave the accumulator and the image. Results in OpenCV's order.
 */
import { CvRng, cvRound } from './round.js';

export type Segment = [number, number, number, number];

export function houghLinesP(
  edges: Uint8Array,
  width: number,
  height: number,
  rho: number,
  theta: number,
  threshold: number,
  minLength: number,
  maxGap: number,
  maxLines = Number.POSITIVE_INFINITY,
): Segment[] {
  const f = Math.fround;
  const rhoF = f(rho);
  const thetaF = f(theta);
  const irho = f(1 / rhoF);
  let numangle = Math.floor(Math.PI / thetaF) + 1;
  if (numangle > 1 && Math.abs(Math.PI - (numangle - 1) * thetaF) < thetaF / 2) numangle--;
  const numrho = cvRound(f(((width + height) * 2 + 1) / rhoF));
  // A cell counts pixels in a band 1 px wide across: at most 2 per column (or per row, for steep bands),
  // so ≤ 2·max(width, height); 16 bits then do (half the memory the votes run through), else 32.
  const cells = numangle * numrho;
  const accum = 2 * Math.max(width, height) <= 32767 ? new Int16Array(cells) : new Int32Array(cells);
  const tab = new Float32Array(numangle * 2);
  for (let n = 0; n < numangle; n++) {
    tab[2 * n] = Math.cos(n * thetaF) * irho;
    tab[2 * n + 1] = Math.sin(n * thetaF) * irho;
  }
  // x·cos and y·sin in float32 for every column, row and angle, each run of angles contiguous: a vote
  // reads two of them instead of multiplying (the same float32 products OpenCV forms)
  const xcos = new Float32Array(width * numangle);
  for (let x = 0; x < width; x++) for (let n = 0; n < numangle; n++) xcos[x * numangle + n] = x * tab[2 * n]!;
  const ysin = new Float32Array(height * numangle);
  for (let y = 0; y < height; y++) for (let n = 0; n < numangle; n++) ysin[y * numangle + n] = y * tab[2 * n + 1]!;
  const rho0 = (numrho - 1) >> 1;
  const rhoOf = (x: number, y: number, n: number) =>
    cvRound(f(xcos[x * numangle + n]! + ysin[y * numangle + n]!)) + rho0;
  const mask = new Uint8Array(width * height);
  const nz: number[] = [];
  for (let i = 0; i < width * height; i++) {
    if (edges[i]) {
      mask[i] = 1;
      nz.push(i);
    }
  }
  const rng = new CvRng();
  const shift = 16;
  const lines: Segment[] = [];
  for (let count = nz.length; count > 0; count--) {
    const idx = rng.uniform(0, count);
    const pix = nz[idx]!;
    nz[idx] = nz[count - 1]!;
    if (!mask[pix]) continue;
    const j = pix % width;
    const i = (pix - j) / width;
    let maxVal = threshold - 1;
    let maxN = 0;
    for (let n = 0; n < numangle; n++) {
      const k = n * numrho + rhoOf(j, i, n);
      const val = ++accum[k]!;
      if (maxVal < val) {
        maxVal = val;
        maxN = n;
      }
    }
    if (maxVal < threshold) continue;
    const a = -tab[2 * maxN + 1]!;
    const b = tab[2 * maxN]!;
    let x0 = j;
    let y0 = i;
    let dx0: number;
    let dy0: number;
    const xflag = Math.abs(a) > Math.abs(b);
    if (xflag) {
      dx0 = a > 0 ? 1 : -1;
      dy0 = cvRound(f(f(b * (1 << shift)) / Math.abs(a)));
      y0 = y0 * (1 << shift) + (1 << (shift - 1));
    } else {
      dy0 = b > 0 ? 1 : -1;
      dx0 = cvRound(f(f(a * (1 << shift)) / Math.abs(b)));
      x0 = x0 * (1 << shift) + (1 << (shift - 1));
    }
    const ends: [number, number][] = [
      [j, i],
      [j, i],
    ];
    const cell = (x: number, y: number): [number, number] => (xflag ? [x, y >> shift] : [x >> shift, y]);
    for (let k = 0; k < 2; k++) {
      let gap = 0;
      const dx = k ? -dx0 : dx0;
      const dy = k ? -dy0 : dy0;
      for (let x = x0, y = y0; ; x += dx, y += dy) {
        const [j1, i1] = cell(x, y);
        if (j1 < 0 || j1 >= width || i1 < 0 || i1 >= height) break;
        if (mask[i1 * width + j1]) {
          gap = 0;
          ends[k] = [j1, i1];
        } else if (++gap > maxGap) break;
      }
    }
    const good = Math.abs(ends[1]![0] - ends[0]![0]) >= minLength || Math.abs(ends[1]![1] - ends[0]![1]) >= minLength;
    for (let k = 0; k < 2; k++) {
      const dx = k ? -dx0 : dx0;
      const dy = k ? -dy0 : dy0;
      for (let x = x0, y = y0; ; x += dx, y += dy) {
        const [j1, i1] = cell(x, y);
        const at = i1 * width + j1;
        if (mask[at]) {
          if (good) for (let n = 0; n < numangle; n++) accum[n * numrho + rhoOf(j1, i1, n)]!--;
          mask[at] = 0;
        }
        if (i1 === ends[k]![1] && j1 === ends[k]![0]) break;
      }
    }
    if (good) {
      lines.push([ends[0]![0], ends[0]![1], ends[1]![0], ends[1]![1]]);
      if (lines.length >= maxLines) break;
    }
  }
  return lines;
}
