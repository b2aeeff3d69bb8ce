/**
 * The Sentinel-2 L2A band vocabulary every floor speaks: band ids, what each band sees, its native
 * resolution, and the SCL scene classes. Plain data, no file knowledge: how bands are named in files,
 * STAC assets and `MTD_MSIL2A.xml` is io's business (io/scene/bands.ts). B08 (10 m, 842 nm) and B8A
 * (20 m, 865 nm) are different bands and are never substituted for each other.
 */

export const bandIds = [
  'B01',
  'B02',
  'B03',
  'B04',
  'B05',
  'B06',
  'B07',
  'B08',
  'B8A',
  'B09',
  'B11',
  'B12',
  'SCL',
] as const;
export type BandId = (typeof bandIds)[number];

export interface BandSpec {
  id: BandId;
  /** Native resolution class in metres: 10, 20 or 60. */
  resolution: number;
  /** What the band sees. */
  description: string;
}

export const bandSpecs: Record<BandId, BandSpec> = {
  B01: { id: 'B01', resolution: 60, description: 'coastal aerosol 443 nm' },
  B02: { id: 'B02', resolution: 10, description: 'blue 490 nm' },
  B03: { id: 'B03', resolution: 10, description: 'green 560 nm' },
  B04: { id: 'B04', resolution: 10, description: 'red 665 nm' },
  B05: { id: 'B05', resolution: 20, description: 'red edge 1 705 nm' },
  B06: { id: 'B06', resolution: 20, description: 'red edge 2 740 nm' },
  B07: { id: 'B07', resolution: 20, description: 'red edge 3 783 nm' },
  B08: { id: 'B08', resolution: 10, description: 'NIR 842 nm' },
  B8A: { id: 'B8A', resolution: 20, description: 'narrow NIR 865 nm' },
  B09: { id: 'B09', resolution: 60, description: 'water vapour 945 nm' },
  B11: { id: 'B11', resolution: 20, description: 'SWIR 1 1610 nm' },
  B12: { id: 'B12', resolution: 20, description: 'SWIR 2 2190 nm' },
  SCL: { id: 'SCL', resolution: 20, description: 'scene classification' },
};

/** SCL classes (ESA): what each value means, for messages and docs. */
export const sclClasses: Record<number, string> = {
  0: 'no data',
  1: 'saturated or defective',
  2: 'dark area / topographic shadow',
  3: 'cloud shadow',
  4: 'vegetation',
  5: 'not vegetated',
  6: 'water',
  7: 'unclassified',
  8: 'cloud, medium probability',
  9: 'cloud, high probability',
  10: 'thin cirrus',
  11: 'snow or ice',
};

/** Default `--mask-classes`: no data, saturated, cloud shadow, clouds and cirrus. */
export const defaultMaskClasses: readonly number[] = [0, 1, 3, 8, 9, 10];
