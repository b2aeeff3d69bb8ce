/**
 * How Sentinel-2 L2A bands are named where archeo finds them: file stems (`B04.tif`), Earth Search
 * (STAC) asset keys (`red.tif`, `nir08`), and the band index of `MTD_MSIL2A.xml` (BOA_ADD_OFFSET
 * band_id). The band vocabulary itself (ids, resolutions, SCL classes) is core/bands.ts.
 */
import { bandSpecs, type BandId, type BandSpec } from '../../core/bands.js';

export interface BandInfo extends BandSpec {
  /** Earth Search (STAC) asset key. */
  asset: string;
  /** band_id in the SAFE metadata, undefined for SCL. */
  mtdIndex: number | undefined;
}

/** Asset key and MTD band index of each band. */
const naming: Record<BandId, { asset: string; mtdIndex: number | undefined }> = {
  B01: { asset: 'coastal', mtdIndex: 0 },
  B02: { asset: 'blue', mtdIndex: 1 },
  B03: { asset: 'green', mtdIndex: 2 },
  B04: { asset: 'red', mtdIndex: 3 },
  B05: { asset: 'rededge1', mtdIndex: 4 },
  B06: { asset: 'rededge2', mtdIndex: 5 },
  B07: { asset: 'rededge3', mtdIndex: 6 },
  B08: { asset: 'nir', mtdIndex: 7 },
  B8A: { asset: 'nir08', mtdIndex: 8 },
  B09: { asset: 'nir09', mtdIndex: 9 },
  B11: { asset: 'swir16', mtdIndex: 11 },
  B12: { asset: 'swir22', mtdIndex: 12 },
  SCL: { asset: 'scl', mtdIndex: undefined },
};

export const bands = Object.fromEntries(
  Object.values(bandSpecs).map((spec) => [spec.id, { ...spec, ...naming[spec.id] }]),
) as Record<BandId, BandInfo>;

/** Band id for a file stem: a band id (`B04`, `b8a`) or an Earth Search asset key (`red`, `nir08`), any case. */
export function bandFromName(stem: string): BandId | undefined {
  const s = stem.toLowerCase();
  for (const info of Object.values(bands)) {
    if (info.id.toLowerCase() === s || info.asset === s) return info.id;
  }
  return undefined;
}
