/**
 * What archeo velocity does beyond a value-by-value match with MintPy: partially-NaN pixels (MintPy
 * aborts), the bootstrap (MintPy's draws are unseeded: compared statistically), GeoTIFF export, and
 * `archeo info` on a real MintPy product.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { archeo } from '../helpers/cli.js';
import { gdal, gdalTest } from '../helpers/gdal.js';
import { readH5 } from '../helpers/h5.js';
import { root, tempDir } from '../helpers/paths.js';

const fixtures = join(root, 'test', 'fixtures', 'velocity');

function velocity(input: string, args: string[]): { out: string; code: number; stdout: string; stderr: string } {
  const out = tempDir('archeo-vel-');
  const r = archeo(['velocity', input, ...args, '--out', out]);
  return { out, ...r };
}

describe('partially-NaN pixels (MintPy aborts the whole run on them)', () => {
  test('full pixels get MintPy numbers; partial pixels a fit on their own dates; too few dates are NaN', async () => {
    const run = velocity(join(fixtures, 'ts_p.h5'), []);
    expect(run.code).toBe(0);
    const ours = await readH5(join(run.out, 'velocity.h5'));
    // MintPy on the same file with every partial pixel blanked, and numpy's per-pixel fits (float64).
    const mintpy = await readH5(join(fixtures, 'mintpy', 'p_fullonly.h5'));
    const ref = await readH5(join(fixtures, 'p_partial_ref.h5'));
    const partial = ref.datasets['partial']!.values as Float32Array;
    const validDates = ref.datasets['valid_dates']!.values as Float32Array;
    let partialChecked = 0;
    let tooFew = 0;
    for (const name of ['velocity', 'velocityStd', 'intercept', 'interceptStd', 'residue']) {
      const a = ours.datasets[name]!.values as Float32Array;
      const m = mintpy.datasets[name]!.values as Float32Array;
      const r = ref.datasets[name]!.values as Float32Array;
      const isStd = name !== 'velocity' && name !== 'intercept';
      for (let i = 0; i < a.length; i++) {
        if (partial[i]) {
          if (validDates[i]! < 3) {
            expect(Number.isNaN(a[i]!)).toBe(true);
            tooFew++;
          } else {
            const err = isStd ? Math.abs(a[i]! - r[i]!) / r[i]! : Math.abs(a[i]! - r[i]!);
            expect(err).toBeLessThan(isStd ? 1e-4 : 1e-6);
            partialChecked++;
          }
        } else {
          const err = isStd
            ? m[i] === 0
              ? Math.abs(a[i]!)
              : Math.abs(a[i]! - m[i]!) / m[i]!
            : Math.abs(a[i]! - m[i]!);
          expect(err).toBeLessThan(isStd ? 1e-4 : 1e-6);
        }
      }
    }
    expect(partialChecked).toBe(5 * 74);
    expect(tooFew).toBe(5 * 3);
    const report = JSON.parse(readFileSync(join(run.out, 'report.json'), 'utf8'));
    expect(report.pixels).toEqual({
      total: 768,
      full: 653,
      partial: 74,
      skipped: 38,
      too_few_dates: 3,
      rank_deficient: 0,
    });
    expect(report.recommendations.join(' ')).toContain('3 pixel(s) could not be fitted');
    expect(run.stdout).toContain('727 pixels fitted (74 partial), 38 skipped, 3 not fittable');
  });
});

describe('--uq bootstrap', () => {
  test('agrees statistically with MintPy (400 draws each) and repeats exactly with the same --seed', async () => {
    const a = velocity(join(fixtures, 'ts_a.h5'), ['--uq', 'bootstrap', '--bc', '400', '--seed', '7']);
    const b = velocity(join(fixtures, 'ts_a.h5'), ['--uq', 'bootstrap', '--bootstrap-count', '400', '--seed', '7']);
    const c = velocity(join(fixtures, 'ts_a.h5'), ['--uq', 'bootstrap', '--bc', '400', '--seed', '8']);
    for (const r of [a, b, c]) expect(r.code).toBe(0);
    const [oa, ob, oc, mp, ls] = await Promise.all([
      readH5(join(a.out, 'velocity.h5')),
      readH5(join(b.out, 'velocity.h5')),
      readH5(join(c.out, 'velocity.h5')),
      readH5(join(fixtures, 'mintpy', 'a_bootstrap.h5')),
      readH5(join(fixtures, 'mintpy', 'a_poly1.h5')),
    ]);
    expect(Object.keys(oa.datasets).sort()).toEqual(Object.keys(mp.datasets).sort()); // no residue dataset
    expect(ob.datasets['velocityStd']!.values).toEqual(oa.datasets['velocityStd']!.values);
    expect(oc.datasets['velocityStd']!.values).not.toEqual(oa.datasets['velocityStd']!.values);
    const std = oa.datasets['velocityStd']!.values as Float32Array;
    const mstd = mp.datasets['velocityStd']!.values as Float32Array;
    const vel = oa.datasets['velocity']!.values as Float32Array;
    const lsVel = ls.datasets['velocity']!.values as Float32Array;
    const lsStd = ls.datasets['velocityStd']!.values as Float32Array;
    const ratios: number[] = [];
    let far = 0;
    for (let i = 0; i < std.length; i++) {
      if (mstd[i] === 0) {
        expect(std[i]).toBe(0);
        continue;
      }
      ratios.push(std[i]! / mstd[i]!);
      // The bootstrap mean stays within a few of its own std of the least-squares velocity.
      if (Math.abs(vel[i]! - lsVel[i]!) > 0.5 * lsStd[i]!) far++;
    }
    ratios.sort((x, y) => x - y);
    const median = ratios[ratios.length >> 1]!;
    // Two estimates from 400 draws each: per-pixel ratios scatter by about sqrt(2/400)·√2 ≈ 10 %.
    expect(median).toBeGreaterThan(0.95);
    expect(median).toBeLessThan(1.05);
    expect(ratios[Math.floor(ratios.length * 0.02)]!).toBeGreaterThan(0.7);
    expect(ratios[Math.floor(ratios.length * 0.98)]!).toBeLessThan(1.3);
    expect(far).toBe(0);
  });

  test('is refused for models other than the linear one, as in MintPy', () => {
    const r = velocity(join(fixtures, 'ts_a.h5'), ['--uq', 'bootstrap', '--periodic', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'archeo: --uq bootstrap: only the linear model (--polynomial 1, no other function), as in MintPy',
    );
    expect(readdirSync(r.out)).toEqual([]);
  });
});

describe('--geotiff', () => {
  gdalTest('each dataset as a georeferenced float32 GeoTIFF with the values of velocity.h5', async () => {
    const r = velocity(join(fixtures, 'ts_a.h5'), ['--geotiff']);
    expect(r.code).toBe(0);
    const files = readdirSync(r.out).sort();
    expect(files).toEqual([
      'report.json',
      'velocity.h5',
      'velocity_intercept.tif',
      'velocity_interceptStd.tif',
      'velocity_residue.tif',
      'velocity_velocity.tif',
      'velocity_velocityStd.tif',
    ]);
    const info = JSON.parse(gdal('gdalinfo', ['-json', join(r.out, 'velocity_velocity.tif')]));
    expect(info.size).toEqual([32, 24]);
    // make_timeseries.py: X_FIRST -118, Y_FIRST 36, steps ±0.000833333 degrees, EPSG 4326.
    expect(info.geoTransform).toEqual([-118, 0.000833333, 0, 36, 0, -0.000833333]);
    expect(info.coordinateSystem.wkt).toContain('WGS 84');
    expect(info.bands[0].type).toBe('Float32');
    const h5 = await readH5(join(r.out, 'velocity.h5'));
    const v = h5.datasets['velocity']!.values as Float32Array;
    const xyz = gdal('gdal_translate', ['-q', '-of', 'XYZ', join(r.out, 'velocity_velocity.tif'), '/vsistdout/']);
    const rows = xyz
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/).map(Number));
    expect(rows.length).toBe(v.length);
    // Pixel centres as MintPy places them: X_FIRST + (col + 0.5)·X_STEP.
    expect(rows[0]![0]).toBeCloseTo(-118 + 0.5 * 0.000833333, 9);
    expect(rows[0]![1]).toBeCloseTo(36 - 0.5 * 0.000833333, 9);
    for (let i = 0; i < v.length; i++) expect(rows[i]![2]).toBe(v[i]);
  });
});

describe('archeo info on MintPy files', () => {
  test('a real MintPy velocity.h5 (Cadia, Sentinel-1; crop by MintPy subset.py): every attribute, as h5py reads them', () => {
    const expected = JSON.parse(readFileSync(join(fixtures, 'cadia_attrs.json'), 'utf8'));
    const r = archeo(['info', join(fixtures, 'cadia_velocity_crop.h5'), '--json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.file_type).toBe('velocity');
    expect(d.attributes).toEqual(expected.attributes);
    expect(Object.keys(expected.attributes)).toHaveLength(131);
    expect(
      Object.fromEntries(
        d.datasets.map((x: { name: string; shape: number[]; dtype: string }) => [
          x.name,
          { shape: x.shape, dtype: x.dtype },
        ]),
      ),
    ).toEqual(expected.datasets);
    const human = archeo(['info', join(fixtures, 'cadia_velocity_crop.h5')]);
    expect(human.stdout).toContain('file type  velocity');
    expect(human.stdout).toContain('attributes 131');
    expect(human.stdout).toMatch(/REF_LAT\s+= -33\.489677/);
  });

  test('a time series: its dates and compression', () => {
    const r = archeo(['info', join(fixtures, 'ts_b_lzf.h5')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dates      40: 20180101 .. 20190414');
    expect(r.stdout).toMatch(/timeseries\s+float32 \(40, 20, 28\)\s+chunks \(20, 10, 14\)\s+lzf \(32000\)\s+m/);
  });
});
