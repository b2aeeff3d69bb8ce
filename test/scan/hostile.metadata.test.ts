/**
 * A damaged MTD_MSIL2A.xml of a baseline 04.00+ product must never silently drop BOA_ADD_OFFSET (-1000):
 * an unreadable file falls back to ESA's default for the product name's baseline, with a warning kept in
 * report.json; an offset written in the file but not a sane integer fails the scene with one line; a
 * tag left open before a long run of white space parses in linear time (docs/scan.md, docs/reliability.md).
 */
import { describe, expect, test } from '@jest/globals';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archeo, errorLines } from '../helpers/cli.js';
import { outputEntries, tempDir, unuSample } from '../helpers/paths.js';
import { readSafeMetadata } from '../../src/io/scene/metadata.js';
import { parseGml } from '../../src/io/raster/jp2.boxes.js';

/** (Typed loosely so this file also compiles against the reader before its fix, to see the tests fail.) */
const readMtd = readSafeMetadata as (path: string, productName?: string) => ReturnType<typeof readSafeMetadata>;
const UNU_ID = 'S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454';
const XML = readFileSync(join(unuSample, 'MTD_MSIL2A.xml'), 'utf8');
const OFFSETS_LIST = /<BOA_ADD_OFFSET_VALUES_LIST>[\s\S]*<\/BOA_ADD_OFFSET_VALUES_LIST>/;

/** A copy of the SAFE sample (folder `name`) whose MTD_MSIL2A.xml holds `content`. */
function withMtd(content: string | Buffer, name = `${UNU_ID}.SAFE`): { scene: string; mtd: string } {
  const scene = join(tempDir(), name);
  cpSync(unuSample, scene, { recursive: true });
  const mtd = join(scene, 'MTD_MSIL2A.xml');
  writeFileSync(mtd, content);
  return { scene, mtd };
}

interface Info {
  offset_source: string;
  baseline: string | null;
  warnings: string[];
  bands: { band: string; offset: number }[];
}

function info(scene: string): Info {
  const r = archeo(['info', scene, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Info;
}

const offsetsOf = (d: Info): number[] => d.bands.filter((b) => b.band !== 'SCL').map((b) => b.offset);

describe('a damaged MTD_MSIL2A.xml of a baseline 04.00 product: ESA default -1000 with a warning', () => {
  const utf16 = Buffer.concat([
    Buffer.from([0xff, 0xfe]),
    Buffer.from(XML.replace('encoding="UTF-8"', 'encoding="UTF-16"'), 'utf16le'),
  ]);
  test.each([
    ['empty', '', 'the file is empty'],
    ['truncated', XML.slice(0, Math.floor(XML.length / 2)), ' at line 304'],
    ['truncated before the offsets', XML.slice(0, XML.indexOf('<BOA_ADD_OFFSET_VALUES_LIST>') + 60), ''],
    ['not XML', 'PK\u0003\u0004 this is a zip file, not XML', 'text outside the root element'],
    ['closing tags removed', XML.replace(/<\/[^>]+>/g, ''), 'is not closed'],
    [
      'invalid UTF-8',
      Buffer.concat([Buffer.from(XML.slice(0, 100)), Buffer.from([0xff, 0xc0, 0x80])]),
      'not UTF-8 text',
    ],
    ['another XML document', '<?xml version="1.0"?><kml><Document/></kml>', 'root element is <kml>'],
  ])('%s: offsets -1000 on every band, a warning naming the file and the reason', (_, content, reason) => {
    const { scene, mtd } = withMtd(content);
    const d = info(scene);
    expect(d.baseline).toBe('04.00');
    expect(offsetsOf(d).length).toBeGreaterThan(5);
    expect(new Set(offsetsOf(d))).toEqual(new Set([-1000]));
    expect(d.offset_source).toMatch(/^product name \(baseline 04.00; MTD_MSIL2A.xml unreadable: /);
    expect(
      d.warnings.some(
        (w) =>
          w.startsWith(`${mtd} is not a readable product metadata file (`) &&
          w.includes(reason) &&
          w.includes('BOA_ADD_OFFSET -1000'),
      ),
    ).toBe(true);
  });

  test('no BOA_ADD_OFFSET_VALUES_LIST in a well-formed 04.00 MTD: -1000 with a warning', () => {
    const { scene, mtd } = withMtd(XML.replace(OFFSETS_LIST, ''));
    const d = info(scene);
    expect(new Set(offsetsOf(d))).toEqual(new Set([-1000]));
    expect(d.warnings).toContain(
      `${mtd} has no BOA_ADD_OFFSET_VALUES_LIST: baseline 04.00 products carry BOA_ADD_OFFSET -1000, applied to every band`,
    );
  });

  test('the baseline comes from the product name when the MTD has none (S2B_…_N0509_…)', () => {
    const name = 'S2B_MSIL2A_20230826T112119_N0509_R037_T29UNU_20230826T140055.SAFE';
    const { scene } = withMtd(
      XML.replace(OFFSETS_LIST, '')
        .replace(/<PROCESSING_BASELINE>04.00<\/PROCESSING_BASELINE>/, '')
        .replace(/<PRODUCT_URI>[^<]*</, `<PRODUCT_URI>${name}<`),
      name,
    );
    const d = info(scene);
    expect(d.baseline).toBe('05.09');
    expect(new Set(offsetsOf(d))).toEqual(new Set([-1000]));
  });

  test('UTF-16 and single-quoted attributes are XML: read, not dropped', () => {
    const { scene } = withMtd(utf16);
    const d = info(scene);
    expect(d.offset_source).toBe('MTD_MSIL2A.xml BOA_ADD_OFFSET');
    expect(new Set(offsetsOf(d))).toEqual(new Set([-1000]));
    expect(d.warnings).toEqual([]);
    const quoted = withMtd(XML.replace(/band_id="(\d+)"/g, "band_id='$1'"));
    const q = info(quoted.scene);
    expect(q.offset_source).toBe('MTD_MSIL2A.xml BOA_ADD_OFFSET');
    expect(new Set(offsetsOf(q))).toEqual(new Set([-1000]));
  });

  test('a scan of a product whose MTD lost its closing tags writes the same numbers as the intact one, and says why', () => {
    const out = tempDir();
    const good = archeo(['scan', unuSample, '--out', join(out, 'good'), '-q']);
    expect(good.code).toBe(0);
    const { scene, mtd } = withMtd(XML.replace(/<\/[^>]+>/g, ''));
    const bad = archeo(['scan', scene, '--out', join(out, 'bad'), '-q']);
    expect(bad.code).toBe(0);
    const indices = readdirSync(join(out, 'good', UNU_ID, 'indices')).sort();
    expect(readdirSync(join(out, 'bad', UNU_ID, 'indices')).sort()).toEqual(indices);
    for (const f of indices)
      expect(
        readFileSync(join(out, 'bad', UNU_ID, 'indices', f)).equals(
          readFileSync(join(out, 'good', UNU_ID, 'indices', f)),
        ),
      ).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'bad', UNU_ID, 'report.json'), 'utf8')) as {
      scene: { offset_source: string };
      warnings: string[];
      inputs: { bands: { band: string; offset: number }[] };
    };
    expect(report.scene.offset_source).toMatch(/^product name \(baseline 04.00; MTD_MSIL2A.xml unreadable/);
    expect(report.warnings.some((w) => w.startsWith(`${mtd} is not a readable product metadata file`))).toBe(true);
    expect(new Set(report.inputs.bands.filter((b) => b.band !== 'SCL').map((b) => b.offset))).toEqual(new Set([-1000]));
  });
});

describe('offsets that are not sane integers, and contradictions: one line naming the MTD, exit 1', () => {
  const withValue = (v: string): string =>
    XML.replace(
      '<BOA_ADD_OFFSET band_id="3">-1000</BOA_ADD_OFFSET>',
      `<BOA_ADD_OFFSET band_id="3">${v}</BOA_ADD_OFFSET>`,
    );
  test.each([
    ['abc', withValue('abc'), `BOA_ADD_OFFSET band_id="3" is 'abc': expected an integer from -2000 to 0`],
    ['-1e300', withValue('-1e300'), `BOA_ADD_OFFSET band_id="3" is '-1e300': expected an integer from -2000 to 0`],
    [
      '-1000.5.3',
      withValue('-1000.5.3'),
      `BOA_ADD_OFFSET band_id="3" is '-1000.5.3': expected an integer from -2000 to 0`,
    ],
    ['-1000.5', withValue('-1000.5'), `BOA_ADD_OFFSET band_id="3" is '-1000.5': expected an integer from -2000 to 0`],
    ['1000', withValue('1000'), `BOA_ADD_OFFSET band_id="3" is '1000': expected an integer from -2000 to 0`],
    ['empty', withValue(''), `BOA_ADD_OFFSET band_id="3" is '': expected an integer from -2000 to 0`],
    [
      'a band missing',
      withValue('-1000').replace('<BOA_ADD_OFFSET band_id="3">-1000</BOA_ADD_OFFSET>', ''),
      `BOA_ADD_OFFSET_VALUES_LIST has no value for band_id="3" (B04)`,
    ],
    [
      'a bad band_id',
      withValue('-1000').replace('band_id="3"', 'band_id="x"'),
      `BOA_ADD_OFFSET with an invalid band_id 'x'`,
    ],
    [
      'baseline 02.14 in a N0400 product',
      XML.replace('<PROCESSING_BASELINE>04.00<', '<PROCESSING_BASELINE>02.14<'),
      `PROCESSING_BASELINE 02.14 disagrees with the product name's baseline 04.00 (one of them is wrong; the BOA offset depends on it)`,
    ],
    [
      'quantification Infinity',
      XML.replace('unit="none">10000<', 'unit="none">1e999<'),
      `invalid BOA_QUANTIFICATION_VALUE '1e999'`,
    ],
  ])('%s', (_, content, fault) => {
    const { scene, mtd } = withMtd(content);
    const out = tempDir();
    const r = archeo(['scan', scene, '--out', out]);
    expect(errorLines(r.stderr)).toEqual([`archeo: ${mtd}: ${fault}`]);
    expect(r.code).toBe(1);
    expect(outputEntries(out)).toEqual([]);
  });

  test('an unreadable MTD in a folder whose name tells no baseline: the offset is unknown, the scene fails', () => {
    const { scene, mtd } = withMtd('', 'renamed.SAFE');
    const out = tempDir();
    const r = archeo(['scan', scene, '--out', out]);
    expect(errorLines(r.stderr)).toEqual([
      `archeo: ${mtd}: not a readable product metadata file (the file is empty), and the product name tells no processing baseline: the BOA offset is unknown`,
    ]);
    expect(r.code).toBe(1);
    expect(outputEntries(out)).toEqual([]);
  });
});

describe('no backtracking on hostile metadata', () => {
  const spaces = ' '.repeat(100_000);
  const cut = (marker: string): string => XML.slice(0, XML.indexOf(marker) + marker.length);
  test.each([
    ['an element left open at the end of the file', cut('<PRODUCT_URI>') + spaces],
    ['an element left open before text', `${cut('<PRODUCT_URI>') + spaces}x${spaces}`],
    ['a tag with white space inside', `${cut('<Product_Info>')}<PRODUCT_URI a="1"${spaces}>${spaces}`],
    ['an offset left open', cut('<BOA_ADD_OFFSET band_id="0">') + spaces],
    ['a quantification left open', `${cut('<BOA_QUANTIFICATION_VALUE unit="none">') + spaces}1${spaces}`],
  ])('MTD_MSIL2A.xml with %s before 100k spaces: read (or refused) in well under a second', async (_, content) => {
    const { mtd } = withMtd(content);
    const t0 = performance.now();
    const m = await readMtd(mtd, `${UNU_ID}.SAFE`);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(new Set(Object.values(m.offsets))).toEqual(new Set([-1000]));
  });

  test('GMLJP2 text with open tags before 100k spaces (or digits): in well under a second', () => {
    const ok =
      '<gml:origin><gml:Point srsName="urn:ogc:def:crs:EPSG::32629"><gml:pos>553770 5857770</gml:pos></gml:Point></gml:origin>' +
      '<gml:offsetVector srsName="x">60 0</gml:offsetVector><gml:offsetVector srsName="x">0 -60</gml:offsetVector>';
    expect(parseGml(ok)).toEqual({ transform: [553740, 60, 0, 5857800, 0, -60], epsg: 32629 });
    const digits = '1'.repeat(100_000);
    for (const hostile of [
      `<gml:origin>${'<gml:pos>'.repeat(2000)}${spaces}`,
      `<gml:origin><gml:pos>1 ${digits}${spaces}`,
      `${'<gml:offsetVector>'.repeat(2000)} 1 ${digits}${spaces}`,
      `${'<gml:origin>'.repeat(5000)}<gml:pos ${spaces}`,
    ]) {
      const t0 = performance.now();
      expect(parseGml(hostile)).toBeUndefined();
      expect(performance.now() - t0).toBeLessThan(500);
    }
  });
});
