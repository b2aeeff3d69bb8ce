/**
 * Time-series files that are valid HDF5 but cannot be fitted: 0, 1 or 2 dates, no rows, REF_Y/REF_X
 * outside the grid. Faults of the input: exit 1 and one line naming the file — not exit 2 (usage), which
 * is kept for the flags — for velocity and rms alike; invert likewise for an empty stack.
 */
import { describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { archeo, expectCliFailure } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

async function timeseries(n: number, rows: number, cols: number, attrs: Record<string, string> = {}): Promise<string> {
  await h5wasm.ready;
  const path = join(tempDir('archeo-hostile-'), 'timeseries.h5');
  const f = new h5wasm.File(path, 'w');
  const cube = new Float32Array(n * rows * cols);
  for (let i = 0; i < cube.length; i++) cube[i] = Math.sin(i) * 0.01;
  f.create_dataset({ name: 'timeseries', data: cube, shape: [n, rows, cols], dtype: '<f4' });
  const dates = Array.from({ length: n }, (_, i) => `2019${String(1 + i).padStart(2, '0')}01`);
  f.create_dataset({ name: 'date', data: dates, shape: [n], dtype: 'S8' });
  const all = { LENGTH: `${rows}`, WIDTH: `${cols}`, REF_Y: '0', REF_X: '0', FILE_TYPE: 'timeseries', ...attrs };
  for (const [k, v] of Object.entries(all)) f.create_attribute(k, v);
  f.close();
  return path;
}

describe('hostile time series: input faults exit 1 naming the file', () => {
  test('0 dates', async () => {
    const path = await timeseries(0, 5, 5);
    for (const command of ['velocity', 'rms'])
      expectCliFailure(command, path, [], `${path}: 'timeseries' has no dates (shape (0, 5, 5))`);
  });

  test('1 and 2 dates: too few for the linear model', async () => {
    for (const n of [1, 2]) {
      const path = await timeseries(n, 5, 5);
      expectCliFailure(
        'velocity',
        path,
        [],
        `${path}: ${n} date(s) in the file but the model has 2 parameters: a fit needs at least 3 dates`,
      );
    }
    // Too few left by the flags is still a usage error (exit 2).
    const path = await timeseries(5, 5, 5);
    expectCliFailure(
      'velocity',
      path,
      ['--exclude-date', '20190101', '20190201', '20190301'],
      '2 dates used but the model has 2 parameters: a fit needs at least 3 dates',
      2,
    );
  });

  test('no rows', async () => {
    const path = await timeseries(5, 0, 5);
    for (const command of ['velocity', 'rms'])
      expectCliFailure(command, path, [], `${path}: 'timeseries' has no pixels (shape (5, 0, 5))`);
  });

  test('REF_Y/REF_X outside the grid, or not numbers', async () => {
    let path = await timeseries(5, 5, 5, { REF_Y: '7' });
    for (const command of ['velocity', 'rms'])
      expectCliFailure(command, path, [], `${path}: REF_Y/REF_X (7, 0) is outside the 5 x 5 grid`);
    path = await timeseries(5, 5, 5, { REF_X: 'x' });
    expectCliFailure('rms', path, [], `${path}: REF_Y/REF_X attributes '0'/'x' are not pixel indices`);
    // --ref-yx outside the grid is the flag's fault (exit 2); --ref-yx inside overrides the file's.
    expectCliFailure('velocity', path, ['--ref-yx', '9', '9'], '--ref-yx (9, 9) is outside the 5 x 5 grid', 2);
    expect(archeo(['velocity', path, '--ref-yx', '1', '1', '--out', tempDir('archeo-out-'), '-q']).code).toBe(0);
  });

  test('invert: a stack without interferograms or without rows', async () => {
    await h5wasm.ready;
    for (const [m, rows] of [
      [0, 5],
      [3, 0],
    ] as const) {
      const path = join(tempDir('archeo-hostile-'), 'ifgramStack.h5');
      const f = new h5wasm.File(path, 'w');
      const pairs = ['20190101', '20190201', '20190201', '20190301', '20190101', '20190301'].slice(0, 2 * m);
      f.create_dataset({ name: 'date', data: pairs, shape: [m, 2], dtype: 'S8' });
      f.create_dataset({
        name: 'unwrapPhase',
        data: new Float32Array(m * rows * 5),
        shape: [m, rows, 5],
        dtype: '<f4',
      });
      for (const [k, v] of Object.entries({ REF_Y: '0', REF_X: '0', WAVELENGTH: '0.05', FILE_TYPE: 'ifgramStack' }))
        f.create_attribute(k, v);
      f.close();
      const what = m === 0 ? 'no interferograms' : 'no pixels';
      expectCliFailure('invert', path, ['-w', 'no'], `${path}: 'unwrapPhase' has ${what} (shape (${m}, ${rows}, 5))`);
    }
  });
});
