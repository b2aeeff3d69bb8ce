/** Ctrl-C (SIGINT) in the middle of archeo invert: exit 130, and no output or temporary file left. */
import { expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { interruptAfter } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

test('SIGINT between blocks: exit 130, nothing left in --out', async () => {
  // A stack with enough rows for many blocks: 12 dates, 30 pairs, 600 x 200 pixels, REF_Y/REF_X, no coherence.
  await h5wasm.ready;
  const input = join(tempDir('archeo-int-'), 'ifgramStack.h5');
  const f = new h5wasm.File(input, 'w');
  const dates = Array.from({ length: 12 }, (_, i) => `2020${String(1 + i).padStart(2, '0')}01`);
  const pairs: string[] = [];
  for (let i = 0; i < 12; i++) for (let j = i + 1; j < Math.min(12, i + 4); j++) pairs.push(dates[i]!, dates[j]!);
  const [m, rows, cols] = [pairs.length / 2, 600, 200];
  const phase = new Float32Array(m * rows * cols);
  for (let i = 0; i < phase.length; i++) phase[i] = Math.sin(i * 0.37) + 0.5;
  f.create_dataset({ name: 'date', data: pairs, shape: [m, 2], dtype: 'S8' });
  f.create_dataset({ name: 'unwrapPhase', data: phase, shape: [m, rows, cols], dtype: '<f4', chunks: [m, 10, cols] });
  for (const [k, v] of Object.entries({
    LENGTH: '600',
    WIDTH: '200',
    REF_Y: '0',
    REF_X: '0',
    WAVELENGTH: '0.0555',
    FILE_TYPE: 'ifgramStack',
  }))
    f.create_attribute(k, v);
  f.close();

  const out = tempDir('archeo-int-out-');
  // 0.0002 GB: blocks of ~10 rows per worker, 60 of them; the signal comes after the first.
  const { code, stderr } = await interruptAfter(
    ['invert', input, '-w', 'no', '--out', out, '--ram', '0.0002', '-v'],
    'Invert:Block',
  );
  expect(code).toBe(130);
  expect(stderr).toContain('interrupted (SIGINT); temporary files removed');
  expect((stderr.match(/Invert:Block/g) ?? []).length).toBeLessThan(60);
  expect(readdirSync(out)).toEqual([]);
});
