/**
 * The detector seam, parameter side: every detector in a parameter file has a `kind` (absent = `spectral`),
 * and each kind is a room of its own (compute/detect/<kind>/) that says which keys its detectors take, how
 * they are checked (faults name their JSON path) and which indices they read. params.ts lists the kinds;
 * the scan runs each kind's detectors through its pipeline side (pipeline/scan/detectors/detector.ts).
 */
import type { Json } from './params.check.js';

/** What every kind's detector spec has: its kind, and the quicklook colour (handled for all kinds). */
export interface KindedSpec {
  kind: string;
  /** Quicklook outline colour, `#rrggbb` (presentation only: not part of the parameter hash). */
  outline?: string;
}

export interface DetectorKindSchema<S extends KindedSpec = KindedSpec> {
  readonly kind: S['kind'];
  /**
   * Checks a detector's object (without `kind` and `outline`, checked by params.ts) and returns its spec
   * with defaults filled in; throws ParamsError naming the JSON path (`path` is the detector's).
   */
  validate(v: Record<string, Json>, path: string): S;
  /** Indices the detector reads: the scan computes them, and skips the detector when a band is missing. */
  indices(spec: S): string[];
}
