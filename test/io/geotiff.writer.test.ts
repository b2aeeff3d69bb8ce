/** The GeoTIFF writer on its own: uint8 and float32, every codec, partial edge tiles, atomic rename. */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GeoTiffWriter } from '../../src/io/raster/geotiff.writer.js';
import { encodeTile, cutTile } from '../../src/io/raster/tile.encode.js';
import { paddedTile } from '../../src/io/raster/overview.pyramid.js';
import type { Codec } from '../../src/io/raster/tiff.codec.js';
import type { RasterGrid } from '../../src/core/types.js';
import { cogCheck, epsgOf, gdal, gdalinfo, gdalTest, pythonGdalTest } from '../helpers/gdal.js';
import { tempDir } from '../helpers/paths.js';
import { readRaster } from '../helpers/rasters.js';

const grid: RasterGrid = { width: 100, height: 70, transform: [500000, 20, 0, 4600000, 0, -20], epsg: 32633 };

async function write(
  path: string,
  type: 'uint8' | 'float32',
  codec: Codec,
  data: Uint8Array | Float32Array,
): Promise<void> {
  const size = 32;
  const w = await GeoTiffWriter.create(path, {
    grid,
    type,
    tileSize: size,
    codec,
    nodata: type === 'float32' ? NaN : undefined,
    description: 'test band',
  });
  for (let ty = 0; ty < w.tilesDown; ty++) {
    const rows = Math.min(size, grid.height - ty * size);
    const strip = data.subarray(ty * size * grid.width, (ty * size + rows) * grid.width);
    for (let tx = 0; tx < w.tilesAcross; tx++) {
      const tile = cutTile(
        strip,
        grid.width,
        rows,
        tx,
        size,
        type === 'float32' ? NaN : 0,
        (n) => (type === 'float32' ? new Float32Array(n) : new Uint8Array(n)) as never,
      );
      await w.writeTile(tx, ty, await encodeTile(tile, size, type, codec, codec === 'deflate' ? 6 : 1));
    }
  }
  expect(existsSync(path)).toBe(false); // only the temporary name exists until finish()
  await w.finish();
}

const mask = Uint8Array.from({ length: 100 * 70 }, (_, i) => (((i % 100) * (Math.floor(i / 100) + 3)) % 7 < 3 ? 1 : 0));
const values = Float32Array.from({ length: 100 * 70 }, (_, i) => (i % 37 === 0 ? NaN : Math.sin(i / 10) * 0.7));

describe('GeoTiffWriter', () => {
  for (const codec of ['zstd', 'deflate', 'lzw', 'none'] as const) {
    test(`uint8 and float32 with ${codec}: read back unchanged, with the grid`, async () => {
      const dir = tempDir();
      await write(join(dir, 'mask.tif'), 'uint8', codec, mask);
      await write(join(dir, 'values.tif'), 'float32', codec, values);
      const m = await readRaster(join(dir, 'mask.tif'));
      expect(m.grid).toEqual(grid);
      expect(Array.from(m.data)).toEqual(Array.from(mask));
      const v = await readRaster(join(dir, 'values.tif'));
      expect(Array.from(v.data)).toEqual(Array.from(values));
      expect(readdirSync(dir).sort()).toEqual(['mask.tif', 'values.tif']);
    });
  }

  gdalTest('GDAL reads a uint8 mask: values, EPSG, geotransform, predictor 2', async () => {
    const dir = tempDir();
    await write(join(dir, 'mask.tif'), 'uint8', 'deflate', mask);
    const info = gdalinfo(join(dir, 'mask.tif'));
    expect(info.geoTransform).toEqual([500000, 20, 0, 4600000, 0, -20]);
    expect(epsgOf(info.coordinateSystem.wkt)).toBe(32633);
    expect(info.bands[0]!.type).toBe('Byte');
    expect(info.bands[0]!.noDataValue).toBeUndefined();
    expect(info.metadata['IMAGE_STRUCTURE']).toMatchObject({ COMPRESSION: 'DEFLATE', PREDICTOR: '2' });
    gdal('gdal_translate', ['-q', '-of', 'ENVI', join(dir, 'mask.tif'), join(dir, 'mask.bin')]);
    const { readFileSync } = await import('node:fs');
    expect(Array.from(readFileSync(join(dir, 'mask.bin')))).toEqual(Array.from(mask));
  });

  pythonGdalTest(
    'a COG with overviews fed strip by strip: GDAL validates it; average and mode equal gdaladdo',
    async () => {
      // 100 x 70 in 16 px tiles: overviews 50 x 35, 25 x 18, 13 x 9 (odd sizes: fractional windows), fed
      // in strips of 16 rows as the scan's mask writer does.
      const dir = tempDir();
      for (const [name, type, method, data] of [
        ['values.tif', 'float32', 'average', values],
        ['mask.tif', 'uint8', 'mode', Uint8Array.from(mask, (v, i) => (i % 13 === 0 ? 255 : v))],
      ] as const) {
        const size = 16;
        const w = await GeoTiffWriter.create(join(dir, name), {
          grid,
          type,
          tileSize: size,
          codec: 'zstd',
          nodata: type === 'float32' ? NaN : 255,
          overviews: method,
        });
        expect(w.sizes.map((s) => [s.width, s.height])).toEqual([
          [100, 70],
          [50, 35],
          [25, 18],
          [13, 9],
        ]);
        for (let ty = 0; ty < w.tilesDown; ty++) {
          const rows = Math.min(size, grid.height - ty * size);
          const strip = data.subarray(ty * size * grid.width, (ty * size + rows) * grid.width);
          const fill = type === 'float32' ? NaN : 255;
          for (let tx = 0; tx < w.tilesAcross; tx++) {
            const make = (n: number) => (type === 'float32' ? new Float32Array(n) : new Uint8Array(n)) as never;
            const tile = cutTile(strip, grid.width, rows, tx, size, fill, make);
            await w.writeTile(tx, ty, await encodeTile(tile, size, type, 'zstd', 1));
          }
          await w.pyramid!.advance(strip, ty * size, rows, async (level, x, y, t) =>
            w.writeTile(x, y, await encodeTile(paddedTile(t, size, fill), size, type, 'zstd', 1), level),
          );
        }
        await w.finish();
        const check = cogCheck(join(dir, name), method);
        expect([check.errors, check.warnings]).toEqual([[], []]);
        expect(check.overviews).toBe(3);
        for (const level of check.levels) {
          expect(level.shape).toEqual(level.gdal_shape);
          if (type === 'float32') {
            expect(level.nan_mismatch).toBe(0);
            expect(level.max_ulps_source).toBeLessThanOrEqual(1);
          } else expect(level.mismatch).toBe(0);
        }
        // the full resolution reads back unchanged, and only the final file is left
        expect(Array.from((await readRaster(join(dir, name))).data)).toEqual(Array.from(data));
      }
      expect(readdirSync(dir).sort()).toEqual(['mask.tif', 'values.tif']);
    },
  );

  pythonGdalTest(
    'overviews fed through strip slots by tasks (level 1 averaged by the tasks when even): equal gdaladdo',
    async () => {
      // As the scan's workers feed them: each task puts its tile columns into its strip's slot (two strips
      // in flight), then the strip advances the pyramid. 96 x 64 (even sides: the slots hold level 1, made by
      // the tasks) and 100 x 69 (odd height: full-resolution slots, fractional windows), 16 px tiles.
      const dir = tempDir();
      for (const [width, height] of [
        [96, 64],
        [100, 69],
      ] as const) {
        for (const [type, method] of [
          ['float32', 'average'],
          ['uint8', 'mode'],
        ] as const) {
          const size = 16;
          const n = width * height;
          const data =
            type === 'float32'
              ? Float32Array.from({ length: n }, (_, i) => (i % 37 === 0 ? NaN : Math.sin(i / 10) * 0.7))
              : Uint8Array.from({ length: n }, (_, i) => (i % 13 === 0 ? 255 : ((i % width) * (i >> 4)) % 3));
          const name = `${type}_${width}x${height}.tif`;
          const g = { ...grid, width, height };
          const w = await GeoTiffWriter.create(join(dir, name), {
            grid: g,
            type,
            tileSize: size,
            codec: 'zstd',
            nodata: type === 'float32' ? NaN : 255,
            overviews: method,
            overviewSlots: 2,
          });
          expect(w.sink.pyramid!.reduced).toBe(height % 2 === 0);
          const fill = type === 'float32' ? NaN : 255;
          for (let ty = 0; ty < w.tilesDown; ty++) {
            const rows = Math.min(size, height - ty * size);
            // Tasks of two tile columns, each with its own packed rows, put in reverse order.
            for (let c = Math.floor((w.tilesAcross - 1) / 2) * 2; c >= 0; c -= 2) {
              const cols = Math.min(2 * size, width - c * size);
              const task = type === 'float32' ? new Float32Array(rows * cols) : new Uint8Array(rows * cols);
              for (let y = 0; y < rows; y++) {
                const at = (ty * size + y) * width + c * size;
                task.set(data.subarray(at, at + cols) as never, y * cols);
              }
              w.pyramid!.put(ty, task, rows, cols, c * size);
            }
            const strip = data.subarray(ty * size * width, (ty * size + rows) * width);
            for (let tx = 0; tx < w.tilesAcross; tx++) {
              const make = (k: number) => (type === 'float32' ? new Float32Array(k) : new Uint8Array(k)) as never;
              const tile = cutTile(strip, width, rows, tx, size, fill, make);
              await w.writeTile(tx, ty, await encodeTile(tile, size, type, 'zstd', 1));
            }
            await w.pyramid!.advanceSlot(ty, ty * size, rows, async (level, x, y, t) =>
              w.writeTile(x, y, await encodeTile(paddedTile(t, size, fill), size, type, 'zstd', 1), level),
            );
          }
          await w.finish();
          const check = cogCheck(join(dir, name), method);
          expect({ name, errors: check.errors, warnings: check.warnings }).toEqual({ name, errors: [], warnings: [] });
          expect(check.overviews).toBe(w.sizes.length - 1);
          for (const level of check.levels) {
            expect(level.shape).toEqual(level.gdal_shape);
            if (type === 'float32') {
              expect(level.nan_mismatch).toBe(0);
              expect(level.valid).toBeGreaterThan(0);
              expect(level.max_ulps_source).toBeLessThanOrEqual(1);
            } else expect(level.mismatch).toBe(0);
          }
          expect(Array.from((await readRaster(join(dir, name))).data)).toEqual(Array.from(data));
        }
      }
    },
  );

  test('abort removes the temporary file', async () => {
    const dir = tempDir();
    const w = await GeoTiffWriter.create(join(dir, 'x.tif'), { grid, type: 'uint8', tileSize: 32, codec: 'zstd' });
    expect(readdirSync(dir)).toHaveLength(1);
    await w.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  test('finish refuses a raster with missing tiles', async () => {
    const dir = tempDir();
    const w = await GeoTiffWriter.create(join(dir, 'x.tif'), { grid, type: 'uint8', tileSize: 32, codec: 'none' });
    await expect(w.finish()).rejects.toThrow(/tile 0 of .* was never written/);
    await w.abort();
  });
});
