/**
 * A byte-range source: what the GeoTIFF reader needs from a file wherever it lives — its size and
 * ranges of its bytes. Local files, HTTP(S) URLs and s3:// objects implement it (local.source.ts,
 * http.source.ts); `openByteSource` (source.open.ts) picks one by the href.
 */

/** What a source fetched, for report.json (per band) and the run report (totals). */
export interface SourceStats {
  /** Bytes received (header and tiles, a retried request's partial bodies not included). */
  bytes: number;
  /** Requests answered (reads, for a local file). */
  requests: number;
  /** Attempts repeated after a 429/5xx, a reset or a timeout. */
  retries: number;
  /** Seconds spent waiting on requests (back-off included), summed over concurrent requests. */
  waitSeconds: number;
}

export function newSourceStats(): SourceStats {
  return { bytes: 0, requests: 0, retries: 0, waitSeconds: 0 };
}

export interface ByteSource {
  /** The path or URL as given (what error lines name). */
  readonly href: string;
  /** Over the network: then adjacent tiles are fetched in one request. */
  readonly remote: boolean;
  /** Size of the file in bytes. */
  readonly size: number;
  readonly stats: SourceStats;
  /**
   * The bytes at [offset, offset + length), or fewer when the file ends first (the caller names the
   * truncation). `into`, when long enough, receives them (local reads reuse buffers).
   */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Whether a band href is a URL read through the network rather than a local path. */
export function isRemoteHref(href: string): boolean {
  return /^(https?|s3):\/\//i.test(href);
}
