/**
 * Bad input to archeo velocity: one line naming the file (or flag) and the fault, a non-zero exit code,
 * and nothing left in --out (no velocity.h5, no temporary file).
 */
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { archeo, errorLines, expectCliFailure } from '../helpers/cli.js';
import { root, tempDir } from '../helpers/paths.js';

const fixtures = join(root, 'test', 'fixtures', 'velocity');

function copy(name: string, as = name): string {
  const dst = join(tempDir('archeo-bad-'), as);
  copyFileSync(join(fixtures, name), dst);
  return dst;
}

function expectFailure(input: string, args: string[], line: string, code = 1): void {
  expectCliFailure('velocity', input, args, line, code);
}

/** Replaces the first occurrence of `from` by `to` (same length) in a file's bytes. */
function patchBytes(path: string, from: Buffer, to: Buffer, after = 0): void {
  const b = readFileSync(path);
  const at = b.indexOf(from, after);
  if (at < 0) throw new Error(`pattern not found in ${path}`);
  to.copy(b, at);
  writeFileSync(path, b);
}

describe('archeo velocity: bad input', () => {
  test('a missing file', () => {
    expectFailure('/no/such/timeseries.h5', [], '/no/such/timeseries.h5: file not found');
  });

  test('not an HDF5 file', () => {
    const path = join(tempDir('archeo-bad-'), 'timeseries.h5');
    writeFileSync(path, 'date,value\n20180101,0\n');
    expectFailure(path, [], `${path}: not an HDF5 file`);
  });

  test('an HDF5 file without a timeseries dataset (a velocity file)', () => {
    const path = copy('cadia_velocity_crop.h5');
    expectFailure(
      path,
      [],
      `${path}: no 'timeseries' dataset (found: intercept, interceptStd, residue, velocity, velocityStd); is this a MintPy time-series file?`,
    );
  });

  test('no REF_Y/REF_X attributes', async () => {
    const path = copy('ts_a.h5');
    await h5wasm.ready;
    const f = new h5wasm.File(path, 'a');
    f.delete_attribute('REF_Y');
    f.delete_attribute('REF_X');
    f.close();
    expectFailure(path, [], `${path}: no REF_Y/REF_X attributes (the reference pixel); give one with --ref-yx Y X`);
    // ... which --ref-yx then supplies.
    const out = tempDir('archeo-out-');
    expect(archeo(['velocity', path, '--ref-yx', '12', '16', '--out', out, '-q']).code).toBe(0);
  });

  test('a filter archeo cannot decode (h5wasm would read zeros)', () => {
    const path = copy('ts_b_lzf.h5');
    // The lzf filter's id 32000 in the dataset's filter pipeline message, changed to an unregistered 32099.
    const b = readFileSync(path);
    const name = b.indexOf(Buffer.from('lzf\0'));
    const id = b.lastIndexOf(Buffer.from([0x00, 0x7d]), name);
    expect(name - id).toBeLessThan(16);
    patchBytes(path, Buffer.from([0x00, 0x7d]), Buffer.from([0x63, 0x7d]), id);
    expectFailure(
      path,
      [],
      `${path}: dataset 'timeseries' is compressed with HDF5 filter 32099 (named 'lzf' in the file), which archeo cannot decode`,
    );
  });

  test('dates out of order', () => {
    const path = copy('ts_a.h5');
    patchBytes(path, Buffer.from('2018011320180125'), Buffer.from('2018012520180113'));
    expectFailure(
      path,
      [],
      `${path}: dates out of order: 20180113 (index 2) comes after 20180125; MintPy files list dates ascending`,
    );
  });

  test('a truncated file', () => {
    const path = copy('ts_a.h5');
    truncateSync(path, 60000);
    const out = join(tempDir('archeo-out-'), 'out');
    const r = archeo(['velocity', path, '--out', out]);
    expect(r.code).toBe(1);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`archeo: ${path}: `)).toBe(true);
    let left: string[] = [];
    try {
      left = readdirSync(out);
    } catch {
      // never created
    }
    expect(left).toEqual([]);
  });

  test('--ram too small for one row', () => {
    expectFailure(
      join(fixtures, 'ts_a.h5'),
      ['--ram', '0.000001'],
      '--ram 0.000001: too small for one row of 32 pixels x 36 dates (needs 0.01 MB)',
      2,
    );
  });

  test('options MintPy refuses: a step outside the dates, a reference date not used, one parameter', () => {
    const ts = join(fixtures, 'ts_a.h5');
    expectFailure(
      ts,
      ['--step', '20250101'],
      'step date 20250101 is not between the first and last dates used (20180101 / 20190225)',
      2,
    );
    expectFailure(
      ts,
      ['--ex', '20180206', '--ref-date', '20180206'],
      '--ref-date 20180206: not among the dates used (20180101..20190225)',
      2,
    );
    expectFailure(
      ts,
      ['--poly', '0'],
      'no time function to fit: a polynomial of degree 0 alone is one parameter (use --polynomial 1 or add a function)',
      2,
    );
    expectFailure(
      ts,
      ['--exp', '20180601'],
      '--exp 20180601: expected an onset date and at least one characteristic time in days',
      2,
    );
  });

  test('a rank-deficient model is refused before any pixel is read', () => {
    // An exponential whose onset is long before the first date is 1 on every date: the intercept's twin.
    expectFailure(
      join(fixtures, 'ts_a.h5'),
      ['--exp', '20100101', '1'],
      'the design matrix is rank-deficient (rank 2 for 3 parameters on 36 dates): two time functions cannot be told apart on these dates (a tau too short, an onset long before the first date, a period too long?)',
      2,
    );
  });
});
