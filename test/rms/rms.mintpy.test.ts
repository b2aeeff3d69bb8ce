/**
 * archeo rms against MintPy 1.5.1's timeseries_rms: the text outputs of six option sets were made by
 * MintPy (test/fixtures/rms/make_rms_fixtures.py) in a folder holding the same inputs; here archeo runs in
 * such a folder too. Headers: MintPy's lines, except that the file and mask lines name what archeo used
 * (no `_ramp.h5` is written; an absent mask is said to be absent). Per-date RMS within 1e-6 relative;
 * reference date and outlier dates identical.
 */
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import sharp from 'sharp';
import { archeo, errorLines } from '../helpers/cli.js';
import { root, tempDir } from '../helpers/paths.js';

const fixtures = join(root, 'test', 'fixtures', 'rms');

const cases: Record<string, string[]> = {
  quadratic: [],
  quadratic_mask: ['-m', 'maskTempCoh.h5'],
  linear_mask_cutoff2: ['-r', 'linear', '-m', 'maskTempCoh.h5', '--cutoff', '2'],
  no_ramp: ['-r', 'no'],
  linear_range: ['-r', 'linear_range'],
  quadratic_azimuth: ['--deramp', 'quadratic_azimuth', '--cutoff', '5'],
};

/** A scratch folder with the time series (and the mask when the case names it), like MintPy's run. */
function workdir(args: string[]): string {
  const dir = tempDir('archeo-rms-');
  copyFileSync(join(fixtures, 'timeseriesResidual.h5'), join(dir, 'timeseriesResidual.h5'));
  if (args.includes('maskTempCoh.h5')) copyFileSync(join(fixtures, 'maskTempCoh.h5'), join(dir, 'maskTempCoh.h5'));
  return dir;
}

function table(text: string): { header: string[]; rows: [string, number][] } {
  const lines = text.trimEnd().split('\n');
  return {
    header: lines.slice(0, 4),
    rows: lines.slice(4).map((l) => {
      const [d, v] = l.split('\t');
      return [d!, Number(v)];
    }),
  };
}

describe('archeo rms = MintPy timeseries_rms', () => {
  for (const [name, args] of Object.entries(cases)) {
    test(`${name}: ${args.join(' ') || '(defaults)'}`, async () => {
      const dir = workdir(args);
      const r = archeo(['rms', 'timeseriesResidual.h5', ...args, '--quiet'], {}, dir);
      expect(r.code).toBe(0);
      const expected = readdirSync(join(fixtures, name)).sort();
      const txt = expected.find((f) => f.startsWith('rms_'))!;
      const png = txt.replace(/\.txt$/, '.png');
      expect(
        readdirSync(dir)
          .filter((f) => !f.endsWith('.h5'))
          .sort(),
      ).toEqual([...expected, png, 'report.json'].sort());
      const ours = table(readFileSync(join(dir, txt), 'utf8'));
      const theirs = table(readFileSync(join(fixtures, name, txt), 'utf8'));
      // MintPy's first and last header lines; the two naming files say what archeo really used (docs/rms.md):
      // MintPy names its deramped cube, which archeo never writes, and a mask file even when it is absent.
      expect([ours.header[0], ours.header[3]]).toEqual([theirs.header[0], theirs.header[3]]);
      const at = Math.max(args.indexOf('-r'), args.indexOf('--deramp'));
      const ramp = at >= 0 ? args[at + 1]! : 'quadratic';
      expect(theirs.header[1]).toBe(`# Timeseries file: timeseriesResidual${ramp === 'no' ? '' : '_ramp'}.h5`);
      expect(ours.header[1]).toBe(
        ramp === 'no'
          ? '# Timeseries file: timeseriesResidual.h5'
          : `# Timeseries file: timeseriesResidual.h5 (${ramp} ramp removed per date in memory; timeseriesResidual_ramp.h5 not written)`,
      );
      expect(theirs.header[2]).toBe('# Mask file: maskTempCoh.h5');
      expect(ours.header[2]).toBe(
        args.includes('maskTempCoh.h5')
          ? '# Mask file: maskTempCoh.h5'
          : '# Mask file: none (maskTempCoh.h5 not found: every pixel used)',
      );
      expect(ours.rows.map((x) => x[0])).toEqual(theirs.rows.map((x) => x[0]));
      for (let i = 0; i < theirs.rows.length; i++)
        expect(Math.abs(ours.rows[i]![1] - theirs.rows[i]![1]) / theirs.rows[i]![1]).toBeLessThan(1e-6);
      // Numbers are printed as MintPy prints the float32 values (Python's repr of a float).
      for (const [, v] of ours.rows) expect(Math.fround(v)).toBe(v);
      expect(readFileSync(join(dir, 'reference_date.txt'), 'utf8')).toBe(
        readFileSync(join(fixtures, name, 'reference_date.txt'), 'utf8'),
      );
      if (expected.includes('exclude_date.txt')) {
        expect(readFileSync(join(dir, 'exclude_date.txt'), 'utf8')).toBe(
          readFileSync(join(fixtures, name, 'exclude_date.txt'), 'utf8'),
        );
      }
      const meta = await sharp(join(dir, png)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 1000, 560]);
    });
  }

  test('no outlier: an old exclude_date.txt is removed, as MintPy does', () => {
    const dir = workdir([]);
    writeFileSync(join(dir, 'exclude_date.txt'), '20180101\n');
    const r = archeo(['rms', 'timeseriesResidual.h5', '--cutoff', '100', '--json'], {}, dir);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'exclude_date.txt'))).toBe(false);
    const summary = JSON.parse(r.stdout);
    expect(summary.excluded).toEqual([]);
    expect(Object.keys(summary.rms_m)).toHaveLength(40);
  });

  test('JavaScript loops (--no-simd) print the same file', () => {
    const [a, b] = [workdir([]), workdir([])];
    expect(archeo(['rms', 'timeseriesResidual.h5', '-q'], {}, a).code).toBe(0);
    expect(archeo(['rms', 'timeseriesResidual.h5', '-q', '--no-simd'], {}, b).code).toBe(0);
    expect(readFileSync(join(b, 'rms_timeseriesResidual_ramp.txt'), 'utf8')).toBe(
      readFileSync(join(a, 'rms_timeseriesResidual_ramp.txt'), 'utf8'),
    );
  });

  test("one pass when the first pass's sums give the RMS; a second pass when a ramp dwarfs the residual", async () => {
    const dir = workdir([]);
    expect(archeo(['rms', 'timeseriesResidual.h5', '-q'], {}, dir).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).blocks.passes).toBe(1);
    // 6 dates of a 1 km ramp plus a residual of about 1e-5 m: Σd² / Σe² ≈ 1e16, beyond the sums' digits.
    await h5wasm.ready;
    const steep = join(tempDir('archeo-rms-'), 'timeseriesResidual.h5');
    const f = new h5wasm.File(steep, 'w');
    const [n, rows, cols] = [6, 40, 50];
    const cube = new Float32Array(n * rows * cols);
    for (let d = 0; d < n; d++) {
      for (let y = 0; y < rows; y++) {
        for (let x = 0; x < cols; x++) {
          const e = 1e-5 * Math.sin(7 * x + 13 * y + d);
          cube[(d * rows + y) * cols + x] = Math.fround(1000 * (d + 1) * (x / cols + 0.5 * (y / rows)) + e);
        }
      }
    }
    f.create_dataset({ name: 'timeseries', data: cube, shape: [n, rows, cols], dtype: '<f4' });
    f.create_dataset({
      name: 'date',
      data: ['20200101', '20200113', '20200125', '20200206', '20200218', '20200301'],
      dtype: 'S8',
    });
    for (const [k, v] of Object.entries({
      LENGTH: String(rows),
      WIDTH: String(cols),
      REF_Y: '0',
      REF_X: '0',
      REF_DATE: '20200101',
      FILE_TYPE: 'timeseries',
    }))
      f.create_attribute(k, v);
    f.close();
    const r = archeo(['rms', steep, '-r', 'linear', '--json', '-q', '--out', join(steep, '..', 'out')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(steep, '..', 'out', 'report.json'), 'utf8')).blocks.passes).toBe(2);
    // float32 data of ~1e3 m hold ~6e-5 m of rounding: the RMS is that, not 0 and not the ramp.
    const rms = Object.values(JSON.parse(r.stdout).rms_m as Record<string, number>);
    expect(rms).toHaveLength(6);
    for (const v of rms) expect(v).toBeLessThan(1e-3);
  });

  test('bad input: one line, non-zero exit', () => {
    const dir = workdir([]);
    writeFileSync(join(dir, 'notes.h5'), 'not hdf5');
    let r = archeo(['rms', 'notes.h5'], {}, dir);
    expect([r.code, errorLines(r.stderr)]).toEqual([1, ['archeo: notes.h5: not an HDF5 file']]);
    r = archeo(['rms', 'timeseriesResidual.h5', '--ramp', 'cubic'], {}, dir);
    expect([r.code, errorLines(r.stderr)]).toEqual([
      2,
      [
        'archeo: --ramp cubic: expected one of no, linear, quadratic, linear_range, linear_azimuth, quadratic_range, quadratic_azimuth',
      ],
    ]);
    copyFileSync(join(root, 'test', 'fixtures', 'velocity', 'cadia_velocity_crop.h5'), join(dir, 'maskTempCoh.h5'));
    r = archeo(['rms', 'timeseriesResidual.h5'], {}, dir);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      "archeo: maskTempCoh.h5: mask 'intercept' is (40, 48) but the time series is (60, 70)",
    ]);
  });
});
