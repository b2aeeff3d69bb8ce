/** The index table compiled by the CPU engine, on hand-worked values. */
import { describe, expect, test } from '@jest/globals';
import { indexByName, indexTable, defaultIndexNames } from '../../src/compute/indices.js';
import { toReflectance } from '../../src/compute/radiometry.js';
import { compileIndexKernel } from '../../src/engine/cpu/compile.js';

function run(names: string[], bands: Record<string, number[]>, masked?: number[]): Record<string, number[]> {
  const defs = names.map((n) => indexByName(n)!);
  const k = compileIndexKernel(defs);
  const n = Object.values(bands)[0]!.length;
  const outs = names.map(() => new Float32Array(n));
  k.run(
    k.bands.map((b) => Float32Array.from(bands[b]!)),
    masked ? Uint8Array.from(masked) : undefined,
    outs,
    n,
  );
  return Object.fromEntries(names.map((name, i) => [name, Array.from(outs[i]!)]));
}

describe('index kernels', () => {
  test('the table has the eleven indices of product.md, the first seven by default', () => {
    expect(indexTable.map((d) => d.name)).toEqual([
      'ndvi',
      'ndre1',
      'ndre3',
      'avi',
      'terra_preta',
      'terra_preta_enhanced',
      'clay_minerals',
      'ndwi',
      'brightness',
      'crop_mark',
      's2_archaeological',
    ]);
    expect(defaultIndexNames).toEqual(indexTable.slice(0, 7).map((d) => d.name));
  });

  test('normalised differences in float32: 1e-8 vanishes next to 0.75, and (0.5-0.25)/0.75 is float32(1/3)', () => {
    const r = run(['ndvi', 'ndwi'], { B08: [0.5, 0.25, 0], B04: [0.25, 0.5, 0], B03: [0.25, 0.5, 0] });
    expect(r['ndvi']).toEqual([Math.fround(1 / 3), Math.fround(-1 / 3), 0]);
    expect(r['ndwi']).toEqual([Math.fround(-1 / 3), Math.fround(1 / 3), 0]);
  });

  test('brightness, crop_mark, s2_archaeological and clay_minerals on exact binary fractions', () => {
    const r = run(['brightness', 'crop_mark', 's2_archaeological', 'clay_minerals'], {
      B02: [0.5],
      B03: [0.5],
      B04: [0.25],
      B05: [0.5],
      B07: [0.25],
      B08: [1],
      B11: [0.125],
      B12: [0.5],
    });
    expect(r['brightness']).toEqual([Math.fround(Math.sqrt((0.25 + 0.25 + 0.0625) / 3))]);
    // ((0.5-0.25)(1-0.5)) / ((0.5+0.25)(1+0.5) + 1e-8) = 0.125 / 1.125 (1e-8 is below float32 resolution at 1.125)
    expect(r['crop_mark']).toEqual([Math.fround(0.125 / 1.125)]);
    // m = 0.375: (0.375-0.125)/(0.5) = 0.5
    expect(r['s2_archaeological']).toEqual([0.5]);
    expect(r['clay_minerals']).toEqual([0.25]);
  });

  test('masked pixels are NaN in every index; NaN (nodata) inputs give NaN', () => {
    const r = run(
      ['ndvi', 'ndre1'],
      { B08: [0.5, 0.5, NaN], B04: [0.25, 0.25, 0.25], B05: [0.5, 0.5, 0.5] },
      [0, 1, 0],
    );
    expect(r['ndvi']).toEqual([Math.fround(1 / 3), NaN, NaN]);
    expect(r['ndre1']).toEqual([Math.fround(1 / 3), NaN, Math.fround(1 / 3)]);
  });

  test('the fused kernel reads each band once, in first-use order', () => {
    const k = compileIndexKernel(defaultIndexNames.map((n) => indexByName(n)!));
    expect(k.bands).toEqual(['B08', 'B04', 'B05', 'B07', 'B11', 'B12']);
  });
});

describe('radiometry', () => {
  test('(DN + offset) / quantification in float32; DN 0 is NaN; no clipping below 0', () => {
    const out = toReflectance(
      Uint16Array.from([0, 1000, 1500, 500, 11000]),
      { offset: -1000, quantification: 10000 },
      new Float32Array(5),
    );
    expect(Array.from(out)).toEqual([NaN, 0, Math.fround(0.05), Math.fround(-0.05), 1]);
  });
});

describe('reflectance modes', () => {
  test("'multiply' rounds twice (by float32(1e-4)) and differs from the division by one ulp for some DN", async () => {
    const { reflectanceOf } = await import('../../src/compute/radiometry.js');
    let differ = 0;
    for (let dn = 1; dn < 5000; dn++) {
      const d = reflectanceOf(dn, { offset: 0, quantification: 10000 });
      const m = reflectanceOf(dn, { offset: 0, quantification: 10000, mode: 'multiply' });
      expect(d).toBe(Math.fround(dn / 10000));
      expect(m).toBe(Math.fround(dn * Math.fround(1e-4)));
      if (d !== m) {
        differ++;
        expect(Math.abs(d - m)).toBeLessThanOrEqual(2 ** -24 * Math.abs(d) * 2);
      }
    }
    expect(differ).toBeGreaterThan(100); // why a pixel-identical comparison with such a pipeline needs the mode
  });
});
