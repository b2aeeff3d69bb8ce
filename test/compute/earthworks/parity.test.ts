/**
 * The `original` set's kernels against OpenCV 4.6 (cv2 of the peers' Python), on fixtures made by
 * test/fixtures/earthworks/make_earthworks_fixtures.py: Canny edge maps and the 3x3 Gaussian blur pixel for
 * pixel, HoughLinesP's segments exactly (same random order), HoughCircles' circles to float32 precision,
 * the contour-rectangle step's contours and polygons exactly, its measures to float32 precision.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { canny } from '../../../src/compute/detect/earthworks/original/canny.js';
import { findExternalContours } from '../../../src/compute/detect/earthworks/original/contours.js';
import { gaussianBlur3 } from '../../../src/compute/detect/earthworks/original/gaussian.js';
import { houghCircles } from '../../../src/compute/detect/earthworks/original/hough.circles.js';
import { houghLinesP } from '../../../src/compute/detect/earthworks/original/hough.lines.js';
import {
  approxPolyDP,
  arcLength,
  contourArea,
  minAreaRect,
  polygonCentroid,
} from '../../../src/compute/detect/earthworks/original/polygon.js';
import { earthworksDir } from '../../helpers/earthworks.js';

/** OpenCV's outputs of the contour-rectangle step for one contour (make_earthworks_fixtures.py, contour_step). */
interface CvContour {
  points: number[];
  perimeter: number;
  approx: number[];
  area: number;
  centroid?: [number, number];
  min_area_rect?: { center: [number, number]; size: [number, number]; angle: number; corners: [number, number][] };
}

const parity = JSON.parse(readFileSync(join(earthworksDir, 'parity.json'), 'utf8')) as {
  canny_in: { width: number; height: number };
  rects_in: { width: number; height: number };
  contours: { scene: CvContour[]; frames: CvContour[] };
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

describe('GaussianBlur (3x3, σ 0.8) as OpenCV', () => {
  test('the same blurred pixels (fixed point, border reflected)', () => {
    const { width, height } = parity.canny_in;
    const img = u8('canny_in.u8');
    const cv = u8('gauss_3_08.u8');
    const ours = gaussianBlur3(img, width, height);
    let diff = 0;
    let changed = 0;
    for (let i = 0; i < cv.length; i++) {
      if (cv[i] !== ours[i]) diff++;
      if (cv[i] !== img[i]) changed++;
    }
    expect(changed).toBeGreaterThan(cv.length / 4);
    expect(diff).toBe(0);
  });
});

describe('the contour-rectangle step as OpenCV', () => {
  const cases = [
    { name: 'scene crop', size: parity.canny_in, input: 'canny_in.u8', cv: parity.contours.scene },
    { name: 'drawn frames', size: parity.rects_in, input: 'rects_in.u8', cv: parity.contours.frames },
  ];
  for (const { name, size, input, cv } of cases) {
    const edges = canny(u8(input), size.width, size.height, 50, 150);
    const ours = findExternalContours(edges, size.width, size.height);
    test(`${name}: findContours (external, simple chain): the same contours, points and order`, () => {
      expect(cv.length).toBeGreaterThan(5);
      expect(ours.map((c) => [...c])).toEqual(cv.map((c) => c.points));
    });
    test(`${name}: arcLength, approxPolyDP (2 % of it) and contourArea`, () => {
      cv.forEach((c, k) => {
        const contour = ours[k]!;
        const peri = arcLength(contour, true);
        expect(peri).toBeCloseTo(c.perimeter, 9);
        expect([...approxPolyDP(contour, 0.02 * peri, true)]).toEqual(c.approx);
        expect(contourArea(contour)).toBe(c.area);
      });
    });
    test(`${name}: the 4-vertex contours' centroids and minimum-area rectangles`, () => {
      const quads = cv.flatMap((c, k) => (c.min_area_rect ? [{ c, contour: ours[k]! }] : []));
      expect(quads.length).toBeGreaterThanOrEqual(2);
      for (const { c, contour } of quads) {
        const r = c.min_area_rect!;
        if (c.centroid) {
          const [x, y] = polygonCentroid(contour)!;
          expect(x).toBeCloseTo(c.centroid[0], 9);
          expect(y).toBeCloseTo(c.centroid[1], 9);
        }
        const m = minAreaRect(contour);
        // float32 in OpenCV: 1e-4 relative
        const tol = 1e-4 * Math.max(1, ...r.size);
        expect(Math.abs(m.cx - r.center[0])).toBeLessThan(tol);
        expect(Math.abs(m.cy - r.center[1])).toBeLessThan(tol);
        const sides = [m.width, m.height].sort((a, b) => a - b);
        const cvSides = [...r.size].sort((a, b) => a - b);
        for (let j = 0; j < 2; j++) expect(Math.abs(sides[j]! - cvSides[j]!)).toBeLessThan(tol);
        // the same corners (in any order) and the same direction modulo 90°
        for (const [x, y] of r.corners) {
          expect(Math.min(...m.corners.map(([u, v]) => Math.hypot(u - x, v - y)))).toBeLessThan(tol);
        }
        const ours90 = ((((Math.atan2(m.uy, m.ux) * 180) / Math.PI) % 90) + 90) % 90;
        const d = Math.abs(ours90 - (r.angle % 90));
        expect(Math.min(d, 90 - d)).toBeLessThan(1e-3);
      }
    });
  }
});
