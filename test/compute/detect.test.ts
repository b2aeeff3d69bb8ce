/** Outlines, confidence formulas, parameter files and the density limit, on hand-worked cases. */
import { describe, expect, test } from '@jest/globals';
import { densityFilter } from '../../src/compute/detect/density.js';
import { evaluate, parseFormula } from '../../src/compute/detect/formula.js';
import {
  builtinParams,
  defaultParams,
  detectorIndices,
  paramsHash,
  validateParams,
  type SpectralSpec,
} from '../../src/compute/detect/params.js';
import { ringArea, traceOutline, visitRing } from '../../src/compute/detect/shape.js';
import { BitMask } from '../../src/compute/morphology.js';

const bitmap = (rows: string[]) => ({
  x0: 0,
  y0: 0,
  width: rows[0]!.length,
  height: rows.length,
  data: Uint8Array.from(rows.join('').split('').map(Number)),
});

describe('outlines along pixel edges', () => {
  // Area in map orientation (rows grow southwards): positive = counter-clockwise, as RFC 7946 wants exteriors.
  const mapArea = (ring: [number, number][]): number => -ringArea(ring);
  test('one pixel: a closed counter-clockwise square', () => {
    const [ring] = traceOutline(bitmap(['1']), 8);
    expect(ring).toEqual([
      [0, 0],
      [0, 1],
      [1, 1],
      [1, 0],
      [0, 0],
    ]);
    expect(mapArea(ring!)).toBe(1);
  });
  test('collinear vertices are dropped: a 3x2 block has 4 corners', () => {
    const [ring] = traceOutline(bitmap(['111', '111']), 4);
    expect(ring).toHaveLength(5);
    expect(mapArea(ring!)).toBe(6);
  });
  test('a hole is a second ring, clockwise; exterior minus hole = pixel count', () => {
    const rings = traceOutline(bitmap(['1111', '1001', '1111']), 8);
    expect(rings).toHaveLength(2);
    expect(mapArea(rings[0]!)).toBe(12);
    expect(mapArea(rings[1]!)).toBe(-2);
  });
  test('pixels touching at a corner: one pinched ring for 8-connectivity, two rings for 4', () => {
    const eight = traceOutline(bitmap(['10', '01']), 8);
    expect(eight).toHaveLength(1);
    expect(eight[0]!.filter(([x, y]) => x === 1 && y === 1)).toHaveLength(2); // passes the touch point twice
    expect(traceOutline(bitmap(['10', '01']), 4)).toHaveLength(2);
  });
  test('a diamond of diagonal pixels encloses a hole under 8-connectivity', () => {
    const rings = traceOutline(bitmap(['0110', '1001', '1001', '0110']), 8);
    expect(rings.map(mapArea)).toEqual([12, -4]);
  });
  test('the ring: pixels within r, outside the candidate mask and the image', () => {
    const mask = BitMask.fromBytes([0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0], 4, 3);
    const seen: string[] = [];
    visitRing({ x0: 1, y0: 1, width: 1, height: 1, data: Uint8Array.from([1]) }, 1, mask, (x, y) =>
      seen.push(`${x},${y}`),
    );
    // the 3x3 block around (1,1), minus (1,1) and (2,1) which are in the mask
    expect(seen).toEqual(['0,0', '1,0', '2,0', '0,1', '0,2', '1,2', '2,2']);
  });
});

describe('confidence formulas', () => {
  test('arithmetic, precedence, functions, unary minus', () => {
    const f = parseFormula('0.8 * min(1, sqrt(area_m2) / 30) * min(1, 10 * abs(mean_crop_mark)) - -0');
    expect(evaluate(f, { area_m2: 900, mean_crop_mark: -0.05 })).toBeCloseTo(0.8 * 1 * 0.5, 12);
    expect(evaluate(parseFormula('1 + 2 * 3'), {})).toBe(7);
    expect(evaluate(parseFormula('(1 + 2) * 3'), {})).toBe(9);
    expect(evaluate(parseFormula('max(1, 5, 3)'), {})).toBe(5);
  });
  test('errors say what and where', () => {
    expect(() => parseFormula('min(1)')).toThrow('min takes 2 or more argument(s), got 1');
    expect(() => parseFormula('foo(2)')).toThrow("unknown function 'foo'");
    expect(() => parseFormula('1 +')).toThrow('unexpected end of formula');
    expect(() => parseFormula('(1')).toThrow("expected ')' at the end");
  });
});

describe('parameter files', () => {
  test('the built-in sets validate as files, and their hashes differ', () => {
    for (const p of Object.values(builtinParams)) expect(validateParams(JSON.parse(JSON.stringify(p)))).toEqual(p);
    expect(paramsHash(builtinParams['default']!)).not.toBe(paramsHash(builtinParams['original']!));
    expect(Object.keys(defaultParams.detectors)).toEqual([
      'terra_preta',
      'terra_preta_standard',
      'crop_mark',
      'earthworks',
    ]);
  });
  test('the hash ignores name and description, not values', () => {
    const p = JSON.parse(JSON.stringify(defaultParams));
    expect(paramsHash({ ...p, name: 'x', description: 'y' })).toBe(paramsHash(defaultParams));
    p.detectors.terra_preta.conditions[0].value = 0.13;
    expect(paramsHash(p)).not.toBe(paramsHash(defaultParams));
  });
  test('outline colours reach the quicklook only: the hash ignores them', () => {
    const p = JSON.parse(JSON.stringify(defaultParams));
    for (const d of Object.values(p.detectors) as { outline?: string }[]) delete d.outline;
    expect(paramsHash(p)).toBe(paramsHash(defaultParams));
    p.detectors.crop_mark.outline = '#123456';
    expect(validateParams(p).detectors['crop_mark']!.outline).toBe('#123456');
    expect(paramsHash(p)).toBe(paramsHash(defaultParams));
  });
  test('a detector without `kind` is spectral: the same spec and hash as one saying so', () => {
    const p = JSON.parse(JSON.stringify(defaultParams));
    for (const d of Object.values(p.detectors) as { kind?: string }[]) if (d.kind === 'spectral') delete d.kind;
    const parsed = validateParams(p);
    expect(parsed).toEqual(defaultParams);
    expect(Object.values(parsed.detectors).map((d) => d.kind)).toEqual([
      'spectral',
      'spectral',
      'spectral',
      'earthworks',
    ]);
    expect(paramsHash(parsed)).toBe(paramsHash(defaultParams));
  });
  test('confidence: the default weighs contrast, strength and size; the original keeps area/200', () => {
    const vars = { contrast: 0.075, mean_terra_preta_enhanced: 0.12 + 0.15, area_m2: 5000, area_px: 50 };
    const f = parseFormula((defaultParams.detectors['terra_preta'] as SpectralSpec).confidence);
    expect(evaluate(f, vars)).toBeCloseTo(0.6 * 0.5 + 0.3 * 1 + 0.1 * 0.25, 12);
    // each term is clipped to [0, 1]: a negative contrast adds nothing, a huge one at most its weight
    expect(evaluate(f, { ...vars, contrast: -0.3 })).toBeCloseTo(0.3 + 0.025, 12);
    expect(evaluate(f, { ...vars, contrast: 3, area_m2: 1e6 })).toBeCloseTo(1, 12);
    const original = parseFormula((builtinParams['original']!.detectors['terra_preta'] as SpectralSpec).confidence);
    expect(evaluate(original, vars)).toBe(0.25);
    expect((builtinParams['original']!.detectors['terra_preta_standard'] as SpectralSpec).confidence).toBe(
      'max(0.6, min(1, 0.5 * min(1, 10 * mean_terra_preta) + 0.3 * min(1, 4 * (mean_ndvi - 0.35)) + 0.2 * min(1, area_px / 100)))',
    );
  });
  const broken = (edit: (p: Record<string, any>) => void): string => {
    const p = JSON.parse(JSON.stringify(defaultParams));
    edit(p);
    try {
      validateParams(p);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };
  test.each([
    [
      (p: any) => (p.detectors.terra_preta.conditions[1].op = '=>'),
      '$.detectors.terra_preta.conditions[1].op: expected one of >, >=, <, <=, got "=>"',
    ],
    [
      (p: any) => (p.detectors.crop_mark.conditions[0].index = 'evi'),
      '$.detectors.crop_mark.conditions[0].index: unknown index "evi"',
    ],
    [
      (p: any) => (p.detectors.terra_preta.morphology[0].size = 4),
      '$.detectors.terra_preta.morphology[0].size: expected an odd integer from 1 to 99, got 4',
    ],
    [
      (p: any) =>
        (p.detectors.terra_preta.morphology[1].kernel = [
          [1, 1],
          [1, 1],
        ]),
      '$.detectors.terra_preta.morphology[1].kernel: expected an odd-sided matrix of 0 and 1',
    ],
    [
      (p: any) => (p.detectors.terra_preta.connectivity = 6),
      '$.detectors.terra_preta.connectivity: expected 4 or 8, got 6',
    ],
    [
      (p: any) => (p.detectors.terra_preta.area_m2.max = 10),
      '$.detectors.terra_preta.area_m2.max: expected ≥ min (1000)',
    ],
    [
      (p: any) => (p.detectors.terra_preta.confidence = 'min(1, area / 2)'),
      "$.detectors.terra_preta.confidence: unknown variable 'area' (known: area_px, area_m2, aspect, contrast, mean_<index>)",
    ],
    [
      (p: any) => (p.detectors.terra_preta.colour = 'red'),
      '$.detectors.terra_preta.colour: unknown key (expected kind, index, conditions, morphology, connectivity, area_m2, max_aspect, confidence, min_confidence, density, outline)',
    ],
    [
      (p: any) => (p.detectors.crop_mark.outline = 'cyan'),
      '$.detectors.crop_mark.outline: expected a colour #rrggbb, got "cyan"',
    ],
    [
      // 1e309 in a parameter file parses as Infinity; the message must not say "null".
      (p: any) => (p.detectors.terra_preta.area_m2.min = JSON.parse('1e309')),
      '$.detectors.terra_preta.area_m2.min: expected a finite number, got Infinity',
    ],
    [
      (p: any) => (p.detectors.terra_preta.area_m2.min = '5'),
      '$.detectors.terra_preta.area_m2.min: expected a finite number, got "5"',
    ],
    [(p: any) => delete p.detectors.crop_mark.conditions, '$.detectors.crop_mark.conditions: missing'],
    [
      (p: any) => (p.detectors.crop_mark.kind = 'ring_ditch'),
      '$.detectors.crop_mark.kind: expected one of spectral, earthworks, got "ring_ditch"',
    ],
    [
      (p: any) => (p.detectors.crop_mark.kind = 3),
      '$.detectors.crop_mark.kind: expected one of spectral, earthworks, got 3',
    ],
    [
      (p: any) => (p.detectors.crop_mark.kind = 'toString'),
      '$.detectors.crop_mark.kind: expected one of spectral, earthworks, got "toString"',
    ],
    [(p: any) => (p.mask_classes = [3, 300]), '$.mask_classes[1]: expected an integer 0-255'],
    [(p: any) => (p.detectors = {}), '$.detectors: expected an object with at least one detector'],
  ])('refused with the JSON path: %#', (edit, message) => {
    expect(broken(edit)).toBe(message);
  });
  test('the indices detectors read', () => {
    expect(detectorIndices(Object.values(defaultParams.detectors)).sort()).toEqual([
      'crop_mark',
      'ndre1',
      'ndvi',
      'terra_preta',
      'terra_preta_enhanced',
    ]);
  });
});

describe('density limit', () => {
  test('single-linkage clusters within cluster_m keep their most confident member, then the top N', () => {
    const items = [
      { x: 0, y: 0, confidence: 0.5, area: 10 },
      { x: 400, y: 0, confidence: 0.9, area: 10 }, // chained to the first (400 m) and third
      { x: 800, y: 0, confidence: 0.7, area: 10 },
      { x: 5000, y: 0, confidence: 0.6, area: 10 }, // alone
      { x: 9000, y: 0, confidence: 0.3, area: 10 }, // alone
    ];
    expect(densityFilter(items, 550, 10)).toEqual([1, 3, 4]);
    expect(densityFilter(items, 550, 2)).toEqual([1, 3]);
    expect(densityFilter(items, 0, 10)).toEqual([1, 2, 3, 0, 4]);
  });
});
