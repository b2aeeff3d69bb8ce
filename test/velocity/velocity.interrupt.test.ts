/** Ctrl-C (SIGINT) in the middle of archeo velocity: exit 130, and no velocity.h5 or temporary file left. */
import { expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { interruptAfter } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

test('SIGINT between blocks: exit 130, nothing left in --out', async () => {
  // A time series with enough rows for many blocks: 40 dates x 400 x 300, random values, REF_Y/REF_X.
  await h5wasm.ready;
  const input = join(tempDir('archeo-int-'), 'timeseries.h5');
  const f = new h5wasm.File(input, 'w');
  const [n, rows, cols] = [40, 400, 300];
  const cube = new Float32Array(n * rows * cols);
  for (let i = 0; i < cube.length; i++) cube[i] = Math.sin(i) * 0.01;
  f.create_dataset({ name: 'timeseries', data: cube, shape: [n, rows, cols], dtype: '<f4', chunks: [n, 10, cols] });
  f.create_dataset({
    name: 'date',
    data: Array.from(
      { length: n },
      (_, i) => `2019${String(1 + Math.floor(i / 4)).padStart(2, '0')}${String(1 + (i % 4) * 7).padStart(2, '0')}`,
    ),
    dtype: 'S8',
  });
  for (const [k, v] of Object.entries({
    LENGTH: '400',
    WIDTH: '300',
    REF_Y: '0',
    REF_X: '0',
    REF_DATE: '20190101',
    FILE_TYPE: 'timeseries',
  }))
    f.create_attribute(k, v);
  f.close();

  const out = tempDir('archeo-int-out-');
  // 0.001 GB: blocks of ~10 rows, 40 of them; the signal comes after the first.
  const { code, stderr } = await interruptAfter(
    ['velocity', input, '--out', out, '--ram', '0.001', '-v', '--no-simd'],
    'Velocity:Block',
  );
  expect(code).toBe(130);
  expect(stderr).toContain('interrupted (SIGINT); temporary files removed');
  expect((stderr.match(/Velocity:Block/g) ?? []).length).toBeLessThan(40);
  expect(readdirSync(out)).toEqual([]);
});
