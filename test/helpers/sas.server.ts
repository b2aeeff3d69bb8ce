/**
 * A stand-in for the Planetary Computer SAS token endpoint (`GET /api/sas/v1/token/<account>/<container>`
 * → `{"token": "st=…&se=…&sp=rl&sr=c&sig=…", "msft:expiry": "…Z"}`), a real HTTP server, and the check
 * a blob store makes of each request: a `sig` this endpoint issued for that container, not yet expired
 * (`blobFault`, a RangeServer fault hook: a missing, unknown, foreign or expired token is a 403 as Azure
 * answers it). Both read the same clock, which a test may move forward to see tokens expire.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultAction } from './range.server.js';

export interface IssuedToken {
  account: string;
  container: string;
  sig: string;
  expiresAt: number;
}

export class SasTokenServer {
  readonly issued: IssuedToken[] = [];
  /** Requests to the blob store and what the check said: the token's sig, or why it was refused. */
  readonly checked: { path: string; sig: string | null; ok: boolean }[] = [];
  /** How long a token lives. */
  lifetimeMs = 60 * 60_000;
  /** Statuses to answer the next token requests with, in turn (e.g. [503] then a token). */
  failures: number[] = [];
  /** Issue tokens that expired already (a broken endpoint or a clock far off). */
  issueExpired = false;

  private constructor(
    private readonly server: Server,
    readonly tokenUrl: string,
    /** The clock of the endpoint and of the blob store's check (ms since the epoch). */
    readonly now: () => number,
  ) {}

  static async start(now: () => number = Date.now): Promise<SasTokenServer> {
    let self: SasTokenServer | undefined;
    const server = createServer((req, res) => {
      const m = /^\/api\/sas\/v1\/token\/([^/]+)\/([^/?]+)$/.exec(req.url ?? '');
      const failure = self!.failures.shift();
      if (failure !== undefined || !m) {
        res.writeHead(failure ?? 404, { 'content-type': 'application/json' });
        res.end('{"message":"no"}');
        return;
      }
      const token: IssuedToken = {
        account: decodeURIComponent(m[1]!),
        container: decodeURIComponent(m[2]!),
        sig: `s${self!.issued.length + 1}x${Math.random().toString(36).slice(2, 10)}`,
        expiresAt: self!.issueExpired ? self!.now() - 1000 : self!.now() + self!.lifetimeMs,
      };
      self!.issued.push(token);
      const se = new Date(token.expiresAt).toISOString().replace(/\.\d{3}/, '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          // The shape of a real token: start, expiry, permissions, version, resource, signature.
          token: `st=${new Date(self!.now()).toISOString().replace(/\.\d{3}/, '')}&se=${encodeURIComponent(se)}&sp=rl&sv=2021-06-08&sr=c&skoid=x&sig=${token.sig}`,
          'msft:expiry': se,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new SasTokenServer(server, `http://127.0.0.1:${port}/api/sas/v1/token`, now);
    return self;
  }

  /**
   * The blob store's check of a request for `/<account>/<container>/<blob>` (IP-style, as Azurite lays
   * it out): a 403 unless it carries the sig of a token issued for that container that has not expired.
   */
  readonly blobFault = (req: IncomingMessage): FaultAction | undefined => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [account, container] = url.pathname.split('/').filter((s) => s !== '');
    const sig = url.searchParams.get('sig');
    const token = this.issued.find((t) => t.sig === sig);
    const ok =
      token !== undefined && token.account === account && token.container === container && this.now() < token.expiresAt;
    this.checked.push({ path: url.pathname, sig, ok });
    return ok ? undefined : { status: 403, headers: { 'x-ms-error-code': 'AuthenticationFailed' } };
  };

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
