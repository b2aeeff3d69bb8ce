/**
 * `archeo search`: the items a STAC search finds, one row each — id, date, cloud cover, MGRS tile,
 * processing baseline, version — in the API's order.
 */
import type { RetryPolicy } from '../io/source/retry.js';
import { itemTile } from '../io/stac/stac.item.js';
import { searchItems, type SearchQuery } from '../io/stac/stac.search.js';

export interface SearchRow {
  id: string;
  datetime: string | null;
  cloud_cover: number | null;
  tile: string | null;
  baseline: string | null;
  /** What the state of a scan compares between runs (updated time, else a content hash). */
  version: string;
  url: string;
}

export interface SearchListing {
  items: SearchRow[];
  pages: number;
  retries: number;
  duplicates: number;
  over_cloud: number;
}

export async function runSearch(query: SearchQuery, policy: RetryPolicy): Promise<SearchListing> {
  const found = await searchItems(query, policy);
  const items = found.items.map(({ item, location, version }) => {
    const p = item.properties;
    return {
      id: item.id,
      datetime: typeof p['datetime'] === 'string' ? p['datetime'] : null,
      cloud_cover: typeof p['eo:cloud_cover'] === 'number' ? p['eo:cloud_cover'] : null,
      tile: itemTile(item) ?? null,
      baseline: typeof p['s2:processing_baseline'] === 'string' ? p['s2:processing_baseline'] : null,
      version,
      url: location,
    };
  });
  return {
    items,
    pages: found.pages,
    retries: found.retries,
    duplicates: found.duplicates,
    over_cloud: found.overCloud,
  };
}
