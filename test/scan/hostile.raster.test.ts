/**
 * Hostile rasters found by fuzzing: corrupt GeoTIFF headers that GDAL refuses, garbage grids, a band
 * without a CRS, JPEG 2000 decomposition levels that left the process alive, and a GeoJSON AOI across
 * the antimeridian. Each is made from a sample by changing bytes; each must end with one line naming the
 * file and the fault, the right exit code, nothing under --out, and well within the spawn's time limit.
 */
import { describe, expect, test } from '@jest/globals';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archeoTimed, errorLines } from '../helpers/cli.js';
import { outputEntries, rkhSample, tempDir, unuR60, unuSample } from '../helpers/paths.js';
import { editFile, tagEntry } from '../helpers/tiff.patch.js';

const UNU_ID = 'S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454';

function copyScene(src: string, name: string): string {
  const dst = join(tempDir(), name);
  cpSync(src, dst, { recursive: true });
  return dst;
}

/** Runs a scan of `input` and checks the contract for bad input; returns the error line. */
function expectRefused(input: string, args: string[] = [], code = 1): string {
  const out = tempDir();
  const r = archeoTimed(['scan', input, '--out', out, ...args]);
  expect(r.timedOut).toBe(false);
  expect(r.seconds).toBeLessThan(40);
  const lines = errorLines(r.stderr);
  expect(lines).toHaveLength(1);
  expect(r.code).toBe(code);
  expect(outputEntries(out)).toEqual([]);
  return lines[0]!;
}

/** A copy of the COG sample with B04.tif's first IFD edited. */
function cogWith(edit: (b: Buffer) => void): { scene: string; path: string } {
  const scene = copyScene(rkhSample, 'hostile');
  const path = join(scene, 'B04.tif');
  editFile(path, edit);
  return { scene, path };
}

/** Writes a SHORT value into `tag`'s entry (the value field of a count-1 SHORT). */
const setShort = (tag: number, value: number) => (b: Buffer) => b.writeUInt16LE(value, tagEntry(b, tag) + 8);
/** Overwrites the `index`-th double of a DOUBLE tag stored outside its entry. */
const setDouble = (tag: number, index: number, value: number) => (b: Buffer) =>
  b.writeDoubleLE(value, b.readUInt32LE(tagEntry(b, tag) + 8) + index * 8);

describe('corrupt GeoTIFF headers are refused before reading', () => {
  test.each([
    [
      'a TileWidth whose count is 115',
      (b: Buffer) => b.writeUInt32LE(115, tagEntry(b, 322) + 4),
      'TIFF tag TileWidth (322) has 115 values, 1 expected',
    ],
    [
      'TileWidth 65535',
      setShort(322, 65535),
      'TIFF tag TileWidth is 65535: tiles must be a multiple of 16 pixels, at most 4096',
    ],
    [
      'TileLength 100 (not a multiple of 16)',
      setShort(323, 100),
      'TIFF tag TileLength is 100: tiles must be a multiple of 16 pixels, at most 4096',
    ],
    [
      'Compression 1 (none) on DEFLATE tiles',
      setShort(259, 1),
      /^TIFF tag Compression says uncompressed, but tile 0 holds \d+ bytes where 128x128 uint16 samples \(BitsPerSample 16\) take 32768$/,
    ],
    [
      'Predictor 3 (floating point) on integer samples',
      setShort(317, 3),
      'TIFF tag Predictor is 3 (floating point) on uint16 samples',
    ],
    [
      'a TileOffsets count that does not match the tiles',
      (b: Buffer) => b.writeUInt32LE(3, tagEntry(b, 324) + 4),
      'TIFF tag TileOffsets has 3 values; a 256x256 image in 128x128 tiles needs 4',
    ],
    [
      // Found by the 2000-case campaign (tiff:1:5): geotiff.js read the array past the end as zeros, so every
      // tile was "sparse" and B04 silently nodata.
      'a TileByteCounts array that lies past the end of the file',
      (b: Buffer) => b.writeUInt32LE(0x5f000000 + b.readUInt32LE(tagEntry(b, 325) + 8), tagEntry(b, 325) + 8),
      /^file is truncated: TIFF tag TileByteCounts \(325\) holds 4 values ending at byte \d+, but the file has \d+ bytes$/,
    ],
  ])('%s', (_, edit, fault) => {
    const { scene, path } = cogWith(edit);
    const line = expectRefused(scene);
    if (typeof fault === 'string') expect(line).toBe(`archeo: ${path}: ${fault}`);
    else {
      expect(line.startsWith(`archeo: ${path}: `)).toBe(true);
      expect(line.slice(`archeo: ${path}: `.length)).toMatch(fault);
    }
  });

  test('BitsPerSample 32 on uint16 DEFLATE tiles: the tiles decode short, and that is refused', () => {
    const { scene, path } = cogWith(setShort(258, 32));
    expect(expectRefused(scene)).toMatch(
      new RegExp(
        `^archeo: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: tile \\d+ decodes to 32768 bytes, but 128x128 uint32 samples \\(TIFF tag BitsPerSample 32\\) take 65536$`,
      ),
    );
  });
});

describe('garbage grids are refused before any output', () => {
  // ModelPixelScale (33550): x, y, z. ModelTiepoint (33922): i, j, k, x, y, z.
  test.each([
    [
      'a NaN tie point',
      setDouble(33922, 3, Number.NaN),
      /^TIFF tag ModelTiepoint: origin \(NaN, [\d.]+\) is not a finite coordinate$/,
    ],
    ['a zero pixel scale', setDouble(33550, 0, 0), /^TIFF tag ModelPixelScale: pixel size x 0 is not a usable size/],
    [
      'a NaN pixel scale',
      setDouble(33550, 1, Number.NaN),
      /^TIFF tag ModelPixelScale: pixel size y NaN is not a usable size/,
    ],
    [
      'a 1e-300 pixel scale',
      setDouble(33550, 0, 1e-300),
      /^TIFF tag ModelPixelScale: pixel size x 1e-300 is not a usable size/,
    ],
    [
      'a negative pixel scale',
      setDouble(33550, 0, -10),
      /^TIFF tag ModelPixelScale: pixel size \(-10, -?[\d.]+\) is not north-up/,
    ],
  ])('%s', (_, edit, fault) => {
    const { scene, path } = cogWith(edit);
    const line = expectRefused(scene);
    expect(line.startsWith(`archeo: ${path}: `)).toBe(true);
    expect(line.slice(`archeo: ${path}: `.length)).toMatch(fault);
  });

  test('a pixel scale that differs from the other bands', () => {
    const { scene, path } = cogWith((b) =>
      setDouble(33550, 0, b.readDoubleLE(b.readUInt32LE(tagEntry(b, 33550) + 8)) * 1.5)(b),
    );
    expect(expectRefused(scene)).toMatch(
      new RegExp(`^archeo: ${path.replace(/\./g, '\\.')}: pixel size x [\\d.]+ does not match the scene grid`),
    );
  });

  test.each(['B04', 'B08', 'B02'])(
    '%s without GeoKeys (CRS unknown): exit 1 from the plan, naming the band',
    (band) => {
      const scene = copyScene(rkhSample, 'nocrs');
      const path = join(scene, `${band}.tif`);
      // Renaming the GeoKeyDirectory tag (34735) hides every GeoKey: GDAL then reports no CRS.
      editFile(path, (b) => b.writeUInt16LE(65000, tagEntry(b, 34735)));
      expect(expectRefused(scene)).toBe(`archeo: ${path}: has no CRS (no EPSG code in its GeoKeys)`);
    },
  );
});

describe('JPEG 2000 decomposition levels', () => {
  /** The SAFE sample with the COD marker of B04 (60 m) declaring `levels` decomposition levels. */
  function safeWithLevels(levels: number): { scene: string; path: string } {
    const scene = copyScene(unuSample, `${UNU_ID}.SAFE`);
    const path = join(scene, unuR60.slice(unuSample.length), 'T29UNU_20221005T115411_B04_60m.jp2');
    const bytes = readFileSync(path);
    let off = bytes.indexOf('jp2c', 0, 'latin1') + 4 + 2; // after SOC
    while (bytes.readUInt16BE(off) !== 0xff52) off += 2 + bytes.readUInt16BE(off + 2);
    bytes[off + 9] = levels; // Lcod(2) Scod(1) SGcod(4), then SPcod[0]: the levels
    writeFileSync(path, bytes);
    return { scene, path };
  }

  test.each([0, 32])(
    '%i levels (in range, inconsistent with the data): one line, exit 1, the process exits',
    (levels) => {
      const { scene, path } = safeWithLevels(levels);
      expect(expectRefused(scene).startsWith(`archeo: ${path}: unreadable JPEG 2000 (`)).toBe(true);
    },
  );

  test('33 levels: refused from the header', () => {
    const { scene, path } = safeWithLevels(33);
    expect(expectRefused(scene)).toBe(
      `archeo: ${path}: unreadable JPEG 2000 (codestream COD marker declares 33 wavelet decomposition levels (JPEG 2000 allows 0 to 32))`,
    );
  });
});

describe('JPEG 2000 component subsampling', () => {
  test.each([
    [1, 161, 'by 1x161'],
    [0, 1, 'by 0x1'],
  ])('XRsiz %i, YRsiz %i: refused from the header (fuzz jp2:1:1117 decoded fewer rows, silently)', (dx, dy, said) => {
    const scene = copyScene(unuSample, `${UNU_ID}.SAFE`);
    const path = join(scene, unuR60.slice(unuSample.length), 'T29UNU_20221005T115411_B04_60m.jp2');
    const bytes = readFileSync(path);
    const siz = bytes.indexOf('jp2c', 0, 'latin1') + 4 + 2; // after SOC: the SIZ marker
    expect(bytes.readUInt16BE(siz)).toBe(0xff51);
    bytes[siz + 41] = dx; // marker(2) Lsiz(2) Rsiz(2) sizes(32) Csiz(2) Ssiz(1), then XRsiz, YRsiz
    bytes[siz + 42] = dy;
    writeFileSync(path, bytes);
    expect(expectRefused(scene)).toBe(
      `archeo: ${path}: unreadable JPEG 2000 (codestream SIZ marker subsamples component 0 ${said} (archeo reads 1x1))`,
    );
  });
});

describe('--aoi GeoJSON across the antimeridian', () => {
  function aoiFile(coordinates: number[][][]): string {
    const file = join(tempDir(), 'aoi.geojson');
    writeFileSync(file, JSON.stringify({ type: 'Polygon', coordinates }));
    return file;
  }

  test('a polygon crossing ±180 is refused like the same box given as text', () => {
    const file = aoiFile([
      [
        [170, -10],
        [-170, -10],
        [-170, 10],
        [170, 10],
        [170, -10],
      ],
    ]);
    expect(expectRefused(rkhSample, ['--aoi', file], 2)).toBe(
      `archeo: --aoi ${file}: the area crosses the antimeridian (longitudes -170 to 170); give an area on one side of ±180`,
    );
    // The same box as text is refused too.
    expect(expectRefused(rkhSample, ['--aoi', '170,-10,-170,10'], 2)).toContain('--aoi 170,-10,-170,10');
  });

  test('a polygon with longitudes beyond 180 is refused', () => {
    const file = aoiFile([
      [
        [170, -10],
        [190, -10],
        [190, 10],
        [170, -10],
      ],
    ]);
    expect(expectRefused(rkhSample, ['--aoi', file], 2)).toBe(
      `archeo: --aoi ${file}: longitudes must be within ±180 and latitudes within ±90`,
    );
  });
});
