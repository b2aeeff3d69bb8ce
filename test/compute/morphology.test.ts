/** Binary morphology and labelling on hand-worked arrays, and against OpenCV's own results. */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labelAll } from '../../src/compute/detect/components.js';
import {
  BitMask,
  classBytes,
  explicitElement,
  morph,
  MorphChain,
  stepsOf,
  structuringElement,
} from '../../src/compute/morphology.js';
import { root } from '../helpers/paths.js';

const mask = (rows: string[]): BitMask =>
  BitMask.fromBytes(rows.join('').split('').map(Number), rows[0]!.length, rows.length);
const text = (m: BitMask): string[] => {
  const b = m.toBytes();
  return Array.from({ length: m.height }, (_, y) => Array.from(b.subarray(y * m.width, (y + 1) * m.width)).join(''));
};
const sq3 = structuringElement('square', 3);

describe('morphology, hand-worked', () => {
  test('erosion: outside counts as foreground, so a full mask stays full (OpenCV border)', () => {
    expect(text(morph(mask(['111', '111']), stepsOf('erode', sq3)))).toEqual(['111', '111']);
  });
  test('dilation: outside counts as background; an empty mask stays empty', () => {
    expect(text(morph(mask(['000', '000']), stepsOf('dilate', sq3)))).toEqual(['000', '000']);
    expect(text(morph(mask(['00000', '00100', '00000']), stepsOf('dilate', sq3)))).toEqual(['01110', '01110', '01110']);
  });
  test('opening removes a lone pixel and keeps a 3x3 block touching the border', () => {
    expect(text(morph(mask(['11100', '11100', '11100', '00001']), stepsOf('open', sq3)))).toEqual([
      '11100',
      '11100',
      '11100',
      '00000',
    ]);
  });
  test('closing fills a one-pixel hole and a one-pixel gap', () => {
    expect(text(morph(mask(['11111', '11011', '11111']), stepsOf('close', sq3)))).toEqual(['11111', '11111', '11111']);
    expect(text(morph(mask(['11011', '11011', '11011']), stepsOf('close', sq3)))).toEqual(['11111', '11111', '11111']);
  });
  test('the cross element erodes along its arms only', () => {
    const cross = structuringElement('cross', 3);
    expect(text(morph(mask(['0110', '1111', '1111', '0110']), stepsOf('erode', cross)))).toEqual([
      '0000',
      '0110',
      '0110',
      '0000',
    ]);
  });
  test('an explicit, asymmetric element is applied without reflection (dst(x) = OR src(x + dx))', () => {
    const right = explicitElement([
      [0, 0, 0],
      [0, 1, 1],
      [0, 0, 0],
    ]); // offsets dx = 0 and +1
    expect(text(morph(mask(['0001000']), stepsOf('dilate', right)))).toEqual(['0011000']);
  });
  test("the disk of size 5 is OpenCV's ellipse", () => {
    expect(Array.from(structuringElement('disk', 5).values).join('')).toBe('0010011111111111111100100');
  });
  test('even sizes are refused', () => {
    expect(() => structuringElement('square', 2)).toThrow('structuringElement: size 2 is not an odd positive integer');
  });
  test('a chain evaluated in bands of rows equals the whole-image result', () => {
    const m = mask(
      Array.from({ length: 40 }, (_, y) =>
        Array.from({ length: 70 }, (_, x) => (((x * 7 + y * 13) ^ (x * y)) % 5 < 2 ? '1' : '0')).join(''),
      ),
    );
    const steps = [...stepsOf('open', sq3), ...stepsOf('close', structuringElement('disk', 5))];
    const whole = morph(m, steps);
    const chain = new MorphChain(70, 40, steps);
    const banded = new BitMask(70, 40);
    for (let y = 0; y < 40; y += 6) chain.run(m, y, Math.min(40, y + 6), banded);
    expect(text(banded)).toEqual(text(whole));
    expect(chain.halo).toBe(1 + 1 + 2 + 2);
  });
});

describe('labelling, hand-worked', () => {
  test('diagonal touches join for 8-connectivity and not for 4', () => {
    const m = mask(['100', '010', '001']);
    expect(labelAll(m, 8).map((c) => c.area)).toEqual([3]);
    expect(labelAll(m, 4).map((c) => c.area)).toEqual([1, 1, 1]);
  });
  test('a U joined at the bottom is one component, found when its last row passes', () => {
    const [c] = labelAll(mask(['101', '101', '111']), 4);
    expect(c).toMatchObject({ area: 7, minX: 0, maxX: 2, minY: 0, maxY: 2, seedX: 0, seedY: 0 });
  });
  test('a ring with a hole: one component; the hole is not part of it', () => {
    const [c] = labelAll(mask(['11111', '10001', '11111']), 8);
    expect(c!.area).toBe(12);
    expect(c!.sumX / c!.area + 0.5).toBeCloseTo(2.5, 12); // centroid of pixel centres
  });
  test('empty and full masks', () => {
    expect(labelAll(mask(['000', '000']), 8)).toEqual([]);
    expect(labelAll(mask(['111', '111']), 4).map((c) => c.area)).toEqual([6]);
  });
});

describe('against OpenCV', () => {
  const fx = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'morphology', 'cases.json'), 'utf8')) as {
    masks: string[][];
    morphology: {
      mask: number;
      op: 'erode' | 'dilate' | 'open' | 'close';
      kernel: 'square' | 'cross' | 'disk' | number[][];
      size?: number;
      result: string[];
    }[];
    components: { mask: number; connectivity: 4 | 8; components: number[][] }[];
  };
  test(`${fx.morphology.length} morphologyEx results, every element and operation`, () => {
    let bad = 0;
    for (const c of fx.morphology) {
      const se = Array.isArray(c.kernel) ? explicitElement(c.kernel) : structuringElement(c.kernel, c.size!);
      if (JSON.stringify(text(morph(mask(fx.masks[c.mask]!), stepsOf(c.op, se)))) !== JSON.stringify(c.result)) bad++;
    }
    expect(bad).toBe(0);
  });
  test('connectedComponentsWithStats: areas, boxes and centroids (4 and 8)', () => {
    for (const c of fx.components) {
      const got = labelAll(mask(fx.masks[c.mask]!), c.connectivity)
        .map((k) => [k.area, k.minX, k.minY, k.maxX, k.maxY, k.sumX / k.area, k.sumY / k.area])
        .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]! || a[3]! - b[3]! || a[4]! - b[4]!);
      expect(got.length).toBe(c.components.length);
      got.forEach((g, i) => {
        expect(g.slice(0, 5)).toEqual(c.components[i]!.slice(0, 5));
        expect(g[5]).toBeCloseTo(c.components[i]![5]!, 8);
        expect(g[6]).toBeCloseTo(c.components[i]![6]!, 8);
      });
    }
  });
});

describe('mask class bytes from bits', () => {
  test('1 candidate, 0 tested, nodata untested: whole words and mixed ones, a partial last word', () => {
    // 70 px rows (two whole words and 6 bits): rows of every kind of word, and a random one.
    const width = 70;
    const cand: number[][] = [];
    const tested: number[][] = [];
    const px = (f: (x: number) => number) => Array.from({ length: width }, (_, x) => f(x));
    cand.push(
      px(() => 0),
      px(() => 0),
      px(() => 1),
      px((x) => ((x * 7) % 5 === 0 ? 1 : 0)),
    );
    tested.push(
      px(() => 1),
      px(() => 0),
      px(() => 0),
      px((x) => ((x * 3) % 4 === 0 ? 1 : 0)),
    );
    const m = BitMask.fromBytes(cand.flat(), width, cand.length);
    const t = BitMask.fromBytes(tested.flat(), width, tested.length);
    const expected = cand.flat().map((c, i) => (c ? 1 : tested.flat()[i] ? 0 : 255));
    expect(Array.from(classBytes(m.data, t.data, width, cand.length, 255))).toEqual(expected);
  });
});
