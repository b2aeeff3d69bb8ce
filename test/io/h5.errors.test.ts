/**
 * Damaged HDF5 files (the fuzzing campaign's fault classes): truncated files, a zeroed superblock, seeded
 * random bytes in object headers and in a compressed chunk, a dataset of the wrong shape. Every command
 * answers with exactly one line naming the file (and the dataset where one is at fault), exit 1, no
 * "internal error", no library noise (`Aborted(…)`, HDF5-DIAG) on the terminal, and nothing in --out.
 */
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { archeo, errorLines } from '../helpers/cli.js';
import { root, tempDir } from '../helpers/paths.js';

const timeseries = join(root, 'samples', 'mintpy_synthetic', 'timeseries.h5');
const stack = join(root, 'samples', 'mintpy_synthetic', 'ifgramStack.h5');
const gzip = join(root, 'test', 'fixtures', 'velocity', 'ts_b_gzip.h5');

function copy(src: string): string {
  const dst = join(tempDir('archeo-h5bad-'), src.endsWith('ifgramStack.h5') ? 'ifgramStack.h5' : 'timeseries.h5');
  copyFileSync(src, dst);
  return dst;
}

/** The kth of a seeded series of corruptions: 1-32 random bytes at a random offset below `span`. */
function corrupt(src: string, k: number, span: number, from = 0, seed = 12345): string {
  let s = seed;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const orig = readFileSync(src);
  let b = orig;
  for (let i = 0; i <= k; i++) {
    b = Buffer.from(orig);
    const at = Math.floor(from + rnd() * (span - 64));
    const len = 1 + Math.floor(rnd() * 32);
    for (let j = 0; j < len; j++) b[at + j] = Math.floor(rnd() * 256);
  }
  const path = copy(src);
  writeFileSync(path, b);
  return path;
}

/** Runs `command` on `input`: either success, or one line naming the file, exit 1, nothing left in --out. */
function run(command: string, input: string, args: string[] = []): { code: number; line?: string } {
  const out = join(tempDir('archeo-h5out-'), 'out');
  const r = archeo([command, input, ...args, '--out', out, '-q']);
  if (r.code === 0) return { code: 0 };
  const lines = errorLines(r.stderr);
  expect({ input, lines, code: r.code }).toEqual({ input, lines: [expect.stringMatching(/.*/)], code: 1 });
  expect(lines[0]!.startsWith(`archeo: ${input}: `)).toBe(true);
  expect(r.stderr).not.toMatch(/internal error|Aborted\(|HDF5-DIAG|name not defined|\n\s+at /);
  // Every line on stderr is archeo's own: its error line, or a JSON log event.
  for (const l of r.stderr.split('\n').filter(Boolean))
    expect(l.startsWith('archeo: ') || l.startsWith('{')).toBe(true);
  let left: string[] = [];
  try {
    left = readdirSync(out);
  } catch {
    // --out never created
  }
  expect(left).toEqual([]);
  return { code: 1, line: lines[0] };
}

describe('damaged HDF5 files: one line naming the file', () => {
  test.each([
    ['velocity', timeseries],
    ['rms', timeseries],
    ['invert', stack],
  ])('%s: truncated at several lengths, a zeroed superblock', (command, src) => {
    const size = readFileSync(src).length;
    for (const length of [100, 2048, Math.floor(size / 2), size - 100]) {
      const path = copy(src);
      truncateSync(path, length);
      expect(run(command, path).line).toMatch(/cannot open as HDF5 \(.*truncated file/);
    }
    const path = copy(src);
    const b = readFileSync(path);
    b.fill(0, 8, 56);
    writeFileSync(path, b);
    expect(run(command, path).code).toBe(1);
  });

  test('velocity: seeded bytes in object headers — an HDF5 diagnostic and a WebAssembly abort among them', () => {
    const lines: string[] = [];
    for (let k = 0; k < 13; k++) {
      const r = run('velocity', corrupt(timeseries, k, 4096), []);
      if (r.line) lines.push(r.line);
    }
    // The seeds hit both kinds: once "internal error: HDF5-DIAG …" and "internal error: Aborted(…)".
    expect(lines.some((l) => /the HDF5 library aborted on damaged data/.test(l))).toBe(true);
    expect(lines.some((l) => /dataset '\w+' is corrupt or unreadable \(H5O/.test(l))).toBe(true);
  });

  test('a global heap object of index 0 and size 0 (HDF5 parses it forever): refused within the budget', () => {
    // Found by the 2000-case campaign (hdf5:1:823): vlen strings — every MintPy attribute — live in a
    // global heap collection ("GCOL"); an object header zeroed there never advances HDF5's parser, inside
    // WebAssembly, where SIGTERM cannot stop it.
    const path = copy(timeseries);
    const b = readFileSync(path);
    const gcol = b.indexOf('GCOL');
    expect(gcol).toBeGreaterThan(0);
    b.fill(0, gcol + 16, gcol + 32); // the first object's index, reference count, reserved bytes and size
    writeFileSync(path, b);
    const t0 = Date.now();
    expect(run('velocity', path).line).toBe(
      `archeo: ${path}: the file's metadata could not be read within 20 s (a damaged HDF5 structure, such as a global heap, sends the library into a loop)`,
    );
    expect(Date.now() - t0).toBeLessThan(60_000);
  });

  test("an attribute's name zeroed (HDF5 then lists no attributes, without an error): refused, not run without them", () => {
    // Found by the 2000-case campaign (hdf5:1:1708, hdf5:1:1758): 35 bytes zeroed from the name of
    // ORBIT_DIRECTION; h5wasm then reads the root as holding no attributes at all (h5py segfaults, GDAL
    // refuses the file), and rms ran on without REF_Y/REF_X: other numbers, no warning.
    const path = copy(timeseries);
    const b = readFileSync(path);
    const at = b.indexOf('ORBIT_DIRECTION');
    expect(at).toBeGreaterThan(0);
    b.fill(0, at, at + 35);
    writeFileSync(path, b);
    for (const command of ['velocity', 'rms'])
      expect({ command, line: run(command, path).line }).toEqual({
        command,
        line: `archeo: ${path}: the root has no attributes (MintPy writes FILE_TYPE, LENGTH, WIDTH, REF_Y/REF_X… into every file): not a MintPy product, or its attribute table is damaged`,
      });
  });

  test('rms and invert: seeded bytes in object headers', () => {
    for (const k of [1, 2, 7, 8, 10]) run('rms', corrupt(timeseries, k, 4096));
    let failed = 0;
    for (let k = 0; k < 8; k++) failed += run('invert', corrupt(stack, k, 4096, 0, 777)).code;
    expect(failed).toBeGreaterThan(4);
  });

  test('velocity and rms (in workers): seeded bytes in a deflate chunk name the dataset and rows', () => {
    const size = readFileSync(gzip).length;
    for (const command of ['velocity', 'rms']) {
      const path = corrupt(gzip, 0, size * 0.5, size * 0.4, 99);
      expect(run(command, path).line).toBe(
        `archeo: ${path}: reading rows 0-19 of 'timeseries' failed (H5Z_pipeline: filter returned failure during read)`,
      );
    }
  });

  test('a dataset of the wrong shape: bperp of another length, a 2D timeseries', async () => {
    await h5wasm.ready;
    const orig = new h5wasm.File(timeseries, 'r');
    const date = (orig.get('date') as InstanceType<typeof h5wasm.Dataset>).value as string[];
    const cube = (orig.get('timeseries') as InstanceType<typeof h5wasm.Dataset>).value as Float32Array;
    const shape = ((orig.get('timeseries') as InstanceType<typeof h5wasm.Dataset>).shape ?? []).map(Number);
    const attrs = Object.fromEntries(Object.entries(orig.attrs).map(([k, a]) => [k, String(a.value)]));
    orig.close();
    const write = (ts: { data: Float32Array; shape: number[] }, bperp: number): string => {
      const path = join(tempDir('archeo-h5bad-'), 'timeseries.h5');
      const f = new h5wasm.File(path, 'w');
      f.create_dataset({ name: 'timeseries', data: ts.data, shape: ts.shape, dtype: '<f4' });
      f.create_dataset({ name: 'date', data: date, shape: [date.length], dtype: 'S8' });
      f.create_dataset({ name: 'bperp', data: new Float32Array(bperp), shape: [bperp], dtype: '<f4' });
      for (const [k, v] of Object.entries(attrs)) f.create_attribute(k, v);
      f.close();
      return path;
    };
    let path = write({ data: cube, shape }, 3);
    for (const command of ['velocity', 'rms'])
      expect(run(command, path).line).toBe(`archeo: ${path}: 'bperp' lists 3 values but 'timeseries' has 36 dates`);
    path = write({ data: cube.subarray(0, shape[1]! * shape[2]!), shape: shape.slice(1) }, date.length);
    expect(run('velocity', path).line).toBe(
      `archeo: ${path}: dataset 'timeseries' has 2 dimensions; expected (dates, length, width)`,
    );
  });
});
