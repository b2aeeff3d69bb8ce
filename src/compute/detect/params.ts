/**
 * Detectors are data (product.md, "Scan: detection"): a parameter file lists, per detector, conditions on
 * indices, morphology steps, connectivity, area limits in m², shape limits, a confidence rule and an
 * optional density limit. Each detector has a `kind` (kind.ts; absent = `spectral`, the kind above), whose
 * room (compute/detect/<kind>/) checks the rest of its keys. The built-in sets `default` and `original` are parameter files like any other;
 * `archeo scan --print-params` prints one. A malformed file is refused naming the JSON path of the fault.
 */
import { createHash } from 'node:crypto';
import type { DetectorKindSchema } from './kind.js';
import { isObject, keys, num, ParamsError, type Json } from './params.check.js';
import {
  DEFAULT_EARTHWORK_SETTINGS,
  earthworksKind,
  type EarthworksSpec,
  ORIGINAL_EARTHWORK_SETTINGS,
} from './earthworks/spec.js';
import { spectralKind, type MorphologySpec, type SpectralSpec } from './spectral/spec.js';

export { ParamsError } from './params.check.js';
export type { CompareOp, Condition, MorphologySpec, SpectralSpec } from './spectral/spec.js';
export type { EarthworksSpec } from './earthworks/spec.js';

/** A detector of any kind (one union member per kind; a new kind adds its spec here and to detectorKinds). */
export type DetectorSpec = SpectralSpec | EarthworksSpec;

/** The kinds of detector, by the `kind` of a parameter file's detector. */
export const detectorKinds: Record<DetectorSpec['kind'], DetectorKindSchema<DetectorSpec>> = {
  spectral: spectralKind,
  earthworks: earthworksKind,
};

/** The kind of detectors whose parameter files say none. */
export const DEFAULT_KIND: DetectorSpec['kind'] = 'spectral';

export interface DetectionParams {
  name: string;
  description: string;
  /** SCL classes masked (NaN in every index, never part of a candidate). */
  mask_classes: number[];
  /** Clear masked pixels (clouds, nodata) from the masks after morphology, so a closing cannot fill them. */
  remask_after_morphology: boolean;
  /** Width of the background ring for `contrast`, in pixels. */
  ring_px: number;
  detectors: Record<string, DetectorSpec>;
}

/**
 * Ranking by evidence (docs/detection.md): a candidate's confidence weighs its local contrast (its own
 * index minus the background ring's), its strength (how far its mean index is above the detector's
 * threshold) and its size, each term scaled to [0, 1]; the weights sum to 1. Contrast leads: a large,
 * dull patch (most of it barely over the threshold, no different from its surroundings) is what a
 * detector finds by the dozen, a small patch standing out from the forest around it is what a researcher
 * looks at first. Scales: contrast 0.15, strength 0.15 above the threshold, size 20,000 m² (the
 * original's 200 px at 10 m).
 */
export function evidenceConfidence(index: string, threshold: number): string {
  const clip = (x: string): string => `min(1, max(0, ${x}))`;
  return [
    `0.6 * ${clip('contrast / 0.15')}`,
    `0.3 * ${clip(`(mean_${index} - ${threshold}) / 0.15`)}`,
    `0.1 * ${clip('area_m2 / 20000')}`,
  ].join(' + ');
}

/** The original pipeline's confidences: terra preta by size alone, standard terra preta by strength, NDVI, size. */
const ORIGINAL_TERRA_PRETA_CONFIDENCE = 'min(1, area_px / 200)';
const ORIGINAL_STANDARD_CONFIDENCE =
  'min(1, 0.5 * min(1, 10 * mean_terra_preta) + 0.3 * min(1, 4 * (mean_ndvi - 0.35)) + 0.2 * min(1, area_px / 100))';

const open3: MorphologySpec = { op: 'open', kernel: 'square', size: 3 };
const close3: MorphologySpec = { op: 'close', kernel: 'square', size: 3 };

export const defaultParams: DetectionParams = {
  name: 'default',
  description:
    'archeo defaults (product.md): terra preta without the NDVI cap, standard terra preta, crop marks, earthworks',
  mask_classes: [0, 1, 3, 8, 9, 10],
  remask_after_morphology: true,
  ring_px: 5,
  detectors: {
    terra_preta: {
      kind: 'spectral',
      index: 'terra_preta_enhanced',
      conditions: [
        { index: 'terra_preta_enhanced', op: '>', value: 0.12 },
        { index: 'ndvi', op: '>', value: 0.3 },
        { index: 'ndre1', op: '>', value: 0.1 },
      ],
      morphology: [open3, close3],
      connectivity: 8,
      area_m2: { min: 1000, max: 1000000 },
      max_aspect: null,
      confidence: evidenceConfidence('terra_preta_enhanced', 0.12),
      min_confidence: 0,
      density: null,
      outline: '#ffd400',
    },
    terra_preta_standard: {
      kind: 'spectral',
      index: 'terra_preta',
      conditions: [
        { index: 'terra_preta', op: '>', value: 0.12 },
        { index: 'ndvi', op: '>', value: 0.4 },
        { index: 'ndvi', op: '<', value: 0.7 },
      ],
      morphology: [open3, close3],
      connectivity: 4,
      area_m2: { min: 50000, max: 4000000 },
      max_aspect: null,
      confidence: evidenceConfidence('terra_preta', 0.12),
      min_confidence: 0,
      density: null,
      outline: '#ff7a00',
    },
    crop_mark: {
      kind: 'spectral',
      index: 'crop_mark',
      conditions: [
        { index: 'crop_mark', op: '>', value: 0.06 },
        { index: 'ndvi', op: '>', value: 0.5 },
      ],
      morphology: [open3, close3],
      connectivity: 4,
      area_m2: { min: 300, max: 20000 },
      max_aspect: 10,
      confidence: '0.8 * min(1, sqrt(area_m2) / 30) * min(1, 10 * abs(mean_crop_mark))',
      min_confidence: 0.3,
      density: null,
      outline: '#00e5ff',
    },
    // ring ditches, enclosures and causeways on NDVI (docs/earthworks.md)
    earthworks: {
      kind: 'earthworks',
      index: 'ndvi',
      mode: 'default',
      ...DEFAULT_EARTHWORK_SETTINGS,
      outline: '#ff2d55',
    },
  },
};

/**
 * The thresholds of the original pipeline's production run (reference/original-pipeline.md §3), for
 * users comparing with it: the default set with the original's differences. Even kernels (2x2, 4x4)
 * shift a mask by a pixel, so they are replaced by 3x3. Its density filter (DBSCAN, 0.005° ≈ 550 m,
 * 0.2 candidates/km²) applies to terra preta and crop marks.
 */
const d = defaultParams.detectors as Record<string, SpectralSpec>;
const density = { max_per_km2: 0.2, cluster_m: 550 };
export const originalParams: DetectionParams = {
  ...defaultParams,
  name: 'original',
  description: 'the original pipeline production thresholds (NDVI capped at 0.8, 45 px minimum, density limits)',
  detectors: {
    terra_preta: {
      ...d['terra_preta']!,
      conditions: [
        ...d['terra_preta']!.conditions.slice(0, 2),
        { index: 'ndvi', op: '<', value: 0.8 },
        d['terra_preta']!.conditions[2]!,
      ],
      area_m2: { min: 4500, max: null },
      confidence: ORIGINAL_TERRA_PRETA_CONFIDENCE,
      density,
    },
    terra_preta_standard: {
      ...d['terra_preta_standard']!,
      // the original raises every standard confidence to at least 0.6 and keeps those ≥ 0.5
      confidence: `max(0.6, ${ORIGINAL_STANDARD_CONFIDENCE})`,
      min_confidence: 0.5,
    },
    crop_mark: {
      ...d['crop_mark']!,
      morphology: [open3, close3, open3],
      density,
    },
    // the original's Canny/Hough/contour step (§3.6, docs/earthworks.md "The `original` kernels") on NDVI
    earthworks: {
      kind: 'earthworks',
      index: 'ndvi',
      mode: 'original',
      ...ORIGINAL_EARTHWORK_SETTINGS,
      outline: '#ff2d55',
    },
  },
};

export const builtinParams: Record<string, DetectionParams> = { default: defaultParams, original: originalParams };

/** A detector of a parameter file: its kind (absent = spectral), its outline colour, the rest by its kind. */
function detector(v: Json, path: string): DetectorSpec {
  if (!isObject(v)) throw new ParamsError(path, 'expected an object');
  const { kind = DEFAULT_KIND, outline, ...rest } = v;
  // own keys only: "toString" or "__proto__" is not a kind
  const schema =
    typeof kind === 'string' && Object.hasOwn(detectorKinds, kind)
      ? detectorKinds[kind as DetectorSpec['kind']]
      : undefined;
  if (!schema) {
    const known = Object.keys(detectorKinds).join(', ');
    throw new ParamsError(`${path}.kind`, `expected one of ${known}, got ${JSON.stringify(kind)}`);
  }
  if (outline !== undefined && (typeof outline !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(outline))) {
    throw new ParamsError(`${path}.outline`, `expected a colour #rrggbb, got ${JSON.stringify(outline)}`);
  }
  const spec = schema.validate(rest, path);
  return outline !== undefined ? { ...spec, outline } : spec;
}

/** Validates a parsed parameter file; throws ParamsError naming the JSON path of the first fault. */
export function validateParams(doc: Json): DetectionParams {
  if (!isObject(doc)) throw new ParamsError('$', 'expected an object');
  keys(
    doc,
    '$',
    ['name', 'description', 'mask_classes', 'remask_after_morphology', 'ring_px', 'detectors'],
    ['detectors'],
  );
  const classes = doc['mask_classes'] ?? defaultParams.mask_classes;
  if (!Array.isArray(classes)) throw new ParamsError('$.mask_classes', 'expected an array of SCL classes');
  const maskClasses = classes.map((c, i) =>
    num(c, `$.mask_classes[${i}]`, (n) =>
      Number.isInteger(n) && n >= 0 && n <= 255 ? undefined : 'expected an integer 0-255',
    ),
  );
  const remask = doc['remask_after_morphology'] ?? true;
  if (typeof remask !== 'boolean') throw new ParamsError('$.remask_after_morphology', 'expected true or false');
  const dets = doc['detectors'];
  if (!isObject(dets) || Object.keys(dets).length === 0)
    throw new ParamsError('$.detectors', 'expected an object with at least one detector');
  const detectors: Record<string, DetectorSpec> = {};
  for (const [name, d] of Object.entries(dets)) {
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name))
      throw new ParamsError(`$.detectors.${name}`, 'a detector name is letters, digits, _ and -');
    detectors[name] = detector(d, `$.detectors.${name}`);
  }
  return {
    name: typeof doc['name'] === 'string' ? doc['name'] : 'custom',
    description: typeof doc['description'] === 'string' ? doc['description'] : '',
    mask_classes: maskClasses,
    remask_after_morphology: remask,
    ring_px: num(doc['ring_px'] ?? 5, '$.ring_px', (n) =>
      Number.isInteger(n) && n >= 1 && n <= 100 ? undefined : 'expected an integer from 1 to 100',
    ),
    detectors,
  };
}

/** Canonical JSON (sorted keys) of what changes results, hashed: a changed parameter never reuses a result. */
export function paramsHash(p: DetectionParams): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : isObject(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical(v[k])]),
          )
        : v;
  const { name: _name, description: _description, detectors, ...rest } = p;
  // Outline colours change the quicklook only, not a result: a new colour reuses earlier results.
  const results = Object.fromEntries(Object.entries(detectors).map(([k, { outline: _outline, ...d }]) => [k, d]));
  return createHash('sha256')
    .update(JSON.stringify(canonical({ ...rest, detectors: results })))
    .digest('hex')
    .slice(0, 16);
}

/** Indices a set of detectors reads (each by its kind: conditions, own index, confidence means for spectral). */
export function detectorIndices(specs: readonly DetectorSpec[]): string[] {
  const out = new Set<string>();
  for (const d of specs) for (const name of detectorKinds[d.kind].indices(d)) out.add(name);
  return [...out];
}
