/**
 * Bad input to archeo invert: one line naming the file (or flag) and the fault, a non-zero exit code, and
 * nothing left in --out (no output file, no temporary). Stacks are written here with h5wasm from the
 * fixture's values, each with one fault.
 */
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { archeo, errorLines, expectCliFailure } from '../helpers/cli.js';
import { readH5 } from '../helpers/h5.js';
import { root, tempDir } from '../helpers/paths.js';

const fixtures = join(root, 'test', 'fixtures', 'invert');
const stackPath = join(fixtures, 'ifgramStack.h5');

function expectFailure(input: string, args: string[], line: string, code = 1): void {
  expectCliFailure('invert', input, args, line, code);
}

interface StackParts {
  pairs: string[][];
  drop?: boolean[];
  attrs: Record<string, string>;
  cubes: Record<string, { values: Float32Array; shape: number[] }>;
}

/** The fixture stack's contents (read with h5wasm), to be changed and written again. */
async function fixtureParts(): Promise<StackParts> {
  const c = await readH5(stackPath);
  const dates = c.datasets['date']!.values as string[];
  const pairs = Array.from({ length: dates.length / 2 }, (_, k) => [dates[2 * k]!, dates[2 * k + 1]!]);
  const cubes: StackParts['cubes'] = {};
  for (const name of ['unwrapPhase', 'coherence'])
    cubes[name] = { values: c.datasets[name]!.values as Float32Array, shape: c.datasets[name]!.shape };
  return { pairs, attrs: { ...c.attrs }, cubes };
}

async function writeStack(parts: StackParts, name = 'ifgramStack.h5'): Promise<string> {
  await h5wasm.ready;
  const path = join(tempDir('archeo-bad-'), name);
  const f = new h5wasm.File(path, 'w');
  f.create_dataset({ name: 'date', data: parts.pairs.flat(), shape: [parts.pairs.length, 2], dtype: 'S8' });
  if (parts.drop)
    f.create_dataset({
      name: 'dropIfgram',
      data: parts.drop.map((d) => (d ? 1 : 0)),
      shape: [parts.drop.length],
      dtype: '|b1',
    });
  for (const [n, c] of Object.entries(parts.cubes))
    f.create_dataset({ name: n, data: c.values, shape: c.shape, dtype: '<f4' });
  for (const [k, v] of Object.entries(parts.attrs)) f.create_attribute(k, v);
  f.close();
  return path;
}

describe('archeo invert: bad input', () => {
  test('a missing file; not an HDF5 file', () => {
    expectFailure('/no/such/ifgramStack.h5', [], '/no/such/ifgramStack.h5: file not found');
    const path = join(tempDir('archeo-bad-'), 'ifgramStack.h5');
    writeFileSync(path, 'date1,date2\n');
    expectFailure(path, [], `${path}: not an HDF5 file`);
  });

  test('a time series instead of an interferogram stack', () => {
    const path = join(root, 'test', 'fixtures', 'rms', 'timeseriesResidual.h5');
    expectFailure(
      path,
      [],
      `${path}: no 'unwrapPhase' dataset (found: bperp, date, timeseries); is this a MintPy ifgramStack.h5?`,
    );
  });

  test('a truncated stack', () => {
    const path = join(tempDir('archeo-bad-'), 'ifgramStack.h5');
    copyFileSync(stackPath, path);
    truncateSync(path, Math.floor(statSync(path).size * 0.6));
    const out = join(tempDir('archeo-out-'), 'out');
    const r = archeo(['invert', path, '--out', out]);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(new RegExp(`^archeo: ${path}: `));
    expect(() => readdirSync(out)).toThrow();
  });

  test('inconsistent pair lists: fewer dates than interferograms, a pair of one date, a pair twice, not a date', async () => {
    const parts = await fixtureParts();
    let path = await writeStack({ ...parts, pairs: parts.pairs.slice(1) });
    expectFailure(path, [], `${path}: 'date' lists 41 pairs but the interferogram cube has 42`);
    const same = parts.pairs.map((p) => [...p]);
    same[4] = [same[4]![0]!, same[4]![0]!];
    path = await writeStack({ ...parts, pairs: same });
    expectFailure(path, [], `${path}: pair 4 (${same[4]![0]}_${same[4]![0]}) joins a date to itself`);
    const twice = parts.pairs.map((p) => [...p]);
    twice[7] = [...twice[6]!];
    path = await writeStack({ ...parts, pairs: twice });
    expectFailure(path, [], `${path}: pair 7 (${twice[6]!.join('_')}) is listed twice`);
    const bad = parts.pairs.map((p) => [...p]);
    bad[2] = ['2019-1-1', bad[2]![1]!];
    path = await writeStack({ ...parts, pairs: bad });
    expectFailure(path, [], `${path}: pair 2: '2019-1-1' is not a date (YYYYMMDD)`);
    const coh = parts.cubes['coherence']!;
    const [m, L, W] = coh.shape as [number, number, number];
    path = await writeStack({
      ...parts,
      cubes: { ...parts.cubes, coherence: { values: coh.values.subarray(0, (m - 1) * L * W), shape: [m - 1, L, W] } },
    });
    expectFailure(path, [], `${path}: 'coherence' has 41 pairs but 'unwrapPhase' has 42`);
    path = await writeStack({ ...parts, drop: parts.pairs.slice(1).map(() => true) });
    expectFailure(path, [], `${path}: 'dropIfgram' has 41 entries for 42 pairs`);
  });

  test('every pair dropped; no coherence for weights; no reference pixel; no wavelength', async () => {
    const parts = await fixtureParts();
    let path = await writeStack({ ...parts, drop: parts.pairs.map(() => false) });
    expectFailure(path, [], `${path}: every interferogram is dropped (dropIfgram is False everywhere)`);
    path = await writeStack({ ...parts, cubes: { unwrapPhase: parts.cubes['unwrapPhase']! } });
    expectFailure(path, [], `${path}: no 'coherence' dataset, needed for -w var`);
    expectFailure(
      path,
      ['-w', 'no', '--mask-dset', 'coherence'],
      `${path}: no 'coherence' dataset, needed for --mask-dset coherence`,
    );
    const { REF_Y: _y, REF_X: _x, ...noRef } = parts.attrs;
    path = await writeStack({ ...parts, attrs: noRef });
    expectFailure(
      path,
      [],
      `${path}: no REF_Y/REF_X attributes: the phases are not referenced (choose a reference pixel, or --skip-ref)`,
    );
    path = await writeStack({ ...parts, attrs: { ...parts.attrs, REF_Y: '24' } });
    expectFailure(path, [], `${path}: REF_Y/REF_X (24, 15) is outside the 24 x 30 grid`);
    const { WAVELENGTH: _w, ...noWavelength } = parts.attrs;
    path = await writeStack({ ...parts, attrs: noWavelength });
    expectFailure(path, [], `${path}: no WAVELENGTH attribute: phase cannot be converted to metres`);
  });

  test('a water mask of another size', () => {
    const mask = join(root, 'test', 'fixtures', 'rms', 'maskTempCoh.h5');
    expectFailure(stackPath, ['-m', mask], `${mask}: mask 'mask' is (60, 70) but the interferogram stack is (24, 30)`);
  });

  test('usage errors exit 2', () => {
    expectFailure(
      stackPath,
      ['-w', 'sqrt'],
      "option '-w, --weight-func <func>' argument 'sqrt' is invalid. Allowed choices are var, fim, coh, no.",
      2,
    );
    expectFailure(
      stackPath,
      ['-o', 'ts.h5', 'tcoh.h5'],
      '-o ts.h5 tcoh.h5: expected three file names (time series, temporal coherence, pairs used)',
      2,
    );
    expectFailure(
      stackPath,
      ['--mask-dset', 'offsetSNR'],
      '--mask-dset offsetSNR: expected coherence or connectComponent',
      2,
    );
    expectFailure(
      stackPath,
      ['--ram', '0.0000001'],
      '--ram 1e-7: too small for one row of 30 pixels x 42 interferograms (needs 0.01 MB)',
      2,
    );
  });
});
