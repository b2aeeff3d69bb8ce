/**
 * Out-of-range reflectance on the baseline 04.00 SAFE sample (BOA_ADD_OFFSET −1000): every band's count
 * of negative-reflectance pixels in report.json equals numpy's on the same JP2 files, a warning says so
 * when they are kept, and `--clip-reflectance` gives indices equal to numpy with negative reflectance
 * set to 0 (test/fixtures/make_fixtures.py, case unu-60m-clip) — normalised differences then in [−1, 1].
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { archeo, errorLines } from '../helpers/cli.js';
import { outputEntries, tempDir, unuSample } from '../helpers/paths.js';
import { compare, readExpected, readManifest, readRaster } from '../helpers/rasters.js';

interface Reflectance {
  clipped: boolean;
  bands: { band: string; offset: number; negative_below_dn: number; negative_pixels: number; pixels: number }[];
}

const manifest = readManifest('unu-60m-clip') as ReturnType<typeof readManifest> & {
  negative_pixels: Record<string, number>;
};

function scan(args: string[]): { dir: string; stderr: string; report: Record<string, unknown> } {
  const out = tempDir();
  const r = archeo(['scan', unuSample, '--out', out, ...args]);
  expect(errorLines(r.stderr)).toEqual([]);
  expect(r.code).toBe(0);
  const dir = join(out, outputEntries(out)[0]!);
  return { dir, stderr: r.stderr, report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) };
}

/** Band → negative pixels, for the bands the run read. */
const counts = (r: Reflectance): Record<string, number> =>
  Object.fromEntries(r.bands.map((b) => [b.band, b.negative_pixels]));

describe('negative reflectance kept (the default)', () => {
  let run: ReturnType<typeof scan>;
  beforeAll(() => {
    run = scan(['--indices', 'ndre1,avi,s2_archaeological', '--detect', 'none']);
  });
  test('report.json counts each band’s negative pixels as numpy does', () => {
    const r = run.report['reflectance'] as Reflectance;
    expect(r.clipped).toBe(false);
    const got = counts(r);
    expect(Object.keys(got).sort()).toEqual(['B04', 'B05', 'B07', 'B11']);
    for (const [band, n] of Object.entries(got))
      expect({ band, n }).toEqual({ band, n: manifest.negative_pixels[band] });
    for (const b of r.bands) {
      expect(b.offset).toBe(-1000);
      expect(b.negative_below_dn).toBe(1000);
      expect(b.pixels).toBe(256 * 256);
    }
  });
  test('a warning names the bands and the flag, in the log and in report.json', () => {
    const warning = (run.report['warnings'] as string[]).find((w) => w.startsWith('negative reflectance'));
    expect(warning).toContain('BOA_ADD_OFFSET -1000');
    expect(warning).toContain('outside [-1, 1]');
    expect(warning).toContain('--clip-reflectance');
    expect(run.stderr).toContain('negative reflectance (DN below 1000');
  });
});

describe('--clip-reflectance', () => {
  let run: ReturnType<typeof scan>;
  beforeAll(() => {
    run = scan([...manifest.args, '--detect', 'none']);
  });
  test('indices equal numpy with negative reflectance set to 0, and normalised differences in [-1, 1]', async () => {
    for (const index of manifest.indices) {
      const expected = readExpected('unu-60m-clip', index);
      const { data } = await readRaster(join(run.dir, 'indices', `${index}.tif`));
      const c = compare(expected, data);
      expect({ index, nanMismatch: c.nanMismatch }).toEqual({ index, nanMismatch: 0 });
      expect(c.maxDiff).toBeLessThanOrEqual(1e-6);
      expect(c.compared).toBeGreaterThan(1000);
      if (index === 'ndre1' || index === 'avi') {
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of data as Float32Array) if (!Number.isNaN(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
        expect(lo).toBeGreaterThanOrEqual(-1);
        expect(hi).toBeLessThanOrEqual(1);
      }
    }
    // Without clipping, the reference itself leaves [-1, 1] on this product (what the flag is for).
    const unclipped = readExpected('unu-60m', 'ndre1').filter((v) => !Number.isNaN(v));
    expect(Math.max(...unclipped.map(Math.abs))).toBeGreaterThan(1);
  });
  test('report.json: clipped, the counts still there, no warning, the flag among the parameters', () => {
    const r = run.report['reflectance'] as Reflectance;
    expect(r.clipped).toBe(true);
    for (const [band, n] of Object.entries(counts(r))) expect(n).toBe(manifest.negative_pixels[band]);
    expect((run.report['warnings'] as string[]).filter((w) => w.startsWith('negative reflectance'))).toEqual([]);
    expect((run.report['parameters'] as Record<string, unknown>)['clip_reflectance']).toBe(true);
  });
});
