/**
 * Planetary Computer SAS signing (src/io/source/sas.ts) against real local HTTP servers started here: a
 * token endpoint (test/helpers/sas.server.ts) and a blob store serving the sample COGs by Range
 * (test/helpers/range.server.ts) that refuses, as Azure does, a request without a token of that
 * container or with an expired one (403). The blob URLs are IP-style (`http://127.0.0.1:port/<account>/
 * <container>/<blob>`, Azurite's layout), signed because ARCHEO_SAS_HOSTS-style host patterns list
 * `127.0.0.1:*`; the default pattern is checked on the Planetary Computer's real host names.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { remoteOptionsFromEnv } from '../../src/cli/remote.options.js';
import { openGeoTiff } from '../../src/io/raster/geotiff.reader.js';
import { RemoteError } from '../../src/io/source/retry.js';
import { blobContainer, defaultSasOptions, matchesHost, SasSigner } from '../../src/io/source/sas.js';
import { defaultRemoteOptions, SourceContext, type RemoteOptions } from '../../src/io/source/source.context.js';
import { rkhSample, tempDir } from '../helpers/paths.js';
import { RangeServer } from '../helpers/range.server.js';
import { SasTokenServer } from '../helpers/sas.server.js';

const win = { x0: 0, y0: 0, width: 256, height: 256 };

describe('which hrefs are signed', () => {
  test('the default host pattern is Azure Blob Storage; host:port patterns for a local store', () => {
    const pc = defaultSasOptions.hosts;
    expect(matchesHost('sentinel2l2a01.blob.core.windows.net', pc)).toBe(true);
    expect(matchesHost('SENTINEL2L2A01.blob.core.windows.net', pc)).toBe(true);
    expect(matchesHost('blob.core.windows.net.evil.example', pc)).toBe(false);
    expect(matchesHost('sentinel-cogs.s3.us-west-2.amazonaws.com', pc)).toBe(false);
    expect(matchesHost('127.0.0.1:10000', ['127.0.0.1:*'])).toBe(true);
    expect(matchesHost('127.0.0.1', ['127.0.0.1:*'])).toBe(false);
  });

  test('account and container: virtual-hosted on Azure, IP-style elsewhere; a bare container is not a blob', () => {
    const pcHref = 'https://sentinel2l2a01.blob.core.windows.net/sentinel2-l2/29/R/KH/2020/02/19/B04_10m.tif';
    expect(blobContainer(new URL(pcHref))).toEqual({ account: 'sentinel2l2a01', container: 'sentinel2-l2' });
    expect(blobContainer(new URL('http://127.0.0.1:10000/devstoreaccount1/cogs/a/B04.tif'))).toEqual({
      account: 'devstoreaccount1',
      container: 'cogs',
    });
    expect(blobContainer(new URL('https://acct.blob.core.windows.net/container'))).toBeUndefined();
    const signer = new SasSigner();
    expect(signer.applies(pcHref)).toBe(true);
    expect(signer.applies(`${pcHref}?st=2024&se=2024&sp=rl&sig=abc`)).toBe(false); // a SAS of its own
    expect(signer.applies('https://example.com/B04.tif')).toBe(false);
    expect(signer.tokenUrl('sentinel2l2a01', 'sentinel2-l2')).toBe(
      'https://planetarycomputer.microsoft.com/api/sas/v1/token/sentinel2l2a01/sentinel2-l2',
    );
  });

  test('the environment: ARCHEO_PC_SAS_URL, ARCHEO_SAS_HOSTS (none signs nothing), bad values named', () => {
    expect(remoteOptionsFromEnv({}).sas).toMatchObject(defaultSasOptions);
    const local = remoteOptionsFromEnv({
      ARCHEO_PC_SAS_URL: 'http://127.0.0.1:9/api/sas/v1/token',
      ARCHEO_SAS_HOSTS: '*.blob.core.windows.net, 127.0.0.1:*',
    }).sas;
    expect(local.tokenUrl).toBe('http://127.0.0.1:9/api/sas/v1/token');
    expect(local.hosts).toEqual(['*.blob.core.windows.net', '127.0.0.1:*']);
    expect(remoteOptionsFromEnv({ ARCHEO_SAS_HOSTS: 'none' }).sas.hosts).toEqual([]);
    expect(() => remoteOptionsFromEnv({ ARCHEO_PC_SAS_URL: 'planetarycomputer' })).toThrow(
      'ARCHEO_PC_SAS_URL=planetarycomputer: expected an http(s) URL',
    );
    expect(() => remoteOptionsFromEnv({ ARCHEO_SAS_HOSTS: 'a.b/c' })).toThrow(/ARCHEO_SAS_HOSTS=a\.b\/c: 'a\.b\/c'/);
  });
});

describe('SAS-signed reads from a local blob store', () => {
  let clock = Date.now();
  const now = (): number => clock;
  let tokens: SasTokenServer;
  let blobs: RangeServer;
  let local: Uint16Array;
  let opts: RemoteOptions;
  /** The B04 sample as blob `acct/cogs/B04.tif`, B8A in another container. */
  const url = (container = 'cogs', name = 'B04.tif') => `${blobs.base}/acct/${container}/${name}`;
  const context = (o: Partial<RemoteOptions['sas']> = {}) =>
    new SourceContext(
      { ...opts, sas: { ...opts.sas, ...o } },
      {},
      new SasSigner({ ...opts.sas, ...o }, opts.policy, now),
    );

  beforeAll(async () => {
    const root = tempDir();
    for (const c of ['cogs', 'other']) mkdirSync(join(root, 'acct', c), { recursive: true });
    symlinkSync(join(rkhSample, 'B04.tif'), join(root, 'acct', 'cogs', 'B04.tif'));
    symlinkSync(join(rkhSample, 'B04.tif'), join(root, 'acct', 'other', 'B04.tif'));
    tokens = await SasTokenServer.start(now);
    blobs = await RangeServer.start(root, { fault: (req) => tokens.blobFault(req) });
    opts = {
      ...defaultRemoteOptions,
      policy: { ...defaultRemoteOptions.policy, attempts: 2, baseMs: 10, maxMs: 50 },
      sas: { ...defaultSasOptions, tokenUrl: tokens.tokenUrl, hosts: ['127.0.0.1:*'] },
    };
    const reader = await openGeoTiff(join(rkhSample, 'B04.tif'));
    local = (await reader.readWindow(win)) as Uint16Array;
    await reader.close();
  });
  afterAll(async () => {
    await blobs.close();
    await tokens.close();
  });

  async function read(href: string, ctx: SourceContext): Promise<Uint16Array> {
    const reader = await openGeoTiff(href, undefined, undefined, ctx);
    try {
      return (await reader.readWindow(win)) as Uint16Array;
    } finally {
      await reader.close();
    }
  }

  const same = (a: Uint16Array) => Buffer.from(a.buffer).equals(Buffer.from(local.buffer));

  test('a signed band reads bit for bit; one token for all its requests; every request carried it', async () => {
    const before = { issued: tokens.issued.length, checked: tokens.checked.length };
    const ctx = context();
    // Two bands of one container read at once: their concurrent requests share one token fetch.
    const [a, b] = await Promise.all([read(url(), ctx), read(url(), ctx)]);
    expect(same(a) && same(b)).toBe(true);
    expect(tokens.issued.length - before.issued).toBe(1);
    const checks = tokens.checked.slice(before.checked);
    expect(checks.length).toBeGreaterThanOrEqual(4); // two headers and their tiles
    expect(checks.every((c) => c.ok && c.sig === tokens.issued.at(-1)!.sig)).toBe(true);
    // Another container is another token.
    expect(same(await read(url('other'), ctx))).toBe(true);
    expect(tokens.issued.slice(-1)[0]).toMatchObject({ account: 'acct', container: 'other' });
  });

  test('a token is fetched anew 5 min before its expiry, and after it: no request sends an expired one', async () => {
    const ctx = context();
    const t0 = tokens.issued.length;
    const c0 = tokens.checked.length;
    expect(same(await read(url(), ctx))).toBe(true);
    expect(tokens.issued.length).toBe(t0 + 1);
    // 56 min later the first token still has 4 min: within the margin, so a new one is asked for.
    clock += 56 * 60_000;
    expect(same(await read(url(), ctx))).toBe(true);
    expect(tokens.issued.length).toBe(t0 + 2);
    // Past the second token's expiry: the store would refuse it; a third is fetched.
    clock += 61 * 60_000;
    expect(same(await read(url(), ctx))).toBe(true);
    expect(tokens.issued.length).toBe(t0 + 3);
    const sigs = tokens.checked.slice(c0).map((c) => c.sig);
    expect(new Set(sigs)).toEqual(new Set(tokens.issued.slice(t0).map((t) => t.sig)));
    expect(tokens.checked.slice(c0).every((c) => c.ok)).toBe(true);
  });

  test('without signing the store refuses the band: 403, one line naming the blob URL', async () => {
    const err = await read(url(), context({ hosts: [] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toBe(
      `${url()}: HTTP 403 Forbidden: access denied (a private object needs credentials or a signed URL)`,
    );
    expect(tokens.checked.at(-1)).toMatchObject({ sig: null, ok: false });
  });

  test('an href with a SAS of its own is sent as it is', async () => {
    const signer = new SasSigner(opts.sas, opts.policy, now);
    const signed = await signer.sign(url());
    expect(signed).toMatch(/\?st=.*&sig=s\d+x/);
    const issued = tokens.issued.length;
    expect(same(await read(signed, context()))).toBe(true);
    expect(tokens.issued.length).toBe(issued);
  });

  test('token endpoint faults: retried like any request, then one line naming the token URL', async () => {
    const tokenUrl = `${tokens.tokenUrl}/acct/cogs`;
    tokens.failures = [503];
    expect(same(await read(url(), context()))).toBe(true); // a 503, retried, then a token

    tokens.failures = [403];
    let err = (await read(url(), context()).catch((e: unknown) => e)) as RemoteError;
    expect(err.message).toBe(`${tokenUrl}: HTTP 403 Forbidden: no SAS token issued`);
    expect(err.transient).toBe(false);

    tokens.failures = [503, 503];
    err = (await read(url(), context()).catch((e: unknown) => e)) as RemoteError;
    expect(err.message).toBe(`${tokenUrl}: HTTP 503 Service Unavailable (gave up after 2 attempts)`);
    expect(err.transient).toBe(true);

    tokens.issueExpired = true;
    try {
      err = (await read(url(), context()).catch((e: unknown) => e)) as RemoteError;
      expect(err.message).toMatch(
        new RegExp(`^${tokenUrl}: SAS token expired on arrival \\(msft:expiry \\S+Z; is the clock right\\?\\)$`),
      );
    } finally {
      tokens.issueExpired = false;
    }
    // A failed fetch is not cached: the same signer asks again, and gets one.
    const ctx = context();
    tokens.failures = [403];
    await expect(read(url(), ctx)).rejects.toThrow(tokenUrl);
    expect(same(await read(url(), ctx))).toBe(true);
  });
});
