/**
 * Outer contours of a binary image as cv::findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE) returns them
 * (OpenCV 4.6), for the `original` set's contour-rectangle step: Suzuki-Abe border following on the image
 * bordered by one zero pixel, an outer border started only where the last border met on the row is not
 * one we are inside of, each border pixel marked (right-hand side of a region: -2, else 2) so it is traced
 * once; the chain's turning points only (a straight run keeps its two ends). Contours come out in
 * OpenCV's order: the last started first (it pushes each onto the front of a list).
 */

/** Chain-code steps 0..7: east, north-east, north, north-west, west, south-west, south, south-east (y down). */
const STEP_X = [1, 1, 0, -1, -1, -1, 0, 1] as const;
const STEP_Y = [0, -1, -1, -1, 0, 1, 1, 1] as const;

/** A contour: its points as x0, y0, x1, y1, … in image pixel coordinates. */
export type Contour = Int32Array;

/** Non-zero pixels of `img` (w x h) are the foreground. */
export function findExternalContours(img: Uint8Array, w: number, h: number): Contour[] {
  const W = w + 2;
  const H = h + 2;
  // 0 background, 1 unvisited foreground, 2 visited border, -2 border on a region's right-hand side
  const lab = new Int8Array(W * H);
  for (let y = 0; y < h; y++) {
    const src = y * w;
    const dst = (y + 1) * W + 1;
    for (let x = 0; x < w; x++) if (img[src + x]) lab[dst + x] = 1;
  }
  const delta = new Int32Array(16);
  for (let s = 0; s < 16; s++) delta[s] = STEP_Y[s & 7]! * W + STEP_X[s & 7]!;
  const found: Contour[] = [];
  for (let y = 1; y < H - 1; y++) {
    let prev = 0;
    // the last border pixel met on this row (the frame's column 0 at first)
    let lnbd = y * W;
    for (let x = 1; x < W - 1; x++) {
      const i = y * W + x;
      const p = lab[i]!;
      if (p === prev) continue;
      if (prev === 0 && p === 1 && lab[lnbd]! <= 0) {
        // an outer border not inside a traced one (a border met last that is not a right-hand side)
        found.push(follow(lab, delta, i, x - 1, y - 1));
        lnbd = i;
        prev = lab[i]!;
        continue;
      }
      if (p === 0 && prev >= 2) lnbd = i - 1;
      prev = p;
      if (p !== 0 && p !== 1) lnbd = i;
    }
  }
  return found.reverse();
}

/** Follows the outer border starting at pixel i0 (at x, y), marking it; returns its turning points. */
function follow(lab: Int8Array, delta: Int32Array, i0: number, x: number, y: number): Contour {
  const pts: number[] = [];
  let s = 4;
  let i1 = 0;
  // the first foreground neighbour clockwise from west
  do {
    s = (s - 1) & 7;
    i1 = i0 + delta[s]!;
  } while (lab[i1] === 0 && s !== 4);
  if (s === 4) {
    // a single pixel
    lab[i0] = -2;
    return Int32Array.of(x, y);
  }
  let i3 = i0;
  let i4 = 0;
  let prevS = s ^ 4;
  let px = x;
  let py = y;
  for (;;) {
    const sEnd = s;
    // the next foreground neighbour counter-clockwise from the one we came from
    while (s < 15) {
      i4 = i3 + delta[++s]!;
      if (lab[i4] !== 0) break;
    }
    s &= 7;
    // (s - 1) as unsigned: s = 0 never marks a right-hand side
    if (s !== 0 && s - 1 < sEnd) lab[i3] = -2;
    else if (lab[i3] === 1) lab[i3] = 2;
    if (s !== prevS) {
      pts.push(px, py);
      prevS = s;
    }
    px += STEP_X[s]!;
    py += STEP_Y[s]!;
    if (i4 === i0 && i3 === i1) break;
    i3 = i4;
    s = (s + 4) & 7;
  }
  return Int32Array.from(pts);
}
