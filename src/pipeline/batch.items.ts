/**
 * The STAC inputs of a scan run as batch candidates: item URLs and local item `.json` files named on the
 * command line, and the items a search (`--stac`) finds, sorted by id. An item that cannot be fetched or
 * read becomes a candidate that fails (recorded in the state, transient or permanent), not a run that stops;
 * a search that fails stops the run (nothing to decide on).
 */
import { basename } from 'node:path';
import { createHash } from 'node:crypto';
import { sceneFolderName } from '../core/scene.name.js';
import type { Logger } from '../core/log.js';
import type { Scene } from '../io/scene/discover.js';
import type { RetryPolicy } from '../io/source/retry.js';
import { loadItem, sceneFromItem, type LoadedItem } from '../io/stac/stac.scene.js';
import { searchItems, type SearchQuery } from '../io/stac/stac.search.js';

export interface ItemCandidate {
  /** The item's URL or local path (for a search, its self link or the page it came on). */
  path: string;
  id: string;
  scene?: Scene;
  discoverError?: unknown;
  discoverSeconds: number;
  /** updated / ETag / content hash ('unavailable' when the item could not be read). */
  version: string;
}

/** A folder-safe id for an item that could not be read: the last path segment of its URL or file name. */
function fallbackId(input: string): string {
  const last = decodeURIComponent(basename(input.split(/[?#]/)[0]!).replace(/\.json$/i, ''));
  try {
    return sceneFolderName(last, input);
  } catch {
    return `item-${createHash('sha256').update(input).digest('hex').slice(0, 12)}`;
  }
}

async function candidateOf(path: string, load: () => Promise<LoadedItem>): Promise<ItemCandidate> {
  const t = performance.now();
  let loaded: LoadedItem | undefined;
  try {
    loaded = await load();
    const scene = await sceneFromItem(loaded);
    return { path, id: scene.id, scene, discoverSeconds: (performance.now() - t) / 1000, version: loaded.version };
  } catch (err) {
    let id = fallbackId(path);
    if (loaded) {
      try {
        id = sceneFolderName(loaded.item.id, path);
      } catch {
        // the id itself is the fault: the fallback names the record
      }
    }
    return {
      path,
      id,
      discoverError: err,
      discoverSeconds: (performance.now() - t) / 1000,
      version: loaded?.version ?? 'unavailable',
    };
  }
}

/** Candidates of the item inputs (in the order given) and of the search (sorted by id). */
export async function itemCandidates(
  inputs: string[],
  search: SearchQuery | undefined,
  policy: RetryPolicy,
  logger: Logger,
): Promise<ItemCandidate[]> {
  const out: ItemCandidate[] = [];
  for (const input of inputs) out.push(await candidateOf(input, () => loadItem(input, policy)));
  if (search) {
    const t = performance.now();
    const found = await searchItems(search, policy);
    logger.info(
      'Run:Search',
      {
        api: search.api,
        collection: search.collection,
        items: found.items.length,
        pages: found.pages,
        retries: found.retries,
        duplicates: found.duplicates,
        over_cloud: found.overCloud,
        seconds: Math.round(performance.now() - t) / 1000,
      },
      `search ${search.api}: ${found.items.length} item(s) in ${found.pages} page(s)`,
    );
    const sorted = [...found.items].sort((a, b) => (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0));
    for (const f of sorted) out.push(await candidateOf(f.location, async () => f));
  }
  return out;
}
