/**
 * Outputs are GDAL-readable: gdalinfo shows the same origin, pixel size and CRS as the source 10 m band,
 * NaN nodata, the codec and predictor; GDAL decodes every codec to the same values archeo computed
 * (which the numbers tests compare with numpy).
 */
import { describe, expect } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { archeo } from '../helpers/cli.js';
import { epsgOf, gdal, gdalinfo, gdalTest } from '../helpers/gdal.js';
import { rkhSample, tempDir, outputEntries } from '../helpers/paths.js';
import { compare, readExpected } from '../helpers/rasters.js';

function scan(args: string[]): string {
  const out = tempDir();
  const r = archeo(['scan', rkhSample, '--out', out, '-q', ...args]);
  expect(r.code).toBe(0);
  return join(out, outputEntries(out)[0]!);
}

describe('GDAL reads what archeo writes', () => {
  gdalTest('georeferencing equals the source 10 m band', () => {
    const dir = scan([]);
    const src = gdalinfo(join(rkhSample, 'B04.tif'));
    for (const file of readdirSync(join(dir, 'indices'))) {
      const info = gdalinfo(join(dir, 'indices', file));
      expect(info.size).toEqual(src.size);
      expect(info.geoTransform).toEqual(src.geoTransform);
      expect(epsgOf(info.coordinateSystem.wkt)).toBe(32629);
      expect(epsgOf(info.coordinateSystem.wkt)).toBe(epsgOf(src.coordinateSystem.wkt));
      const band = info.bands[0]!;
      expect(band.type).toBe('Float32');
      expect(String(band.noDataValue)).toBe('NaN');
      expect(band.description).toBe(file.replace(/\.tif$/, ''));
      expect(band.block).toEqual([512, 512]);
      expect(info.metadata['IMAGE_STRUCTURE']).toMatchObject({ COMPRESSION: 'ZSTD', PREDICTOR: '3' });
      expect(info.metadata['']).toMatchObject({ scene: 'S2A_29RKH_20200219_0_L2A', index: file.replace(/\.tif$/, '') });
    }
  });

  for (const codec of ['zstd', 'deflate', 'lzw', 'none']) {
    gdalTest(`GDAL decodes --compress ${codec} to the numpy reference values`, () => {
      const dir = scan(['--compress', codec, '--indices', 'ndvi,clay_minerals', '--block', '64']);
      const expectedCompression = { zstd: 'ZSTD', deflate: 'DEFLATE', lzw: 'LZW', none: undefined }[codec];
      for (const index of ['ndvi', 'clay_minerals']) {
        const tif = join(dir, 'indices', `${index}.tif`);
        expect(gdalinfo(tif).metadata['IMAGE_STRUCTURE']?.['COMPRESSION']).toBe(expectedCompression);
        const raw = join(tempDir(), `${index}.bin`);
        gdal('gdal_translate', ['-q', '-of', 'ENVI', tif, raw]);
        const bytes = readFileSync(raw);
        const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
        const c = compare(readExpected('rkh-bilinear', index), values);
        expect(c.nanMismatch).toBe(0);
        expect(c.maxDiff).toBeLessThanOrEqual(1e-6);
      }
    });
  }
});
