/**
 * A STAC API item search (`POST <root>/search`), page by page. Paging follows the API's `next` link:
 * a GET href, or a POST with a body (`merge: true` merges it into the previous body, otherwise it
 * replaces it) and headers. The search stops at an empty page, a page without `next`, or `maxItems`. A
 * `next` that asks for a request already made is an error naming the URL: a server paging in a circle
 * would otherwise keep a cron job busy forever.
 */
import { RemoteError, type RetryPolicy } from '../source/retry.js';
import { fetchJson } from './stac.http.js';
import { asStacItem, itemVersion, type StacItem, type StacLink } from './stac.item.js';

export interface SearchQuery {
  /** The API root (landing page), e.g. https://earth-search.aws.element84.com/v1. */
  api: string;
  collection: string;
  /** west, south, east, north in degrees. */
  bbox?: [number, number, number, number];
  /** RFC 3339 instant or interval (`2024-06-01/2024-06-30`, `../2024-01-01`). */
  datetime?: string;
  /** Items with eo:cloud_cover above this (or without it) are left out. */
  maxCloud?: number;
  maxItems?: number;
  /** Items asked per page. */
  limit?: number;
}

export interface FoundItem {
  item: StacItem;
  /** The item's self link (http or file) when it has one, else its URL under the API root: relative hrefs resolve against it. */
  location: string;
  version: string;
}

export interface SearchResult {
  items: FoundItem[];
  pages: number;
  /** Requests retried and time waited on them, over every page. */
  retries: number;
  waitedMs: number;
  /** Items dropped: repeated on a later page, or above --max-cloud (the server may ignore `query`). */
  duplicates: number;
  overCloud: number;
}

/** The first page's request body: STAC API item search, with the query extension for cloud cover. */
export function searchBody(q: SearchQuery): Record<string, unknown> {
  return {
    collections: [q.collection],
    ...(q.bbox ? { bbox: q.bbox } : {}),
    ...(q.datetime ? { datetime: q.datetime } : {}),
    ...(q.maxCloud !== undefined ? { query: { 'eo:cloud_cover': { lte: q.maxCloud } } } : {}),
    limit: Math.min(q.limit ?? 100, q.maxItems ?? Infinity),
  };
}

interface Request {
  url: string;
  method: 'GET' | 'POST';
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** The request a `next` link asks for, resolved against the page's URL; undefined when there is none. */
export function nextRequest(links: unknown, prev: Request, pageUrl: string): Request | undefined {
  if (!Array.isArray(links)) return undefined;
  const next = (links as StacLink[]).find((l) => l && l.rel === 'next' && typeof l.href === 'string');
  if (!next) return undefined;
  const url = new URL(next.href as string, pageUrl).href;
  const method = typeof next.method === 'string' && next.method.toUpperCase() === 'POST' ? 'POST' : 'GET';
  const headers =
    next.headers && typeof next.headers === 'object'
      ? Object.fromEntries(Object.entries(next.headers as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
      : undefined;
  if (method === 'GET') return { url, method, headers };
  const body = next.body && typeof next.body === 'object' ? (next.body as Record<string, unknown>) : undefined;
  // STAC API: merge true → the link's body over the previous one; false (default) → the link's body alone.
  const merged = next.merge === true ? { ...(prev.body ?? {}), ...(body ?? {}) } : (body ?? prev.body ?? {});
  return { url, method, body: merged, headers };
}

const requestKey = (r: Request): string => `${r.method} ${r.url} ${r.body ? JSON.stringify(r.body) : ''}`;

/** Runs the search to its end (module comment) and returns the items in the API's order, deduplicated by id. */
export async function searchItems(
  q: SearchQuery,
  policy: RetryPolicy,
  onPage?: (page: number, items: number) => void,
): Promise<SearchResult> {
  const root = q.api.endsWith('/') ? q.api : `${q.api}/`;
  let req: Request | undefined = { url: new URL('search', root).href, method: 'POST', body: searchBody(q) };
  const seen = new Set<string>();
  const ids = new Set<string>();
  const result: SearchResult = { items: [], pages: 0, retries: 0, waitedMs: 0, duplicates: 0, overCloud: 0 };
  const max = q.maxItems ?? Infinity;
  while (req && result.items.length < max) {
    const key = requestKey(req);
    const where = req.method === 'POST' ? `POST ${req.url}` : req.url;
    if (seen.has(key))
      throw new RemoteError(
        where,
        `the 'next' link repeats a page already read (page ${result.pages + 1}): paging loop`,
        false,
      );
    seen.add(key);
    const res = await fetchJson(req.url, { method: req.method, body: req.body, headers: req.headers }, policy);
    result.pages++;
    result.retries += res.retries;
    result.waitedMs += res.waitedMs;
    const page = res.json as { type?: unknown; features?: unknown; links?: unknown } | null;
    if (!page || typeof page !== 'object' || !Array.isArray(page.features))
      throw new RemoteError(where, 'answer is not a STAC ItemCollection (no features array)', false);
    if (page.features.length === 0) break;
    for (const doc of page.features) {
      const item = asStacItem(doc, where);
      if (!item || item.id === '')
        throw new RemoteError(where, 'a feature of the page is not a STAC item with an id', false);
      if (ids.has(item.id)) {
        result.duplicates++;
        continue;
      }
      const cloud = item.properties['eo:cloud_cover'];
      if (q.maxCloud !== undefined && !(typeof cloud === 'number' && cloud <= q.maxCloud)) {
        result.overCloud++;
        continue;
      }
      ids.add(item.id);
      const self = item.links?.find((l) => l?.rel === 'self' && typeof l.href === 'string')?.href as string | undefined;
      // An s3:// self link (Earth Search) is not where the JSON was served from: the item's API URL is.
      const collection = typeof item.collection === 'string' ? item.collection : q.collection;
      const location =
        self && /^(https?|file):/i.test(self)
          ? self
          : new URL(`collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(item.id)}`, root).href;
      result.items.push({ item, location, version: itemVersion(item) });
      if (result.items.length >= max) break;
    }
    onPage?.(result.pages, result.items.length);
    req = nextRequest(page.links, req, req.url);
  }
  return result;
}
