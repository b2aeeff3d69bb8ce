/**
 * Something that is not a regular file where a band (or a metadata file) is expected — a folder named
 * B04.tif, a FIFO, a socket — is refused with one line naming it, before anything opens it (opening a
 * FIFO would block forever). Before, a folder named B04.tif was skipped and every index needing B04
 * silently dropped, exit 0 (docs/reliability.md).
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { archeo, errorLines } from '../helpers/cli.js';
import { outputEntries, rkhSample, tempDir, unuR60, unuSample } from '../helpers/paths.js';

const UNU_ID = 'S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454';

function copy(src: string, name: string): string {
  const dst = join(tempDir(), name);
  cpSync(src, dst, { recursive: true });
  return dst;
}

const mkfifo = (path: string): void => {
  execFileSync('mkfifo', [path]);
};

function expectRefused(scene: string, line: string): void {
  const out = tempDir();
  const t0 = Date.now();
  const r = archeo(['scan', scene, '--out', out]);
  expect(Date.now() - t0).toBeLessThan(60_000);
  expect(errorLines(r.stderr)).toEqual([`archeo: ${line}`]);
  expect(r.code).toBe(1);
  expect(outputEntries(out)).toEqual([]);
}

describe('non-regular files named like bands', () => {
  test('a folder named B04.tif in a COG folder', () => {
    const scene = copy(rkhSample, 'S2A_dir_band');
    rmSync(join(scene, 'B04.tif'));
    mkdirSync(join(scene, 'B04.tif'));
    expectRefused(scene, `${join(scene, 'B04.tif')}: is a folder, not a band file`);
  });

  test('a FIFO named B04.tif: refused without opening it (the run does not block)', () => {
    const scene = copy(rkhSample, 'S2A_fifo_band');
    rmSync(join(scene, 'B04.tif'));
    mkfifo(join(scene, 'B04.tif'));
    expectRefused(scene, `${join(scene, 'B04.tif')}: is a FIFO (named pipe), not a band file`);
  });

  test('a FIFO named like the STAC item', () => {
    const scene = copy(rkhSample, 'S2A_fifo_item');
    mkfifo(join(scene, '000_item.json'));
    expectRefused(scene, `${join(scene, '000_item.json')}: is a FIFO (named pipe), not a metadata file`);
  });

  test('a folder and a FIFO named like JPEG 2000 bands of a SAFE product', () => {
    const scene = copy(unuSample, `${UNU_ID}.SAFE`);
    const r60 = join(scene, unuR60.slice(unuSample.length));
    const b04 = join(r60, 'T29UNU_20221005T115411_B04_60m.jp2');
    rmSync(b04);
    mkdirSync(b04);
    expectRefused(scene, `${b04}: is a folder, not a band file`);
    rmSync(b04, { recursive: true });
    mkfifo(b04);
    expectRefused(scene, `${b04}: is a FIFO (named pipe), not a band file`);
  });

  test('a FIFO as MTD_MSIL2A.xml', () => {
    const scene = copy(unuSample, `${UNU_ID}.SAFE`);
    const mtd = join(scene, 'MTD_MSIL2A.xml');
    rmSync(mtd);
    mkfifo(mtd);
    expectRefused(scene, `${mtd}: is not a regular file`);
  });

  test('in a batch, the scene with a FIFO band fails and the good scene is written (exit 3)', () => {
    const archive = tempDir('archeo-fifo-archive-');
    const bad = join(archive, 'S2A_bad');
    cpSync(rkhSample, bad, { recursive: true });
    rmSync(join(bad, 'S2A_29RKH_20200219_0_L2A.json'));
    rmSync(join(bad, 'B08.tif'));
    mkfifo(join(bad, 'B08.tif'));
    cpSync(unuSample, join(archive, `${UNU_ID}.SAFE`), { recursive: true });
    const out = tempDir();
    const r = archeo(['scan', archive, '--out', out, '--json', '-q']);
    expect(r.code).toBe(3);
    const summary = JSON.parse(r.stdout) as { scenes: { ok: boolean; error?: string }[] };
    expect(summary.scenes.filter((s) => !s.ok).map((s) => s.error)).toEqual([
      `${join(bad, 'B08.tif')}: is a FIFO (named pipe), not a band file`,
    ]);
    expect(outputEntries(out)).toEqual([UNU_ID]);
    expect(existsSync(join(out, UNU_ID, 'report.json'))).toBe(true);
  });
});
