/** Resampling kernels on hand-worked arrays (OpenCV's definitions, see src/compute/resample.ts). */
import { describe, expect, test } from '@jest/globals';
import { planAxis, resampleClasses, resampleFloat, sourceRange } from '../../src/compute/resample.js';

function resize(
  src: number[],
  srcW: number,
  srcH: number,
  dstW: number,
  dstH: number,
  method: 'bilinear' | 'nearest',
): number[] {
  const x = planAxis(dstW, srcW, method, 'x');
  const y = planAxis(dstH, srcH, method, 'y');
  const out = new Float32Array(dstW * dstH);
  resampleFloat(
    { data: Float32Array.from(src), x0: 0, y0: 0, width: srcW, height: srcH },
    x,
    y,
    { x0: 0, y0: 0, width: dstW, height: dstH },
    out,
  );
  return Array.from(out);
}

describe('bilinear (INTER_LINEAR) 2x upsampling', () => {
  test('a row [0, 1] becomes [0, 0.25, 0.75, 1]: centres aligned, edges clamped', () => {
    expect(resize([0, 1], 2, 1, 4, 1, 'bilinear')).toEqual([0, 0.25, 0.75, 1]);
  });
  test('a column [0, 1] becomes [0, 0.25, 0.75, 1] too', () => {
    expect(resize([0, 1], 1, 2, 1, 4, 'bilinear')).toEqual([0, 0.25, 0.75, 1]);
  });
  test('2x2 to 4x4: separable products of the 1-D weights', () => {
    // src [[0, 4], [8, 12]]: value = 4*u + 8*v with u, v in {0, 0.25, 0.75, 1}
    const w = [0, 0.25, 0.75, 1];
    const expected = w.flatMap((v) => w.map((u) => 4 * u + 8 * v));
    expect(resize([0, 4, 8, 12], 2, 2, 4, 4, 'bilinear')).toEqual(expected);
  });
  test('nodata (NaN) spreads to every output pixel with a non-zero weight on it, not further', () => {
    // source x for outputs 0..5: -0.25 (clamped to 0), 0.25, 0.75, 1.25, 1.75, 2.25 (clamped to 2):
    // outputs 0-2 put a non-zero weight on the NaN pixel; 3 = 0.75*1 + 0.25*2, 4 = 0.25*1 + 0.75*2.
    expect(resize([NaN, 1, 2], 3, 1, 6, 1, 'bilinear')).toEqual([NaN, NaN, NaN, 1.25, 1.75, 2]);
  });
  test('a window resampled alone equals the same window of the whole image', () => {
    const W = 7;
    const H = 5;
    const src = Array.from({ length: W * H }, (_, i) => Math.sin(i) * 10);
    const whole = resize(src, W, H, 2 * W, 2 * H, 'bilinear');
    const x = planAxis(2 * W, W, 'bilinear', 'x');
    const y = planAxis(2 * H, H, 'bilinear', 'y');
    const win = { x0: 3, y0: 4, width: 6, height: 5 };
    const [sx0, sx1] = sourceRange(x, win.x0, win.x0 + win.width, W);
    const [sy0, sy1] = sourceRange(y, win.y0, win.y0 + win.height, H);
    const sub = new Float32Array((sx1 - sx0) * (sy1 - sy0));
    for (let r = sy0; r < sy1; r++)
      for (let c = sx0; c < sx1; c++) sub[(r - sy0) * (sx1 - sx0) + c - sx0] = src[r * W + c]!;
    const out = new Float32Array(win.width * win.height);
    resampleFloat({ data: sub, x0: sx0, y0: sy0, width: sx1 - sx0, height: sy1 - sy0 }, x, y, win, out);
    for (let r = 0; r < win.height; r++) {
      for (let c = 0; c < win.width; c++) expect(out[r * win.width + c]).toBe(whole[(win.y0 + r) * 2 * W + win.x0 + c]);
    }
  });
});

describe('nearest (INTER_NEAREST) and area', () => {
  test('2x: pixel replication', () => {
    expect(resize([1, 2], 2, 1, 4, 1, 'nearest')).toEqual([1, 1, 2, 2]);
  });
  test('6x (60 m to 10 m): floor(x / 6)', () => {
    expect(resize([1, 2], 2, 1, 12, 1, 'nearest')).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  });
  test('downsampling by 2 averages each 2x2 block; NaN in a block makes it NaN', () => {
    expect(resize([1, 2, 3, 4, 5, 6, 7, NaN], 4, 2, 2, 1, 'bilinear')).toEqual([3.5, NaN]);
  });
  test('a non-integer downsampling factor is refused', () => {
    expect(() => planAxis(3, 7, 'bilinear', 'x')).toThrow('planAxis: downsampling 7 to 3 is not by an integer factor');
  });
  test('SCL classes: nearest lookup through the mask table', () => {
    const lut = new Uint8Array(256);
    lut[9] = 1;
    const out = new Uint8Array(4);
    const x = planAxis(4, 2, 'nearest', 'x');
    const y = planAxis(1, 1, 'nearest', 'y');
    resampleClasses(
      { data: Uint8Array.from([4, 9]), x0: 0, y0: 0, width: 2, height: 1 },
      x,
      y,
      { x0: 0, y0: 0, width: 4, height: 1 },
      lut,
      out,
    );
    expect(Array.from(out)).toEqual([0, 0, 1, 1]);
  });
});
