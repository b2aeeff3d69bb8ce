/**
 * End to end through the real CLI: a scene whose STAC item points its band assets at a local HTTP
 * server (test/helpers/range.server.ts) scans remotely, and every output file but report.json is byte
 * for byte the one a scan of the same files from disk writes. report.json and run-report.json count
 * what crossed the network; a throttling server is ridden out with retries; a missing band fails the
 * scene with one line naming its URL and leaves no output; blob storage hrefs are signed with a SAS
 * token from the token endpoint the environment names (test/helpers/sas.server.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { archeoAsync, errorLines } from '../helpers/cli.js';
import { outputEntries, rkhSample, tempDir } from '../helpers/paths.js';
import { RangeServer, type RangeServerOptions } from '../helpers/range.server.js';
import { files, filesDiffering, remoteScene, sceneId } from '../helpers/remote.scene.js';
import { SasTokenServer } from '../helpers/sas.server.js';

interface Fetched {
  bytes: number;
  requests: number;
  retries: number;
  wait_s: number;
}

/** The sample scene served for the length of `fn`. */
const withServer = <T>(opts: RangeServerOptions, fn: (s: RangeServer) => Promise<T>): Promise<T> =>
  RangeServer.serving(rkhSample, opts, fn);

describe('archeo scan of a scene whose bands are URLs', () => {
  let localOut: string;
  beforeAll(async () => {
    localOut = tempDir();
    const r = await archeoAsync(['scan', rkhSample, '--out', localOut, '-q', '--threads', '2']);
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
  });
  afterAll(() => undefined);

  test('writes the same files, byte for byte, as the local scan; reports what it fetched', async () => {
    await withServer({}, async (s) => {
      const out = tempDir();
      const r = await archeoAsync(['scan', remoteScene(s.base), '--out', out, '-q', '--threads', '2']);
      expect(errorLines(r.stderr)).toEqual([]);
      expect(r.code).toBe(0);
      expect(outputEntries(out)).toEqual([sceneId]);
      const a = join(localOut, sceneId);
      const b = join(out, sceneId);
      expect(files(a).filter((f) => f.endsWith('.tif')).length).toBeGreaterThanOrEqual(7);
      expect(filesDiffering(a, b, (f) => f !== 'report.json')).toEqual([]);

      const report = JSON.parse(readFileSync(join(b, 'report.json'), 'utf8')) as {
        inputs: { bands: { band: string; path: string; bytes: number; fetched: Fetched }[]; fetched: Fetched };
      };
      for (const band of report.inputs.bands) {
        expect(band.path).toBe(`${s.base}/${band.band}.tif`);
        expect(band.bytes).toBe(statSync(join(rkhSample, `${band.band}.tif`)).size);
        // A small crop: its header and its tiles, never the whole file twice over.
        expect(band.fetched.requests).toBeGreaterThanOrEqual(1);
        expect(band.fetched.bytes).toBeLessThanOrEqual(band.bytes);
        expect(band.fetched.retries).toBe(0);
      }
      const sum = report.inputs.bands.reduce((acc, x) => acc + x.fetched.bytes, 0);
      expect(report.inputs.fetched.bytes).toBe(sum);
      // The server saw those requests, and the quicklook's reduced-resolution reads besides.
      const served = s.totals();
      expect(served.bytes).toBeGreaterThanOrEqual(sum);
      expect(served.requests).toBeGreaterThanOrEqual(report.inputs.fetched.requests);
      const run = JSON.parse(readFileSync(join(out, 'run-report.json'), 'utf8')) as { totals: { fetched: Fetched } };
      expect(run.totals.fetched).toEqual(report.inputs.fetched);
      // The local scan fetched from disk: the same tile bytes, no retries.
      const localReport = JSON.parse(readFileSync(join(a, 'report.json'), 'utf8')) as typeof report;
      expect(localReport.inputs.fetched.retries).toBe(0);
    });
  });

  test('a throttling server (503, Retry-After) is ridden out: same outputs, retries counted', async () => {
    let throttled = 0;
    const fault: RangeServerOptions['fault'] = (req, n) => {
      if (n === 1 && req.url?.endsWith('B04.tif')) {
        throttled++;
        return { status: 503, headers: { 'retry-after': '1' } };
      }
      if (n === 1 && req.url?.endsWith('B08.tif')) return { reset: true };
      return undefined;
    };
    await withServer({ fault }, async (s) => {
      const out = tempDir();
      const r = await archeoAsync(
        ['scan', remoteScene(s.base), '--out', out, '-q', '--no-quicklook', '--threads', '2'],
        {
          ARCHEO_HTTP_BACKOFF_MS: '10',
        },
      );
      expect(errorLines(r.stderr)).toEqual([]);
      expect(r.code).toBe(0);
      expect(throttled).toBe(1);
      expect(filesDiffering(join(localOut, sceneId), join(out, sceneId), (f) => f.startsWith('indices/'))).toEqual([]);
      const report = JSON.parse(readFileSync(join(out, sceneId, 'report.json'), 'utf8')) as {
        inputs: { bands: { band: string; fetched: Fetched }[]; fetched: Fetched };
      };
      const by = Object.fromEntries(report.inputs.bands.map((b) => [b.band, b.fetched]));
      expect(by['B04']!.retries).toBe(1);
      expect(by['B04']!.wait_s).toBeGreaterThanOrEqual(1);
      expect(by['B08']!.retries).toBe(1);
      expect(report.inputs.fetched.retries).toBe(2);
      // Everything the reports count is what the server answered (the failed attempts included).
      expect(report.inputs.fetched.requests).toBe(s.totals().requests - 2);
    });
  });

  test('a band the server does not have fails the scene: one line naming its URL, no output', async () => {
    await withServer({ fault: (req) => (req.url?.endsWith('B11.tif') ? { status: 404 } : undefined) }, async (s) => {
      const out = tempDir();
      const r = await archeoAsync(['scan', remoteScene(s.base), '--out', out, '-q']);
      expect(errorLines(r.stderr)).toEqual([`archeo: ${s.base}/B11.tif: HTTP 404 Not Found: no such file`]);
      expect(r.code).not.toBe(0);
      expect(outputEntries(out)).toEqual([]);
    });
  });

  test('blob storage hrefs are signed with a SAS token from ARCHEO_PC_SAS_URL: same files as the local scan', async () => {
    // The sample's COGs as blobs of account `acct`, container `cogs`, on a store that refuses unsigned requests.
    const store = tempDir();
    mkdirSync(join(store, 'acct', 'cogs'), { recursive: true });
    for (const f of readdirSync(rkhSample).filter((n) => n.endsWith('.tif')))
      symlinkSync(join(rkhSample, f), join(store, 'acct', 'cogs', f));
    const tokens = await SasTokenServer.start();
    const s = await RangeServer.start(store, { fault: (req) => tokens.blobFault(req) });
    try {
      const scene = remoteScene(`${s.base}/acct/cogs`);
      const env = { ARCHEO_PC_SAS_URL: tokens.tokenUrl, ARCHEO_SAS_HOSTS: '*.blob.core.windows.net,127.0.0.1:*' };
      const out = tempDir();
      const r = await archeoAsync(['scan', scene, '--out', out, '-q', '--no-quicklook', '--threads', '2'], env);
      expect(errorLines(r.stderr)).toEqual([]);
      expect(r.code).toBe(0);
      expect(filesDiffering(join(localOut, sceneId), join(out, sceneId), (f) => f.startsWith('indices/'))).toEqual([]);
      // One token for the container, every request carried it; the report names the bands without it.
      expect(tokens.issued.map((t) => `${t.account}/${t.container}`)).toEqual(['acct/cogs']);
      expect(tokens.checked.length).toBeGreaterThanOrEqual(10);
      expect(tokens.checked.every((c) => c.ok)).toBe(true);
      const report = readFileSync(join(out, sceneId, 'report.json'), 'utf8');
      expect(report).toContain(`"${s.base}/acct/cogs/B04.tif"`);
      expect(report).not.toContain(tokens.issued[0]!.sig);

      // Signing turned off: the store refuses the first band, one line naming it.
      const refused = await archeoAsync(['scan', scene, '--out', tempDir(), '-q'], {
        ...env,
        ARCHEO_SAS_HOSTS: 'none',
      });
      expect(errorLines(refused.stderr)).toEqual([
        expect.stringMatching(
          /^archeo: http:\/\/127\.0\.0\.1:\d+\/acct\/cogs\/\w+\.tif: HTTP 403 Forbidden: access denied \(a private object needs credentials or a signed URL\)$/,
        ),
      ]);
    } finally {
      await s.close();
      await tokens.close();
    }
  });
});
