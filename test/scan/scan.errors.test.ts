/**
 * Bad input: one line naming the file and the fault, a non-zero exit code, and no output left behind
 * (no scene folder, no temporary file). In a batch, a bad scene is recorded and the others go on.
 */
import { describe, expect, test } from '@jest/globals';
import { cpSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archeo, errorLines } from '../helpers/cli.js';
import { rkhSample, tempDir, unuR60, unuSample, outputEntries } from '../helpers/paths.js';
import { patchShortTag } from '../helpers/tiff.patch.js';

const UNU_ID = 'S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454';

function copyScene(src: string, name: string): string {
  const dst = join(tempDir(), name);
  cpSync(src, dst, { recursive: true });
  return dst;
}

function expectFailure(input: string, line: string, code = 1): void {
  const out = tempDir();
  const r = archeo(['scan', input, '--out', out]);
  expect(errorLines(r.stderr)).toEqual([`archeo: ${line}`]);
  expect(r.code).toBe(code);
  // Nothing under --out: no scene folder, no temporary folder or file.
  expect(outputEntries(out)).toEqual([]);
}

describe('bad input', () => {
  test('a missing path', () => {
    expectFailure('/no/such/scene', '/no/such/scene: path not found');
  });

  test('a folder with no bands', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'not a scene');
    expectFailure(
      dir,
      `${dir}: no Sentinel-2 bands found (expected B04.tif-style GeoTIFFs, a .SAFE product or a .SAFE.zip)`,
    );
  });

  test('a truncated GeoTIFF', () => {
    const scene = copyScene(rkhSample, 'truncated');
    truncateSync(join(scene, 'B04.tif'), 60000);
    expectFailure(
      scene,
      `${join(scene, 'B04.tif')}: file is truncated: tile data ends at byte 126187 but the file has 60000 bytes`,
    );
  });

  test('a GeoTIFF cut inside its header', () => {
    const scene = copyScene(rkhSample, 'header');
    truncateSync(join(scene, 'B04.tif'), 100);
    const out = tempDir();
    const r = archeo(['scan', scene, '--out', out]);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toBe(
      `archeo: ${join(scene, 'B04.tif')}: file is truncated: its first IFD starts at byte 192 but the file has 100 bytes`,
    );
    expect(outputEntries(out)).toEqual([]);
  });

  test('a band of the wrong size', () => {
    const scene = copyScene(rkhSample, 'wrongsize');
    cpSync(join(scene, 'B04.tif'), join(scene, 'B05.tif')); // a 256x256 file where a 128x128 20 m band belongs
    expectFailure(
      scene,
      `${join(scene, 'B05.tif')}: size 256x256 does not match the scene grid: a 20 m band should be 128x128 (from ${join(scene, 'B08.tif')})`,
    );
  });

  test('an unknown compression', () => {
    const scene = copyScene(rkhSample, 'lerc');
    patchShortTag(join(scene, 'B11.tif'), 259, 34887); // LERC
    expectFailure(
      scene,
      `${join(scene, 'B11.tif')}: unknown compression LERC (archeo reads DEFLATE, LZW, ZSTD and uncompressed)`,
    );
  });

  test('a corrupt tile found while streaming: nothing is left, not even the tiles already written', () => {
    const scene = copyScene(rkhSample, 'corrupt');
    const path = join(scene, 'B08.tif');
    const bytes = readFileSync(path);
    bytes.fill(0x55, bytes.length - 20000, bytes.length - 19000);
    writeFileSync(path, bytes);
    expectFailure(scene, `${path}: tile 3 cannot be decoded (DEFLATE: incorrect data check)`);
  });

  test('a truncated JPEG 2000 band', () => {
    const scene = copyScene(unuSample, `${UNU_ID}.SAFE`);
    const path = join(scene, unuR60.slice(unuSample.length), 'T29UNU_20221005T115411_B04_60m.jp2');
    truncateSync(path, 30000);
    expectFailure(scene, `${path}: unreadable JPEG 2000 (file is truncated inside the 'jp2c' box)`);
  });

  test('a JPEG 2000 band that is not JPEG 2000 at all', () => {
    const scene = copyScene(unuSample, `${UNU_ID}.SAFE`);
    const path = join(scene, unuR60.slice(unuSample.length), 'T29UNU_20221005T115411_B05_60m.jp2');
    writeFileSync(path, Buffer.alloc(5000, 7));
    expectFailure(scene, `${path}: unreadable JPEG 2000 (not a JPEG 2000 file (no JP2 signature))`);
  });

  test('a JPEG 2000 codestream the decoder rejects', () => {
    const scene = copyScene(unuSample, `${UNU_ID}.SAFE`);
    const path = join(scene, unuR60.slice(unuSample.length), 'T29UNU_20221005T115411_B07_60m.jp2');
    const bytes = readFileSync(path);
    // Keep the boxes and the SIZ header intact; wipe the coding parameters and tile data after them.
    const jp2c = bytes.indexOf('jp2c', 0, 'latin1') + 4;
    bytes.fill(0, jp2c + 60, bytes.length - 2);
    writeFileSync(path, bytes);
    const out = tempDir();
    const r = archeo(['scan', scene, '--out', out]);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(new RegExp(`^archeo: ${path}: unreadable JPEG 2000 \\(`));
    expect(outputEntries(out)).toEqual([]);
  });
});

describe('usage errors exit 2 and name the flag', () => {
  test.each([
    [['--indices', 'ndvi,foo'], "--indices: unknown index 'foo'"],
    [['--block', '100'], '--block 100: expected a multiple of 16 (TIFF tiles)'],
    [['--aoi', '1,2,3'], '--aoi 1,2,3: expected minLon,minLat,maxLon,maxLat or a .geojson file'],
    [['--aoi', '10,40,11,41'], '--aoi 10,40,11,41 does not intersect scene S2A_29RKH_20200219_0_L2A'],
    [['--threads', '0'], '--threads 0: expected an integer from 1 to 256'],
  ])('%j', (args, message) => {
    const out = tempDir();
    const r = archeo(['scan', rkhSample, '--out', out, ...args]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)[0]).toContain(message);
    expect(outputEntries(out)).toEqual([]);
  });

  test('an unknown option', () => {
    const r = archeo(['scan', rkhSample, '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("archeo: unknown option '--frobnicate'");
  });
});

test('two scenes with the same id in one run: the second is refused, the first is kept', () => {
  const archive = tempDir();
  cpSync(rkhSample, join(archive, 'a', 'S2A_29RKH_20200219_0_L2A'), { recursive: true });
  cpSync(rkhSample, join(archive, 'b', 'copy'), { recursive: true }); // same STAC item: same id
  const out = tempDir();
  const r = archeo(['scan', archive, '--out', out, '--json', '-q']);
  expect(r.code).toBe(3);
  const summary = JSON.parse(r.stdout);
  expect(summary.scenes[1].error).toBe(
    `${join(archive, 'b', 'copy')}: scene id S2A_29RKH_20200219_0_L2A was already found at ${join(archive, 'a', 'S2A_29RKH_20200219_0_L2A')}; not replacing it`,
  );
  expect(outputEntries(out)).toEqual(['S2A_29RKH_20200219_0_L2A']);
});

test('in a batch, bad scenes are recorded and the good ones are written (exit 3)', () => {
  const archive = tempDir();
  cpSync(rkhSample, join(archive, 'a', 'S2A_29RKH_20200219_0_L2A'), { recursive: true });
  cpSync(rkhSample, join(archive, 'b', 'broken'), { recursive: true });
  rmSync(join(archive, 'b', 'broken', 'S2A_29RKH_20200219_0_L2A.json')); // its own id: 'broken'
  truncateSync(join(archive, 'b', 'broken', 'B08.tif'), 1000);
  cpSync(unuSample, join(archive, 'c', `${UNU_ID}.SAFE`), { recursive: true });
  mkdirSync(join(archive, 'd', 'empty'), { recursive: true });
  const out = tempDir();
  const r = archeo(['scan', archive, '--out', out, '--json']);
  expect(r.code).toBe(3);
  const summary = JSON.parse(r.stdout);
  expect(summary.failed).toBe(1);
  expect(summary.scenes.map((s: { ok: boolean }) => s.ok)).toEqual([true, false, true]);
  expect(summary.scenes[1].error).toContain(join(archive, 'b', 'broken', 'B08.tif'));
  expect(outputEntries(out).sort()).toEqual(['S2A_29RKH_20200219_0_L2A', UNU_ID]);
});
