/**
 * What `archeo info` and discovery make of paths that are not scenes (one line, exit 1, never an
 * "internal error"), and of a COG folder whose bands carry SAFE-style names (`T29RKH_…_B04_10m.tif`).
 */
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archeo } from '../helpers/cli.js';
import { rkhSample, tempDir } from '../helpers/paths.js';

describe('archeo info on what is not a scene: one line naming the path, exit 1', () => {
  const dir = tempDir();
  const plain = join(dir, 'notes.txt');
  writeFileSync(plain, 'hello');
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  test.each([
    ['a missing path', join(dir, 'nope'), 'path not found'],
    ['a plain file', plain, 'is a file, not a scene (a COG folder, a .SAFE product or a .SAFE.zip)'],
    ['a character device', '/dev/null', 'is a character device, not a scene'],
    ['a folder without bands', empty, 'no Sentinel-2 bands found'],
  ])('%s', (_label, path, fault) => {
    for (const json of [[], ['--json']]) {
      const r = archeo(['info', path, ...json]);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines.length).toBe(1);
      expect(lines[0]).toContain(`archeo: ${path}: ${fault}`);
      expect(lines[0]).not.toContain('internal error');
      expect(r.code).toBe(1);
    }
  });
});

test('a COG folder with SAFE-style band names: bands and resolutions from the names', () => {
  const scene = join(tempDir(), 'S2A_29RKH_20200219_0_L2A');
  mkdirSync(scene);
  const stems: Record<string, string> = { B04: 'B04_10m', B8A: 'B8A_20m', SCL: 'SCL_20m', B11: 'B11_20m' };
  for (const [band, stem] of Object.entries(stems))
    copyFileSync(join(rkhSample, `${band}.tif`), join(scene, `T29RKH_20200219T112111_${stem}.tif`));
  expect(readdirSync(scene).length).toBe(4);
  const r = archeo(['info', scene, '--json']);
  expect(r.code).toBe(0);
  const d = JSON.parse(r.stdout) as { layout: string; bands: { band: string; resolution_m: number; path: string }[] };
  expect(d.layout).toBe('COG folder');
  expect(d.bands.map((b) => [b.band, b.resolution_m])).toEqual([
    ['B04', 10],
    ['B8A', 20],
    ['B11', 20],
    ['SCL', 20],
  ]);
  expect(d.bands[0]!.path).toBe(join(scene, 'T29RKH_20200219T112111_B04_10m.tif'));
});
