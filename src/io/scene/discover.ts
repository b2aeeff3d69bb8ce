/**
 * Scene discovery. Two layouts (product.md, "Scan: inputs"):
 * - COG folder: one GeoTIFF per band named by band id or Earth Search asset key, any case, with an
 *   optional STAC item JSON;
 * - SAFE product: GRANULE/<granule>/IMG_DATA/R10m|R20m|R60m/*_<band>_<res>m.jp2 with MTD_MSIL2A.xml;
 * - zipped SAFE product (`<product>.SAFE.zip`, as the Copernicus Data Space delivers them): the same
 *   members read in place from the archive (io/zip), band paths written `<zip>!/<member>`.
 * A folder that is none of these is walked for scenes below it.
 */
import { readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InputError } from '../../core/errors.js';
import type { BandId } from '../../core/bands.js';
import { sceneFolderName } from '../../core/scene.name.js';
import { ZipArchive } from '../zip/zip.reader.js';
import { zipMemberPath } from '../zip/member.path.js';
import { isRemoteHref } from '../source/byte.source.js';
import { bandFromName, bands } from './bands.js';
import {
  MAX_MTD_BYTES,
  metadataFromName,
  offsetForBaseline,
  readSafeMetadata,
  safeMetadataFromBytes,
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
  /** A COG folder, a SAFE product (a folder or a zipped one, read in place), or a STAC item (a URL or a local .json;
   * io/stac/stac.scene.ts). */
  layout: 'cog' | 'safe' | 'safe-zip' | 'stac';
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
/** SAFE-style band names in a COG folder (`T29RKH_20200219T112111_B04_10m.tif`): the band and resolution. */
const SAFE_STYLE_STEM = /_(B0[1-9]|B1[0-2]|B8A|SCL)_(10|20|60)m$/i;
/** A zipped product met while walking an archive: `<name>.SAFE.zip`, or a product-named `.zip`. */
const isProductZip = (name: string): boolean =>
  /\.SAFE\.zip$/i.test(name) || (PRODUCT_NAME.test(name) && /\.zip$/i.test(name));
const NO_SCENE = 'no Sentinel-2 bands found (expected B04.tif-style GeoTIFFs, a .SAFE product or a .SAFE.zip)';

/** Band and resolution of a COG folder's file stem: a band id or asset key (native resolution), or SAFE-style. */
function cogBandOf(stem: string): { band: BandId; resolution: number } | undefined {
  const band = bandFromName(stem);
  if (band) return { band, resolution: bands[band].resolution };
  const m = SAFE_STYLE_STEM.exec(stem);
  return m ? { band: m[1]!.toUpperCase() as BandId, resolution: Number(m[2]) } : undefined;
}

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
  if (list.some((e) => TIFF_EXT.test(extname(e.name)) && cogBandOf(basename(e.name, extname(e.name))))) return 'cog';
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
  if (info.isFile() && /\.zip$/i.test(root)) return [root];
  if (!info.isDirectory())
    throw new InputError(root, 'not a folder (a scene is a COG folder, a .SAFE product or a .SAFE.zip)');
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
      if (e.name.startsWith('.')) continue;
      if (e.isDir && e.name !== 'node_modules') await walk(join(dir, e.name));
      else if (!e.isDir && isProductZip(e.name)) found.push(join(dir, e.name));
    }
  };
  await walk(root);
  if (found.length === 0) throw new InputError(root, NO_SCENE);
  return found;
}

/**
 * The scene at `path` (a folder, or a zipped product). A missing path, a plain file that is not a zip,
 * or a folder that cannot be listed is an InputError naming it (`archeo info` shows these as one line).
 */
export async function discoverScene(path: string): Promise<Scene> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      path,
      code === 'ENOENT' ? 'path not found' : `cannot be read (${code ?? (err as Error).message})`,
    );
  }
  if (info.isFile() && /\.zip$/i.test(path)) return discoverSafeZip(path);
  if (!info.isDirectory())
    throw new InputError(
      path,
      `is ${info.isFile() ? 'a file' : kindName(info)}, not a scene (a COG folder, a .SAFE product or a .SAFE.zip)`,
    );
  let kind: Awaited<ReturnType<typeof kindOf>>;
  try {
    kind = await kindOf(path);
  } catch (err) {
    throw new InputError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (kind === 'safe') return discoverSafe(path);
  if (kind === 'cog') return discoverCog(path);
  throw new InputError(path, NO_SCENE);
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
    const named = cogBandOf(basename(e.name, extname(e.name)));
    if (!named) continue;
    const { band, resolution } = named;
    if (found.has(band)) {
      warnings.push(`two files for ${band} in ${dir}; using ${found.get(band)![0]!.path}`);
      continue;
    }
    found.set(band, [{ band, path: join(dir, e.name), resolution }]);
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
  if (found.size === 0) throw new InputError(dir, NO_SCENE);
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
    metadata = metadataWithoutMtd(basename(dir), mtd, warnings);
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
      // a folder or FIFO named like a band is refused below
      for (const f of files) addJp2Band(found, f.name, join(img, res, f.name));
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

/** The metadata of a product without MTD_MSIL2A.xml: offsets from the product name's baseline, with a warning. */
function metadataWithoutMtd(productName: string, mtd: string, warnings: string[]): SceneMetadata {
  const fromName = metadataFromName(productName);
  warnings.push(
    `${mtd} is missing: offsets taken from the product name's baseline (${fromName.baseline ?? 'unknown'})`,
  );
  return {
    id: undefined,
    ...fromName,
    quantification: 10000,
    offsets: uniformOffsets(offsetForBaseline(fromName.baseline, false)),
    offsetSource: 'product name (no MTD_MSIL2A.xml)',
    assetFiles: {},
  };
}

/** Adds a `*_<band>_<res>m.jp2` file to `found` (anything else is not a band and is skipped). */
function addJp2Band(found: Map<BandId, BandFile[]>, name: string, path: string): void {
  const m = JP2_BAND.exec(name);
  if (!m) return;
  const band = m[1]!.toUpperCase() as BandId;
  const list = found.get(band) ?? [];
  list.push({ band, path, resolution: Number(m[2]) });
  found.set(band, list);
}

/**
 * A zipped SAFE product, read in place: the central directory lists the members, MTD_MSIL2A.xml is read
 * from the archive, band paths are `<zip>!/<member>` (read whole by the JP2 reader when the scan needs
 * them). The product sits at the archive's root or in one folder (`<product>.SAFE/`, ESA's layout). The
 * scene id is the zip's name without `.zip` and `.SAFE`, the same id as the unzipped product's folder.
 */
async function discoverSafeZip(path: string): Promise<Scene> {
  const warnings: string[] = [];
  const zip = await ZipArchive.open(path);
  const productName = basename(path).replace(/\.zip$/i, '');
  const names = [...zip.members.keys()].filter((n) => !n.endsWith('/'));
  const depth = (n: string): number => n.split('/').length;
  // The product's folder inside the archive: where its MTD_MSIL2A.xml is, else above its GRANULE folder.
  const mtdName = names.filter((n) => /(^|\/)MTD_MSIL2A\.xml$/.test(n)).sort((a, b) => depth(a) - depth(b))[0];
  const granule = /^(?:[^/]+\/)?GRANULE\//;
  const prefix =
    mtdName !== undefined
      ? mtdName.slice(0, -'MTD_MSIL2A.xml'.length)
      : (names
          .map((n) => granule.exec(n)?.[0])
          .find((m) => m !== undefined)
          ?.slice(0, -'GRANULE/'.length) ?? '');
  let metadata: SceneMetadata;
  let metadataPath: string | undefined;
  if (mtdName !== undefined) {
    metadataPath = zipMemberPath(path, mtdName);
    const size = zip.member(mtdName).size;
    if (size > MAX_MTD_BYTES)
      throw new InputError(metadataPath, `is ${size} bytes: too large for a product metadata file`);
    metadata = safeMetadataFromBytes(metadataPath, await zip.read(mtdName), productName);
    warnings.push(...(metadata.warnings ?? []));
  } else {
    metadata = metadataWithoutMtd(productName, zipMemberPath(path, `${prefix}MTD_MSIL2A.xml`), warnings);
  }
  const bandFile = new RegExp(`^${escapeRegExp(prefix)}GRANULE/([^/]+)/IMG_DATA/R(10|20|60)m/([^/]+)$`);
  const granules = [...new Set(names.map((n) => bandFile.exec(n)?.[1]).filter((g) => g !== undefined))].sort();
  if (granules.length > 1)
    warnings.push(`${granules.length} granules in ${zipMemberPath(path, `${prefix}GRANULE`)}; using ${granules[0]}`);
  const found = new Map<BandId, BandFile[]>();
  for (const n of [...names].sort()) {
    const m = bandFile.exec(n);
    if (m && m[1] === granules[0]) addJp2Band(found, m[3]!, zipMemberPath(path, n));
  }
  if (found.size === 0)
    throw new InputError(
      path,
      'no Sentinel-2 bands found in the zip (no GRANULE/*/IMG_DATA/R*m/*_<band>_<res>m.jp2 members)',
    );
  for (const list of found.values()) list.sort((a, b) => a.resolution - b.resolution);
  const id = sceneFolderName(productName.replace(/\.SAFE$/i, ''), path);
  return { id, path, layout: 'safe-zip', bands: found, metadata, metadataPath, warnings };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
