/**
 * A STAC item as a scene: loaded from a URL (through stac.http.ts) or a local `.json` file, its band
 * assets resolved against the item's own location, its version (updated / ETag) kept for the state.
 *
 * Asset hrefs that are local paths, relative paths or `file://` URLs are read as local files; `http://`,
 * `https://` and `s3://` hrefs are read where they live, by byte range (src/io/source/, docs/remote.md).
 * Other schemes are left out with a warning.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../core/errors.js';
import type { BandId } from '../../core/bands.js';
import { sceneFolderName } from '../../core/scene.name.js';
import { bands } from '../scene/bands.js';
import { isRemoteHref } from '../source/byte.source.js';
import { requireRegularFile, type BandFile, type Scene } from '../scene/discover.js';
import type { Fingerprint } from '../scene/fingerprint.js';
import type { RetryPolicy } from '../source/retry.js';
import { fetchJson } from './stac.http.js';
import { asStacItem, bandAssets, itemMetadata, itemVersion, type BandAsset, type StacItem } from './stac.item.js';

/** A STAC item JSON larger than this is not one (an Earth Search item is about 20 kB). */
const MAX_ITEM_BYTES = 16 * 1024 * 1024;

export interface LoadedItem {
  item: StacItem;
  /** Where the item was read: its URL or local path (relative hrefs resolve against it). */
  location: string;
  /** updated / ETag / content hash: what the state compares between runs. */
  version: string;
}

/** Whether a scan input names a STAC item (a URL, or a local `.json` file) rather than a folder. */
export function isItemInput(input: string): boolean {
  return /^https?:\/\//i.test(input) || /\.json$/i.test(input);
}

/** A STAC item from a URL (retried per `policy`) or a local .json file; anything else is an InputError. */
export async function loadItem(input: string, policy: RetryPolicy): Promise<LoadedItem> {
  let doc: unknown;
  let etag: string | undefined;
  if (/^https?:\/\//i.test(input)) {
    const res = await fetchJson(input, {}, policy);
    doc = res.json;
    etag = res.etag;
  } else {
    await requireRegularFile(input, 'a STAC item');
    const size = (await stat(input)).size;
    if (size > MAX_ITEM_BYTES) throw new InputError(input, `is ${size} bytes: too large for a STAC item`);
    try {
      doc = JSON.parse(await readFile(input, 'utf8'));
    } catch (err) {
      throw new InputError(input, `is not JSON (${(err as Error).message.split('\n')[0]})`);
    }
  }
  const item = asStacItem(doc, input);
  if (!item) throw new InputError(input, 'is not a STAC item (expected a GeoJSON Feature with properties)');
  if (item.id === '') throw new InputError(input, 'STAC item has no id');
  return { item, location: input, version: itemVersion(item, etag) };
}

/** Where an asset lives: a local path, or a remote URL (https, s3) for the byte-range source. */
export function assetLocation(href: string, base: string): { local: string } | { remote: string } {
  if (/^file:/i.test(href)) return { local: fileURLToPath(href) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(href)) return { remote: href };
  if (isAbsolute(href)) return { local: href };
  // Relative: against the item's URL (which may itself be remote or file://) or its folder.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(base)) return assetLocation(new URL(href, base).href, '');
  return { local: resolve(dirname(base), href) };
}

/** The scene of a loaded item: id checked as a folder name, local band files checked as regular files. */
export async function sceneFromItem(loaded: LoadedItem): Promise<Scene> {
  const { item, location } = loaded;
  const id = sceneFolderName(item.id, location);
  const metadata = itemMetadata(item, location);
  const warnings = [...(metadata.warnings ?? [])];
  const found = new Map<BandId, BandFile[]>();
  const remote: string[] = [];
  for (const [band, asset] of Object.entries(bandAssets(item)) as [BandId, BandAsset][]) {
    const at = assetLocation(asset.href, location);
    if ('remote' in at) {
      // COGs by byte range; a remote JPEG 2000 would be a whole download (band.open.ts refuses it): left out.
      const cog = isRemoteHref(at.remote) && !/\.jp2([?#]|$)/i.test(at.remote);
      if (cog) found.set(band, [{ band, path: at.remote, resolution: bands[band].resolution }]);
      else remote.push(`${band} (${asset.key}: ${at.remote})`);
      continue;
    }
    found.set(band, [{ band, path: at.local, resolution: bands[band].resolution }]);
  }
  if (found.size === 0) {
    throw new InputError(
      location,
      remote.length
        ? `no band asset archeo can read (${remote[0]}…): band hrefs must be local paths, file:// URLs, or COGs over http(s):// or s3://`
        : 'STAC item has no Sentinel-2 band assets (expected keys such as red, nir, scl or B04, B08, SCL)',
    );
  }
  if (remote.length)
    warnings.push(
      `${location}: band assets left out (archeo reads local paths, file:// URLs, and COGs over http(s):// and s3://): ${remote.join(', ')}`,
    );
  for (const list of found.values())
    for (const f of list) if (!isRemoteHref(f.path)) await requireRegularFile(f.path, 'a band file');
  return { id, path: location, layout: 'stac', bands: found, metadata, metadataPath: location, warnings };
}

/**
 * The fingerprint of an item scene for the state: its version (updated / ETag / content hash) and, for
 * local files, the item JSON and band files by path, size and mtime (a re-downloaded band is noticed).
 */
export async function fingerprintItem(version: string, scene: Scene | undefined): Promise<Fingerprint> {
  const files: [string, number, number][] = [];
  // Remote bands are covered by the version (their ETags are checked while they are read).
  const local = scene
    ? [...scene.bands.values()]
        .flat()
        .map((f) => f.path)
        .filter((p) => !isRemoteHref(p))
    : [];
  if (scene && !/^[a-z][a-z0-9+.-]*:\/\//i.test(scene.path)) local.unshift(scene.path);
  for (const path of local) {
    const s = await stat(path);
    files.push([path, s.size, Math.round(s.mtimeMs)]);
  }
  const hash = createHash('sha256').update(JSON.stringify({ version, files })).digest('hex');
  return { hash, files };
}
