/**
 * cv::GaussianBlur(img, (3, 3), 0.8) on 8-bit images as OpenCV 4.6 computes it: its bit-exact path, a
 * separable kernel in 8-bit fixed point (the σ 0.8 weights 0.239, 0.522, 0.239 → 61, 134, 61 / 256,
 * summing to exactly 256), the row pass kept exact (16 fractional bits after both passes), rounded half up
 * once at the end; the border is BORDER_REFLECT_101 (…, 2, 1 | 0, 1, 2, …). Checked pixel for pixel
 * against cv2 by test/compute/earthworks/parity.test.ts.
 */

/** The 3-tap kernel in 8-bit fixed point for σ: the outer weights rounded, the centre taking the rest of 256. */
function kernel3(sigma: number): [number, number] {
  const g = Math.exp(-1 / (2 * sigma * sigma));
  const side = Math.round((256 * g) / (1 + 2 * g));
  return [side, 256 - 2 * side];
}

/** Index i reflected into 0..n-1 without repeating the edge (BORDER_REFLECT_101); n = 1 keeps 0. */
const reflect101 = (i: number, n: number) => (n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);

export function gaussianBlur3(img: Uint8Array, w: number, h: number, sigma = 0.8): Uint8Array {
  const [s, c] = kernel3(sigma);
  // row pass: exact integers (8 fractional bits)
  const rows = new Int32Array(w * h);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let x = 0; x < w; x++) {
      rows[r + x] = s * (img[r + reflect101(x - 1, w)]! + img[r + reflect101(x + 1, w)]!) + c * img[r + x]!;
    }
  }
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const p = reflect101(y - 1, h) * w;
    const n = reflect101(y + 1, h) * w;
    const r = y * w;
    // 16 fractional bits, at most 255·2^16: within int32
    for (let x = 0; x < w; x++) out[r + x] = (s * (rows[p + x]! + rows[n + x]!) + c * rows[r + x]! + 32768) >> 16;
  }
  return out;
}
