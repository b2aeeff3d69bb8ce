/**
 * JSON over HTTP for STAC APIs and items: one request (GET, or POST with a JSON body) through the one
 * retry policy of every HTTP request archeo makes (src/io/source/retry.ts: back-off with jitter on 408,
 * 429 and 5xx, resets and timeouts, `Retry-After` honoured). Anything else (403, 404, a body that is not
 * JSON) fails at once. Every failure is one RemoteError line naming the URL (`POST <url>` for a search
 * page) that says through `transient` whether a rerun may succeed, so a cron run can tell them apart.
 */
import { RemoteError, requestWithRetry, type RetryPolicy } from '../source/retry.js';

/** A STAC response larger than this is refused (a page of 100 items is about 1 MB). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

export interface JsonRequest {
  method?: 'GET' | 'POST';
  /** Sent as JSON (POST). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface JsonResponse {
  json: unknown;
  /** The response's ETag, when the server sends one (a version of an item). */
  etag: string | undefined;
  /** Retries this request needed, and the time spent waiting between attempts. */
  retries: number;
  waitedMs: number;
}

/**
 * GETs or POSTs `url` and parses the JSON answer, retrying transient faults under `policy`. Throws a
 * RemoteError naming the URL (and the method, for POST).
 */
export async function fetchJson(url: string, init: JsonRequest = {}, policy?: RetryPolicy): Promise<JsonResponse> {
  const method = init.method ?? 'GET';
  const where = method === 'POST' ? `POST ${url}` : url;
  const headers = {
    accept: 'application/geo+json, application/json',
    ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...init.headers,
  };
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  let retries = 0;
  let waitedMs = 0;
  const json = await requestWithRetry(
    url,
    () => ({ method, headers, body }),
    async (res) => {
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new RemoteError(where, `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, false);
      }
      const length = Number(res.headers.get('content-length') ?? 0);
      if (length > MAX_JSON_BYTES) {
        await res.body?.cancel().catch(() => undefined);
        throw new RemoteError(where, `answer of ${length} bytes is too large for a STAC document`, false);
      }
      // A body cut short or timed out here is a network fault: requestWithRetry retries it.
      const text = await res.text();
      try {
        return { doc: JSON.parse(text) as unknown, etag: res.headers.get('etag') ?? undefined };
      } catch {
        throw new RemoteError(where, `answer is not JSON (${JSON.stringify(text.slice(0, 40))}…)`, false);
      }
    },
    {
      ...(policy ? { policy } : {}),
      label: where,
      onRetry: (e) => {
        retries++;
        waitedMs += e.delayMs;
      },
    },
  );
  return { json: json.doc, etag: json.etag, retries, waitedMs };
}
