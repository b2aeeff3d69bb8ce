/**
 * The STAC search flags `archeo scan` and `archeo search` share (--stac, --collection, --bbox, --datetime,
 * --max-cloud, --max-items, --retries) and their parsers: each fault is a UsageError naming the flag.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { LonLatBox } from '../core/types.js';
import { defaultRetryPolicy, type RetryPolicy } from '../io/source/retry.js';
import type { SearchQuery } from '../io/stac/stac.search.js';
import { parseIntFlag, parseNumberFlag } from './options.js';

export interface StacFlags {
  stac?: string;
  collection?: string;
  bbox?: string;
  datetime?: string;
  maxCloud?: string;
  maxItems?: string;
  retries?: string;
}

export const defaultCollection = 'sentinel-2-l2a';

export function addStacFlags(command: Command): Command {
  return command
    .option(
      '--stac <url>',
      'a STAC API root (e.g. https://earth-search.aws.element84.com/v1) to search for items (--aoi also limits the search)',
    )
    .option('--collection <id>', `STAC collection searched (default ${defaultCollection})`)
    .option('--bbox <W,S,E,N>', 'search only items intersecting this lon/lat box')
    .option('--datetime <A/B>', 'search only items in this time (2024-06-01/2024-06-30, 2024-06-01, ../2024-01-01)')
    .option('--max-cloud <pct>', 'search only items with eo:cloud_cover at most this')
    .option('--max-items <n>', 'stop the search after this many items')
    .option(
      '--retries <n>',
      `retries of a STAC request on 408/429/5xx/resets/timeouts (default ${defaultRetryPolicy.attempts - 1}; ARCHEO_HTTP_ATTEMPTS for all requests)`,
    );
}

/** A lon/lat box `W,S,E,N` (min < max). */
export function parseBbox(flag: string, value: string): [number, number, number, number] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length !== 4 || parts.some((p) => p === '' || !Number.isFinite(Number(p))))
    throw new UsageError(`${flag} ${value}: expected W,S,E,N in degrees`);
  const [w, s, e, n] = parts.map(Number) as [number, number, number, number];
  if (w >= e || s >= n) throw new UsageError(`${flag} ${value}: expected W < E and S < N`);
  if (w < -180 || e > 180 || s < -90 || n > 90)
    throw new UsageError(`${flag} ${value}: longitudes must be within ±180 and latitudes within ±90`);
  return [w, s, e, n];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * `--datetime` as STAC wants it (RFC 3339 instants, `..` for an open end). Plain dates are whole days in
 * UTC: `2024-06-01` is that day, `A/B` runs from the start of A to the end of B.
 */
export function parseDatetime(value: string): string {
  const sides = value.split('/');
  if (sides.length > 2) throw new UsageError(`--datetime ${value}: expected A, A/B, ../B or A/..`);
  const side = (s: string, end: boolean): string => {
    const t = s.trim();
    if (t === '..' || (t === '' && sides.length === 2)) return '..';
    if (DATE.test(t) && Number.isFinite(Date.parse(t))) return `${t}T${end ? '23:59:59.999' : '00:00:00'}Z`;
    if (DATETIME.test(t) && Number.isFinite(Date.parse(t))) return t;
    throw new UsageError(`--datetime ${value}: '${t}' is not a date (YYYY-MM-DD) or an RFC 3339 date-time`);
  };
  if (sides.length === 1) {
    const t = sides[0]!.trim();
    return DATE.test(t) ? `${side(t, false)}/${side(t, true)}` : side(t, false);
  }
  const [a, b] = [side(sides[0]!, false), side(sides[1]!, true)];
  if (a === '..' && b === '..') throw new UsageError(`--datetime ${value}: both ends open`);
  if (a !== '..' && b !== '..' && Date.parse(a) > Date.parse(b))
    throw new UsageError(`--datetime ${value}: the start is after the end`);
  return `${a}/${b}`;
}

/**
 * The retry policy of STAC requests: the run's HTTP policy (`base`, from ARCHEO_HTTP_*), with --retries
 * setting its attempts (retries + the first).
 */
export function parseRetryPolicy(flags: StacFlags, base: RetryPolicy = defaultRetryPolicy): RetryPolicy {
  return flags.retries === undefined
    ? base
    : { ...base, attempts: parseIntFlag('--retries', flags.retries, 0, 20) + 1 };
}

/** The search the flags describe, or undefined without --stac (then the other search flags are refused). */
export function parseStacSearch(flags: StacFlags, aoi: LonLatBox | undefined): SearchQuery | undefined {
  if (flags.stac === undefined) {
    const stray = (
      [
        ['--collection', flags.collection],
        ['--bbox', flags.bbox],
        ['--datetime', flags.datetime],
        ['--max-cloud', flags.maxCloud],
        ['--max-items', flags.maxItems],
      ] as const
    ).find(([, v]) => v !== undefined);
    if (stray) throw new UsageError(`${stray[0]} ${stray[1]}: only with --stac <API root URL>`);
    return undefined;
  }
  let api: URL;
  try {
    api = new URL(flags.stac);
  } catch {
    throw new UsageError(`--stac ${flags.stac}: expected the URL of a STAC API root (http or https)`);
  }
  if (api.protocol !== 'http:' && api.protocol !== 'https:')
    throw new UsageError(`--stac ${flags.stac}: expected an http or https URL`);
  if (flags.bbox !== undefined && aoi !== undefined)
    throw new UsageError(`--bbox ${flags.bbox}: give --bbox or --aoi, not both (--aoi also limits the search)`);
  const bbox =
    flags.bbox !== undefined
      ? parseBbox('--bbox', flags.bbox)
      : aoi
        ? ([aoi.west, aoi.south, aoi.east, aoi.north] as [number, number, number, number])
        : undefined;
  let maxCloud: number | undefined;
  if (flags.maxCloud !== undefined) {
    maxCloud = parseNumberFlag('--max-cloud', flags.maxCloud);
    if (maxCloud < 0 || maxCloud > 100)
      throw new UsageError(`--max-cloud ${flags.maxCloud}: expected 0 to 100 (percent)`);
  }
  const collection = (flags.collection ?? defaultCollection).trim();
  if (!collection) throw new UsageError('--collection: expected a collection id');
  return {
    api: api.href,
    collection,
    bbox,
    datetime: flags.datetime === undefined ? undefined : parseDatetime(flags.datetime),
    maxCloud,
    maxItems: flags.maxItems === undefined ? undefined : parseIntFlag('--max-items', flags.maxItems, 1),
  };
}
