/**
 * Scene metadata: the SAFE product's `MTD_MSIL2A.xml` (a STAC item's is io/stac/stac.item.ts). Both give the
 * radiometric offset (reflectance = (DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE), the date and id.
 */
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import type { BandId } from '../../core/bands.js';
import { bands } from './bands.js';
import { decodeXml, findAll, parseXml, XmlError, type XmlElement } from './xml.js';

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
  /** For a STAC item: the radiometry rule that decided the offsets (io/stac/stac.item.ts). */
  radiometryRule?: string;
  /** Asset hrefs of a STAC item, by band (file names only are used). */
  assetFiles: Partial<Record<BandId, string>>;
  /** The same hrefs whole: URLs (http, https, s3) are read where they are (io/source). */
  assetHrefs?: Partial<Record<BandId, string>>;
  /** What the reader had to assume (a damaged MTD, a missing offsets list): shown and kept in report.json. */
  warnings?: string[];
}

/** ESA's BOA_ADD_OFFSET for every band of a baseline 04.00+ product (what every such MTD declares). */
export const DEFAULT_BOA_OFFSET = -1000;
/** Accepted BOA_ADD_OFFSET values, in DN: integers in this range (ESA uses 0 and -1000). */
export const OFFSET_RANGE = [-2000, 0] as const;
/** A product metadata file is some tens of kB; anything this large is not one (and is not read whole). */
export const MAX_MTD_BYTES = 16 * 1024 * 1024;

/** Whether a baseline ("04.00") is 04.00 or later: the products with BOA_ADD_OFFSET. */
const offsetBaseline = (baseline: string): boolean => Number(baseline) >= 4;

/** The text of the first element named `local`, trimmed; undefined when absent. */
function field(root: XmlElement, local: string): string | undefined {
  return findAll(root, local)[0]?.text.trim();
}

/**
 * Reads a SAFE product's `MTD_MSIL2A.xml` strictly (docs/scan.md, "Radiometric offsets"). `productName`
 * is the product folder's name, whose `_Nxxyy_` field is cross-checked with PROCESSING_BASELINE.
 *  - missing or unreadable: InputError "cannot be read" (the caller falls back to the product name);
 *  - not a well-formed metadata document (empty, cut short, not XML, tags not closed): its values are
 *    not used; for a baseline 04.00+ product (by its name) the ESA offset -1000 is applied to every
 *    band and a warning says so (it ends up in report.json); when the name tells no baseline either,
 *    the scene fails (an offset cannot be guessed);
 *  - well-formed: every BOA_ADD_OFFSET must be an integer in OFFSET_RANGE for a known band_id, the list
 *    complete when present; a 04.00+ product without the list gets -1000 with a warning; a baseline
 *    that disagrees with the product name about 04.00 fails the scene.
 */
export async function readSafeMetadata(path: string, productName?: string): Promise<SceneMetadata> {
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputError(path, 'is not a regular file');
    if (info.size > MAX_MTD_BYTES)
      throw new InputError(path, `is ${info.size} bytes: too large for a product metadata file`);
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(path, 'cannot be read');
  }
  return safeMetadataFromBytes(path, bytes, productName);
}

/**
 * `readSafeMetadata` on bytes already read (a member of a zipped product: `path` names it for the
 * errors). The caller checks the size against MAX_MTD_BYTES.
 */
export function safeMetadataFromBytes(path: string, bytes: Uint8Array, productName?: string): SceneMetadata {
  const fromName = metadataFromName(productName ?? '');
  let root: XmlElement;
  try {
    root = parseXml(decodeXml(bytes));
    if (root.local !== 'Level-2A_User_Product')
      throw new XmlError(`root element is <${root.name}>, not a Level-2A product's`);
  } catch (err) {
    if (!(err instanceof XmlError)) throw err;
    return damagedMetadata(path, err.message, fromName);
  }

  const uri = field(root, 'PRODUCT_URI');
  const quantText = field(root, 'BOA_QUANTIFICATION_VALUE');
  const quantification = quantText === undefined ? 10000 : strictNumber(quantText);
  if (!(Number.isFinite(quantification) && quantification > 0))
    throw new InputError(path, `invalid BOA_QUANTIFICATION_VALUE '${clip(quantText)}'`);

  const mtdBaseline = field(root, 'PROCESSING_BASELINE');
  if (mtdBaseline !== undefined && !/^\d{2}\.\d{2}$/.test(mtdBaseline))
    throw new InputError(path, `invalid PROCESSING_BASELINE '${clip(mtdBaseline)}' (expected NN.NN)`);
  // The product name (folder, else PRODUCT_URI) carries the baseline too: they must agree about 04.00.
  const nameBaseline = fromName.baseline ?? metadataFromName(uri ?? '').baseline;
  if (
    mtdBaseline !== undefined &&
    nameBaseline !== undefined &&
    offsetBaseline(mtdBaseline) !== offsetBaseline(nameBaseline)
  ) {
    throw new InputError(
      path,
      `PROCESSING_BASELINE ${mtdBaseline} disagrees with the product name's baseline ${nameBaseline} (one of them is wrong; the BOA offset depends on it)`,
    );
  }
  const baseline = mtdBaseline ?? nameBaseline;

  const list = findAll(root, 'BOA_ADD_OFFSET_VALUES_LIST');
  const warnings: string[] = [];
  const offsets: Partial<Record<BandId, number>> = {};
  let offsetSource: string;
  if (list.length > 0 || findAll(root, 'BOA_ADD_OFFSET').length > 0) {
    const byIndex = new Map<number, number>();
    for (const el of findAll(root, 'BOA_ADD_OFFSET')) {
      const id = el.attrs.get('band_id');
      if (id === undefined || !/^\d{1,2}$/.test(id) || Number(id) > 12)
        throw new InputError(path, `BOA_ADD_OFFSET with an invalid band_id '${clip(id ?? '(none)')}'`);
      const text = el.text.trim();
      const value = strictNumber(text);
      if (!Number.isInteger(value) || value < OFFSET_RANGE[0] || value > OFFSET_RANGE[1]) {
        throw new InputError(
          path,
          `BOA_ADD_OFFSET band_id="${id}" is '${clip(text)}': expected an integer from ${OFFSET_RANGE[0]} to ${OFFSET_RANGE[1]}`,
        );
      }
      if (byIndex.has(Number(id))) throw new InputError(path, `BOA_ADD_OFFSET band_id="${id}" is given twice`);
      byIndex.set(Number(id), value);
    }
    for (const info of Object.values(bands)) {
      if (info.mtdIndex === undefined) continue;
      const v = byIndex.get(info.mtdIndex);
      if (v === undefined)
        throw new InputError(
          path,
          `BOA_ADD_OFFSET_VALUES_LIST has no value for band_id="${info.mtdIndex}" (${info.id})`,
        );
      offsets[info.id] = v;
    }
    offsetSource = 'MTD_MSIL2A.xml BOA_ADD_OFFSET';
  } else if (baseline !== undefined && offsetBaseline(baseline)) {
    Object.assign(offsets, uniformOffsets(DEFAULT_BOA_OFFSET));
    offsetSource = `ESA default ${DEFAULT_BOA_OFFSET} for baseline ${baseline} (no BOA_ADD_OFFSET_VALUES_LIST in MTD_MSIL2A.xml)`;
    warnings.push(
      `${path} has no BOA_ADD_OFFSET_VALUES_LIST: baseline ${baseline} products carry BOA_ADD_OFFSET ${DEFAULT_BOA_OFFSET}, applied to every band`,
    );
  } else {
    Object.assign(offsets, uniformOffsets(0));
    offsetSource =
      baseline !== undefined
        ? `MTD_MSIL2A.xml (baseline ${baseline}: no BOA_ADD_OFFSET, 0)`
        : 'MTD_MSIL2A.xml (no baseline, no BOA_ADD_OFFSET: 0)';
    if (baseline === undefined)
      warnings.push(
        `${path} gives neither PROCESSING_BASELINE nor BOA_ADD_OFFSET: assuming offset 0 (use --boa-offset for baseline 04.00+ data)`,
      );
  }
  return {
    id: uri?.replace(/\.SAFE$/i, ''),
    datetime: field(root, 'PRODUCT_START_TIME'),
    baseline,
    quantification,
    offsets,
    offsetSource,
    assetFiles: {},
    warnings,
  };
}

/**
 * An MTD_MSIL2A.xml that cannot be parsed: nothing in it is trusted. The product name's baseline decides
 * the offset (ESA's -1000 from 04.00 on, 0 before, with a warning); with no baseline in the name the
 * offset is unknown and the scene fails, naming the file.
 */
function damagedMetadata(
  path: string,
  reason: string,
  fromName: Pick<SceneMetadata, 'baseline' | 'datetime'>,
): SceneMetadata {
  if (fromName.baseline === undefined) {
    throw new InputError(
      path,
      `not a readable product metadata file (${reason}), and the product name tells no processing baseline: the BOA offset is unknown`,
    );
  }
  const offset = offsetBaseline(fromName.baseline) ? DEFAULT_BOA_OFFSET : 0;
  return {
    id: undefined,
    ...fromName,
    quantification: 10000,
    offsets: uniformOffsets(offset),
    offsetSource: `product name (baseline ${fromName.baseline}; MTD_MSIL2A.xml unreadable: ${reason})`,
    assetFiles: {},
    warnings: [
      `${path} is not a readable product metadata file (${reason}): its values are not used; BOA_ADD_OFFSET ${offset} and quantification 10000 from the product name's baseline ${fromName.baseline}`,
    ],
  };
}

/** A decimal number written plainly ("-1000", "10000.0", "1e4"); NaN for anything else ("abc", "-1000.5.3", ""). */
function strictNumber(text: string): number {
  return text.length <= 40 && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?$/.test(text) ? Number(text) : NaN;
}

/** A value for an error line: bounded, control characters escaped. */
const clip = (s: string | undefined): string =>
  JSON.stringify(s ?? '')
    .slice(1, -1)
    .slice(0, 40);

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
