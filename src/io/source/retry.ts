/**
 * The one retry policy of every HTTP request archeo makes (range reads of remote bands, STAC items and
 * search pages, SAS tokens): exponential back-off with jitter on 408, 429, 500, 502, 503, 504, connection
 * resets and timeouts, honouring `Retry-After`; any other answer is handed to the caller's `handle`,
 * whose own network faults (a reset mid-body) are retried too. A request that still fails is one
 * RemoteError line naming the URL.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../../core/errors.js';

export interface RetryPolicy {
  /** Attempts in all (the first one included). */
  attempts: number;
  /** Back-off before the second attempt, in ms; doubled each time, capped at `maxMs`. */
  baseMs: number;
  maxMs: number;
  /** A `Retry-After` longer than this fails the request rather than wait. */
  maxRetryAfterMs: number;
  /** One attempt's limit (headers and body), in ms: a slow server is a timeout, retried. */
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseMs: 250,
  maxMs: 8000,
  maxRetryAfterMs: 120_000,
  timeoutMs: 30_000,
};

/**
 * A remote read that failed: names the URL. `transient` tells a scheduler whether the same request may
 * succeed later (throttling, 5xx, resets, timeouts) or not (403, 404, no Range support, a changed file).
 */
export class RemoteError extends InputError {
  constructor(
    url: string,
    fault: string,
    readonly transient: boolean,
  ) {
    super(url, fault);
  }
}

/** HTTP statuses worth another attempt: a request timeout, throttling and the server's passing faults. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Network error codes worth another attempt (Node's and undici's names). */
const retryableCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Whether a thrown fetch error is a reset, a refused connection or a timeout (then retried). */
export function isRetryableNetworkError(err: unknown): boolean {
  for (let e = err as { name?: string; code?: string; cause?: unknown; message?: string } | undefined; e; ) {
    if (e.name === 'TimeoutError') return true;
    if (e.code && retryableCodes.has(e.code)) return true;
    if (e.message === 'terminated' || e.message === 'other side closed') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** What a network error was, in a few words (the innermost cause's code or message). */
export function networkReason(err: unknown): string {
  let e = err as { name?: string; code?: string; cause?: unknown; message?: string } | undefined;
  let reason = String((e as Error | undefined)?.message ?? err);
  while (e) {
    if (e.name === 'TimeoutError') return 'timed out';
    if (e.code) reason = e.code === 'ENOTFOUND' ? 'host not found (ENOTFOUND)' : e.code;
    else if (e.message && e.message !== 'fetch failed') reason = e.message;
    e = e.cause as typeof e;
  }
  return reason;
}

/**
 * `Retry-After` in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or
 * unreadable. `now` is the clock, in ms since the epoch.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * The wait before attempt `attempt + 1` (attempt 0 is the first): `Retry-After` when the server gave
 * one, else base·2^attempt capped at maxMs, with equal jitter (half fixed, half random) so that many
 * readers throttled together do not come back together.
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

/** What requestWithRetry tells its caller about each retry (for counters and logs). */
export interface RetryEvent {
  url: string;
  attempt: number;
  reason: string;
  delayMs: number;
}

export interface RequestOptions {
  policy?: RetryPolicy;
  /** What errors and retry events name instead of `url` (e.g. `POST <url>` for a search page). */
  label?: string;
  /**
   * The URL each attempt fetches, made afresh per attempt (a SAS token appended, which may have been
   * refreshed since the last attempt); errors still name `url`, so a token never reaches a log.
   */
  sign?: (url: string) => Promise<string>;
  /** Called before each wait. */
  onRetry?: (e: RetryEvent) => void;
  /** Aborts the whole request, waits included (a cancelled run). */
  signal?: AbortSignal;
}

/** Thrown by a `handle` to have its answer retried like a 503 (e.g. a body shorter than announced). */
export class RetryableAnswer extends Error {}

/**
 * Sends `init()` (made again for each attempt: signatures carry the time) to `url` until the answer is
 * not a retryable status, then returns `handle(response)`. Network faults in `fetch` or in `handle`
 * (reading the body) are retried; other errors of `handle` pass through. The last failure is a
 * RemoteError naming `url` with the status or the network fault and the number of attempts.
 */
export async function requestWithRetry<T>(
  url: string,
  init: () => RequestInit | Promise<RequestInit>,
  handle: (res: Response) => Promise<T>,
  opts: RequestOptions = {},
): Promise<T> {
  const policy = opts.policy ?? defaultRetryPolicy;
  const name = opts.label ?? url;
  for (let attempt = 0; ; attempt++) {
    let reason: string;
    let retryAfter: number | undefined;
    try {
      const target = opts.sign ? await opts.sign(url) : url;
      // The attempt's clock starts after signing: a token fetch has its own attempts and limits.
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
      const res = await fetch(target, { ...(await init()), signal });
      if (!isRetryableStatus(res.status)) return await handle(res);
      await res.body?.cancel().catch(() => undefined);
      reason = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
      retryAfter = parseRetryAfter(res.headers.get('retry-after'));
      if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) {
        throw new RemoteError(
          name,
          `${reason}: the server asks to retry after ${Math.round(retryAfter / 1000)} s`,
          true,
        );
      }
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (err instanceof RemoteError) throw err;
      const answer = err instanceof RetryableAnswer;
      if (!answer && !isRetryableNetworkError(err)) {
        if (err instanceof InputError || !(err instanceof TypeError)) throw err;
        throw new RemoteError(name, networkReason(err), false); // fetch's own failure: DNS, TLS, a bad URL
      }
      reason = answer ? err.message : networkReason(err);
    }
    if (attempt + 1 >= policy.attempts) {
      const tries = `${policy.attempts} attempt${policy.attempts === 1 ? '' : 's'}`;
      throw new RemoteError(name, `${reason} (gave up after ${tries})`, true);
    }
    const delayMs = retryDelayMs(attempt, policy, retryAfter);
    opts.onRetry?.({ url: name, attempt, reason, delayMs });
    await sleep(delayMs, undefined, opts.signal ? { signal: opts.signal } : undefined);
  }
}
