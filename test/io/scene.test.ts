/** Scene discovery and metadata, through `archeo info`. */
import { describe, expect, test } from '@jest/globals';
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archeo } from '../helpers/cli.js';
import { codecsScene, rkhSample, tempDir, unuSample } from '../helpers/paths.js';
import { metadataFromName, offsetForBaseline } from '../../src/io/scene/metadata.js';

function info(path: string) {
  const r = archeo(['info', path, '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('archeo info', () => {
  test('COG folder with its STAC item: id, date, baseline, bands, CRS, no offset', () => {
    const d = info(rkhSample);
    expect(d.id).toBe('S2A_29RKH_20200219_0_L2A');
    expect(d.datetime).toBe('2020-02-19T11:34:25.405000Z');
    expect(d.baseline).toBe('02.14');
    expect(d.epsg).toBe(32629);
    expect(d.bands.map((b: { band: string }) => b.band)).toEqual([
      'B02',
      'B03',
      'B04',
      'B05',
      'B06',
      'B07',
      'B08',
      'B8A',
      'B11',
      'B12',
      'SCL',
    ]);
    const b04 = d.bands.find((b: { band: string }) => b.band === 'B04');
    expect(b04).toMatchObject({
      resolution_m: 10,
      width: 256,
      height: 256,
      pixel_size: [100, -100],
      type: 'uint16',
      offset: 0,
      format: 'GeoTIFF',
    });
    expect(d.indices.computable).toHaveLength(11);
  });
  test('SAFE product: offsets -1000 from MTD_MSIL2A.xml, every resolution of SCL, B08 missing', () => {
    const d = info(unuSample);
    expect(d.id).toBe('S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454');
    expect(d.datetime).toBe('2022-10-05T11:54:11.024Z');
    expect(d.baseline).toBe('04.00');
    expect(d.quantification).toBe(10000);
    const b04 = d.bands.find((b: { band: string }) => b.band === 'B04');
    expect(b04).toMatchObject({ resolution_m: 60, offset: -1000, format: 'JPEG 2000', origin: [553740, 5857800] });
    expect(
      d.bands.filter((b: { band: string }) => b.band === 'SCL').map((b: { resolution_m: number }) => b.resolution_m),
    ).toEqual([20, 60]);
    expect(d.indices.missing.map((m: { name: string }) => m.name)).toEqual([
      'ndvi',
      'terra_preta',
      'ndwi',
      'crop_mark',
    ]);
  });
  test('Earth Search asset-key file names (red.tif, nir08.tif...) without metadata: a warning about the offset', () => {
    const d = info(codecsScene);
    expect(d.bands.map((b: { band: string }) => b.band)).toContain('B8A');
    expect(d.bands.find((b: { band: string }) => b.band === 'B8A').path).toMatch(/nir08\.tif$/);
    expect(d.warnings[0]).toMatch(/no STAC item .* assuming BOA_ADD_OFFSET 0/);
  });
  test("files named by the STAC item's asset hrefs are found", () => {
    const dir = join(tempDir(), 'renamed');
    cpSync(rkhSample, dir, { recursive: true });
    const itemPath = join(dir, 'S2A_29RKH_20200219_0_L2A.json');
    const item = JSON.parse(readFileSync(itemPath, 'utf8'));
    renameSync(join(dir, 'B04.tif'), join(dir, 'T29RKH_20200219T112111_B04_10m.tif'));
    item.assets.red.href = 's3://bucket/T29RKH_20200219T112111_B04_10m.tif';
    writeFileSync(itemPath, JSON.stringify(item));
    const d = info(dir);
    expect(d.bands.find((b: { band: string }) => b.band === 'B04').path).toBe(
      join(dir, 'T29RKH_20200219T112111_B04_10m.tif'),
    );
  });
  test('human output names the bands and the radiometry', () => {
    const r = archeo(['info', unuSample]);
    expect(r.stdout).toContain(
      'radiometry reflectance = (DN + offset) / 10000; offsets from MTD_MSIL2A.xml BOA_ADD_OFFSET',
    );
    expect(r.stdout).toMatch(/B8A +60 m +JPEG 2000 256x256 +pixel 60 m +uint16 offset -1000/);
  });
});

describe('radiometric offset rules', () => {
  test('baseline 04.00 and later carry -1000 unless the distributor applied it', () => {
    expect(offsetForBaseline('04.00', false)).toBe(-1000);
    expect(offsetForBaseline('05.09', false)).toBe(-1000);
    expect(offsetForBaseline('04.00', true)).toBe(0);
    expect(offsetForBaseline('02.14', false)).toBe(0);
    expect(offsetForBaseline(undefined, false)).toBe(0);
  });
  test('baseline and date from a product name', () => {
    expect(metadataFromName('S2B_MSIL2A_20210815T140049_N0301_R067_T21LYG_20210815T171713.SAFE')).toEqual({
      baseline: '03.01',
      datetime: '2021-08-15T14:00:49Z',
    });
  });
});
