/**
 * Scene ids come from files archeo does not control (PRODUCT_URI in MTD_MSIL2A.xml, a STAC item's id)
 * and become folder names under --out. An id that is not a safe folder name fails its scene with one
 * line naming the metadata file; nothing is written or removed outside --out, no stray folder is left
 * inside it, and the other scenes of a batch are written (docs/reliability.md).
 */
import { describe, expect, test } from '@jest/globals';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archeo, errorLines } from '../helpers/cli.js';
import { outputEntries, rkhSample, tempDir, unuSample } from '../helpers/paths.js';
import { insideOut, sceneFolderName } from '../../src/core/scene.name.js';
import { commitDir, createTempDir, sceneDir } from '../../src/io/output/scene.dir.js';

const UNU_ID = 'S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454';
const URI = `${UNU_ID}.SAFE`;

/** A copy of the SAFE sample under `parent` whose PRODUCT_URI is `uri` (raw XML text). */
function safeWithUri(parent: string, uri: string, name = URI): { scene: string; mtd: string } {
  const scene = join(parent, name);
  cpSync(unuSample, scene, { recursive: true });
  const mtd = join(scene, 'MTD_MSIL2A.xml');
  const xml = readFileSync(mtd, 'utf8');
  expect(xml).toContain(`<PRODUCT_URI>${URI}</PRODUCT_URI>`);
  writeFileSync(mtd, xml.replace(`<PRODUCT_URI>${URI}</PRODUCT_URI>`, `<PRODUCT_URI>${uri}</PRODUCT_URI>`));
  return { scene, mtd };
}

/** Every file and folder below `dir`, relative, sorted. */
function tree(dir: string): string[] {
  const list: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      list.push(r);
      if (e.isDirectory()) walk(join(d, e.name), r);
    }
  };
  walk(dir, '');
  return list.sort();
}

describe('unsafe scene ids', () => {
  test('PRODUCT_URI ../../victim: the scene fails, the file beside --out survives, nothing is written outside', () => {
    const base = tempDir('archeo-victim-');
    const out = join(base, 'runs', 'out'); // out/../../victim is base/victim
    mkdirSync(join(base, 'runs'));
    writeFileSync(join(base, 'victim'), 'precious\n');
    const { scene, mtd } = safeWithUri(tempDir(), '../../victim.SAFE');
    const before = tree(base);
    const r = archeo(['scan', scene, '--out', out]);
    expect(errorLines(r.stderr)).toEqual([
      `archeo: ${mtd}: scene id "../../victim" cannot be used as a folder name (allowed: letters, digits, '.', '_', '-', not starting with '.')`,
    ]);
    expect(r.code).toBe(1);
    expect(readFileSync(join(base, 'victim'), 'utf8')).toBe('precious\n');
    // Only the run's own bookkeeping appeared, inside --out.
    const added = tree(base).filter((p) => !before.includes(p));
    expect(added.every((p) => p === 'runs/out' || p.startsWith('runs/out/'))).toBe(true);
    expect(outputEntries(out)).toEqual([]);
  });

  test.each([
    ['empty', '', 'scene id is empty'],
    [
      '.',
      '.',
      `scene id "." cannot be used as a folder name (allowed: letters, digits, '.', '_', '-', not starting with '.')`,
    ],
    [
      '..',
      '..',
      `scene id ".." cannot be used as a folder name (allowed: letters, digits, '.', '_', '-', not starting with '.')`,
    ],
    [
      'a/b',
      'a/b',
      `scene id "a/b" cannot be used as a folder name (allowed: letters, digits, '.', '_', '-', not starting with '.')`,
    ],
    [
      'a\\b',
      'a\\b',
      `scene id "a\\\\b" cannot be used as a folder name (allowed: letters, digits, '.', '_', '-', not starting with '.')`,
    ],
    [
      'a control character',
      'a\u0001b',
      `scene id "a\\u0001b" cannot be used as a folder name (allowed: letters, digits, '.', '_', '-', not starting with '.')`,
    ],
    [
      'NUL',
      'a\u0000b',
      `scene id "a\\u0000b" cannot be used as a folder name (allowed: letters, digits, '.', '_', '-', not starting with '.')`,
    ],
    ['too long', 'S'.repeat(300), `scene id "${'S'.repeat(76)}…" is longer than 200 characters`],
  ])('PRODUCT_URI %s: one line naming MTD_MSIL2A.xml, exit 1, nothing left under --out', (_, uri, fault) => {
    const base = tempDir('archeo-ids-');
    const out = join(base, 'out');
    const { scene, mtd } = safeWithUri(tempDir(), uri);
    const r = archeo(['scan', scene, '--out', out]);
    expect(errorLines(r.stderr)).toEqual([`archeo: ${mtd}: ${fault}`]);
    expect(r.code).toBe(1);
    expect(outputEntries(out)).toEqual([]);
    expect(readdirSync(base)).toEqual(['out']);
  });

  test('a STAC item whose id is a number: one line naming the item, exit 1, nothing left under --out', () => {
    const scene = join(tempDir(), 'S2A_29RKH_20200219_0_L2A');
    cpSync(rkhSample, scene, { recursive: true });
    const item = join(scene, 'S2A_29RKH_20200219_0_L2A.json');
    const json = JSON.parse(readFileSync(item, 'utf8')) as { id: unknown };
    json.id = 5;
    writeFileSync(item, JSON.stringify(json));
    const base = tempDir('archeo-ids-');
    const out = join(base, 'out');
    const r = archeo(['scan', scene, '--out', out]);
    expect(errorLines(r.stderr)).toEqual([`archeo: ${item}: STAC item id 5 is not a string`]);
    expect(r.code).toBe(1);
    expect(outputEntries(out)).toEqual([]);
    expect(readdirSync(base)).toEqual(['out']);
  });

  test('a batch with one bad id and one good scene: the good one is written, the bad one recorded (exit 3)', () => {
    const archive = tempDir('archeo-ids-archive-');
    const bad = safeWithUri(join(archive, 'bad'), '../escape.SAFE', URI);
    cpSync(unuSample, join(archive, 'good', URI), { recursive: true });
    mkdirSync(join(archive, 'bad2'));
    const bad2 = safeWithUri(join(archive, 'bad2'), 'a/b', URI.replace('T29UNU', 'T29UNV'));
    const base = tempDir('archeo-ids-');
    const out = join(base, 'out');
    const r = archeo(['scan', archive, '--out', out, '--json', '-q']);
    expect(r.code).toBe(3);
    const summary = JSON.parse(r.stdout) as { scenes: { ok: boolean; path: string; error?: string }[] };
    const failed = summary.scenes
      .filter((s) => !s.ok)
      .map((s) => s.error)
      .sort();
    expect(failed).toEqual([
      `${bad.mtd}: scene id "../escape" cannot be used as a folder name (allowed: letters, digits, '.', '_', '-', not starting with '.')`,
      `${bad2.mtd}: scene id "a/b" cannot be used as a folder name (allowed: letters, digits, '.', '_', '-', not starting with '.')`,
    ]);
    expect(outputEntries(out)).toEqual([UNU_ID]);
    expect(existsSync(join(out, UNU_ID, 'report.json'))).toBe(true);
    expect(readdirSync(base)).toEqual(['out']);
    rmSync(archive, { recursive: true, force: true });
  });
});

describe('the folder-name guard', () => {
  test('accepts product names and Earth Search ids, refuses the rest', () => {
    for (const id of [UNU_ID, 'S2A_29RKH_20200219_0_L2A', 'a', 'A-1.b_2']) expect(sceneFolderName(id, 'MTD')).toBe(id);
    for (const id of ['', '.', '..', '.hidden', 'a/b', '../x', 'a\\b', 'a b', 'a\u0000', 'é', 'x'.repeat(201)]) {
      expect(() => sceneFolderName(id, 'MTD')).toThrow(/^MTD: scene id/);
    }
    for (const id of [5, null, {}, ['a']]) expect(() => sceneFolderName(id, 'MTD')).toThrow(/is not a string$/);
  });

  test('paths are checked to resolve strictly inside --out', () => {
    expect(insideOut('/o/out', '/o/out/scene')).toBe('/o/out/scene');
    expect(insideOut('/o/out', '/o/out/a/../b')).toBe('/o/out/a/../b');
    for (const p of ['/o/out', '/o/out/..', '/o/out/../victim', '/o/victim', '/o/out2/x', '/o/out/a/../../b']) {
      expect(() => insideOut('/o/out', p)).toThrow(/refusing to write or remove outside the output folder/);
    }
    expect(() => sceneDir('/o/out', '../../victim')).toThrow(/cannot be used as a folder name/);
  });

  test('the temporary and final folders of a scene cannot be placed outside --out', async () => {
    const out = join(tempDir(), 'out');
    await expect(createTempDir(out, '../x')).rejects.toThrow(/cannot be used as a folder name/);
    const tmp = await createTempDir(out, 'good');
    await expect(commitDir(tmp, join(out, '..', 'victim'))).rejects.toThrow(/outside the output folder/);
    rmSync(tmp, { recursive: true, force: true });
  });
});
