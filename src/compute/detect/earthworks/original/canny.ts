/**
 * Canny edges as OpenCV computes them (cv::Canny, aperture 3), for the `original` parameter set and its
 * parity test: 3x3 Sobel derivatives with the border replicated, |dx|+|dy| (or dx²+dy² against squared
 * thresholds) magnitudes, non-maximum suppression in four sectors split at tan 22.5° in 15-bit fixed
 * point (the magnitude outside the image is 0), then hysteresis: pixels above `low` that survive the
 * suppression are edges when 8-connected to one above `high`. Output 255 on edges, 0 elsewhere.
 */

/** 3x3 Sobel derivatives of an 8-bit image, border replicated (int16 like CV_16S). */
export function sobel3(img: Uint8Array, w: number, h: number): { dx: Int16Array; dy: Int16Array } {
  const dx = new Int16Array(w * h);
  const dy = new Int16Array(w * h);
  for (let y = 0; y < h; y++) {
    const p = Math.max(0, y - 1) * w;
    const c = y * w;
    const n = Math.min(h - 1, y + 1) * w;
    for (let x = 0; x < w; x++) {
      const l = Math.max(0, x - 1);
      const r = Math.min(w - 1, x + 1);
      dx[c + x] = img[p + r]! - img[p + l]! + 2 * (img[c + r]! - img[c + l]!) + img[n + r]! - img[n + l]!;
      dy[c + x] = img[n + l]! - img[p + l]! + 2 * (img[n + x]! - img[p + x]!) + img[n + r]! - img[p + r]!;
    }
  }
  return { dx, dy };
}

const SHIFT = 15;
// tan 22.5° in 15-bit fixed point, rounded as OpenCV does (13573)
const TG22 = Math.trunc(0.41421356237309503 * (1 << SHIFT) + 0.5);

export function canny(img: Uint8Array, w: number, h: number, low: number, high: number, l2 = false): Uint8Array {
  const { dx, dy } = sobel3(img, w, h);
  return cannyFromGradients(dx, dy, w, h, low, high, l2);
}

export function cannyFromGradients(
  dx: Int16Array,
  dy: Int16Array,
  w: number,
  h: number,
  lowIn: number,
  highIn: number,
  l2: boolean,
): Uint8Array {
  let lowT = Math.min(lowIn, highIn);
  let highT = Math.max(lowIn, highIn);
  if (l2) {
    lowT = Math.min(32767, lowT);
    highT = Math.min(32767, highT);
    if (lowT > 0) lowT *= lowT;
    if (highT > 0) highT *= highT;
  }
  const low = Math.floor(lowT);
  const high = Math.floor(highT);
  const mag = new Int32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const a = dx[i]!;
    const b = dy[i]!;
    mag[i] = l2 ? a * a + b * b : Math.abs(a) + Math.abs(b);
  }
  const m = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : mag[y * w + x]!);
  // 0 = not an edge, 1 = weak candidate, 2 = edge
  const map = new Uint8Array(w * h);
  const stack: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = mag[i]!;
      if (v <= low) continue;
      const xs = dx[i]!;
      const ys = dy[i]!;
      const ax = Math.abs(xs);
      const ay = Math.abs(ys) * (1 << SHIFT);
      const tg22x = ax * TG22;
      let keep: boolean;
      if (ay < tg22x) keep = v > m(x - 1, y) && v >= m(x + 1, y);
      else {
        const tg67x = tg22x + ax * (1 << (SHIFT + 1));
        if (ay > tg67x) keep = v > m(x, y - 1) && v >= m(x, y + 1);
        else {
          const s = xs < 0 !== ys < 0 ? -1 : 1;
          keep = v > m(x - s, y - 1) && v > m(x + s, y + 1);
        }
      }
      if (!keep) continue;
      if (v > high) {
        map[i] = 2;
        stack.push(i);
      } else map[i] = 1;
    }
  }
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % w;
    const y = (i - x) / w;
    for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++) {
      for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
        const j = yy * w + xx;
        if (map[j] === 1) {
          map[j] = 2;
          stack.push(j);
        }
      }
    }
  }
  const out = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) if (map[i] === 2) out[i] = 255;
  return out;
}
