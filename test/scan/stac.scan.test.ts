/**
 * End to end through the real CLI against a STAC API served by the test (test/helpers/stac.ts): items
 * built from the sample's real Earth Search v1 item with band hrefs on the sample's COGs.
 *  - `archeo search` lists what a search finds; `archeo scan --stac` scans it, with numbers equal to the
 *    numpy references of the same files (test/fixtures/expected/rkh-bilinear, make_fixtures.py);
 *  - cron: a rerun skips done and unchanged items, redoes an item whose `updated` changed, scans a new
 *    one; `--shard i/n` splits the items; a network fault of one item fails it as transient (exit 75) and
 *    the next run retries it; a permanent fault is skipped until the item changes;
 *  - radiometry rules reach report.json.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { archeoAsync, errorLines } from '../helpers/cli.js';
import { outputEntries, rkhSample, tempDir } from '../helpers/paths.js';
import { compare, readExpected, readManifest, readRaster } from '../helpers/rasters.js';
import { StacServer, localItem, type Item } from '../helpers/stac.js';

const FAST = ['--indices', 'ndvi', '--detect', 'none', '--no-quicklook'];

interface Summary {
  failed: number;
  skipped: number;
  scenes: { id: string | null; ok: boolean; skipped?: string; error?: string; fault?: string }[];
}

interface Decision {
  id: string;
  status: string;
  run: boolean;
  reason: string;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

async function scan(args: string[]): Promise<{ code: number; summary: Summary; stderr: string }> {
  const r = await archeoAsync(['scan', ...args, '--json', '-q']);
  return { code: r.code, summary: JSON.parse(r.stdout || '{}') as Summary, stderr: r.stderr };
}

async function list(args: string[]): Promise<Decision[]> {
  const r = await archeoAsync(['scan', ...args, '--list', '--json', '-q']);
  expect(errorLines(r.stderr)).toEqual([]);
  return JSON.parse(r.stdout) as Decision[];
}

describe('archeo search and scan --stac against a local STAC API', () => {
  let server: StacServer;
  const ids = ['S2A_stac_03', 'S2A_stac_01', 'S2A_stac_02'];
  beforeAll(async () => {
    server = await StacServer.start(
      ids.map((id, i) => localItem(id, { cloud: 10 * i })),
      { paging: 'post-merge', pageSize: 2 },
    );
  });
  afterAll(() => server.close());

  test('search lists id, date, cloud cover, tile and baseline (text and --json)', async () => {
    const r = await archeoAsync(['search', '--stac', server.url, '--bbox', '-13.5,25,-12,26.5', '--json']);
    expect(r.code).toBe(0);
    const listing = JSON.parse(r.stdout) as { items: Record<string, unknown>[]; pages: number };
    expect(listing.pages).toBe(2);
    expect(listing.items.map((i) => i['id'])).toEqual(ids);
    expect(listing.items[1]).toEqual({
      id: 'S2A_stac_01',
      datetime: '2020-02-19T11:34:25.405000Z',
      cloud_cover: 10,
      tile: '29RKH',
      baseline: '02.14',
      version: 'updated 2022-11-06T09:32:34.081877+00:00',
      url: server.itemUrl('S2A_stac_01'),
    });
    expect(server.log.at(-2)!.body).toEqual({
      collections: ['sentinel-2-l2a'],
      bbox: [-13.5, 25, -12, 26.5],
      limit: 100,
    });
    const text = await archeoAsync(['search', '--stac', server.url, '--max-cloud', '5']);
    expect(text.stdout.split('\n')[0]).toMatch(/^S2A_stac_03 +2020-02-19T11:34:25 +0\.0% 29RKH +02\.14$/);
    // This server ignores the query extension: archeo filters by eo:cloud_cover itself.
    expect(text.stdout).toMatch(/^1 item\(s\) in 2 page\(s\)$/m);
  });

  test('usage errors name the flag (exit 2)', async () => {
    const noStac = await archeoAsync(['search']);
    expect([noStac.code, errorLines(noStac.stderr)]).toEqual([
      2,
      ['archeo: search: --stac <API root URL> is required'],
    ]);
    const stray = await archeoAsync(['scan', rkhSample, '--datetime', '2024-01-01']);
    expect(errorLines(stray.stderr)).toEqual(['archeo: --datetime 2024-01-01: only with --stac <API root URL>']);
    const date = await archeoAsync(['search', '--stac', server.url, '--datetime', '2024-13-45']);
    expect(errorLines(date.stderr)).toEqual([
      "archeo: --datetime 2024-13-45: '2024-13-45' is not a date (YYYY-MM-DD) or an RFC 3339 date-time",
    ]);
    const both = await archeoAsync(['search', '--stac', server.url, '--bbox', '1,2,3,4', '--aoi', '1,2,3,4']);
    expect(both.code).toBe(2);
  });

  test('scan --stac scans every item; the numbers equal numpy on the same files; rerun skips; cron picks up changes', async () => {
    const out = tempDir('archeo-stac-');
    const args = ['--stac', server.url, '--datetime', '2020-02-01/2020-02-29', '--out', out];
    const m = readManifest('rkh-bilinear');
    const first = await scan([...args, ...m.args, '--detect', 'none', '--no-quicklook']);
    expect(errorLines(first.stderr)).toEqual([]);
    expect(first.code).toBe(0);
    expect(outputEntries(out)).toEqual([...ids].sort());
    expect(server.log.at(-1)!.body!['datetime']).toBe('2020-02-01T00:00:00Z/2020-02-29T23:59:59.999Z');
    for (const index of m.indices) {
      const { data } = await readRaster(join(out, 'S2A_stac_02', 'indices', `${index}.tif`));
      const c = compare(readExpected('rkh-bilinear', index), data);
      expect({ index, nan: c.nanMismatch, close: c.maxDiff <= 1e-6 }).toEqual({ index, nan: 0, close: true });
    }
    const report = readJson<{ scene: Record<string, unknown> }>(join(out, 'S2A_stac_01', 'report.json'));
    expect(report.scene['layout']).toBe('stac');
    expect(report.scene['radiometry_rule']).toBe('raster:bands');
    expect(report.scene['path']).toBe(server.itemUrl('S2A_stac_01'));
    const state = readJson<{ scenes: Record<string, { version: string }> }>(join(out, 'archeo-state.json'));
    expect(state.scenes['S2A_stac_01']!.version).toBe('updated 2022-11-06T09:32:34.081877+00:00');

    const again = await scan([...args, ...m.args, '--detect', 'none', '--no-quicklook']);
    expect([again.code, again.summary.skipped]).toEqual([0, 3]);

    server.items[0]!.properties['updated'] = '2025-01-01T00:00:00Z';
    server.items.push(localItem('S2A_stac_00'));
    const decisions = await list([...args, ...m.args, '--detect', 'none', '--no-quicklook']);
    expect(decisions.map((d) => [d.id, d.status])).toEqual([
      ['S2A_stac_00', 'new'],
      ['S2A_stac_01', 'done'],
      ['S2A_stac_02', 'done'],
      ['S2A_stac_03', 'changed'],
    ]);
    expect(decisions[3]!.reason).toBe('item updated 2022-11-06T09:32:34.081877+00:00 → updated 2025-01-01T00:00:00Z');
    server.items.pop();
  });

  test('--shard i/n splits the items: every item in exactly one shard', async () => {
    const out = tempDir('archeo-stac-shard-');
    const shards = await Promise.all(
      [0, 1, 2].map((i) => list(['--stac', server.url, '--out', out, '--shard', `${i}/3`, ...FAST])),
    );
    const all = shards.flatMap((s) => s.map((d) => d.id)).sort();
    expect(all).toEqual([...ids].sort());
  });
});

describe('cron over items: transient and permanent faults', () => {
  let server: StacServer;
  beforeAll(async () => {
    server = await StacServer.start([localItem('S2A_good'), localItem('S2A_flaky')]);
  });
  afterAll(() => server.close());

  test('a network fault of one item fails it as transient (exit 75); the next run retries it', async () => {
    const out = tempDir('archeo-stac-flaky-');
    const args = [server.itemUrl('S2A_good'), server.itemUrl('S2A_flaky'), '--out', out, '--retries', '0', ...FAST];
    server.faults = [{ match: 'GET /collections/sentinel-2-l2a/items/S2A_flaky', times: 1, status: 503 }];
    const first = await scan(args);
    expect(first.code).toBe(75);
    const flaky = first.summary.scenes.find((s) => s.id === 'S2A_flaky')!;
    expect(flaky.fault).toBe('transient');
    expect(flaky.error).toBe(`${server.itemUrl('S2A_flaky')}: HTTP 503 Service Unavailable (gave up after 1 attempt)`);
    const report = readJson<{ scenes: { failed_transient: number }; failures: { fault: string }[] }>(
      join(out, 'run-report.json'),
    );
    expect(report.scenes.failed_transient).toBe(1);
    expect(report.failures.map((f) => f.fault)).toEqual(['transient']);
    expect(outputEntries(out)).toEqual(['S2A_good']);

    const second = await scan(args);
    expect(second.code).toBe(0);
    expect(second.summary.scenes.map((s) => [s.id, s.ok, s.skipped !== undefined])).toEqual([
      ['S2A_good', true, true],
      ['S2A_flaky', true, false],
    ]);
    expect(outputEntries(out)).toEqual(['S2A_flaky', 'S2A_good']);
  });

  test('a search that fails as a whole stops the run: exit 75 (transient), one line naming the search, nothing recorded', async () => {
    const out = tempDir('archeo-stac-down-');
    server.faults = [{ match: 'POST /search', times: 1, status: 503 }];
    const r = await archeoAsync(['scan', '--stac', server.url, '--out', out, '--retries', '0', ...FAST]);
    expect([r.code, errorLines(r.stderr)]).toEqual([
      75,
      [`archeo: POST ${server.url}search: HTTP 503 Service Unavailable (gave up after 1 attempt)`],
    ]);
    expect(readdirSync(out)).toEqual([]);
  });

  test('local item files: relative hrefs; a missing band is a permanent fault, skipped until the item changes', async () => {
    const dir = tempDir('archeo-stac-local-');
    const good = localItem('S2A_local_ok');
    // Relative hrefs resolve against the item file's folder.
    for (const a of Object.values(good.assets))
      if (a.href.startsWith('file:')) a.href = relative(dir, new URL(a.href).pathname);
    const broken: Item = localItem('S2A_local_broken', { paths: true });
    broken.assets['red']!.href = join(dir, 'gone', 'B04.tif');
    writeFileSync(join(dir, 'good.json'), JSON.stringify(good));
    writeFileSync(join(dir, 'broken.json'), JSON.stringify(broken));
    const out = tempDir('archeo-stac-local-out-');
    const args = [join(dir, 'good.json'), join(dir, 'broken.json'), '--out', out, ...FAST];
    const first = await scan(args);
    expect(first.code).toBe(3);
    const failed = first.summary.scenes.find((s) => !s.ok)!;
    expect(failed).toMatchObject({ id: 'S2A_local_broken', fault: 'permanent' });
    expect(failed.error).toBe(`${join(dir, 'gone', 'B04.tif')}: cannot be read (ENOENT)`);
    const decisions = await list(args);
    expect(decisions.map((d) => [d.id, d.status, d.run])).toEqual([
      ['S2A_local_ok', 'done', false],
      ['S2A_local_broken', 'failed', false],
    ]);
  });
});

describe('radiometry rules reach report.json', () => {
  test('Earth Search: boa_offset_applied true beats the declared offset -0.1; false applies it (-1000 DN)', async () => {
    const dir = tempDir('archeo-stac-radiometry-');
    const out = tempDir('archeo-stac-radiometry-out-');
    for (const applied of [true, false]) {
      const item = localItem(`S2A_applied_${applied}`);
      item.properties['s2:processing_baseline'] = '05.09';
      item.properties['earthsearch:boa_offset_applied'] = applied;
      for (const a of Object.values(item.assets)) {
        const rb = a['raster:bands'] as { scale?: number; offset?: number }[] | undefined;
        if (rb?.[0]?.scale === 0.0001) rb[0].offset = -0.1;
      }
      writeFileSync(join(dir, `${applied}.json`), JSON.stringify(item));
    }
    const r = await scan([join(dir, 'true.json'), join(dir, 'false.json'), '--out', out, ...FAST]);
    expect(r.code).toBe(0);
    const read = (id: string) =>
      readJson<{ scene: { radiometry_rule: string }; inputs: { bands: { band: string; offset: number }[] } }>(
        join(out, id, 'report.json'),
      );
    const t = read('S2A_applied_true');
    expect(t.scene.radiometry_rule).toBe('earthsearch:boa_offset_applied');
    expect(t.inputs.bands.map((b) => [b.band, b.offset])).toEqual([
      ['B08', 0],
      ['B04', 0],
      ['SCL', 0],
    ]);
    const info = await archeoAsync(['info', join(dir, 'true.json'), '--json']);
    expect(JSON.parse(info.stdout)).toMatchObject({
      id: 'S2A_applied_true',
      layout: 'STAC item (radiometry rule earthsearch:boa_offset_applied)',
      baseline: '05.09',
    });
    const f = read('S2A_applied_false');
    expect(f.scene.radiometry_rule).toBe('raster:bands');
    expect(f.inputs.bands.map((b) => [b.band, b.offset])).toEqual([
      ['B08', -1000],
      ['B04', -1000],
      ['SCL', 0],
    ]);
  });
});
