/**
 * Zipped SAFE products read in place (io/zip): archives written by Python's own zipfile module
 * (test/fixtures/zip/make_zip.py — stored, deflated, ZIP64, product at the root) list the members zipfile
 * says it wrote and give back the files' exact bytes; `archeo scan product.SAFE.zip` writes indices
 * byte-identical to the unzipped product's; damaged archives fail with one line naming the archive (and
 * the member), leaving no output.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ZipArchive } from '../../src/io/zip/zip.reader.js';
import { splitZipMemberPath } from '../../src/io/zip/member.path.js';
import { archeo, errorLines } from '../helpers/cli.js';
import { outputEntries, root, tempDir, unuSample } from '../helpers/paths.js';

const UNU_ID = 'S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454';
const MAKE_ZIP = join(root, 'test', 'fixtures', 'zip', 'make_zip.py');

interface ZipfileEntry {
  name: string;
  crc32: number;
  size: number;
  compressedSize: number;
}

/** Zips the SAFE sample with Python's zipfile; returns the archive and what zipfile says it wrote. */
function pythonZip(dir: string, name: string, args: string[]): { zip: string; entries: ZipfileEntry[] } {
  const zip = join(dir, name);
  const r = spawnSync('python3', [MAKE_ZIP, unuSample, zip, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make_zip.py failed (python3 is needed: apt-get install python3): ${r.stderr}`);
  return { zip, entries: JSON.parse(r.stdout) as ZipfileEntry[] };
}

/** Every file of the SAFE sample, by its path relative to the product folder. */
function sampleFiles(dir = unuSample, prefix = ''): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) for (const [k, v] of sampleFiles(join(dir, e.name), `${prefix}${e.name}/`)) files.set(k, v);
    else files.set(`${prefix}${e.name}`, readFileSync(join(dir, e.name)));
  }
  return files;
}

describe('the zip reader against archives written by Python zipfile', () => {
  const dir = tempDir();
  const files = sampleFiles();
  test.each([
    ['deflated', ['deflated'], `${UNU_ID}.SAFE/`],
    ['stored', ['stored'], `${UNU_ID}.SAFE/`],
    ['deflated, ZIP64 records and fields', ['deflated', '--zip64'], `${UNU_ID}.SAFE/`],
    ['stored at the archive root', ['stored', '--root'], ''],
  ])('%s: the members zipfile wrote, each with the file’s bytes', async (label, args, prefix) => {
    const { zip, entries } = pythonZip(dir, `${label.replace(/\W+/g, '_')}.zip`, args);
    const archive = await ZipArchive.open(zip);
    expect(
      [...archive.members.values()].map((m) => ({
        name: m.name,
        crc32: m.crc32,
        size: m.size,
        compressedSize: m.compressedSize,
      })),
    ).toEqual(entries);
    expect(entries.length).toBe(files.size);
    for (const [rel, bytes] of files) {
      const got = await archive.read(`${prefix}${rel}`);
      expect(Buffer.from(got).equals(bytes)).toBe(true);
    }
    if (args.includes('--zip64')) {
      // The archive really took the ZIP64 paths: the end records and a saturated size in the directory.
      const raw = readFileSync(zip);
      expect(raw.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
      expect(raw.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBe(true);
    }
  });

  test('member paths split at the archive, any case', () => {
    expect(splitZipMemberPath('/a/P.SAFE.ZIP!/P.SAFE/MTD_MSIL2A.xml')).toEqual({
      archive: '/a/P.SAFE.ZIP',
      member: 'P.SAFE/MTD_MSIL2A.xml',
    });
    expect(splitZipMemberPath('/a/P.SAFE/GRANULE/x.jp2')).toBeUndefined();
  });
});

describe('archeo scan product.SAFE.zip', () => {
  const dir = tempDir();
  let zip: string;
  let fromFolder: string;
  let fromZip: string;
  beforeAll(() => {
    zip = pythonZip(dir, `${UNU_ID}.SAFE.zip`, ['deflated']).zip;
    fromFolder = join(dir, 'out-folder');
    fromZip = join(dir, 'out-zip');
    for (const [input, out] of [
      [unuSample, fromFolder],
      [zip, fromZip],
    ] as const) {
      const r = archeo(['scan', input, '--out', out, '--indices', 'all', '--quiet']);
      expect(errorLines(r.stderr)).toEqual([]);
      expect(r.code).toBe(0);
    }
  });

  test('the zip’s name without .SAFE.zip is the scene id, as for the folder', () => {
    expect(outputEntries(fromZip)).toEqual([UNU_ID]);
    expect(outputEntries(fromFolder)).toEqual([UNU_ID]);
  });

  test('every index GeoTIFF is byte-identical to the unzipped product’s', () => {
    const names = readdirSync(join(fromFolder, UNU_ID, 'indices')).sort();
    expect(names.length).toBe(7);
    expect(readdirSync(join(fromZip, UNU_ID, 'indices')).sort()).toEqual(names);
    for (const name of names) {
      const a = readFileSync(join(fromFolder, UNU_ID, 'indices', name));
      const b = readFileSync(join(fromZip, UNU_ID, 'indices', name));
      expect({ name, same: a.equals(b) }).toEqual({ name, same: true });
    }
  });

  test('the report names the zip, its layout, and the offsets read from the zipped MTD_MSIL2A.xml', () => {
    const report = JSON.parse(readFileSync(join(fromZip, UNU_ID, 'report.json'), 'utf8'));
    expect(report.scene.layout).toBe('safe-zip');
    expect(JSON.stringify(report)).toContain(`${basename(zip)}!/${UNU_ID}.SAFE/GRANULE/`);
    expect(report.inputs.bands.find((b: { band: string }) => b.band === 'B04').offset).toBe(-1000);
  });

  test('an archive folder holding .SAFE.zip products is walked: the zip is found beside folders', () => {
    const archive = join(dir, 'archive');
    mkdirSync(join(archive, '2022'), { recursive: true });
    copyFileSync(zip, join(archive, '2022', `${UNU_ID}.SAFE.zip`));
    writeFileSync(join(archive, '2022', 'notes.zip'), 'not a product');
    const r = archeo(['scan', archive, '--out', join(dir, 'out-archive'), '--list', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${UNU_ID}.SAFE.zip`);
    expect(r.stdout).not.toContain('notes.zip');
  });
});

describe('a damaged zip: one line naming the archive (and the member), no output', () => {
  const dir = tempDir();
  const good = (): { zip: string; entries: ZipfileEntry[] } => pythonZip(tempDir(), `${UNU_ID}.SAFE.zip`, ['stored']);

  function expectOneLine(zip: string, fault: string, code: number): void {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const r = archeo(['scan', zip, '--out', out]);
    const lines = errorLines(r.stderr);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain(zip);
    expect(lines[0]).toContain(fault);
    expect(r.code).toBe(code);
    expect(outputEntries(out)).toEqual([]);
  }

  test('cut short (its end record lost): "not a zip archive", in scan and in info', () => {
    const { zip } = good();
    truncateSync(zip, 500000);
    expectOneLine(zip, 'not a zip archive (no end-of-central-directory record; truncated?)', 1);
    const r = archeo(['info', zip]);
    expect(r.stderr.trim()).toBe(`archeo: ${zip}: not a zip archive (no end-of-central-directory record; truncated?)`);
    expect(r.code).toBe(1);
  });

  test('a band member’s bytes flipped: a CRC-32 mismatch naming the member', () => {
    const { zip } = good();
    const raw = readFileSync(zip);
    // Inside the B04 member's JPEG 2000 data (stored: the file's bytes are there as they are).
    const at = raw.indexOf(Buffer.from('T29UNU_20221005T115411_B04_60m.jp2')) + 2000;
    raw[at] = raw[at]! ^ 0xff;
    writeFileSync(zip, raw);
    expectOneLine(zip, '_B04_60m.jp2: damaged zip: CRC-32 mismatch', 1);
  });

  test('a central directory count that cannot fit: refused before any allocation', () => {
    const { zip } = good();
    const raw = readFileSync(zip);
    const eocd = raw.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    raw.writeUInt16LE(0xffff, eocd + 10);
    writeFileSync(zip, raw);
    expectOneLine(zip, 'damaged zip: 65535 entries cannot fit in', 1);
  });
});
