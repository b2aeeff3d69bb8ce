/**
 * s3:// bands end to end through the real CLI against s3rver 3.7.1 (a local S3 server, started here in
 * this process on a free port, objects in a temporary folder): the sample scene's COGs are uploaded to a
 * bucket, the scene's STAC item points its band assets at `s3://<bucket>/<prefix>/<band>.tif`, and the
 * scan reaches them through `AWS_ENDPOINT_URL_S3` (path-style `<endpoint>/<bucket>/<key>`), every request
 * signed with SigV4 for the s3rver account (AWS_ACCESS_KEY_ID=S3RVER). Every output file but report.json is
 * byte for byte the one a scan of the same files from disk writes.
 *
 * What s3rver checks of a signature: the access key id (an unknown one is refused, 403 InvalidAccessKeyId)
 * and the request time (RequestTimeTooSkewed), not the signature itself — its V4 verification is
 * unimplemented ("Signature version 4 calculation is unimplemeneted", lib/middleware/authentication.js).
 * The signature's bytes are checked against the AWS documentation's worked example instead
 * (test/io/remote.policy.test.ts, "SigV4").
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';
import { archeoAsync, errorLines } from '../helpers/cli.js';
import { outputEntries, rkhSample, tempDir } from '../helpers/paths.js';
import { files, filesDiffering, remoteScene, sceneId } from '../helpers/remote.scene.js';

const bucket = 'archeo-cogs';
const prefix = `sentinel-s2-l2a-cogs/29/R/KH/2020/2/${sceneId}`;

describe('archeo scan of a scene whose bands are s3:// objects (s3rver)', () => {
  let s3: S3rver;
  let endpoint: string;
  let localOut: string;
  const seen: { method: string; url: string; authorization: string | undefined }[] = [];
  const env = () => ({
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
  });

  beforeAll(async () => {
    s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: tempDir('archeo-s3rver-'),
      configureBuckets: [{ name: bucket, configs: [] }],
    });
    const { port } = await s3.run();
    endpoint = `http://127.0.0.1:${port}`;
    s3.httpServer.on('request', (req: IncomingMessage) =>
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization }),
    );
    // The upload is the test's setup, sent as a plain PUT (archeo only ever reads).
    for (const name of readdirSync(rkhSample).filter((f) => f.endsWith('.tif'))) {
      const r = await fetch(`${endpoint}/${bucket}/${prefix}/${name}`, {
        method: 'PUT',
        body: readFileSync(join(rkhSample, name)),
      });
      expect([name, r.status]).toEqual([name, 200]);
    }
    localOut = tempDir();
    const r = await archeoAsync(['scan', rkhSample, '--out', localOut, '-q', '--threads', '2']);
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
  });
  afterAll(async () => {
    await s3.close();
  });

  test('writes the same files, byte for byte, as the local scan; every request signed, path-style', async () => {
    seen.length = 0;
    const out = tempDir();
    const r = await archeoAsync(
      ['scan', remoteScene(`s3://${bucket}/${prefix}`), '--out', out, '-q', '--threads', '2'],
      env(),
    );
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(outputEntries(out)).toEqual([sceneId]);
    const a = join(localOut, sceneId);
    const b = join(out, sceneId);
    expect(files(a).filter((f) => f.startsWith('indices/') && f.endsWith('.tif')).length).toBeGreaterThanOrEqual(5);
    expect(filesDiffering(a, b, (f) => f !== 'report.json')).toEqual([]);

    const report = JSON.parse(readFileSync(join(b, 'report.json'), 'utf8')) as {
      inputs: { bands: { band: string; path: string; fetched: { requests: number; retries: number } }[] };
    };
    for (const band of report.inputs.bands) {
      expect(band.path).toBe(`s3://${bucket}/${prefix}/${band.band}.tif`);
      expect(band.fetched.requests).toBeGreaterThanOrEqual(1);
      expect(band.fetched.retries).toBe(0);
    }
    // What s3rver saw: GETs of the bucket's keys (path-style), each with a SigV4 Authorization header.
    expect(seen.length).toBeGreaterThanOrEqual(report.inputs.bands.length);
    for (const req of seen) {
      expect(req.method).toBe('GET');
      expect(req.url).toMatch(new RegExp(`^/${bucket}/${prefix}/B\\w\\w\\.tif$|^/${bucket}/${prefix}/SCL\\.tif$`));
      expect(req.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request,SignedHeaders=host;(if-match;)?range;x-amz-content-sha256;x-amz-date,Signature=[0-9a-f]{64}$/,
      );
    }
  });

  test('credentials s3rver does not know: refused (403), one line naming the s3:// href, no output', async () => {
    const out = tempDir();
    const r = await archeoAsync(['scan', remoteScene(`s3://${bucket}/${prefix}`), '--out', out, '-q'], {
      ...env(),
      AWS_ACCESS_KEY_ID: 'AKIDUNKNOWN',
    });
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^archeo: s3://${bucket}/${prefix}/\\w+\\.tif: HTTP 403 Forbidden: access denied \\(a private object needs credentials or a signed URL\\)$`,
      ),
    );
    expect(r.code).not.toBe(0);
    expect(outputEntries(out)).toEqual([]);
  });
});
