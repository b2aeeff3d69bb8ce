/**
 * Parameters of the earthwork detectors: a plain typed object with defaults. (The parameter files will carry
 * them under the `kind`s of the detector seam; until then a caller passes a partial object.)
 */
export interface RingParams {
  enabled: boolean;
  radius_min_m: number;
  radius_max_m: number;
  /** minimum of the 3x3-summed Hough accumulator at a centre, as a fraction of the circumference in pixels */
  votes_min: number;
  /** minimum fraction of the ring's angular bins that hold a line point */
  support_min: number;
}

export interface EnclosureParams {
  enabled: boolean;
  side_min_m: number;
  side_max_m: number;
  /** longest side / shortest side */
  aspect_max: number;
  /** minimum fraction of the perimeter (1-px steps) with a line point within 1.5 px */
  support_min: number;
  /** minimum fraction of the group's points within 1.5 px of the rectangle's outline */
  fit_min: number;
}

export interface CausewayParams {
  enabled: boolean;
  length_min_m: number;
  length_max_m: number;
  /** maximum RMS distance of the segment's points from its axis, in pixels */
  width_max_px: number;
  /** minimum fraction of the segment's length (1-px steps) with a line point within 1.5 px */
  support_min: number;
}

export interface EarthworkParams {
  /** grid resolution of the index raster */
  pixel_m: number;
  /** `valley`: ditches darker than both sides (NDVI drops along a ditch); `ridge`: brighter */
  polarity: 'valley' | 'ridge';
  /** line response (index units, after a 3x3 mean) that makes a pixel a line point */
  line_min: number;
  /** above this (response after the 3x3 mean) the line is no ditch */
  line_max: number;
  /**
   * largest drop from the flanks to the line's own pixel (raw index): a ditch in pasture lowers NDVI by
   * ≤ 0.25, a dirt road by 0.4-0.6 (null: no limit)
   */
  depth_max: number | null;
  /** the flanks must be at least this (NDVI: land with vegetation, not water or bare soil; null: no limit) */
  flank_min: number | null;
  ring: RingParams;
  enclosure: EnclosureParams;
  causeway: CausewayParams;
}

export const DEFAULT_EARTHWORK_PARAMS: EarthworkParams = {
  pixel_m: 10,
  polarity: 'valley',
  line_min: 0.03,
  line_max: 0.25,
  depth_max: 0.35,
  flank_min: 0.3,
  ring: { enabled: true, radius_min_m: 40, radius_max_m: 300, votes_min: 0.5, support_min: 0.7 },
  enclosure: { enabled: true, side_min_m: 80, side_max_m: 400, aspect_max: 2, support_min: 0.7, fit_min: 0.75 },
  causeway: { enabled: true, length_min_m: 200, length_max_m: 3000, width_max_px: 1.2, support_min: 0.7 },
};

export type EarthworkParamsInput = Partial<Omit<EarthworkParams, 'ring' | 'enclosure' | 'causeway'>> & {
  ring?: Partial<RingParams>;
  enclosure?: Partial<EnclosureParams>;
  causeway?: Partial<CausewayParams>;
};

/** The defaults with `input`'s fields over them (one level deep per detector). */
export function earthworkParams(input: EarthworkParamsInput = {}): EarthworkParams {
  const d = DEFAULT_EARTHWORK_PARAMS;
  return {
    ...d,
    ...input,
    ring: { ...d.ring, ...input.ring },
    enclosure: { ...d.enclosure, ...input.enclosure },
    causeway: { ...d.causeway, ...input.causeway },
  };
}
