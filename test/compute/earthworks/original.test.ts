/**
 * The `original` set's geometric step over strips (original/detector.ts): the same candidates whatever the
 * strip height (windows are fixed by row number, not by strips), well-formed candidates, and how it scores
 * on a make_scene scene next to the default detectors (the comparison the set exists for).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { createEarthworkDetector } from '../../../src/compute/detect/earthworks/detector.js';
import { createOriginalEarthworkDetector } from '../../../src/compute/detect/earthworks/original/detector.js';
import { earthworksDir, loadScene, runDetector, score } from '../../helpers/earthworks.js';

describe('original geometric step over strips', () => {
  const s = loadScene(10);
  const tall = runDetector(createOriginalEarthworkDetector(), s.ndvi, s.size, s.size, 1024);
  test('strips of 50 rows give the candidates of one strip (a 700-row crop)', () => {
    const crop = s.ndvi.subarray(0, 700 * s.size);
    const one = runDetector(createOriginalEarthworkDetector(), crop, s.size, 700, 700);
    const many = runDetector(createOriginalEarthworkDetector(), crop, s.size, 700, 50);
    expect(one.length).toBeGreaterThan(0);
    expect(many).toEqual(one);
  });
  test('candidates are circles (32-vertex outlines), lines and rectangles (4 corners) off the grid axes', () => {
    for (const c of tall) {
      expect(['circle', 'line', 'rectangle']).toContain(c.shape);
      if (c.shape === 'circle') expect(c.points).toHaveLength(33);
      else {
        expect(c.points).toHaveLength(c.shape === 'line' ? 2 : 5);
        expect(Math.min(c.angle_deg! % 90, 90 - (c.angle_deg! % 90))).toBeGreaterThanOrEqual(2);
      }
      expect(c.confidence).toBeGreaterThanOrEqual(0.5);
    }
  });
  test('scores below the default detectors on the same scene', () => {
    const orig = score(tall, s.works);
    const ours = score(runDetector(createEarthworkDetector(), s.ndvi, s.size, s.size), s.works);
    if (process.env.EARTHWORKS_VERBOSE)
      console.log(
        JSON.stringify({ orig: { ...orig, missed: orig.missed.length, false: orig.false.length }, ours: ours.found }),
      );
    expect(ours.found).toBeGreaterThan(orig.found);
    expect(ours.onWork / ours.candidates).toBeGreaterThan(orig.onWork / Math.max(1, orig.candidates));
  });
});

describe('original contour rectangles over windows', () => {
  // drawn rotated frames (make_earthworks_fixtures.py, rects_in.u8) and OpenCV's contour step on their
  // Canny (50, 150) edges, as a whole image (parity.json)
  const parity = JSON.parse(readFileSync(join(earthworksDir, 'parity.json'), 'utf8')) as {
    rects_in: { width: number; height: number };
    contours: {
      frames: {
        area: number;
        centroid?: [number, number];
        min_area_rect?: { size: [number, number]; angle: number };
      }[];
    };
  };
  const { width, height } = parity.rects_in;
  const bytes = new Uint8Array(readFileSync(join(earthworksDir, 'rects_in.u8')));
  // index values whose 8-bit scaling over -1..1 gives the bytes back
  const index = Float32Array.from(bytes, (b) => -1 + ((b + 0.5) * 2) / 255);
  test('windows of 64 rows find the rectangles OpenCV finds on the whole image, with its centroids and sides', () => {
    const expected = parity.contours.frames.filter((c) => {
      const r = c.min_area_rect;
      if (!r || !c.centroid || c.area * 100 < 2500 || c.area * 100 > 500_000) return false;
      const aspect = Math.max(...r.size) / Math.min(...r.size);
      const a = r.angle % 90;
      return a >= 2 && a <= 88 && 0.7 * Math.min(1, (c.area * 100) / 1000) + 0.3 * Math.min(1, 2 / aspect) >= 0.5;
    });
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const found = runDetector(createOriginalEarthworkDetector({ window_rows: 64 }), index, width, height, 50).filter(
      (c) => c.shape === 'rectangle',
    );
    expect(found).toHaveLength(expected.length);
    for (const e of expected) {
      const c = found.find((f) => Math.hypot(f.cx - e.centroid![0], f.cy - e.centroid![1]) < 1e-6);
      expect(c).toBeDefined();
      const sides = [c!.width_m!, c!.height_m!].sort((a, b) => a - b);
      const cv = e.min_area_rect!.size.map((v) => v * 10).sort((a, b) => a - b);
      for (let j = 0; j < 2; j++) expect(Math.abs(sides[j]! - cv[j]!)).toBeLessThan(0.01);
      expect(c!.points).toHaveLength(5);
    }
  });
});
