/**
 * The earthwork detectors' own seam: strips of one index raster in, shape candidates out. A scan adapter
 * feeds the strips it already has (rows in order, any height) and maps the candidates' pixel geometry to
 * map coordinates; nothing here knows about files or CRSs.
 *
 * Pixel coordinates: x = column, y = row, pixel centres on integers (pixel (c, r) covers c-0.5..c+0.5),
 * the convention of OpenCV drawing and of make_scene.py's truth. Add 0.5 for GDAL's corner convention.
 */
export type EarthworkShape = 'circle' | 'rectangle' | 'line';

export interface EarthworkCandidate {
  shape: EarthworkShape;
  /** which detector found it: `ring`, `enclosure`, `causeway` (or `original_*` in the original mode) */
  detector: string;
  /** 0..1, documented per detector in docs/earthworks.md */
  confidence: number;
  /** centroid in pixel coordinates */
  cx: number;
  cy: number;
  /** circle: radius */
  radius_m?: number;
  /** rectangle: sides (width along angle_deg) */
  width_m?: number;
  height_m?: number;
  /** rectangle: direction of the width side; line: direction of the segment; degrees from +x towards -y (north-up image: counter-clockwise from east), 0..180 */
  angle_deg?: number;
  /** line: length */
  length_m?: number;
  /** fraction of the outline (ring, perimeter, segment) carried by line evidence */
  support: number;
  /** pixel-space geometry: circle outline (closed, ≥ 32 vertices), rectangle corners (4, closed ring of 5), line ends (2) */
  points: [number, number][];
}

/** Strips of one index raster at the grid resolution, in row order; candidates once the last strip is in. */
export interface EarthworkDetector {
  /** rows of context the detector keeps behind the newest row (it never needs more of the raster than that) */
  readonly halo: number;
  /** `rows` holds `height` rows of `width` values (NaN = no data), the first being row `y0` */
  push(rows: Float32Array, y0: number, height: number, width: number): void;
  finish(): EarthworkCandidate[];
}
