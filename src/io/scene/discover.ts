/**
 * Scene discovery. Two layouts (product.md, "Scan: inputs"):
 * - COG folder: one GeoTIFF per band named by band id or Earth Search asset key, any case, with an
 *   optional STAC item JSON;
 * - SAFE product: GRANULE/<granule>/IMG_DATA/R10m|R20m|R60m/*_<band>_<res>m.jp2 with MTD_MSIL2A.xml.
 * A folder that is neither is walked for scenes below it.
 */
import { readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InputError } from '../../core/errors.js';
import type { BandId } from '../../core/bands.js';
import { sceneFolderName } from '../../core/scene.name.js';
import { isRemoteHref } from '../source/byte.source.js';
import { bandFromName, bands } from './bands.js';
import {
  metadataFromName,
  offsetForBaseline,
  readSafeMetadata,
  uniformOffsets,
  type SceneMetadata,
} from './metadata.js';
import { readStacItem } from '../stac/stac.item.js';

export interface BandFile {
  band: BandId;
  path: string;
  /** Resolution class of this file in metres (10, 20, 60): the SAFE folder, or the band's native one. */
  resolution: number;
}

export interface Scene {
  id: string;
  path: string;
  /** A COG folder, a SAFE product, or a STAC item (a URL or a local .json; io/stac/stac.scene.ts). */
  layout: 'cog' | 'safe' | 'stac';
  /** Files per band, finest resolution first. */
  bands: Map<BandId, BandFile[]>;
  metadata: SceneMetadata;
  /** The metadata file read (MTD_MSIL2A.xml or STAC item, a path or a URL), if any. */
  metadataPath: string | undefined;
  /** Things the user should know (assumed offsets, extra granules). */
  warnings: string[];
}

const TIFF_EXT = /^\.tiff?$/i;
/** Folder names of Sentinel-2 products and Earth Search items (S2A_…, S2B_MSIL2A_…). */
const PRODUCT_NAME = /^S2[A-D]_/i;
const JP2_BAND = /_(B0[1-9]|B1[0-2]|B8A|SCL)_(10|20|60)m\.jp2$/i;

async function entries(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  const list = await readdir(dir, { withFileTypes: true });
  return list
    .map((d) => ({ name: d.name, isDir: d.isDirectory() }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** What a path is, in words, when it is not a regular file (stat follows links and opens nothing). */
function kindName(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Refuses anything but a regular file (a folder, FIFO, socket or device named like a band or a metadata
 * file) with one line naming it — before anything opens it: opening a FIFO would block forever.
 */
export async function requireRegularFile(path: string, what: string): Promise<void> {
  let s: Stats;
  try {
    s = await stat(path);
  } catch (err) {
    throw new InputError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!s.isFile()) throw new InputError(path, `is ${kindName(s)}, not ${what}`);
}

async function kindOf(dir: string): Promise<'safe' | 'cog' | undefined> {
  const list = await entries(dir);
  if (/\.SAFE$/i.test(dir) || list.some((e) => !e.isDir && e.name === 'MTD_MSIL2A.xml')) return 'safe';
  // A folder or FIFO named like a band still makes a scene: discovery then refuses it, naming it.
  if (list.some((e) => TIFF_EXT.test(extname(e.name)) && bandFromName(basename(e.name, extname(e.name))))) return 'cog';
  const tiffs = list.filter((e) => !e.isDir && TIFF_EXT.test(extname(e.name)));
  // GeoTIFFs named otherwise, next to a JSON (a STAC item naming them): discoverCog decides.
  if (tiffs.length && list.some((e) => !e.isDir && /\.json$/i.test(e.name))) return 'cog';
  // A STAC item alone whose band assets are URLs: the scene is read where it lives (io/source).
  for (const e of list) {
    if (e.isDir || !/\.json$/i.test(e.name)) continue;
    const item = await readStacItem(join(dir, e.name)).catch(() => undefined);
    if (Object.values(item?.assetHrefs ?? {}).some((h) => isRemoteHref(h))) return 'cog';
  }
  return undefined;
}

/**
 * Scene folders at or below `root`, in a stable (sorted) order. A missing path, or a folder holding no
 * scene at all, is an InputError naming it.
 */
export async function findScenes(root: string): Promise<string[]> {
  let info: Stats;
  try {
    info = await stat(root);
  } catch {
    throw new InputError(root, 'path not found');
  }
  if (!info.isDirectory()) throw new InputError(root, 'not a folder (a scene is a COG folder or a .SAFE product)');
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    if (await kindOf(dir)) {
      found.push(dir);
      return; // a scene's own sub-folders are not scenes
    }
    const list = await entries(dir);
    // A folder named like a Sentinel-2 product but holding no bands (a failed download, say) is listed
    // too: processing it fails with the reason, which the state and run report record.
    if (dir !== root && PRODUCT_NAME.test(basename(dir)) && !list.some((e) => e.isDir)) {
      found.push(dir);
      return;
    }
    for (const e of list) {
      if (e.isDir && !e.name.startsWith('.') && e.name !== 'node_modules') await walk(join(dir, e.name));
    }
  };
  await walk(root);
  if (found.length === 0)
    throw new InputError(root, 'no Sentinel-2 bands found (expected B04.tif-style GeoTIFFs or a .SAFE product)');
  return found;
}

export async function discoverScene(dir: string): Promise<Scene> {
  const kind = await kindOf(dir);
  if (kind === 'safe') return discoverSafe(dir);
  if (kind === 'cog') return discoverCog(dir);
  throw new InputError(dir, 'no Sentinel-2 bands found (expected B04.tif-style GeoTIFFs or a .SAFE product)');
}

async function discoverCog(dir: string): Promise<Scene> {
  const warnings: string[] = [];
  const list = await entries(dir);
  let metadata: SceneMetadata | undefined;
  let metadataPath: string | undefined;
  for (const e of list) {
    if (e.isDir || !/\.json$/i.test(e.name)) continue;
    await requireRegularFile(join(dir, e.name), 'a metadata file');
    const item = await readStacItem(join(dir, e.name));
    if (item) {
      metadata = item;
      metadataPath = join(dir, e.name);
      warnings.push(...(item.warnings ?? []));
      break;
    }
  }
  const found = new Map<BandId, BandFile[]>();
  for (const e of list) {
    if (!TIFF_EXT.test(extname(e.name))) continue; // a folder named B04.tif is a band file, refused below
    const band = bandFromName(basename(e.name, extname(e.name)));
    if (!band) continue;
    if (found.has(band)) {
      warnings.push(`two files for ${band} in ${dir}; using ${found.get(band)![0]!.path}`);
      continue;
    }
    found.set(band, [{ band, path: join(dir, e.name), resolution: bands[band].resolution }]);
  }
  // Files named otherwise are found through the STAC item's asset hrefs (e.g. T29RKH_..._B04_10m.tif).
  const names = new Set(list.filter((e) => !e.isDir).map((e) => e.name));
  for (const [band, file] of Object.entries(metadata?.assetFiles ?? {}) as [BandId, string][]) {
    if (!found.has(band) && names.has(file))
      found.set(band, [{ band, path: join(dir, file), resolution: bands[band].resolution }]);
  }
  // A STAC item alone (no band file here): its bands whose hrefs are URLs are read remotely, by byte
  // range. A folder holding some bands stays local (a partial download is not completed from the network).
  for (const [band, href] of Object.entries(found.size > 0 ? {} : (metadata?.assetHrefs ?? {})) as [BandId, string][]) {
    if (!found.has(band) && isRemoteHref(href))
      found.set(band, [{ band, path: href, resolution: bands[band].resolution }]);
  }
  if (!metadata) {
    const fromName = metadataFromName(basename(dir));
    metadata = {
      id: undefined,
      ...fromName,
      quantification: 10000,
      offsets: uniformOffsets(offsetForBaseline(fromName.baseline, false)),
      offsetSource: fromName.baseline ? `folder name (baseline ${fromName.baseline})` : 'none found (offset 0 assumed)',
      assetFiles: {},
    };
    if (!fromName.baseline) {
      warnings.push(
        `no STAC item in ${dir}: assuming BOA_ADD_OFFSET 0 and quantification 10000 (use --boa-offset for baseline 04.00+ data)`,
      );
    }
  }
  if (found.size === 0)
    throw new InputError(dir, 'no Sentinel-2 bands found (expected B04.tif-style GeoTIFFs or a .SAFE product)');
  for (const list of found.values())
    for (const f of list) if (!isRemoteHref(f.path)) await requireRegularFile(f.path, 'a band file');
  // The id names the output folder: checked here, where it is born (core/scene.name.ts).
  const id =
    metadata.id !== undefined ? sceneFolderName(metadata.id, metadataPath ?? dir) : sceneFolderName(basename(dir), dir);
  return { id, path: dir, layout: 'cog', bands: found, metadata, metadataPath, warnings };
}

async function discoverSafe(dir: string): Promise<Scene> {
  const warnings: string[] = [];
  const mtd = join(dir, 'MTD_MSIL2A.xml');
  let metadata: SceneMetadata;
  let metadataPath: string | undefined = mtd;
  try {
    await stat(mtd);
    metadata = await readSafeMetadata(mtd, basename(dir));
    warnings.push(...(metadata.warnings ?? []));
  } catch (err) {
    if (err instanceof InputError && !/cannot be read/.test(err.fault)) throw err;
    metadataPath = undefined;
    const fromName = metadataFromName(basename(dir));
    const offsets = uniformOffsets(offsetForBaseline(fromName.baseline, false));
    metadata = {
      id: undefined,
      ...fromName,
      quantification: 10000,
      offsets,
      offsetSource: 'product name (no MTD_MSIL2A.xml)',
      assetFiles: {},
    };
    warnings.push(
      `${mtd} is missing: offsets taken from the product name's baseline (${fromName.baseline ?? 'unknown'})`,
    );
  }
  const found = new Map<BandId, BandFile[]>();
  const granuleDir = join(dir, 'GRANULE');
  let granules: string[] = [];
  try {
    granules = (await entries(granuleDir)).filter((e) => e.isDir).map((e) => e.name);
  } catch {
    // no GRANULE folder: reported below as "no bands"
  }
  if (granules.length > 1) warnings.push(`${granules.length} granules in ${granuleDir}; using ${granules[0]}`);
  if (granules.length > 0) {
    const img = join(granuleDir, granules[0]!, 'IMG_DATA');
    for (const res of ['R10m', 'R20m', 'R60m']) {
      let files: { name: string; isDir: boolean }[] = [];
      try {
        files = await entries(join(img, res));
      } catch {
        continue;
      }
      for (const f of files) {
        const m = JP2_BAND.exec(f.name);
        if (!m) continue; // a folder or FIFO named like a band is refused below
        const band = m[1]!.toUpperCase() as BandId;
        const list = found.get(band) ?? [];
        list.push({ band, path: join(img, res, f.name), resolution: Number(m[2]) });
        found.set(band, list);
      }
    }
  }
  if (found.size === 0)
    throw new InputError(dir, 'no Sentinel-2 bands found (no GRANULE/*/IMG_DATA/R*m/*_<band>_<res>m.jp2 files)');
  for (const list of found.values()) list.sort((a, b) => a.resolution - b.resolution);
  for (const list of found.values()) for (const f of list) await requireRegularFile(f.path, 'a band file');
  // The id names the output folder: checked here, where it is born (core/scene.name.ts).
  const id =
    metadata.id !== undefined
      ? sceneFolderName(metadata.id, metadataPath ?? dir)
      : sceneFolderName(basename(dir).replace(/\.SAFE$/i, ''), dir);
  return { id, path: dir, layout: 'safe', bands: found, metadata, metadataPath, warnings };
}
