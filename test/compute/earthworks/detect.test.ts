/**
 * The default earthwork detectors on make_scene.py --earthworks scenes (three seeds, 1024 px, NDVI computed
 * by the fixture script from the scene's bands), scored by shape against truth.json (test/helpers/earthworks.ts):
 * issue 14 asks ≥ 90 % of the earthworks found and ≥ 60 % of the candidates on a true earthwork.
 */
import { describe, expect, test } from '@jest/globals';
import { createEarthworkDetector } from '../../../src/compute/detect/earthworks/detector.js';
import { loadScene, runDetector, type Score, score } from '../../helpers/earthworks.js';

const SEEDS = [6, 7, 10];

describe('earthworks on make_scene scenes', () => {
  const scores: Score[] = [];
  for (const seed of SEEDS) {
    test(`seed ${seed}: candidates scored against truth.json`, () => {
      const s = loadScene(seed);
      const cands = runDetector(createEarthworkDetector(), s.ndvi, s.size, s.size);
      const sc = score(cands, s.works);
      scores.push(sc);
      if (process.env.EARTHWORKS_VERBOSE) {
        console.log(seed, JSON.stringify({ ...sc, false: sc.false.map((c) => [c.shape, c.cx, c.cy, c.confidence]) }));
      }
      expect(sc.works).toBeGreaterThanOrEqual(12);
      expect(sc.found / sc.works).toBeGreaterThanOrEqual(0.85);
    });
  }
  test('strips of 37 rows give the candidates of one 1024-row strip (the 4-row halo is enough)', () => {
    const s = loadScene(7);
    const one = runDetector(createEarthworkDetector(), s.ndvi, s.size, s.size, s.size);
    const many = runDetector(createEarthworkDetector(), s.ndvi, s.size, s.size, 37);
    expect(one.length).toBeGreaterThan(10);
    expect(many).toEqual(one);
  });
  test('all seeds: ≥ 90 % found, ≥ 60 % of candidates on an earthwork', () => {
    expect(scores).toHaveLength(SEEDS.length);
    const works = scores.reduce((a, s) => a + s.works, 0);
    const found = scores.reduce((a, s) => a + s.found, 0);
    const cands = scores.reduce((a, s) => a + s.candidates, 0);
    const on = scores.reduce((a, s) => a + s.onWork, 0);
    expect(found / works).toBeGreaterThanOrEqual(0.9);
    expect(on / cands).toBeGreaterThanOrEqual(0.6);
  });
});
