/**
 * Planetary Computer SAS signing: hrefs on Azure Blob Storage hosts (`*.blob.core.windows.net` by
 * default) get a shared-access-signature token appended, fetched from the Planetary Computer token
 * endpoint (`<token URL>/<account>/<container>` → `{"token": "…", "msft:expiry": "…Z"}`), cached per
 * account and container and fetched anew when less than the margin (5 min) is left, so a long read never
 * sends a token that expires on its way. Hrefs that already carry a signature (`sig=`) are left alone.
 *
 * The account and container come from the URL as Azure lays it out: `https://<account>.blob.<suffix>/
 * <container>/<blob>`, or, for any other host (an IP address or a local emulator such as Azurite),
 * `http://<host>/<account>/<container>/<blob>`.
 */
import { InputError } from '../../core/errors.js';
import { RemoteError, requestWithRetry, type RetryPolicy } from './retry.js';

export interface SasOptions {
  /** The token endpoint; a token is asked at `<tokenUrl>/<account>/<container>` (ARCHEO_PC_SAS_URL). */
  tokenUrl: string;
  /** Host patterns (`host` or `host:port`, `*` for any run of characters) whose hrefs are signed (ARCHEO_SAS_HOSTS). */
  hosts: string[];
  /** A cached token with less than this left is fetched anew. */
  marginMs: number;
  /** A Planetary Computer subscription key (PC_SDK_SUBSCRIPTION_KEY), sent as `Ocp-Apim-Subscription-Key`. */
  subscriptionKey?: string | undefined;
}

export const defaultSasOptions: SasOptions = {
  tokenUrl: 'https://planetarycomputer.microsoft.com/api/sas/v1/token',
  hosts: ['*.blob.core.windows.net'],
  marginMs: 5 * 60_000,
};

/** Whether `host` (a URL's `host`: name, and `:port` when given) matches one of `patterns`. */
export function matchesHost(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase();
  return patterns.some((p) => {
    const re = p
      .toLowerCase()
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*');
    return new RegExp(`^${re}$`).test(h);
  });
}

/** The storage account and container of a blob URL, or undefined when the path has no container. */
export function blobContainer(url: URL): { account: string; container: string } | undefined {
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const virtual = /^([a-z0-9]+)\.blob\./i.exec(url.hostname);
  const [account, container] = virtual ? [virtual[1], segments[0]] : [segments[0], segments[1]];
  // The blob itself must follow the container: a bare container is not a file.
  const blobs = segments.length - (virtual ? 1 : 2);
  return account && container && blobs > 0
    ? { account: decodeURIComponent(account), container: decodeURIComponent(container) }
    : undefined;
}

interface SasToken {
  /** The query string to append, without its `?`. */
  token: string;
  /** When the token stops working, ms since the epoch. */
  expiresAt: number;
}

interface CacheEntry {
  token: Promise<SasToken>;
  /** Known once the token has arrived. */
  expiresAt?: number;
}

export class SasSigner {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    readonly options: SasOptions = defaultSasOptions,
    private readonly policy?: RetryPolicy,
    /** The clock tokens' expiries are compared with (ms since the epoch). */
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether requests for `url` are signed: an http(s) URL on a listed host without a signature of its own. */
  applies(url: string): boolean {
    if (this.options.hosts.length === 0 || !/^https?:\/\//i.test(url)) return false;
    const u = new URL(url);
    return matchesHost(u.host, this.options.hosts) && !u.searchParams.has('sig');
  }

  /** `url` with a valid token appended (`?token` or `&token`); `url` itself when it is not signed. */
  async sign(url: string): Promise<string> {
    if (!this.applies(url)) return url;
    const target = blobContainer(new URL(url));
    if (!target) {
      throw new InputError(url, 'cannot sign: expected <account>/<container>/<blob> in a blob storage URL');
    }
    const { token } = await this.token(target.account, target.container);
    return `${url}${url.includes('?') ? '&' : '?'}${token}`;
  }

  /** The token URL of one account and container (what a failure names). */
  tokenUrl(account: string, container: string): string {
    return `${this.options.tokenUrl.replace(/\/+$/, '')}/${encodeURIComponent(account)}/${encodeURIComponent(container)}`;
  }

  /** The cached token of `account/container`, or a new one when it is missing or near its expiry. */
  private token(account: string, container: string): Promise<SasToken> {
    const key = `${account}/${container}`;
    const cached = this.cache.get(key);
    // A token still on its way is shared: concurrent tile requests ask the endpoint once.
    if (cached && (cached.expiresAt === undefined || cached.expiresAt - this.options.marginMs > this.now())) {
      return cached.token;
    }
    const entry: CacheEntry = { token: this.fetchToken(this.tokenUrl(account, container)) };
    this.cache.set(key, entry);
    entry.token.then(
      (t) => {
        entry.expiresAt = t.expiresAt;
      },
      () => {
        // A failed fetch is not cached: the next request asks again.
        if (this.cache.get(key) === entry) this.cache.delete(key);
      },
    );
    return entry.token;
  }

  private async fetchToken(url: string): Promise<SasToken> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.subscriptionKey) headers['ocp-apim-subscription-key'] = this.options.subscriptionKey;
    return requestWithRetry(
      url,
      () => ({ headers }),
      async (res) => {
        if (!res.ok) {
          await res.body?.cancel().catch(() => undefined);
          throw new RemoteError(
            url,
            `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}: no SAS token issued`,
            false,
          );
        }
        const text = await res.text();
        let doc: { token?: unknown; 'msft:expiry'?: unknown };
        try {
          doc = JSON.parse(text) as typeof doc;
        } catch {
          throw new RemoteError(url, `SAS token answer is not JSON (${JSON.stringify(text.slice(0, 40))}…)`, false);
        }
        const token = typeof doc?.token === 'string' ? doc.token.replace(/^\?/, '') : '';
        const expiry = typeof doc?.['msft:expiry'] === 'string' ? Date.parse(doc['msft:expiry']) : Number.NaN;
        if (token === '' || !Number.isFinite(expiry)) {
          throw new RemoteError(url, "SAS token answer lacks a 'token' or a readable 'msft:expiry'", false);
        }
        if (expiry <= this.now()) {
          // Not worth sending: every request would be refused (a clock far off, or a broken endpoint).
          throw new RemoteError(
            url,
            `SAS token expired on arrival (msft:expiry ${String(doc['msft:expiry'])}; is the clock right?)`,
            true,
          );
        }
        return { token, expiresAt: expiry };
      },
      this.policy ? { policy: this.policy } : {},
    );
  }
}
