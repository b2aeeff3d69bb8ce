/**
 * The `original` set's kernels against OpenCV 4.6 (cv2 of the peers' Python), on fixtures made by
 * test/fixtures/earthworks/make_earthworks_fixtures.py: Canny edge maps pixel for pixel, HoughLinesP's
 * segments exactly (same random order), HoughCircles' circles to float32 precision.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { canny } from '../../../src/compute/detect/earthworks/original/canny.js';
import { houghCircles } from '../../../src/compute/detect/earthworks/original/hough.circles.js';
import { houghLinesP } from '../../../src/compute/detect/earthworks/original/hough.lines.js';
import { earthworksDir } from '../../helpers/earthworks.js';

const parity = JSON.parse(readFileSync(join(earthworksDir, 'parity.json'), 'utf8')) as {
  canny_in: { width: number; height: number };
  hough_lines: { threshold: number; min_length: number; max_gap: number; lines: number[][] };
  hough_circles: {
    width: number;
    height: number;
    dp: number;
    min_dist: number;
    param1: number;
    param2: number;
    min_radius: number;
    max_radius: number;
    drawn: number[][];
    circles: number[][];
  };
};
const u8 = (name: string) => new Uint8Array(readFileSync(join(earthworksDir, name)));

describe('Canny as OpenCV', () => {
  const { width, height } = parity.canny_in;
  const img = u8('canny_in.u8');
  for (const [low, high] of [
    [30, 100],
    [50, 150],
  ] as const) {
    test(`(${low}, ${high}): the same edge pixels`, () => {
      const ours = canny(img, width, height, low, high);
      const cv = u8(`canny_${low}_${high}.u8`);
      let edges = 0;
      let diff = 0;
      for (let i = 0; i < cv.length; i++) {
        if (cv[i]) edges++;
        if (cv[i] !== ours[i]) diff++;
      }
      expect(edges).toBeGreaterThan(500);
      expect(diff).toBe(0);
    });
  }
});

describe('HoughLinesP as OpenCV', () => {
  test('the same segments in the same order', () => {
    const { width, height } = parity.canny_in;
    const h = parity.hough_lines;
    const edges = u8('canny_50_150.u8');
    const ours = houghLinesP(edges, width, height, 1, Math.PI / 180, h.threshold, h.min_length, h.max_gap);
    expect(h.lines.length).toBeGreaterThan(10);
    expect(ours).toEqual(h.lines);
  });
});

describe('HoughCircles as OpenCV', () => {
  test('the same circles in the same order, on drawn rings', () => {
    const h = parity.hough_circles;
    const ours = houghCircles(
      u8('circles_in.u8'),
      h.width,
      h.height,
      h.dp,
      h.min_dist,
      h.param1,
      h.param2,
      h.min_radius,
      h.max_radius,
    );
    expect(h.circles.length).toBeGreaterThanOrEqual(h.drawn.length - 1);
    expect(ours).toHaveLength(h.circles.length);
    // float32 results, printed by numpy to 3 decimals
    ours.forEach((c, k) => {
      for (let j = 0; j < 3; j++) expect(c[j]).toBeCloseTo(h.circles[k]![j]!, 3);
    });
  });
});
