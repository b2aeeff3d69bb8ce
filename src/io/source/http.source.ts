/**
 * A file over HTTP(S) (or s3://, through its HTTPS endpoint) as a byte source: Range requests, each
 * through the host's concurrency limit and the retry policy, a blob storage URL signed with a SAS token
 * per attempt (sas.ts). The first request fetches the header bytes and learns the size and the ETag;
 * every later answer must carry the same ETag (and is sent If-Match), so a file replaced mid-read fails
 * the scene instead of mixing two versions.
 */
import { InputError } from '../../core/errors.js';
import { newSourceStats, type ByteSource, type SourceStats } from './byte.source.js';
import { RemoteError, RetryableAnswer, requestWithRetry } from './retry.js';
import { s3Headers, s3HttpsUrl } from './s3.js';
import type { SourceContext } from './source.context.js';

/** The faults of a final answer, in words (403/404 get a hint). */
function statusFault(href: string, res: Response): RemoteError {
  const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (res.status === 403 || res.status === 401) {
    return new RemoteError(
      href,
      `${status}: access denied (a private object needs credentials or a signed URL)`,
      false,
    );
  }
  if (res.status === 404) return new RemoteError(href, `${status}: no such file`, false);
  return new RemoteError(href, status, false);
}

/** `bytes a-b/total` → [a, b, total]; total NaN when `*`. */
function parseContentRange(v: string | null): [number, number, number] | undefined {
  const m = v ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(v.trim()) : null;
  return m ? [Number(m[1]), Number(m[2]), m[3] === '*' ? Number.NaN : Number(m[3])] : undefined;
}

export class HttpSource implements ByteSource {
  readonly remote = true;
  /** The whole file, when the server ignored Range and the file was small enough to keep. */
  private whole: Uint8Array | undefined;

  private constructor(
    readonly href: string,
    private readonly url: string,
    private readonly ctx: SourceContext,
    readonly size: number,
    /** ETag (or Last-Modified) of the first answer: the version being read. */
    private readonly version: { etag: string | null; lastModified: string | null },
    /** The first request's bytes (the header), from offset 0. */
    readonly head: Uint8Array,
    /** Shared with the opening probe, so that the first request and its retries count. */
    readonly stats: SourceStats = newSourceStats(),
  ) {}

  /** Opens `href` (http, https or s3) with one request for its first `headerBytes` bytes. */
  static async open(href: string, ctx: SourceContext): Promise<HttpSource> {
    const s3 = /^s3:\/\//i.test(href);
    const url = s3 ? s3HttpsUrl(href, ctx.options.s3) : href;
    const probe = new HttpSource(href, url, ctx, 0, { etag: null, lastModified: null }, new Uint8Array(0));
    const n = ctx.options.headerBytes;
    return probe.request(0, n, async (res) => {
      const etag = res.headers.get('etag');
      const lastModified = res.headers.get('last-modified');
      if (res.status === 206) {
        const range = parseContentRange(res.headers.get('content-range'));
        if (!range || !Number.isFinite(range[2])) {
          throw new RemoteError(href, 'answered a Range request without a Content-Range giving the file size', false);
        }
        const body = new Uint8Array(await res.arrayBuffer());
        if (body.length !== range[1] - range[0] + 1) throw new RetryableAnswer('body shorter than its Content-Range');
        const src = new HttpSource(href, url, ctx, range[2], { etag, lastModified }, body, probe.stats);
        src.stats.bytes += body.length;
        return src;
      }
      if (res.status === 200) {
        const length = Number(res.headers.get('content-length') ?? Number.NaN);
        if (!(length <= ctx.options.wholeFileBytes)) {
          await res.body?.cancel().catch(() => undefined);
          throw new RemoteError(
            href,
            `the server ignores HTTP Range requests (it answered 200 with the whole ${Number.isFinite(length) ? `${length}-byte ` : ''}file); archeo reads remote bands by byte range`,
            false,
          );
        }
        const body = new Uint8Array(await res.arrayBuffer());
        const src = new HttpSource(href, url, ctx, body.length, { etag, lastModified }, body, probe.stats);
        src.whole = body;
        src.stats.bytes += body.length;
        ctx.events.note?.(
          href,
          `the server ignores HTTP Range requests: read whole (${body.length} bytes, cheaper than refusing)`,
        );
        return src;
      }
      if (res.status === 416) throw new RemoteError(href, 'is empty (HTTP 416 for its first bytes)', false);
      throw statusFault(href, res);
    });
  }

  /** One Range request through the host limit and the retry policy; `handle` reads the answer. */
  private async request<T>(offset: number, length: number, handle: (res: Response) => Promise<T>): Promise<T> {
    const headers: Record<string, string> = { range: `bytes=${offset}-${offset + length - 1}` };
    if (this.version.etag) headers['if-match'] = this.version.etag;
    const s3 = /^s3:\/\//i.test(this.href);
    const sas = !s3 && this.ctx.sas.applies(this.url);
    const t0 = performance.now();
    try {
      return await this.ctx.hostLimit(new URL(this.url).host)(() =>
        requestWithRetry(
          this.url,
          () => ({ headers: s3 ? s3Headers(this.url, headers, this.ctx.options.s3) : headers }),
          async (res) => {
            this.stats.requests++;
            try {
              return await handle(res);
            } catch (err) {
              await res.body?.cancel().catch(() => undefined);
              throw err;
            }
          },
          {
            policy: this.ctx.options.policy,
            ...(sas ? { sign: (u: string) => this.ctx.sas.sign(u) } : {}),
            onRetry: (e) => {
              this.stats.retries++;
              this.ctx.events.retry?.({ ...e, url: this.href });
            },
          },
        ),
      );
    } catch (err) {
      // Errors name the href as given (s3://…), not the endpoint URL; a SAS token failure names the token URL.
      if (err instanceof InputError && err.path === this.url && this.url !== this.href) {
        throw new RemoteError(this.href, err.fault, err instanceof RemoteError ? err.transient : false);
      }
      throw err;
    } finally {
      this.stats.waitSeconds += (performance.now() - t0) / 1000;
    }
  }

  private changed(res: Response): RemoteError | undefined {
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    const before = this.version.etag ?? this.version.lastModified;
    const now = this.version.etag ? etag : lastModified;
    if (res.status === 412 || (before !== null && now !== before)) {
      return new RemoteError(
        this.href,
        `changed while being read (${this.version.etag ? 'ETag' : 'Last-Modified'} ${before} became ${res.status === 412 ? 'another' : now}): the scene is failed rather than mixing two versions`,
        true,
      );
    }
    return undefined;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    if (this.whole) return this.whole.subarray(offset, end);
    if (end <= this.head.length) return this.head.subarray(offset, end);
    if (offset < this.head.length) {
      // Starts inside the header bytes already here (a small file's first tiles): fetch only the rest.
      const rest = await this.read(this.head.length, end - this.head.length);
      const joined = new Uint8Array(end - offset);
      joined.set(this.head.subarray(offset));
      joined.set(rest, this.head.length - offset);
      return joined.subarray(0, this.head.length - offset + rest.length);
    }
    return this.request(offset, end - offset, async (res) => {
      const changed = this.changed(res);
      if (changed) throw changed;
      if (res.status === 200) {
        throw new RemoteError(this.href, 'the server stopped honouring HTTP Range requests (answered 200)', false);
      }
      if (res.status !== 206) throw statusFault(this.href, res);
      const range = parseContentRange(res.headers.get('content-range'));
      if (!range || range[0] !== offset || range[1] !== end - 1) {
        throw new RemoteError(
          this.href,
          `answered bytes ${res.headers.get('content-range') ?? '(no Content-Range)'} to a request for bytes ${offset}-${end - 1}`,
          false,
        );
      }
      const body = new Uint8Array(await res.arrayBuffer());
      if (body.length !== end - offset) throw new RetryableAnswer('body shorter than its Content-Range');
      this.stats.bytes += body.length;
      return body;
    });
  }

  async close(): Promise<void> {
    this.whole = undefined;
  }
}
