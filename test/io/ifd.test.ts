/**
 * The IFD walk (io/raster/tiff.ifd.ts): bounded, loop-checked, every IFD inside the file. A chain that
 * loops used to hang the quicklook's overview walk (geotiff.js's getImageCount() follows it forever).
 */
import { describe, expect, test } from '@jest/globals';
import { cpSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { maxIfds, readIfdChain } from '../../src/io/raster/tiff.ifd.js';
import { archeoTimed, errorLines } from '../helpers/cli.js';
import { outputEntries, rkhSample, tempDir } from '../helpers/paths.js';
import { editFile, ifdOffsets } from '../helpers/tiff.patch.js';

function copyScene(name: string): string {
  const dst = join(tempDir(), name);
  cpSync(rkhSample, dst, { recursive: true });
  return dst;
}

async function walkError(path: string): Promise<string> {
  try {
    await readIfdChain(path, statSync(path).size);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('the walk did not fail');
}

describe('readIfdChain', () => {
  test('the sample COG: the image and its overview', async () => {
    const path = join(rkhSample, 'B04.tif');
    const chain = await readIfdChain(path, statSync(path).size);
    expect(chain.ifds.map((d) => d.offset)).toEqual(ifdOffsets(readFileSync(path)).map((d) => d.offset));
    expect(chain.ifds).toHaveLength(2);
    expect(chain.ifds[0]!.entries.get(322)).toMatchObject({ type: 3, count: 1 });
  });

  test('a next-IFD offset pointing to its own IFD', async () => {
    const path = editCopy(join(rkhSample, 'B04.tif'), (b) => {
      const [, last] = ifdOffsets(b);
      b.writeUInt32LE(last!.offset, last!.nextAt);
    });
    const [, last] = ifdOffsets(readFileSync(join(rkhSample, 'B04.tif')));
    expect(await walkError(path)).toBe(`${path}: TIFF IFD chain loops back to offset ${last!.offset}`);
  });

  test('a next-IFD offset pointing to an earlier IFD', async () => {
    const path = editCopy(join(rkhSample, 'B04.tif'), (b) => {
      const [first, last] = ifdOffsets(b);
      b.writeUInt32LE(first!.offset, last!.nextAt);
    });
    expect(await walkError(path)).toMatch(/: TIFF IFD chain loops back to offset 192$/);
  });

  test('a next-IFD offset past the end of the file', async () => {
    const path = editCopy(join(rkhSample, 'B04.tif'), (b) => {
      const [, last] = ifdOffsets(b);
      b.writeUInt32LE(b.length + 1000, last!.nextAt);
    });
    expect(await walkError(path)).toMatch(/: file is truncated: IFD 2 starts at byte \d+ but the file has \d+ bytes$/);
  });

  test('a chain longer than the bound', async () => {
    const path = join(rkhSample, 'B04.tif');
    await expect(readIfdChain(path, statSync(path).size, 1)).rejects.toThrow(
      `${path}: TIFF IFD chain holds more than 1 IFDs`,
    );
    expect(maxIfds).toBeGreaterThanOrEqual(16);
  });
});

describe('a looping IFD chain through the CLI', () => {
  test.each([
    ['itself', 1],
    ['the first IFD', 0],
  ])('an overview whose next IFD is %s: one line, exit 1, nothing written, no hang', (_, target) => {
    const scene = copyScene('loop');
    const path = join(scene, 'B04.tif');
    const ifds = ifdOffsets(readFileSync(path));
    expect(ifds).toHaveLength(2); // the image and its overview
    editFile(path, (b) => b.writeUInt32LE(ifds[target]!.offset, ifds[1]!.nextAt));
    const out = tempDir();
    // The quicklook (on by default) walks the overviews: this is where the scan used to hang.
    const r = archeoTimed(['scan', scene, '--out', out]);
    expect(r.timedOut).toBe(false);
    expect(r.seconds).toBeLessThan(40);
    expect(errorLines(r.stderr)).toEqual([
      `archeo: ${path}: TIFF IFD chain loops back to offset ${ifds[target]!.offset}`,
    ]);
    expect(r.code).toBe(1);
    expect(outputEntries(out)).toEqual([]);
  });
});

/** A copy of `path` in a fresh folder, edited. */
function editCopy(path: string, edit: (b: Buffer) => void): string {
  const dst = join(tempDir(), 'band.tif');
  cpSync(path, dst);
  editFile(dst, edit);
  return dst;
}
