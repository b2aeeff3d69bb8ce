/**
 * Scene metadata: the SAFE product's `MTD_MSIL2A.xml` and an Earth Search STAC item. Both give the
 * radiometric offset (reflectance = (DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE), the date and id.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import { bands, type BandId } from './bands.js';

export interface SceneMetadata {
  id: string | undefined;
  /** Acquisition time, ISO 8601. */
  datetime: string | undefined;
  /** Processing baseline, e.g. "04.00". */
  baseline: string | undefined;
  quantification: number;
  /** BOA_ADD_OFFSET per band, in DN. */
  offsets: Partial<Record<BandId, number>>;
  /** Where the offsets came from, for `info` and the report. */
  offsetSource: string;
  /** Asset hrefs of a STAC item, by band (file names only are used). */
  assetFiles: Partial<Record<BandId, string>>;
}

const tag = (xml: string, name: string): string | undefined =>
  new RegExp(`<${name}(?:\\s[^>]*)?>\\s*([^<]*?)\\s*</${name}>`).exec(xml)?.[1];

export async function readSafeMetadata(path: string): Promise<SceneMetadata> {
  let xml: string;
  try {
    xml = await readFile(path, 'utf8');
  } catch {
    throw new InputError(path, 'cannot be read');
  }
  const uri = tag(xml, 'PRODUCT_URI');
  const quantText = tag(xml, 'BOA_QUANTIFICATION_VALUE');
  const quantification = quantText === undefined ? 10000 : Number(quantText);
  if (!(quantification > 0)) throw new InputError(path, `invalid BOA_QUANTIFICATION_VALUE '${quantText}'`);
  const offsets: Partial<Record<BandId, number>> = {};
  const byIndex = new Map<number, number>();
  for (const m of xml.matchAll(/<BOA_ADD_OFFSET\s+band_id="(\d+)"\s*>\s*([-\d.]+)\s*<\/BOA_ADD_OFFSET>/g)) {
    byIndex.set(Number(m[1]), Number(m[2]));
  }
  for (const info of Object.values(bands)) {
    if (info.mtdIndex !== undefined) offsets[info.id] = byIndex.get(info.mtdIndex) ?? 0;
  }
  return {
    id: uri?.replace(/\.SAFE$/i, ''),
    datetime: tag(xml, 'PRODUCT_START_TIME'),
    baseline: tag(xml, 'PROCESSING_BASELINE'),
    quantification,
    offsets,
    offsetSource: byIndex.size ? 'MTD_MSIL2A.xml BOA_ADD_OFFSET' : 'MTD_MSIL2A.xml (no BOA_ADD_OFFSET: 0)',
    assetFiles: {},
  };
}

interface StacItem {
  type?: string;
  id?: string;
  properties?: Record<string, unknown>;
  assets?: Record<string, { href?: string }>;
}

/** Reads a STAC item; returns undefined when the JSON is not a STAC item (other JSON files may sit in a scene). */
export async function readStacItem(path: string): Promise<SceneMetadata | undefined> {
  let item: StacItem;
  try {
    item = JSON.parse(await readFile(path, 'utf8')) as StacItem;
  } catch {
    return undefined;
  }
  if (item === null || typeof item !== 'object' || item.type !== 'Feature' || !item.properties || typeof item.properties !== 'object') return undefined;
  // A STAC item whose id is not a string (a number, null, an object) cannot name a scene: refused here,
  // with the file named, instead of failing later inside string handling.
  if ('id' in item && typeof item.id !== 'string') throw new InputError(path, `STAC item id ${JSON.stringify(item.id)?.slice(0, 80)} is not a string`);
  const p = item.properties;
  const baseline = typeof p['s2:processing_baseline'] === 'string' ? p['s2:processing_baseline'] : undefined;
  const applied = p['earthsearch:boa_offset_applied'];
  const offsets = uniformOffsets(offsetForBaseline(baseline, applied === true));
  const assetFiles: Partial<Record<BandId, string>> = {};
  for (const info of Object.values(bands)) {
    const href = item.assets?.[info.asset]?.href;
    if (href) assetFiles[info.id] = href.split('/').pop()!;
  }
  return {
    id: item.id,
    datetime: typeof p['datetime'] === 'string' ? p['datetime'] : undefined,
    baseline,
    quantification: 10000,
    offsets,
    offsetSource:
      `STAC item (baseline ${baseline ?? 'unknown'}, boa_offset_applied ${applied === undefined ? 'absent' : String(applied)})`,
    assetFiles,
  };
}

/** The same BOA_ADD_OFFSET for every reflectance band (what a STAC item or a product name tells). */
export function uniformOffsets(offset: number): Partial<Record<BandId, number>> {
  const offsets: Partial<Record<BandId, number>> = {};
  for (const info of Object.values(bands)) if (info.mtdIndex !== undefined) offsets[info.id] = offset;
  return offsets;
}

/** Baseline 04.00 and later carry BOA_ADD_OFFSET = -1000, unless the distributor already applied it. */
export function offsetForBaseline(baseline: string | undefined, applied: boolean): number {
  if (applied || baseline === undefined) return 0;
  return Number(baseline) >= 4 ? -1000 : 0;
}

/** Metadata read from a product name when nothing else is there (S2A_MSIL2A_20221005T115411_N0400_...). */
export function metadataFromName(name: string): Pick<SceneMetadata, 'baseline' | 'datetime'> {
  const m = /_MSIL2A_(\d{8})T(\d{6})_N(\d{2})(\d{2})_/.exec(name);
  if (!m) return { baseline: undefined, datetime: undefined };
  const [d, t] = [m[1]!, m[2]!];
  return {
    baseline: `${m[3]}.${m[4]}`,
    datetime: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}Z`,
  };
}
