/**
 * The `original` set's geometric step over strips (original/detector.ts): the same candidates whatever the
 * strip height (windows are fixed by row number, not by strips), well-formed candidates, and how it scores
 * on a make_scene scene next to the default detectors (the comparison the set exists for).
 */
import { describe, expect, test } from '@jest/globals';
import { createEarthworkDetector } from '../../../src/compute/detect/earthworks/detector.js';
import { createOriginalEarthworkDetector } from '../../../src/compute/detect/earthworks/original/detector.js';
import { loadScene, runDetector, score } from '../../helpers/earthworks.js';

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
  test('candidates are circles (32-vertex outlines) and lines off the grid axes', () => {
    for (const c of tall) {
      expect(['circle', 'line']).toContain(c.shape);
      if (c.shape === 'circle') expect(c.points).toHaveLength(33);
      else {
        expect(c.points).toHaveLength(2);
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
