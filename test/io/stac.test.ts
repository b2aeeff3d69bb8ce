/**
 * STAC in io/stac: asset keys → bands (Earth Search v1, their -jp2 twins, band-id keys; B8A never as B08),
 * the radiometry rules on real item shapes, JSON requests with retries against a real local HTTP server
 * (503/429 with Retry-After, resets, 404), and item-search paging (GET next, POST next, POST merge,
 * max items, a repeating next).
 *
 * The item shapes are the sample's real Earth Search v1 item (baseline 02.14) and variants of it whose
 * edits are the documented differences: a baseline 05.09 item with `earthsearch:boa_offset_applied` true and
 * `raster:bands` offset −0.1 (Earth Search reprocessed items), the same with the flag false, and a
 * Planetary-Computer-style item (band-id keys, no raster:bands, `s2:mgrs_tile`). The expected offsets are
 * ESA's definitions: baseline 04.00+ DNs carry BOA_ADD_OFFSET −1000 = −0.1 / 0.0001.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { isTransient } from '../../src/core/errors.js';
import { defaultRetryPolicy, RemoteError } from '../../src/io/source/retry.js';
import { fetchJson } from '../../src/io/stac/stac.http.js';
import { asStacItem, bandAssets, itemMetadata, itemTile, itemVersion } from '../../src/io/stac/stac.item.js';
import { assetLocation, sceneFromItem } from '../../src/io/stac/stac.scene.js';
import { nextRequest, searchItems } from '../../src/io/stac/stac.search.js';
import { join } from 'node:path';
import { rkhSample } from '../helpers/paths.js';
import { StacServer, localItem, sampleItem, type Item } from '../helpers/stac.js';

const fast = { ...defaultRetryPolicy, baseMs: 20, maxMs: 100, timeoutMs: 5000 };
const asItem = (doc: Item) => asStacItem(doc, 'test')!;

/** The sample item as Earth Search serves a reprocessed baseline 05.09 item (offset already applied). */
function reprocessed(applied: boolean): Item {
  const item = sampleItem();
  item.properties['s2:processing_baseline'] = '05.09';
  item.properties['earthsearch:boa_offset_applied'] = applied;
  for (const a of Object.values(item.assets)) {
    const rb = a['raster:bands'] as { scale?: number; offset?: number }[] | undefined;
    if (rb?.[0]?.scale === 0.0001) rb[0].offset = -0.1;
  }
  return item;
}

/** A Planetary-Computer-style item: band ids as asset keys, no raster:bands, s2:mgrs_tile. */
function pcItem(baseline: string): Item {
  const es = sampleItem();
  const keys: Record<string, string> = { blue: 'B02', red: 'B04', nir: 'B08', nir08: 'B8A', swir16: 'B11', scl: 'SCL' };
  const assets: Item['assets'] = {};
  for (const id of Object.values(keys)) assets[id] = { href: `https://example.blob.core.windows.net/x/${id}_10m.tif` };
  assets['visual'] = { href: 'https://example.blob.core.windows.net/x/TCI.tif' };
  return {
    ...es,
    id: 'S2A_MSIL2A_20240601T101031_R022_T32TQM_20240601T160000',
    properties: {
      datetime: '2024-06-01T10:10:31Z',
      's2:processing_baseline': baseline,
      's2:mgrs_tile': '32TQM',
      'eo:cloud_cover': 3.5,
    },
    assets,
  };
}

describe('asset keys → bands', () => {
  test('Earth Search v1 keys: nir is B08, nir08 is B8A, the COG wins over its -jp2 twin', () => {
    const chosen = bandAssets(asItem(sampleItem()));
    expect(chosen.B08).toEqual({ key: 'nir', href: expect.stringMatching(/\/B08\.tif$/) });
    expect(chosen.B8A).toEqual({ key: 'nir08', href: expect.stringMatching(/\/B8A\.tif$/) });
    expect(chosen.SCL?.key).toBe('scl');
    expect(Object.keys(chosen).sort()).toEqual(
      ['B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B09', 'B11', 'B12', 'B8A', 'SCL'].sort(),
    );
  });
  test('the -jp2 twins are used only when the COG asset is absent', () => {
    const item = sampleItem();
    delete item.assets['red'];
    const chosen = bandAssets(asItem(item));
    expect(chosen.B04).toEqual({ key: 'red-jp2', href: 's3://sentinel-s2-l2a/tiles/29/R/KH/2020/2/19/0/B04.jp2' });
    expect(chosen.B02?.key).toBe('blue');
  });
  test('B8A is never used as B08: an item with nir08 but no nir has no B08', () => {
    const item = sampleItem();
    delete item.assets['nir'];
    delete item.assets['nir-jp2'];
    const chosen = bandAssets(asItem(item));
    expect(chosen.B08).toBeUndefined();
    expect(chosen.B8A?.key).toBe('nir08');
  });
  test('band-id keys (Planetary Computer): B04, B8A, SCL; visual is not a band', () => {
    const chosen = bandAssets(asItem(pcItem('05.10')));
    expect(Object.fromEntries(Object.entries(chosen).map(([b, a]) => [b, a.key]))).toEqual({
      B02: 'B02',
      B04: 'B04',
      B08: 'B08',
      B8A: 'B8A',
      B11: 'B11',
      SCL: 'SCL',
    });
  });
  test('tile, version', () => {
    expect(itemTile(asItem(sampleItem()))).toBe('29RKH');
    expect(itemTile(asItem(pcItem('05.10')))).toBe('32TQM');
    expect(itemVersion(asItem(sampleItem()))).toBe('updated 2022-11-06T09:32:34.081877+00:00');
    const noUpdated = pcItem('05.10');
    expect(itemVersion(asItem(noUpdated), '"abc"')).toBe('etag "abc"');
    expect(itemVersion(asItem(noUpdated))).toMatch(/^sha256 [0-9a-f]{16}$/);
  });
});

describe('radiometry from the item', () => {
  test('the real Earth Search item (02.14, flag false, raster:bands offset 0): raster:bands, offset 0, 10000', () => {
    const m = itemMetadata(asItem(sampleItem()), 'item.json');
    expect(m.radiometryRule).toBe('raster:bands');
    expect(m.quantification).toBe(10000);
    expect(new Set(Object.values(m.offsets))).toEqual(new Set([0]));
    expect(m.baseline).toBe('02.14');
    expect(m.warnings).toEqual([]);
  });
  test('earthsearch:boa_offset_applied true wins over the declared offset -0.1: 0', () => {
    const m = itemMetadata(asItem(reprocessed(true)), 'item.json');
    expect(m.radiometryRule).toBe('earthsearch:boa_offset_applied');
    expect(m.offsets.B04).toBe(0);
    expect(m.offsets.B12).toBe(0);
    expect(m.offsetSource).toMatch(/not applied again/);
  });
  test('flag false with offset -0.1 and scale 0.0001: -1000 DN on every band', () => {
    const m = itemMetadata(asItem(reprocessed(false)), 'item.json');
    expect(m.radiometryRule).toBe('raster:bands');
    expect(m.offsets.B02).toBe(-1000);
    expect(m.offsets.B8A).toBe(-1000);
    expect(m.quantification).toBe(10000);
    expect(m.warnings).toEqual([]);
  });
  test('no raster:bands (Planetary Computer): the processing baseline decides', () => {
    const m = itemMetadata(asItem(pcItem('05.10')), 'item.json');
    expect(m.radiometryRule).toBe('s2:processing_baseline');
    expect(m.offsets.B04).toBe(-1000);
    const old = itemMetadata(asItem(pcItem('03.01')), 'item.json');
    expect(old.offsets.B04).toBe(0);
  });
  test('nothing declared: offset 0 with a warning', () => {
    const item = pcItem('05.10');
    delete item.properties['s2:processing_baseline'];
    const m = itemMetadata(asItem(item), 'item.json');
    expect(m.radiometryRule).toBe('none');
    expect(m.offsets.B04).toBe(0);
    expect(m.warnings![0]).toMatch(/item\.json tells no processing baseline/);
  });
  test('a scale of 0 or an offset that is not a number is refused naming the item and asset', () => {
    const item = sampleItem();
    (item.assets['red']!['raster:bands'] as { scale: number }[])[0]!.scale = 0;
    expect(() => itemMetadata(asItem(item), 'item.json')).toThrow(
      'item.json: asset red: raster:bands scale 0 is not in (0, 1]',
    );
    const other = sampleItem();
    (other.assets['nir']!['raster:bands'] as { offset: unknown }[])[0]!.offset = 'x';
    expect(() => itemMetadata(asItem(other), 'item.json')).toThrow(
      'asset nir: raster:bands offset "x" is not a number',
    );
  });
  test('an id that is not a string is refused', () => {
    expect(() => asStacItem({ ...sampleItem(), id: 5 }, 'x.json')).toThrow('x.json: STAC item id 5 is not a string');
    expect(asStacItem({ type: 'FeatureCollection' }, 'x.json')).toBeUndefined();
  });
});

describe('asset hrefs', () => {
  test('file URLs, absolute and relative paths are local; https and s3 are remote', () => {
    expect(assetLocation('file:///data/B04.tif', '/x/item.json')).toEqual({ local: '/data/B04.tif' });
    expect(assetLocation('/data/B04.tif', '/x/item.json')).toEqual({ local: '/data/B04.tif' });
    expect(assetLocation('B04.tif', '/x/item.json')).toEqual({ local: '/x/B04.tif' });
    expect(assetLocation('./B04.tif', 'file:///x/item.json')).toEqual({ local: '/x/B04.tif' });
    expect(assetLocation('B04.tif', 'https://h/items/a')).toEqual({ remote: 'https://h/items/B04.tif' });
    expect(assetLocation('s3://b/k/B04.tif', '/x/item.json')).toEqual({ remote: 's3://b/k/B04.tif' });
  });
});

describe('an item as a scene', () => {
  test('band-id keys on local files: B08 from B08, B8A from B8A; a remote band is read by URL', async () => {
    const item = pcItem('05.10');
    for (const id of ['B02', 'B04', 'B08', 'B8A', 'SCL']) item.assets[id]!.href = join(rkhSample, `${id}.tif`);
    const scene = await sceneFromItem({ item: asItem(item), location: '/x/item.json', version: 'v' });
    expect(scene.layout).toBe('stac');
    expect(Object.fromEntries([...scene.bands].map(([b, f]) => [b, f[0]!.path]))).toEqual({
      B02: join(rkhSample, 'B02.tif'),
      B04: join(rkhSample, 'B04.tif'),
      B08: join(rkhSample, 'B08.tif'),
      B8A: join(rkhSample, 'B8A.tif'),
      SCL: join(rkhSample, 'SCL.tif'),
      B11: 'https://example.blob.core.windows.net/x/B11_10m.tif',
    });
    expect(scene.metadata.offsets.B04).toBe(-1000);
    expect(scene.warnings).toEqual([]);
  });
  test('an item whose every band is remote is a remote scene; unreadable schemes fail naming it', async () => {
    const scene = await sceneFromItem({ item: asItem(sampleItem()), location: '/x/item.json', version: 'v' });
    expect(scene.bands.get('B04')![0]!.path).toMatch(
      /^https:\/\/sentinel-cogs\.s3\.us-west-2\.amazonaws\.com\/.*\/B04\.tif$/,
    );
    const ftp = sampleItem();
    for (const a of Object.values(ftp.assets)) a.href = a.href.replace(/^https:/, 'ftp:');
    await expect(sceneFromItem({ item: asItem(ftp), location: '/x/item.json', version: 'v' })).rejects.toThrow(
      /^\/x\/item\.json: no band asset archeo can read \(B01 \(coastal: ftp:\/\/sentinel-cogs/,
    );
  });
});

describe('JSON over HTTP with retries', () => {
  let server: StacServer;
  beforeAll(async () => {
    server = await StacServer.start([localItem('S2A_A'), localItem('S2A_B')]);
  });
  afterAll(() => server.close());

  test('a 503 with Retry-After: 1 is waited for, then retried', async () => {
    server.faults = [{ match: 'GET /collections', times: 1, status: 503, retryAfter: '1' }];
    const before = server.log.length;
    const r = await fetchJson(server.itemUrl('S2A_A'), {}, fast);
    expect((r.json as { id: string }).id).toBe('S2A_A');
    expect(r.etag).toBe('"S2A_A-v1"');
    expect(r.retries).toBe(1);
    const [first, second] = server.log.slice(before);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });
  test('429 then a reset, then an answer: two retries', async () => {
    server.faults = [
      { match: 'GET /collections', times: 1, status: 429, retryAfter: '0' },
      { match: 'GET /collections', times: 1, reset: true },
    ];
    const r = await fetchJson(server.itemUrl('S2A_B'), {}, fast);
    expect(r.retries).toBe(2);
  });
  test('a POST is retried with the same body', async () => {
    server.faults = [{ match: 'POST /search', times: 2, status: 502 }];
    const before = server.log.length;
    const body = { collections: ['sentinel-2-l2a'], limit: 1 };
    const r = await fetchJson(`${server.url}search`, { method: 'POST', body }, fast);
    expect((r.json as { features: unknown[] }).features).toHaveLength(1);
    expect(server.log.slice(before).map((l) => l.body)).toEqual([body, body, body]);
  });
  test("503 on every attempt: a transient RemoteError naming the URL, after the policy's attempts", async () => {
    server.faults = [{ match: 'GET /collections', times: 10, status: 503 }];
    const url = server.itemUrl('S2A_A');
    const before = server.log.length;
    const err = (await fetchJson(url, {}, { ...fast, attempts: 3 }).catch((e: unknown) => e)) as RemoteError;
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toBe(`${url}: HTTP 503 Service Unavailable (gave up after 3 attempts)`);
    expect(err.transient).toBe(true);
    expect(isTransient(err)).toBe(true);
    expect(server.log.length - before).toBe(3);
    server.faults = [];
  });
  test('a POST page that keeps failing names the method and the URL', async () => {
    server.faults = [{ match: 'POST /search', times: 10, status: 502 }];
    const url = `${server.url}search`;
    const err = (await fetchJson(url, { method: 'POST', body: {} }, { ...fast, attempts: 2 }).catch(
      (e: unknown) => e,
    )) as RemoteError;
    expect(err.message).toBe(`POST ${url}: HTTP 502 Bad Gateway (gave up after 2 attempts)`);
    expect(isTransient(err)).toBe(true);
    server.faults = [];
  });
  test('408 Request Timeout is retried like a 503', async () => {
    server.faults = [{ match: 'GET /collections', times: 1, status: 408 }];
    const r = await fetchJson(server.itemUrl('S2A_A'), {}, fast);
    expect(r.retries).toBe(1);
  });
  test('a server slower than the attempt timeout: timed out and retried; the next attempt succeeds', async () => {
    server.faults = [{ match: 'GET /collections', times: 1, delayMs: 1500 }];
    const r = await fetchJson(server.itemUrl('S2A_A'), {}, { ...fast, timeoutMs: 300 });
    expect(r.retries).toBe(1);
    server.faults = [{ match: 'GET /collections', times: 1, delayMs: 1500 }];
    const url = server.itemUrl('S2A_A');
    const err = (await fetchJson(url, {}, { ...fast, timeoutMs: 300, attempts: 1 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(`${url}: timed out (gave up after 1 attempt)`);
    expect(isTransient(err)).toBe(true);
  });
  test('404 fails at once, permanent', async () => {
    const before = server.log.length;
    const url = server.itemUrl('nope');
    const err = (await fetchJson(url, {}, fast).catch((e: unknown) => e)) as RemoteError;
    expect(err.message).toBe(`${url}: HTTP 404 Not Found`);
    expect(err.transient).toBe(false);
    expect(isTransient(err)).toBe(false);
    expect(server.log.length - before).toBe(1);
  });
  test('403 fails at once, permanent, naming the URL', async () => {
    server.faults = [{ match: 'GET /collections', times: 1, status: 403 }];
    const before = server.log.length;
    const url = server.itemUrl('S2A_A');
    const err = (await fetchJson(url, {}, fast).catch((e: unknown) => e)) as RemoteError;
    expect(err.message).toBe(`${url}: HTTP 403 Forbidden`);
    expect(isTransient(err)).toBe(false);
    expect(server.log.length - before).toBe(1);
    server.faults = [];
  });
  test('a refused connection is a transient network error', async () => {
    const closed = await StacServer.start([]);
    const url = `${closed.url}x`;
    await closed.close();
    const err = (await fetchJson(url, {}, { ...fast, attempts: 1 }).catch((e: unknown) => e)) as RemoteError;
    expect(err.message).toBe(`${url}: ECONNREFUSED (gave up after 1 attempt)`);
    expect(isTransient(err)).toBe(true);
  });
});

describe('item search paging', () => {
  const items = ['S2B_05', 'S2A_01', 'S2A_02', 'S2B_04', 'S2A_03'].map((id, i) => localItem(id, { cloud: i * 10 }));
  const query = (api: string) => ({
    api,
    collection: 'sentinel-2-l2a',
    bbox: [-13, 25, -12, 26] as [number, number, number, number],
  });

  for (const paging of ['get', 'post', 'post-merge'] as const) {
    test(`${paging} next links: every item once, in the API's order, filters kept on every page`, async () => {
      const server = await StacServer.start(items, { paging, pageSize: 2 });
      try {
        const r = await searchItems(query(server.url), fast);
        expect(r.items.map((f) => f.item.id)).toEqual(items.map((i) => i.id));
        expect(r.pages).toBe(3);
        const posts = server.log.filter((l) => l.method === 'POST');
        for (const p of posts) expect(p.body!['bbox']).toEqual([-13, 25, -12, 26]);
        expect(r.items[0]!.location).toBe(server.itemUrl('S2B_05'));
      } finally {
        await server.close();
      }
    });
  }
  test('--max-items stops the paging; max-cloud filters even when the server ignores the query', async () => {
    const server = await StacServer.start(items, { pageSize: 2 });
    try {
      const r = await searchItems({ ...query(server.url), maxItems: 3 }, fast);
      expect(r.items.map((f) => f.item.id)).toEqual(['S2B_05', 'S2A_01', 'S2A_02']);
      expect(server.log[0]!.body!['limit']).toBe(3);
      const c = await searchItems({ ...query(server.url), maxCloud: 15 }, fast);
      expect(c.items.map((f) => f.item.id)).toEqual(['S2B_05', 'S2A_01']);
      expect(c.overCloud).toBe(3);
      expect(server.log.at(-1)!.body!['query']).toEqual({ 'eo:cloud_cover': { lte: 15 } });
    } finally {
      await server.close();
    }
  });
  test('a next link that repeats is an error, not a loop', async () => {
    for (const paging of ['get', 'post-merge'] as const) {
      const server = await StacServer.start(items, { paging, pageSize: 2, repeatNext: true });
      try {
        const err = (await searchItems(query(server.url), fast).catch((e: unknown) => e)) as Error;
        expect(err.message).toMatch(/: the 'next' link repeats a page already read \(page 3\): paging loop$/);
        expect(isTransient(err)).toBe(false);
        // page 1 (POST) and page 2; page 2's next is page 2 again: refused before it is sent
        expect(server.log).toHaveLength(2);
      } finally {
        await server.close();
      }
    }
  });
  test('an empty page ends the search', async () => {
    const server = await StacServer.start([], {});
    try {
      expect((await searchItems(query(server.url), fast)).items).toEqual([]);
    } finally {
      await server.close();
    }
  });
  test('nextRequest: merge true merges, merge false replaces, relative hrefs resolve against the page', () => {
    const prev = { url: 'http://h/v1/search', method: 'POST' as const, body: { collections: ['c'], limit: 5 } };
    const links = (l: Record<string, unknown>) => [
      { rel: 'self', href: 'x' },
      { rel: 'next', ...l },
    ];
    expect(
      nextRequest(links({ href: 'search', method: 'POST', body: { token: 't' }, merge: true }), prev, prev.url),
    ).toEqual({
      url: 'http://h/v1/search',
      method: 'POST',
      body: { collections: ['c'], limit: 5, token: 't' },
      headers: undefined,
    });
    expect(nextRequest(links({ href: 'search', method: 'POST', body: { token: 't' } }), prev, prev.url)?.body).toEqual({
      token: 't',
    });
    expect(nextRequest(links({ href: '?page=2' }), prev, prev.url)).toEqual({
      url: 'http://h/v1/search?page=2',
      method: 'GET',
      headers: undefined,
    });
    expect(nextRequest([{ rel: 'prev', href: 'x' }], prev, prev.url)).toBeUndefined();
  });
});
