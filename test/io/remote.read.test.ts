/**
 * Remote band reads through io/source against a real local HTTP server (test/helpers/range.server.ts):
 * the same samples as the local reader, bit for bit; what crosses the network (header in one request,
 * a tile row's tiles merged); and the faults a public archive shows — 503/429 with Retry-After, resets,
 * a slow server, 403/404, a file replaced mid-read, a server without Range support.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { openGeoTiff, type GeoTiffReader } from '../../src/io/raster/geotiff.reader.js';
import { RemoteError } from '../../src/io/source/retry.js';
import { defaultRemoteOptions, SourceContext, type RemoteOptions } from '../../src/io/source/source.context.js';
import { RangeServer, type RangeServerOptions } from '../helpers/range.server.js';
import { rkhSample } from '../helpers/paths.js';

/** Short waits so that retried tests stay fast; the policy's shape is the production one. */
const fast: RemoteOptions = {
  ...defaultRemoteOptions,
  policy: { ...defaultRemoteOptions.policy, baseMs: 20, maxMs: 100, timeoutMs: 1500 },
};

/** The sample scene served for the length of `fn`. */
const withServer = <T>(opts: RangeServerOptions, fn: (s: RangeServer) => Promise<T>): Promise<T> =>
  RangeServer.serving(rkhSample, opts, fn);

async function readAll(reader: GeoTiffReader, win?: { x0: number; y0: number; width: number; height: number }) {
  const w = win ?? { x0: 0, y0: 0, width: reader.grid.width, height: reader.grid.height };
  try {
    return await reader.readWindow(w);
  } finally {
    await reader.close();
  }
}

describe('remote GeoTIFF reads', () => {
  let local: Map<string, ArrayLike<number>>;
  beforeAll(async () => {
    local = new Map();
    for (const band of ['B04', 'B8A', 'SCL']) {
      local.set(band, await readAll(await openGeoTiff(join(rkhSample, `${band}.tif`))));
    }
  });

  test('a remote band reads the same samples as the local file, bit for bit', async () => {
    await withServer({}, async (s) => {
      for (const band of ['B04', 'B8A', 'SCL']) {
        const reader = await openGeoTiff(s.url(`${band}.tif`), undefined, undefined, new SourceContext(fast));
        const localReader = await openGeoTiff(join(rkhSample, `${band}.tif`));
        expect(reader.grid).toEqual(localReader.grid);
        await localReader.close();
        const data = await readAll(reader);
        expect(Buffer.from(data.buffer).equals(Buffer.from((local.get(band) as Uint16Array).buffer))).toBe(true);
        // What the reader counted is what the server sent.
        expect(reader.fetched).toMatchObject(s.totals(`${band}.tif`));
      }
    });
  });

  test('the header is one request; a window fetches only its tiles, a tile row in one request', async () => {
    await withServer({}, async (s) => {
      const reader = await openGeoTiff(s.url('B04.tif'), undefined, undefined, new SourceContext(fast));
      // B04 is 256x256 in 128x128 tiles: its header fits the first 16 KiB.
      expect(s.requests.map((r) => r.range)).toEqual(['bytes=0-16383']);
      s.reset();
      const win = { x0: 10, y0: 20, width: 30, height: 40 }; // inside tile 0
      const part = await readAll(reader, win);
      expect(s.requests).toHaveLength(1);
      const whole = local.get('B04')!;
      for (let y = 0; y < win.height; y++)
        for (let x = 0; x < win.width; x++)
          expect(part[y * win.width + x]).toBe(whole[(win.y0 + y) * 256 + win.x0 + x]);
      s.reset();
      // A window across both tiles of the bottom row: GDAL's COG stores them one after another
      // (4-byte leader and trailer between), so one request fetches both.
      const again = await openGeoTiff(s.url('B04.tif'), undefined, undefined, new SourceContext(fast));
      s.reset();
      await readAll(again, { x0: 100, y0: 200, width: 100, height: 50 });
      expect(s.requests).toHaveLength(1);
    });
  });

  test('503 with Retry-After is retried after the time asked; the retry is counted', async () => {
    await withServer(
      {
        fault: (req, n) =>
          req.headers.range !== 'bytes=0-16383' && n === 1
            ? { status: 503, headers: { 'retry-after': '1' } }
            : undefined,
      },
      async (s) => {
        const retries: number[] = [];
        const ctx = new SourceContext(fast, { retry: (e) => retries.push(e.delayMs) });
        const reader = await openGeoTiff(s.url('B04.tif'), undefined, undefined, ctx);
        const t0 = performance.now();
        const data = await readAll(reader);
        expect(performance.now() - t0).toBeGreaterThanOrEqual(990);
        expect(retries).toEqual([1000]);
        expect(reader.fetched.retries).toBe(1);
        expect(Buffer.from(data.buffer).equals(Buffer.from((local.get('B04') as Uint16Array).buffer))).toBe(true);
      },
    );
  });

  test('429 without Retry-After, resets and a reset mid-body are retried with back-off', async () => {
    const faults: RangeServerOptions['fault'][] = [
      (_req, n) => (n === 0 ? { status: 429 } : undefined),
      (_req, n) => (n === 0 || n === 2 ? { reset: true } : undefined),
      (_req, n) => (n === 1 ? { resetMidBody: true } : undefined),
      (_req, n) => (n === 0 ? { status: 502 } : n === 1 ? { status: 504 } : undefined),
    ];
    for (const fault of faults) {
      await withServer({ fault }, async (s) => {
        const reader = await openGeoTiff(s.url('B04.tif'), undefined, undefined, new SourceContext(fast));
        const data = await readAll(reader);
        expect(reader.fetched.retries).toBeGreaterThanOrEqual(1);
        expect(Buffer.from(data.buffer).equals(Buffer.from((local.get('B04') as Uint16Array).buffer))).toBe(true);
      });
    }
  });

  test('a slow answer times out and is retried', async () => {
    await withServer({ fault: (_req, n) => (n === 1 ? { delayMs: 2500 } : undefined) }, async (s) => {
      const reader = await openGeoTiff(s.url('B04.tif'), undefined, undefined, new SourceContext(fast));
      const data = await readAll(reader);
      expect(reader.fetched.retries).toBe(1);
      expect(Buffer.from(data.buffer).equals(Buffer.from((local.get('B04') as Uint16Array).buffer))).toBe(true);
    });
  });

  test('a server that keeps failing: one line naming the URL, the status and the attempts', async () => {
    await withServer({ fault: () => ({ status: 503 }) }, async (s) => {
      const opts = { ...fast, policy: { ...fast.policy, attempts: 3 } };
      const err = await openGeoTiff(s.url('B04.tif'), undefined, undefined, new SourceContext(opts)).catch((e) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect(err.message).toBe(`${s.url('B04.tif')}: HTTP 503 Service Unavailable (gave up after 3 attempts)`);
      expect((err as RemoteError).transient).toBe(true);
      expect(s.requests).toHaveLength(3);
    });
  });

  test('403 and 404 fail at once with one line naming the URL', async () => {
    await withServer({ fault: (req) => (req.url?.includes('B04') ? { status: 403 } : undefined) }, async (s) => {
      const err = await openGeoTiff(s.url('B04.tif'), undefined, undefined, new SourceContext(fast)).catch((e) => e);
      expect(err.message).toBe(
        `${s.url('B04.tif')}: HTTP 403 Forbidden: access denied (a private object needs credentials or a signed URL)`,
      );
      expect((err as RemoteError).transient).toBe(false);
      const missing = await openGeoTiff(s.url('B99.tif'), undefined, undefined, new SourceContext(fast)).catch(
        (e) => e,
      );
      expect(missing.message).toBe(`${s.url('B99.tif')}: HTTP 404 Not Found: no such file`);
      expect(s.requests).toHaveLength(2); // no retries
    });
  });

  test('a file replaced mid-read (its ETag changes) fails instead of mixing two versions', async () => {
    await withServer({ etag: (_p, n) => (n === 0 ? '"v1"' : '"v2"') }, async (s) => {
      const reader = await openGeoTiff(s.url('B04.tif'), undefined, undefined, new SourceContext(fast));
      const err = await readAll(reader).catch((e) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toBe(
        `${s.url('B04.tif')}: changed while being read (ETag "v1" became another): the scene is failed rather than mixing two versions`,
      );
    });
  });

  test('a server without Range support: a large file is refused, a small one read whole (and said so)', async () => {
    await withServer({ noRange: true }, async (s) => {
      const small = { ...fast, wholeFileBytes: 64 << 10 };
      const err = await openGeoTiff(s.url('B04.tif'), undefined, undefined, new SourceContext(small)).catch((e) => e);
      expect(err.message).toBe(
        `${s.url('B04.tif')}: the server ignores HTTP Range requests (it answered 200 with the whole 126191-byte file); archeo reads remote bands by byte range`,
      );
      const notes: string[] = [];
      const ctx = new SourceContext(small, { note: (href, m) => notes.push(`${href}: ${m}`) });
      s.reset();
      const reader = await openGeoTiff(s.url('SCL.tif'), undefined, undefined, ctx);
      const data = await readAll(reader);
      expect(s.requests).toHaveLength(1);
      expect(notes).toEqual([
        `${s.url('SCL.tif')}: the server ignores HTTP Range requests: read whole (2345 bytes, cheaper than refusing)`,
      ]);
      expect(Buffer.from(data.buffer).equals(Buffer.from((local.get('SCL') as Uint8Array).buffer))).toBe(true);
    });
  });
});

afterAll(() => undefined);
