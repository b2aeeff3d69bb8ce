/**
 * A STAC item of a Sentinel-2 L2A scene, read as archeo needs it: which asset holds which band, and the
 * radiometry (BOA_ADD_OFFSET, quantification) the item declares, with the rule that decided it.
 *
 * Asset keys (docs/remote.md, "STAC"):
 *  - Earth Search v1: `blue green red rededge1 rededge2 rededge3 nir nir08 nir09 swir16 swir22 scl coastal`;
 *    the `-jp2` twins (`red-jp2`…) only when the COG asset is absent;
 *  - Planetary Computer and others: band ids as keys (`B04`, `B8A`, `SCL`), any case.
 *  `nir` is B08 and `nir08` is B8A: B8A is never read as B08 (no common-name guessing from eo:bands).
 *
 * Radiometry, first rule that applies:
 *  1. `earthsearch:boa_offset_applied: true` — the offset is already in the DNs: 0. Earth Search still
 *     declares `raster:bands` offset −0.1 on such items; the flag is the truth.
 *  2. `raster:bands` scale and offset on every reflectance asset mapped — DN offset = offset / scale.
 *  3. `s2:processing_baseline` — 04.00 and later carry BOA_ADD_OFFSET −1000, earlier ones 0.
 *  4. nothing — 0, with a warning (`--boa-offset` overrides).
 *  Quantification is 1 / scale when `raster:bands` gives a scale (the same for every band), else 10000.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import { bandIds, type BandId } from '../../core/bands.js';
import { bands } from '../scene/bands.js';
import { DEFAULT_BOA_OFFSET, OFFSET_RANGE, uniformOffsets, type SceneMetadata } from '../scene/metadata.js';

export interface StacAsset {
  href?: unknown;
  type?: unknown;
  'raster:bands'?: unknown;
}

export interface StacLink {
  rel?: unknown;
  href?: unknown;
  method?: unknown;
  body?: unknown;
  merge?: unknown;
  headers?: unknown;
}

export interface StacItem {
  type: 'Feature';
  id: string;
  collection?: unknown;
  properties: Record<string, unknown>;
  assets: Record<string, StacAsset>;
  links?: StacLink[];
}

/** The asset chosen for a band: its key in the item and its href (as written, not yet resolved). */
export interface BandAsset {
  key: string;
  href: string;
}

/** Radiometry rules, as report.json names them. */
export type RadiometryRule = 'earthsearch:boa_offset_applied' | 'raster:bands' | 's2:processing_baseline' | 'none';

/**
 * The document as a STAC item, or undefined when it is not one (other JSON files may sit in a scene
 * folder). A Feature whose id is not a string is refused naming `source`: it cannot name a scene.
 */
export function asStacItem(doc: unknown, source: string): StacItem | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const d = doc as Record<string, unknown>;
  if (d['type'] !== 'Feature' || !d['properties'] || typeof d['properties'] !== 'object') return undefined;
  if ('id' in d && typeof d['id'] !== 'string')
    throw new InputError(source, `STAC item id ${JSON.stringify(d['id'])?.slice(0, 80)} is not a string`);
  const assets = d['assets'];
  if (assets !== undefined && (assets === null || typeof assets !== 'object' || Array.isArray(assets)))
    throw new InputError(source, 'STAC item assets is not an object');
  return {
    ...(d as unknown as StacItem),
    id: (d['id'] as string | undefined) ?? '',
    assets: (assets ?? {}) as Record<string, StacAsset>,
    links: Array.isArray(d['links']) ? (d['links'] as StacLink[]) : [],
  };
}

/** The asset of each band the item holds (see the module comment for the key rules). */
export function bandAssets(item: StacItem): Partial<Record<BandId, BandAsset>> {
  const byLower = new Map<string, string>();
  for (const key of Object.keys(item.assets)) byLower.set(key.toLowerCase(), key);
  const out: Partial<Record<BandId, BandAsset>> = {};
  for (const id of bandIds) {
    const info = bands[id];
    // COG first (Earth Search key, then band id key), the JPEG 2000 twin only when no COG exists.
    for (const wanted of [info.asset, id.toLowerCase(), `${info.asset}-jp2`]) {
      const key = byLower.get(wanted);
      const href = key === undefined ? undefined : item.assets[key]?.href;
      if (key !== undefined && typeof href === 'string' && href.length > 0) {
        out[id] = { key, href };
        break;
      }
    }
  }
  return out;
}

interface RasterBand {
  scale?: unknown;
  offset?: unknown;
}

function rasterBand(asset: StacAsset | undefined): RasterBand | undefined {
  const list = asset?.['raster:bands'];
  if (!Array.isArray(list) || list.length === 0 || typeof list[0] !== 'object' || list[0] === null) return undefined;
  return list[0] as RasterBand;
}

const isBaseline = (v: unknown): v is string => typeof v === 'string' && /^\d{2}\.\d{2}$/.test(v);

export interface ItemRadiometry {
  offsets: Partial<Record<BandId, number>>;
  quantification: number;
  rule: RadiometryRule;
  /** The rule in words, for report.json's offset_source and `archeo info`. */
  source: string;
  warnings: string[];
}

/** The item's radiometry (module comment), from the assets chosen by `bandAssets`. */
export function itemRadiometry(
  item: StacItem,
  chosen: Partial<Record<BandId, BandAsset>>,
  source: string,
): ItemRadiometry {
  const p = item.properties;
  const baseline = isBaseline(p['s2:processing_baseline']) ? p['s2:processing_baseline'] : undefined;
  const applied = p['earthsearch:boa_offset_applied'];
  const warnings: string[] = [];
  const reflectance = bandIds.filter((b) => b !== 'SCL' && chosen[b] !== undefined);

  // Scale and offset of every reflectance asset mapped, checked (a scale of 0 would divide by zero).
  const declared = new Map<BandId, { scale: number | undefined; offset: number | undefined }>();
  for (const b of reflectance) {
    const rb = rasterBand(item.assets[chosen[b]!.key]);
    if (!rb) continue;
    const scale = rb.scale;
    const offset = rb.offset;
    if (scale !== undefined && !(typeof scale === 'number' && Number.isFinite(scale) && scale > 0 && scale <= 1))
      throw new InputError(
        source,
        `asset ${chosen[b]!.key}: raster:bands scale ${JSON.stringify(scale)} is not in (0, 1]`,
      );
    if (offset !== undefined && !(typeof offset === 'number' && Number.isFinite(offset)))
      throw new InputError(
        source,
        `asset ${chosen[b]!.key}: raster:bands offset ${JSON.stringify(offset)} is not a number`,
      );
    declared.set(b, { scale: scale as number | undefined, offset: offset as number | undefined });
  }
  const scales = new Set([...declared.values()].flatMap((d) => (d.scale === undefined ? [] : [d.scale])));
  if (scales.size > 1)
    throw new InputError(source, `raster:bands scales differ between bands (${[...scales].join(', ')})`);
  const scale = [...scales][0];
  const quantification = scale === undefined ? 10000 : nearInteger(1 / scale);

  if (applied === true) {
    const declaredOffset = [...declared.values()].some((d) => d.offset !== undefined && d.offset !== 0);
    return {
      offsets: uniformOffsets(0),
      quantification,
      rule: 'earthsearch:boa_offset_applied',
      source: `STAC item: earthsearch:boa_offset_applied true (offset already in the DNs: 0${declaredOffset ? '; the raster:bands offset is not applied again' : ''})`,
      warnings,
    };
  }
  const allDeclared = reflectance.length > 0 && reflectance.every((b) => declared.get(b)?.offset !== undefined);
  if (allDeclared) {
    const offsets: Partial<Record<BandId, number>> = {};
    for (const b of reflectance) {
      const d = declared.get(b)!;
      const dn = nearInteger(d.offset! / (d.scale ?? 1 / quantification));
      if (dn < OFFSET_RANGE[0] || dn > OFFSET_RANGE[1] || !Number.isInteger(dn))
        throw new InputError(
          source,
          `asset ${chosen[b]!.key}: raster:bands offset ${d.offset} is ${dn} DN, outside ${OFFSET_RANGE[0]}…${OFFSET_RANGE[1]}`,
        );
      offsets[b] = dn;
    }
    const values = [...new Set(Object.values(offsets))];
    if (baseline !== undefined) {
      const expected = Number(baseline) >= 4 ? DEFAULT_BOA_OFFSET : 0;
      if (values.some((v) => v !== expected))
        warnings.push(
          `${source}: raster:bands offset (${values.join(', ')} DN) differs from what baseline ${baseline} products carry (${expected}); the item's raster:bands are used`,
        );
    }
    return {
      offsets: { ...uniformOffsets(values[0] ?? 0), ...offsets },
      quantification,
      rule: 'raster:bands',
      source: `STAC item: raster:bands offset ${values.join(', ')} DN, scale 1/${quantification}${applied === false ? ' (earthsearch:boa_offset_applied false)' : ''}`,
      warnings,
    };
  }
  if (baseline !== undefined) {
    const offset = Number(baseline) >= 4 ? DEFAULT_BOA_OFFSET : 0;
    return {
      offsets: uniformOffsets(offset),
      quantification,
      rule: 's2:processing_baseline',
      source: `STAC item: s2:processing_baseline ${baseline} (offset ${offset})`,
      warnings,
    };
  }
  warnings.push(
    `${source} tells no processing baseline, boa_offset_applied or raster:bands offset: assuming offset 0 (use --boa-offset for baseline 04.00+ data)`,
  );
  return {
    offsets: uniformOffsets(0),
    quantification,
    rule: 'none',
    source: 'STAC item: nothing declared (offset 0)',
    warnings,
  };
}

/** x rounded to the nearest integer when within 1e-6 of it (1 / 0.0001 is 10000.000000000002). */
function nearInteger(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) < 1e-6 * Math.max(1, Math.abs(r)) ? r : x;
}

/** The scene metadata of an item: id, date, baseline, radiometry, asset file names. */
export function itemMetadata(item: StacItem, source: string): SceneMetadata {
  const chosen = bandAssets(item);
  const r = itemRadiometry(item, chosen, source);
  const p = item.properties;
  const assetFiles: Partial<Record<BandId, string>> = {};
  const assetHrefs: Partial<Record<BandId, string>> = {};
  for (const [band, a] of Object.entries(chosen) as [BandId, BandAsset][]) {
    assetFiles[band] = a.href.split(/[?#]/)[0]!.split('/').pop() ?? a.href;
    assetHrefs[band] = a.href;
  }
  return {
    id: item.id === '' ? undefined : item.id,
    datetime: typeof p['datetime'] === 'string' ? p['datetime'] : undefined,
    baseline: isBaseline(p['s2:processing_baseline']) ? p['s2:processing_baseline'] : undefined,
    quantification: r.quantification,
    offsets: r.offsets,
    offsetSource: r.source,
    radiometryRule: r.rule,
    assetFiles,
    assetHrefs,
    warnings: r.warnings,
  };
}

/**
 * The version of an item that the state compares between runs: its `updated` time, else the HTTP ETag
 * it was served with, else a hash of its JSON (an item that changes in any way is then redone).
 */
export function itemVersion(item: StacItem, etag?: string): string {
  const updated = item.properties['updated'];
  if (typeof updated === 'string' && updated) return `updated ${updated}`;
  if (etag) return `etag ${etag}`;
  return `sha256 ${createHash('sha256').update(JSON.stringify(item)).digest('hex').slice(0, 16)}`;
}

/** The MGRS tile of an item (`29RKH`): grid:code, s2:mgrs_tile, or the mgrs: fields. */
export function itemTile(item: StacItem): string | undefined {
  const p = item.properties;
  if (typeof p['grid:code'] === 'string') return p['grid:code'].replace(/^MGRS-/, '');
  if (typeof p['s2:mgrs_tile'] === 'string') return p['s2:mgrs_tile'];
  const [z, l, s] = [p['mgrs:utm_zone'], p['mgrs:latitude_band'], p['mgrs:grid_square']];
  return z !== undefined && typeof l === 'string' && typeof s === 'string' ? `${z}${l}${s}` : undefined;
}

/** A local JSON file as a STAC item's metadata; undefined when the JSON is not a STAC item. */
export async function readStacItem(path: string): Promise<SceneMetadata | undefined> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
  const item = asStacItem(doc, path);
  return item ? itemMetadata(item, path) : undefined;
}
