/**
 * A STAC API for tests: a real HTTP server (node:http) on 127.0.0.1 serving items, item searches with
 * paging (GET next links, POST next links with a full body, POST next links with `merge: true`) and
 * injected faults (a status with Retry-After, a connection reset, a slow answer, a `next` link that repeats). Items are
 * built from the real Earth Search v1 item of the COG sample (samples/…/S2A_29RKH_20200219_0_L2A.json),
 * with the band hrefs pointing at the sample's local COGs, so scans run offline.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rkhSample } from './paths.js';

export type Item = {
  type: 'Feature';
  id: string;
  collection?: string;
  properties: Record<string, unknown>;
  assets: Record<string, { href: string; [k: string]: unknown }>;
  links: { rel: string; href: string }[];
  [k: string]: unknown;
};

/** The real Earth Search v1 item of the COG sample (baseline 02.14, boa_offset_applied false). */
export function sampleItem(): Item {
  return JSON.parse(readFileSync(join(rkhSample, 'S2A_29RKH_20200219_0_L2A.json'), 'utf8')) as Item;
}

/** Earth Search asset key → the sample's file name. */
const earthSearchFiles: Record<string, string> = {
  blue: 'B02.tif',
  green: 'B03.tif',
  red: 'B04.tif',
  rededge1: 'B05.tif',
  rededge2: 'B06.tif',
  rededge3: 'B07.tif',
  nir: 'B08.tif',
  nir08: 'B8A.tif',
  swir16: 'B11.tif',
  swir22: 'B12.tif',
  scl: 'SCL.tif',
};

/**
 * The sample item under another id, its band assets pointing at the sample's COGs (file:// URLs, or
 * absolute paths). Other assets keep their real (remote) hrefs; `coastal` and `nir09` (B01, B09: not in
 * the crop) are removed so that every band asset is readable.
 */
export function localItem(id: string, opts: { updated?: string; paths?: boolean; cloud?: number } = {}): Item {
  const item = sampleItem();
  item.id = id;
  for (const [key, file] of Object.entries(earthSearchFiles)) {
    const path = join(rkhSample, file);
    item.assets[key]!.href = opts.paths ? path : pathToFileURL(path).href;
  }
  delete item.assets['coastal'];
  delete item.assets['nir09'];
  if (opts.updated !== undefined) item.properties['updated'] = opts.updated;
  if (opts.cloud !== undefined) item.properties['eo:cloud_cover'] = opts.cloud;
  item.links = item.links.filter((l) => l.rel !== 'self');
  return item;
}

export interface Fault {
  /** Which requests: method and path prefix (`POST /search`, `GET /collections`). */
  match: string;
  /** How many matching requests get the fault (then the server answers normally). */
  times: number;
  status?: number;
  retryAfter?: string;
  /** Destroy the socket without an answer. */
  reset?: boolean;
  /** Answer normally, but only after this long (a slow server). */
  delayMs?: number;
}

export interface Logged {
  method: string;
  url: string;
  body: Record<string, unknown> | undefined;
  at: number;
}

export interface StacServerOptions {
  /** Items per page (the server's own limit; a smaller `limit` in the body wins). */
  pageSize?: number;
  /** How `next` links page: a GET href with a token, a POST with the full body, or a POST to merge. */
  paging?: 'get' | 'post' | 'post-merge';
  /** Every `next` link points at the first page's token: a server paging in a circle. */
  repeatNext?: boolean;
  /** Apply `query.eo:cloud_cover.lte` (a server that ignores the query extension otherwise). */
  honourQuery?: boolean;
}

/** A running STAC API. `items` may be changed between runs (an item updated, added, removed). */
export class StacServer {
  readonly log: Logged[] = [];
  faults: Fault[] = [];
  private searches = new Map<string, Record<string, unknown>>();
  private constructor(
    private server: Server,
    readonly url: string,
    public items: Item[],
    readonly opts: StacServerOptions,
  ) {}

  static async start(items: Item[], opts: StacServerOptions = {}): Promise<StacServer> {
    let self: StacServer | undefined;
    const server = createServer((req, res) => void self!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    self = new StacServer(server, `http://127.0.0.1:${port}/`, items, opts);
    return self;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  itemUrl(id: string): string {
    return `${this.url}collections/sentinel-2-l2a/items/${id}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const url = new URL(req.url ?? '/', this.url);
    this.log.push({ method: req.method ?? '', url: url.pathname + url.search, body, at: Date.now() });
    const fault = this.faults.find((f) => f.times > 0 && `${req.method} ${url.pathname}`.startsWith(f.match));
    if (fault?.delayMs !== undefined) {
      fault.times--;
      await new Promise((r) => setTimeout(r, fault.delayMs));
    } else if (fault) {
      fault.times--;
      if (fault.reset) {
        req.socket.destroy();
        return;
      }
      res.writeHead(fault.status ?? 503, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
      res.end('busy');
      return;
    }
    const send = (status: number, doc: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/geo+json', ...headers });
      res.end(JSON.stringify(doc));
    };
    const item = /^\/collections\/([^/]+)\/items\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && item) {
      const found = this.items.find((i) => i.id === decodeURIComponent(item[2]!));
      return found ? send(200, found, { etag: `"${found.id}-v1"` }) : send(404, { code: 'NotFound' });
    }
    if (url.pathname !== '/search') return send(404, { code: 'NotFound' });
    let search: Record<string, unknown>;
    if (req.method === 'POST') {
      search = body ?? {};
      // A merge link's body holds only the token: without the previous body merged in, the filters are lost.
      if (!Array.isArray(search['collections']))
        return send(400, { code: 'BadRequest', description: 'no collections' });
    } else {
      const token = url.searchParams.get('token');
      const kept = token === null ? undefined : this.searches.get(token);
      if (!kept) return send(400, { code: 'BadRequest', description: 'unknown token' });
      search = { ...kept, token: Number(token) };
    }
    const lte = (search['query'] as { 'eo:cloud_cover'?: { lte?: number } } | undefined)?.['eo:cloud_cover']?.lte;
    const matching = this.items.filter(
      (i) => !(this.opts.honourQuery && lte !== undefined && (i.properties['eo:cloud_cover'] as number) > lte),
    );
    const size = Math.min(this.opts.pageSize ?? 2, Number(search['limit'] ?? Infinity));
    const start = Number(search['token'] ?? 0);
    const features = matching.slice(start, start + size);
    const links: Record<string, unknown>[] = [];
    const nextToken = this.opts.repeatNext ? size : start + size;
    if (start + size < matching.length || this.opts.repeatNext) {
      const { token: _t, ...filters } = search;
      const paging = this.opts.paging ?? 'post-merge';
      if (paging === 'get') {
        this.searches.set(String(nextToken), filters);
        links.push({ rel: 'next', href: `/search?token=${nextToken}`, type: 'application/geo+json', method: 'GET' });
      } else if (paging === 'post') {
        links.push({ rel: 'next', href: `${this.url}search`, method: 'POST', body: { ...filters, token: nextToken } });
      } else {
        links.push({ rel: 'next', href: `${this.url}search`, method: 'POST', body: { token: nextToken }, merge: true });
      }
    }
    send(200, { type: 'FeatureCollection', features, links, numberReturned: features.length });
  }
}
