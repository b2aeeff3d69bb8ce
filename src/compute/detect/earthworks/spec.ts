/**
 * The `earthworks` kind of detector (docs/earthworks.md): ring ditches, enclosures and causeways from the
 * thin-line response of one index. Its parameters are settings.ts's (the grid's pixel size comes from the
 * scene, not the file), or, with `mode: "original"`, the original pipeline's Canny/Hough step
 * (original/detector.ts). Checks name their JSON path; the scan runs it in pipeline/scan/detectors/earthworks.ts.
 */
import type { DetectorKindSchema } from '../kind.js';
import { indexName, isObject, keys, num, ParamsError, type Json } from '../params.check.js';
import { ORIGINAL_EARTHWORK_PARAMS } from './original/detector.js';
import {
  type CausewayParams,
  DEFAULT_EARTHWORK_PARAMS,
  type EarthworkParams,
  type EnclosureParams,
  type RingParams,
} from './settings.js';

/** The default mode: settings.ts's parameters, less the pixel size (the scene's). */
export type EarthworkSettings = Omit<EarthworkParams, 'pixel_m'>;

/** The original mode: original/detector.ts's parameters, less the pixel size. */
export interface OriginalEarthworkSettings {
  min_size_m: number;
  max_size_m: number;
  scale: [number, number];
  window_rows: number;
}

export type EarthworksSpec = {
  kind: 'earthworks';
  /** The index whose thin lines (ditches) the detectors read, at the grid's resolution. */
  index: string;
  /** Quicklook outline colour, `#rrggbb` (presentation only: not part of the parameter hash). */
  outline?: string;
} & (({ mode: 'default' } & EarthworkSettings) | ({ mode: 'original' } & OriginalEarthworkSettings));

/** A spec's detector settings: its keys less the seam's (kind, index, mode, outline), as the file has them. */
export function earthworkSettings(spec: EarthworksSpec): EarthworkSettings | OriginalEarthworkSettings {
  const { kind: _k, index: _i, mode: _m, outline: _o, ...settings } = spec;
  return settings;
}

const { pixel_m: _pixel, ...defaultSettings } = DEFAULT_EARTHWORK_PARAMS;
const { pixel_m: _opixel, ...originalSettings } = ORIGINAL_EARTHWORK_PARAMS;

/** The default mode's settings (settings.ts's defaults). */
export const DEFAULT_EARTHWORK_SETTINGS: EarthworkSettings = defaultSettings;
export const ORIGINAL_EARTHWORK_SETTINGS: OriginalEarthworkSettings = originalSettings;

const positive = (n: number) => (n > 0 ? undefined : 'expected > 0');
const fraction = (n: number) => (n >= 0 && n <= 1 ? undefined : 'expected a number from 0 to 1');
const nonNegative = (n: number) => (n >= 0 ? undefined : 'expected ≥ 0');

/** A detector's sub-object (ring, enclosure, causeway): `enabled` a boolean, the rest numbers checked by `checks`. */
function group<T extends object>(
  v: Json,
  path: string,
  defaults: T,
  checks: Record<string, (n: number) => string | undefined>,
): T {
  if (v === undefined) return { ...defaults };
  if (!isObject(v)) throw new ParamsError(path, 'expected an object');
  keys(v, path, Object.keys(defaults), []);
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, x] of Object.entries(v)) {
    if (k === 'enabled') {
      if (typeof x !== 'boolean') throw new ParamsError(`${path}.enabled`, 'expected true or false');
      out[k] = x;
    } else out[k] = num(x, `${path}.${k}`, checks[k]);
  }
  return out as unknown as T;
}

/** A [min, max] pair's order, checked after defaults are filled in. */
function ordered(min: number, max: number, path: string): void {
  if (max < min) throw new ParamsError(path, `expected ≥ the minimum (${min}), got ${max}`);
}

function nullable(v: Json, path: string, fallback: number | null, check: (n: number) => string | undefined) {
  if (v === undefined) return fallback;
  return v === null ? null : num(v, path, check);
}

function defaultMode(v: Record<string, Json>, path: string): EarthworkSettings {
  const d = DEFAULT_EARTHWORK_SETTINGS;
  const polarity = v['polarity'] ?? d.polarity;
  if (polarity !== 'valley' && polarity !== 'ridge')
    throw new ParamsError(`${path}.polarity`, `expected valley or ridge, got ${JSON.stringify(polarity)}`);
  const lineMin = num(v['line_min'] ?? d.line_min, `${path}.line_min`, positive);
  const lineMax = num(v['line_max'] ?? d.line_max, `${path}.line_max`, positive);
  ordered(lineMin, lineMax, `${path}.line_max`);
  const ring = group<RingParams>(v['ring'], `${path}.ring`, d.ring, {
    radius_min_m: positive,
    radius_max_m: positive,
    votes_min: nonNegative,
    support_min: fraction,
  });
  ordered(ring.radius_min_m, ring.radius_max_m, `${path}.ring.radius_max_m`);
  const enclosure = group<EnclosureParams>(v['enclosure'], `${path}.enclosure`, d.enclosure, {
    side_min_m: positive,
    side_max_m: positive,
    aspect_max: (n) => (n >= 1 ? undefined : 'expected ≥ 1'),
    support_min: fraction,
    fit_min: fraction,
  });
  ordered(enclosure.side_min_m, enclosure.side_max_m, `${path}.enclosure.side_max_m`);
  const causeway = group<CausewayParams>(v['causeway'], `${path}.causeway`, d.causeway, {
    length_min_m: positive,
    length_max_m: positive,
    width_max_px: positive,
    support_min: fraction,
  });
  ordered(causeway.length_min_m, causeway.length_max_m, `${path}.causeway.length_max_m`);
  return {
    polarity,
    line_min: lineMin,
    line_max: lineMax,
    depth_max: nullable(v['depth_max'], `${path}.depth_max`, d.depth_max, positive),
    flank_min: nullable(v['flank_min'], `${path}.flank_min`, d.flank_min, (n) =>
      Number.isFinite(n) ? undefined : 'expected a number',
    ),
    ring,
    enclosure,
    causeway,
  };
}

function originalMode(v: Record<string, Json>, path: string): OriginalEarthworkSettings {
  const d = ORIGINAL_EARTHWORK_SETTINGS;
  const min = num(v['min_size_m'] ?? d.min_size_m, `${path}.min_size_m`, positive);
  const max = num(v['max_size_m'] ?? d.max_size_m, `${path}.max_size_m`, positive);
  ordered(min, max, `${path}.max_size_m`);
  const scale = v['scale'] ?? d.scale;
  if (!Array.isArray(scale) || scale.length !== 2)
    throw new ParamsError(`${path}.scale`, 'expected [low, high]: the index values mapped to 0 and 255');
  const lo = num(scale[0], `${path}.scale[0]`);
  const hi = num(scale[1], `${path}.scale[1]`, (n) => (n > lo ? undefined : `expected > scale[0] (${lo})`));
  const rows = num(v['window_rows'] ?? d.window_rows, `${path}.window_rows`, (n) =>
    Number.isInteger(n) && n >= 64 ? undefined : 'expected an integer ≥ 64',
  );
  return { min_size_m: min, max_size_m: max, scale: [lo, hi], window_rows: rows };
}

const COMMON_KEYS = ['kind', 'index', 'mode', 'outline'];
const DEFAULT_KEYS = ['polarity', 'line_min', 'line_max', 'depth_max', 'flank_min', 'ring', 'enclosure', 'causeway'];
const ORIGINAL_KEYS = ['min_size_m', 'max_size_m', 'scale', 'window_rows'];

function validateEarthworks(v: Record<string, Json>, path: string): EarthworksSpec {
  const mode = v['mode'] ?? 'default';
  if (mode !== 'default' && mode !== 'original')
    throw new ParamsError(`${path}.mode`, `expected default or original, got ${JSON.stringify(mode)}`);
  keys(v, path, [...COMMON_KEYS, ...(mode === 'default' ? DEFAULT_KEYS : ORIGINAL_KEYS)], []);
  const index = indexName(v['index'] ?? 'ndvi', `${path}.index`);
  return mode === 'default'
    ? { kind: 'earthworks', index, mode, ...defaultMode(v, path) }
    : { kind: 'earthworks', index, mode, ...originalMode(v, path) };
}

export const earthworksKind: DetectorKindSchema<EarthworksSpec> = {
  kind: 'earthworks',
  validate: validateEarthworks,
  indices: (spec) => [spec.index],
};
