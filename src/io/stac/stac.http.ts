/**
 * JSON over HTTP for STAC APIs and items: one request (GET or POST with a JSON body) with retries.
 * Retried: HTTP 408, 429, 500, 502, 503, 504, connection resets and refusals, DNS failures and timeouts —
 * with exponential back-off and jitter, or the server's `Retry-After` when it sends one. Anything else
 * (403, 404, a body that is not JSON) fails at once. Every failure is one line naming the URL, and says
 * whether it was transient (a rerun may succeed) or permanent, so a cron run can tell them apart.
 *
 * This is the one place that sends STAC requests: when the byte-range source (src/io/source/) gains its
 * shared retry policy, this module is re-pointed at it.
 */
import { InputError } from '../../core/errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt (0: one attempt only). */
  retries: number;
  /** First back-off in ms; doubled per retry, with jitter, capped at maxMs. */
  baseMs: number;
  maxMs: number;
  /** One attempt's time limit (connect, headers and body). */
  timeoutMs: number;
  /** A `Retry-After` longer than this is not waited for: the request fails, as transient. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  retries: 4,
  baseMs: 500,
  maxMs: 20_000,
  timeoutMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/** A STAC response larger than this is refused (a page of 100 items is about 1 MB). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** Statuses worth another try: the server is busy, overloaded or restarting. */
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** A request that failed after its retries; `transient` tells a scheduler whether a rerun may succeed. */
export class HttpError extends InputError {
  constructor(
    url: string,
    fault: string,
    readonly transient: boolean,
    readonly status?: number,
  ) {
    super(url, `${fault} (${transient ? 'transient' : 'permanent'})`);
  }
}

/** Whether an error is a network fault that a later run may not meet (a timeout, a 503): see HttpError. */
export function isTransient(err: unknown): boolean {
  return (err as { transient?: unknown } | undefined)?.transient === true;
}

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

/** `Retry-After` in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Exponential back-off with "equal jitter": half the step fixed, half random, so retries spread out. */
export function backoffMs(retry: number, policy: RetryPolicy, random = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** retry);
  return step / 2 + random() * (step / 2);
}

/** The code of a fetch failure (ECONNRESET, UND_ERR_SOCKET, TimeoutError…), for the error line. */
function networkCode(err: unknown): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  return e?.cause?.code ?? e?.code ?? e?.cause?.message ?? (err as Error)?.message ?? String(err);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * GETs or POSTs `url` and parses the JSON answer, retrying transient faults under `policy`. Throws an
 * HttpError naming the URL (and the method, for POST) after the last attempt.
 */
export async function fetchJson(
  url: string,
  init: JsonRequest = {},
  policy: RetryPolicy = defaultRetryPolicy,
): Promise<JsonResponse> {
  const method = init.method ?? 'GET';
  const where = method === 'POST' ? `POST ${url}` : url;
  let waitedMs = 0;
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= policy.retries;
    let fault: string;
    let status: number | undefined;
    let wait: number | undefined;
    try {
      const res = await fetch(url, {
        method,
        headers: {
          accept: 'application/geo+json, application/json',
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...init.headers,
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(policy.timeoutMs),
        redirect: 'follow',
      });
      status = res.status;
      if (res.ok) {
        const length = Number(res.headers.get('content-length') ?? 0);
        if (length > MAX_JSON_BYTES) {
          await res.body?.cancel();
          throw new HttpError(where, `answer of ${length} bytes is too large for a STAC document`, false, status);
        }
        const text = await res.text();
        try {
          return { json: JSON.parse(text), etag: res.headers.get('etag') ?? undefined, retries: attempt, waitedMs };
        } catch {
          throw new HttpError(where, `answer is not JSON (${JSON.stringify(text.slice(0, 40))}…)`, false, status);
        }
      }
      await res.body?.cancel();
      fault = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
      if (!RETRY_STATUS.has(res.status)) throw new HttpError(where, fault, false, res.status);
      wait = retryAfterMs(res.headers.get('retry-after'));
      if (wait !== undefined && wait > policy.maxRetryAfterMs)
        throw new HttpError(
          where,
          `${fault}, retry after ${Math.round(wait / 1000)} s: longer than allowed`,
          true,
          status,
        );
    } catch (err) {
      if (err instanceof HttpError) throw err;
      // Resets, refusals, DNS failures, timeouts, a body cut short: the network, not the request.
      fault = `network error (${networkCode(err)})`;
    }
    if (last) {
      const tries = attempt + 1;
      throw new HttpError(where, `${fault} after ${tries} attempt${tries > 1 ? 's' : ''}`, true, status);
    }
    const delay = wait ?? backoffMs(attempt, policy);
    waitedMs += delay;
    await sleep(delay);
  }
}
