/**
 * A real HTTP server for remote-read tests and the remote benchmark: serves the files of a folder with
 * single Range requests (206 + Content-Range, ETag, If-Match → 412), counts requests and body bytes,
 * and injects faults on demand: a status with headers (503 + Retry-After), a reset connection, a reset
 * mid-body, a delay (a slow server), a changed ETag, or no Range support at all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { open, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export type FaultAction =
  | { status: number; headers?: Record<string, string> }
  | { reset: true }
  | { resetMidBody: true }
  | { delayMs: number };

export interface ServedRequest {
  method: string;
  path: string;
  range: string | undefined;
  status: number;
  /** Body bytes sent. */
  bytes: number;
}

export interface RangeServerOptions {
  /** Answer every GET with 200 and the whole file (a server without Range support). */
  noRange?: boolean;
  /** Called for each request with the 0-based number of requests seen so far for that path. */
  fault?: (req: IncomingMessage, n: number) => FaultAction | undefined;
  /** The ETag of a file at the n-th request of its path (default: from size and mtime). */
  etag?: (path: string, n: number) => string;
}

export class RangeServer {
  readonly requests: ServedRequest[] = [];
  private readonly seen = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly root: string,
    readonly base: string,
  ) {}

  static async start(root: string, opts: RangeServerOptions = {}): Promise<RangeServer> {
    let self: RangeServer | undefined;
    const server = createServer((req, res) => {
      self!.handle(req, res, opts).catch(() => res.destroy());
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new RangeServer(server, root, `http://127.0.0.1:${port}`);
    return self;
  }

  /** Serves `root` for the length of `fn`, closed whatever `fn` does. */
  static async serving<T>(root: string, opts: RangeServerOptions, fn: (s: RangeServer) => Promise<T>): Promise<T> {
    const s = await RangeServer.start(root, opts);
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  }

  url(name: string): string {
    return `${this.base}/${name}`;
  }

  /** Body bytes and requests served (all paths, or one). */
  totals(path?: string): { bytes: number; requests: number } {
    const list = path ? this.requests.filter((r) => r.path === path) : this.requests;
    return { bytes: list.reduce((a, r) => a + r.bytes, 0), requests: list.length };
  }

  reset(): void {
    this.requests.length = 0;
    this.seen.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, opts: RangeServerOptions): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const n = this.seen.get(path) ?? 0;
    this.seen.set(path, n + 1);
    const record: ServedRequest = { method: req.method ?? 'GET', path, range: req.headers.range, status: 0, bytes: 0 };
    this.requests.push(record);
    const fault = opts.fault?.(req, n);
    if (fault && 'delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault && 'reset' in fault) {
      record.status = -1;
      req.socket.destroy();
      return;
    }
    if (fault && 'status' in fault) {
      record.status = fault.status;
      res.writeHead(fault.status, fault.headers ?? {});
      res.end();
      return;
    }
    const file = normalize(join(this.root, path));
    let size: number;
    let mtime: number;
    try {
      const s = await stat(file);
      if (!s.isFile() || !file.startsWith(normalize(this.root))) throw new Error('not a file');
      size = s.size;
      mtime = s.mtimeMs;
    } catch {
      record.status = 404;
      res.writeHead(404, { 'content-length': 0 });
      res.end();
      return;
    }
    const etag = opts.etag ? opts.etag(path, n) : `"${size.toString(16)}-${Math.round(mtime).toString(16)}"`;
    const ifMatch = req.headers['if-match'];
    if (!opts.noRange && ifMatch && ifMatch !== etag) {
      record.status = 412;
      res.writeHead(412, { etag, 'content-length': 0 });
      res.end();
      return;
    }
    let start = 0;
    let end = size - 1;
    let status = 200;
    const m = opts.noRange ? null : /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (m) {
      if (m[1] === '') {
        start = Math.max(0, size - Number(m[2]));
      } else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(size - 1, Number(m[2]));
      }
      if (start >= size || start > end) {
        record.status = 416;
        res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': 0 });
        res.end();
        return;
      }
      status = 206;
    }
    const length = end - start + 1;
    const headers: Record<string, string | number> = {
      'content-length': length,
      'content-type': 'image/tiff',
      etag,
      'last-modified': new Date(mtime).toUTCString(),
    };
    if (!opts.noRange) headers['accept-ranges'] = 'bytes';
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    record.status = status;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const fh = await open(file, 'r');
    try {
      const chunk = 1 << 16;
      for (let at = start; at <= end; at += chunk) {
        const n2 = Math.min(chunk, end - at + 1);
        const buf = Buffer.alloc(n2);
        await fh.read(buf, 0, n2, at);
        if (fault && 'resetMidBody' in fault && at + n2 > start + length / 2) {
          record.bytes += Math.floor(n2 / 2);
          res.write(buf.subarray(0, Math.floor(n2 / 2)));
          await new Promise((r) => setTimeout(r, 10));
          req.socket.destroy();
          return;
        }
        record.bytes += n2;
        // A client that hangs up mid-body never drains: wait for either, and stop (closing the file).
        if (!res.write(buf))
          await new Promise<void>((r) => {
            const done = (): void => {
              res.off('drain', done);
              res.off('close', done);
              r();
            };
            res.once('drain', done);
            res.once('close', done);
          });
        if (res.destroyed) return;
      }
      res.end();
    } finally {
      await fh.close();
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
