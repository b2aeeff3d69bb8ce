/**
 * The pieces of remote reads that are pure rules: the retry policy (Retry-After forms, back-off
 * bounds, which faults retry), SigV4 against the AWS documentation's worked example, and s3:// hrefs
 * mapped to HTTPS (read through a real local server standing in for a custom endpoint).
 */
import { describe, expect, test } from '@jest/globals';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { openGeoTiff } from '../../src/io/raster/geotiff.reader.js';
import {
  defaultRetryPolicy,
  isRetryableNetworkError,
  isRetryableStatus,
  parseRetryAfter,
  retryDelayMs,
} from '../../src/io/source/retry.js';
import { s3HttpsUrl } from '../../src/io/source/s3.js';
import { signGet } from '../../src/io/source/sigv4.js';
import { defaultRemoteOptions, SourceContext } from '../../src/io/source/source.context.js';
import { RangeServer } from '../helpers/range.server.js';
import { rkhSample, tempDir } from '../helpers/paths.js';

describe('retry policy', () => {
  test('Retry-After: delta-seconds and HTTP dates; garbage ignored', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0); // in the past: at once
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  test('back-off doubles from base, capped, with jitter in the upper half; Retry-After wins', () => {
    const p = { ...defaultRetryPolicy, baseMs: 100, maxMs: 1000 };
    expect(retryDelayMs(0, p, undefined, () => 0)).toBe(50);
    expect(retryDelayMs(0, p, undefined, () => 1)).toBe(100);
    expect(retryDelayMs(3, p, undefined, () => 0.5)).toBe(600); // 800: 400 + 0.5 * 400
    expect(retryDelayMs(10, p, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(2, p, 7000)).toBe(7000);
  });

  test('which answers and faults are retried', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([200, 206, 400, 401, 403, 404, 412, 416, 501].some(isRetryableStatus)).toBe(false);
    const reset = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }),
    });
    expect(isRetryableNetworkError(reset)).toBe(true);
    expect(isRetryableNetworkError(new DOMException('t', 'TimeoutError'))).toBe(true);
    expect(isRetryableNetworkError(new TypeError('terminated'))).toBe(true);
    expect(isRetryableNetworkError(new Error('Invalid URL'))).toBe(false);
  });
});

describe('SigV4', () => {
  test("the AWS documentation's GET object example (Range bytes=0-9) signs to its published signature", () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Example: GET Object"
    const headers = signGet(
      new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      { range: 'bytes=0-9' },
      { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      'us-east-1',
      new Date('2013-05-24T00:00:00Z'),
    );
    expect(headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(headers['x-amz-date']).toBe('20130524T000000Z');
  });
});

describe('s3:// hrefs', () => {
  test('virtual-hosted on AWS, path-style on an endpoint; keys encoded', () => {
    const s3 = { region: 'us-west-2', requesterPays: false };
    expect(s3HttpsUrl('s3://sentinel-cogs/sentinel-s2-l2a-cogs/29/R/KH/B04.tif', s3)).toBe(
      'https://sentinel-cogs.s3.us-west-2.amazonaws.com/sentinel-s2-l2a-cogs/29/R/KH/B04.tif',
    );
    expect(s3HttpsUrl('s3://my.bucket/a b+c.tif', s3)).toBe(
      'https://s3.us-west-2.amazonaws.com/my.bucket/a%20b%2Bc.tif',
    );
    expect(s3HttpsUrl('s3://b/k.tif', { ...s3, endpoint: 'http://127.0.0.1:9000/' })).toBe(
      'http://127.0.0.1:9000/b/k.tif',
    );
  });

  test('an s3:// band reads through its endpoint, signed and requester-pays when asked', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'bucket'));
    symlinkSync(join(rkhSample, 'B04.tif'), join(root, 'bucket', 'B04.tif'));
    const seen: Record<string, string | string[] | undefined>[] = [];
    const s = await RangeServer.start(root, {
      fault: (req) => {
        seen.push(req.headers);
        return undefined;
      },
    });
    try {
      const ctx = new SourceContext({
        ...defaultRemoteOptions,
        s3: {
          region: 'us-east-1',
          endpoint: s.base,
          credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
          requesterPays: true,
        },
      });
      const remote = await openGeoTiff('s3://bucket/B04.tif', undefined, undefined, ctx);
      const local = await openGeoTiff(join(rkhSample, 'B04.tif'));
      const win = { x0: 0, y0: 0, width: 256, height: 256 };
      const [a, b] = [await remote.readWindow(win), await local.readWindow(win)];
      await Promise.all([remote.close(), local.close()]);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
      expect(seen.length).toBeGreaterThanOrEqual(2);
      for (const h of seen) {
        expect(h['x-amz-request-payer']).toBe('requester');
        expect(String(h['authorization'])).toMatch(
          /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/s3\/aws4_request,SignedHeaders=host;if-match;range;x-amz-content-sha256;x-amz-date;x-amz-request-payer|^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/s3\/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date;x-amz-request-payer,/,
        );
      }
      // Errors name the href as given.
      const err = await openGeoTiff('s3://bucket/none.tif', undefined, undefined, ctx).catch((e) => e);
      expect(err.message).toBe('s3://bucket/none.tif: HTTP 404 Not Found: no such file');
    } finally {
      await s.close();
    }
  });
});
