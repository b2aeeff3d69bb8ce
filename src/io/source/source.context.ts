/**
 * What every remote read of a run shares: the retry policy, the sizes that shape requests, S3 access,
 * the SAS token cache of blob storage hrefs, and one concurrency limit per host (so --jobs and many bands do not open hundreds of connections to
 * one server). One per run, built by the command from its flags and environment (cli/remote.options.ts).
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { defaultRetryPolicy, type RetryEvent, type RetryPolicy } from './retry.js';
import { defaultS3Options, type S3Options } from './s3.js';
import { defaultSasOptions, SasSigner, type SasOptions } from './sas.js';

export interface RemoteOptions {
  policy: RetryPolicy;
  /** Requests in flight per host. */
  hostConcurrency: number;
  /** First request of a file: its header (GDAL asks 16 KiB too); grown only when the IFDs are longer. */
  headerBytes: number;
  /** Tiles at most this many bytes apart are fetched in one request (the gap is read and dropped). */
  mergeGapBytes: number;
  /** Largest merged request. */
  maxRequestBytes: number;
  /** A server that ignores Range: files up to this size are read whole (and a warning says so). */
  wholeFileBytes: number;
  s3: S3Options;
  /** Planetary Computer SAS signing of blob storage hrefs. */
  sas: SasOptions;
}

export const defaultRemoteOptions: RemoteOptions = {
  policy: defaultRetryPolicy,
  hostConcurrency: 8,
  headerBytes: 16384,
  mergeGapBytes: 4096,
  maxRequestBytes: 16 << 20,
  wholeFileBytes: 4 << 20,
  s3: defaultS3Options,
  sas: defaultSasOptions,
};

export class SourceContext {
  private readonly hosts = new Map<string, LimitFunction>();
  constructor(
    readonly options: RemoteOptions = defaultRemoteOptions,
    /** Told of each retry and of anything the user should know (a file read whole). */
    readonly events: { retry?: (e: RetryEvent) => void; note?: (href: string, message: string) => void } = {},
    /** Signs blob storage hrefs; one per run, so its tokens are shared by every band and scene. */
    readonly sas: SasSigner = new SasSigner(options.sas, options.policy),
  ) {}

  /** The concurrency limit of `host` (created on first use). */
  hostLimit(host: string): LimitFunction {
    let limit = this.hosts.get(host);
    if (!limit) {
      limit = pLimit(this.options.hostConcurrency);
      this.hosts.set(host, limit);
    }
    return limit;
  }
}
