/**
 * s3://bucket/key hrefs: the object's HTTPS URL (virtual-hosted on AWS, path-style on a custom
 * endpoint such as MinIO or s3rver), and what a request to it carries — nothing for a public bucket,
 * a SigV4 signature when credentials are given, `x-amz-request-payer: requester` when asked.
 */
import { InputError } from '../../core/errors.js';
import { awsEncode, signGet, type AwsCredentials } from './sigv4.js';

export interface S3Options {
  /** Region of the buckets (AWS_REGION); Earth Search's sentinel-cogs is in us-west-2. */
  region: string;
  /** A custom endpoint (AWS_ENDPOINT_URL), addressed path-style: `<endpoint>/<bucket>/<key>`. */
  endpoint?: string | undefined;
  /** Sign requests (AWS_ACCESS_KEY_ID …); absent = anonymous requests to a public bucket. */
  credentials?: AwsCredentials | undefined;
  /** Requester-pays buckets: the requester's account is billed (needs credentials). */
  requesterPays: boolean;
}

export const defaultS3Options: S3Options = { region: 'us-west-2', requesterPays: false };

/** The HTTPS URL of `s3://bucket/key`. */
export function s3HttpsUrl(href: string, opts: S3Options): string {
  const m = /^s3:\/\/([^/]+)\/(.+)$/i.exec(href);
  if (!m) throw new InputError(href, 'not an s3://bucket/key href');
  const [, bucket, key] = m as unknown as [string, string, string];
  const path = awsEncode(key, true);
  if (opts.endpoint) return `${opts.endpoint.replace(/\/+$/, '')}/${bucket}/${path}`;
  // Bucket names with dots break virtual-hosted TLS names: those go path-style.
  if (bucket.includes('.')) return `https://s3.${opts.region}.amazonaws.com/${bucket}/${path}`;
  return `https://${bucket}.s3.${opts.region}.amazonaws.com/${path}`;
}

/** Headers of one GET of an s3 object (signed afresh for each attempt: the signature holds the time). */
export function s3Headers(url: string, headers: Record<string, string>, opts: S3Options): Record<string, string> {
  const h = { ...headers, ...(opts.requesterPays ? { 'x-amz-request-payer': 'requester' } : {}) };
  if (!opts.credentials) return h;
  return signGet(new URL(url), h, opts.credentials, opts.region, new Date());
}
