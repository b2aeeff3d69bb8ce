/**
 * The COG's full resolution written once, in place (geotiff.writer.ts, insert.range.ts): tiles placed in
 * row-major order whatever order their writers come in, room inserted before them for the head and the
 * overviews, and the copy taken where the file system cannot insert giving the same bytes.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GeoTiffWriter, writeTileRun } from '../../src/io/raster/geotiff.writer.js';
import { INSERT_ALIGN, insertAtStart } from '../../src/io/raster/insert.range.js';
import { paddedTile } from '../../src/io/raster/overview.pyramid.js';
import { cutTile, encodeTile } from '../../src/io/raster/tile.encode.js';
import type { RasterGrid } from '../../src/core/types.js';
import { cogCheck, pythonGdalTest } from '../helpers/gdal.js';
import { tempDir } from '../helpers/paths.js';
import { readRaster } from '../helpers/rasters.js';

const grid: RasterGrid = { width: 100, height: 70, transform: [500000, 20, 0, 4600000, 0, -20], epsg: 32633 };
const size = 16;
const values = Float32Array.from({ length: 100 * 70 }, (_, i) => (i % 37 === 0 ? NaN : Math.sin(i / 10) * 0.7));

/**
 * Writes `values` as a COG with overviews; the tile rows' writes start in reverse order (the last row
 * first), as worker threads finishing out of order would start them.
 */
async function writeReversed(path: string, copy = false): Promise<GeoTiffWriter> {
  const w = await GeoTiffWriter.create(path, {
    grid,
    type: 'float32',
    tileSize: size,
    codec: 'deflate',
    nodata: NaN,
    overviews: 'average',
    copy,
  });
  const rows = Array.from({ length: w.tilesDown }, (_, ty) => ty);
  const strips = rows.map((ty) => {
    const n = Math.min(size, grid.height - ty * size);
    return { ty, n, strip: values.subarray(ty * size * grid.width, (ty * size + n) * grid.width) };
  });
  const encoded = await Promise.all(
    strips.map(({ n, strip }) =>
      Promise.all(
        Array.from({ length: w.tilesAcross }, (_, tx) =>
          encodeTile(
            cutTile(strip, grid.width, n, tx, size, NaN, (k) => new Float32Array(k)),
            size,
            'float32',
            'deflate',
            1,
          ),
        ),
      ),
    ),
  );
  const writes = [...rows].reverse().map((ty) => writeTileRun(w.sink, 0, ty, encoded[ty]!));
  // The pyramid takes the rows in order, whatever the order of the full-resolution writes.
  for (const { ty, n, strip } of strips) {
    await w.pyramid!.advance(strip.slice(), ty * size, n, async (level, x, y, t) =>
      w.writeTile(x, y, await encodeTile(paddedTile(t, size, NaN), size, 'float32', 'deflate', 1), level),
    );
  }
  await Promise.all(writes);
  await w.finish();
  return w;
}

describe('COG written in place', () => {
  test('insertAtStart shifts the file by whole blocks, or reports false and leaves it alone', async () => {
    const dir = tempDir();
    const path = join(dir, 'f.bin');
    const body = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7) % 251));
    writeFileSync(path, body);
    const inserted = await insertAtStart(path, 2 * INSERT_ALIGN);
    const after = readFileSync(path);
    if (inserted) {
      expect(after.length).toBe(body.length + 2 * INSERT_ALIGN);
      expect(after.subarray(0, 2 * INSERT_ALIGN).every((b) => b === 0)).toBe(true);
      expect(after.subarray(2 * INSERT_ALIGN).equals(body)).toBe(true);
    } else expect(after.equals(body)).toBe(true);
    // Refused without trying: a length that is not whole blocks.
    writeFileSync(path, body);
    expect(await insertAtStart(path, INSERT_ALIGN + 1)).toBe(false);
    expect(readFileSync(path).equals(body)).toBe(true);
  });

  pythonGdalTest(
    'tiles written out of order land in row-major order; inserting and copying give the same valid COG',
    async () => {
      const dir = tempDir();
      const inPlace = join(dir, 'inplace.tif');
      const w = await writeReversed(inPlace);
      await writeReversed(join(dir, 'copied.tif'), true);
      expect(readdirSync(dir).sort()).toEqual(['copied.tif', 'inplace.tif']);
      expect(readFileSync(inPlace).equals(readFileSync(join(dir, 'copied.tif')))).toBe(true);
      // GDAL's validator (full check: row-major blocks, leaders, trailers) and gdaladdo's overviews.
      const check = cogCheck(inPlace, 'average');
      expect({ errors: check.errors, warnings: check.warnings }).toEqual({ errors: [], warnings: [] });
      expect(check.overviews).toBe(w.sizes.length - 1);
      for (const level of check.levels) {
        expect(level.nan_mismatch).toBe(0);
        expect(level.max_ulps_source).toBeLessThanOrEqual(1);
      }
      expect(Array.from((await readRaster(inPlace)).data)).toEqual(Array.from(values));
      // The full resolution starts on a block boundary, right after the overviews.
      const bytes = readFileSync(inPlace);
      const ifd = bytes.readUInt32LE(4);
      const tileOffsets = bytes.readUInt32LE(ifd + 2 + 12 * findEntry(bytes, ifd, 324) + 8);
      const firstTile = bytes.readUInt32LE(tileOffsets);
      expect((firstTile - 4) % INSERT_ALIGN).toBe(0);
    },
  );

  test('a write waiting for its turn ends with an error when the writer is abandoned', async () => {
    const dir = tempDir();
    const w = await GeoTiffWriter.create(join(dir, 'x.tif'), { grid, type: 'uint8', tileSize: 32, codec: 'none' });
    const tile = new Uint8Array(32 * 32);
    // Row 1 waits for row 0, which never comes.
    const waiting = writeTileRun(w.sink, 0, 1, [tile, tile, tile, tile]).then(
      () => 'written',
      (e: Error) => e.message,
    );
    await w.abort();
    expect(await waiting).toMatch(/x\.tif was abandoned/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** Index of tag `tag` among the entries of the IFD at `at` (classic TIFF, little-endian). */
function findEntry(bytes: Buffer, at: number, tag: number): number {
  const n = bytes.readUInt16LE(at);
  for (let i = 0; i < n; i++) if (bytes.readUInt16LE(at + 2 + 12 * i) === tag) return i;
  throw new Error(`tag ${tag} not found`);
}
