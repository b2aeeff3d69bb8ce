/**
 * Detectors are data (product.md, "Scan: detection"): a parameter file lists, per detector, conditions on
 * indices, morphology steps, connectivity, area limits in m², shape limits, a confidence rule and an
 * optional density limit. The built-in sets `default` and `original` are parameter files like any other;
 * `archeo scan --print-params` prints one. A malformed file is refused naming the JSON path of the fault.
 */
import { createHash } from 'node:crypto';
import { indexByName } from '../indices.js';
import { parseFormula, formulaVariables, type Formula } from './formula.js';

export type CompareOp = '>' | '>=' | '<' | '<=';
export interface Condition {
  index: string;
  op: CompareOp;
  value: number;
}

export interface MorphologySpec {
  op: 'open' | 'close' | 'erode' | 'dilate';
  /** 'square' | 'cross' | 'disk' (OpenCV's ellipse) with `size`, or an explicit odd-sided 0/1 matrix. */
  kernel: 'square' | 'cross' | 'disk' | number[][];
  size?: number;
}

export interface DetectorSpec {
  /** The detector's own index: its mean and ring contrast describe the candidate. */
  index: string;
  /** All must hold (strict or not as written). */
  conditions: Condition[];
  morphology: MorphologySpec[];
  connectivity: 4 | 8;
  /** Area limits in m² (from the grid's real pixel size); max null = none. */
  area_m2: { min: number; max: number | null };
  /** Bounding-box aspect max(h, w) / max(min(h, w), 1); null = none. */
  max_aspect: number | null;
  /** Confidence formula over area_px, area_m2, aspect, contrast and mean_<index>. */
  confidence: string;
  /** Candidates below this confidence are dropped. */
  min_confidence: number;
  /** Density limit: cluster candidates within cluster_m, keep the most confident of each, then the top max_per_km2 x area. */
  density: { max_per_km2: number; cluster_m: number } | null;
  /** Quicklook outline colour, `#rrggbb` (presentation only: not part of the parameter hash). */
  outline?: string;
}

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

const open3: MorphologySpec = { op: 'open', kernel: 'square', size: 3 };
const close3: MorphologySpec = { op: 'close', kernel: 'square', size: 3 };

export const defaultParams: DetectionParams = {
  name: 'default',
  description: 'archeo defaults (product.md): terra preta without the NDVI cap, standard terra preta, crop marks',
  mask_classes: [0, 1, 3, 8, 9, 10],
  remask_after_morphology: true,
  ring_px: 5,
  detectors: {
    terra_preta: {
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
      confidence: 'min(1, area_px / 200)',
      min_confidence: 0,
      density: null,
      outline: '#ffd400',
    },
    terra_preta_standard: {
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
      confidence:
        'min(1, 0.5 * min(1, 10 * mean_terra_preta) + 0.3 * min(1, 4 * (mean_ndvi - 0.35)) + 0.2 * min(1, area_px / 100))',
      min_confidence: 0,
      density: null,
      outline: '#ff7a00',
    },
    crop_mark: {
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
  },
};

/**
 * The thresholds of the original pipeline's production run (reference/original-pipeline.md §3), for
 * users comparing with it: the default set with the original's differences. Even kernels (2x2, 4x4)
 * shift a mask by a pixel, so they are replaced by 3x3. Its density filter (DBSCAN, 0.005° ≈ 550 m,
 * 0.2 candidates/km²) applies to terra preta and crop marks.
 */
const d = defaultParams.detectors;
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
      density,
    },
    terra_preta_standard: {
      ...d['terra_preta_standard']!,
      // the original raises every standard confidence to at least 0.6 and keeps those ≥ 0.5
      confidence: `max(0.6, ${d['terra_preta_standard']!.confidence})`,
      min_confidence: 0.5,
    },
    crop_mark: {
      ...d['crop_mark']!,
      morphology: [open3, close3, open3],
      density,
    },
  },
};

export const builtinParams: Record<string, DetectionParams> = { default: defaultParams, original: originalParams };

/** A parameter file's fault: the JSON path and what is wrong there. */
export class ParamsError extends Error {
  constructor(
    readonly jsonPath: string,
    readonly fault: string,
  ) {
    super(`${jsonPath}: ${fault}`);
  }
}

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: Json, path: string, check?: (n: number) => string | undefined): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    // JSON.parse reads 1e309 as Infinity, which JSON.stringify would show as "null".
    throw new ParamsError(path, `expected a finite number, got ${typeof v === 'number' ? v : JSON.stringify(v)}`);
  const fault = check?.(v);
  if (fault) throw new ParamsError(path, fault);
  return v;
}

function keys(o: Record<string, Json>, path: string, allowed: string[], required: string[]): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw new ParamsError(`${path}.${k}`, `unknown key (expected ${allowed.join(', ')})`);
  for (const k of required) if (!(k in o)) throw new ParamsError(`${path}.${k}`, 'missing');
}

function indexName(v: Json, path: string): string {
  if (typeof v !== 'string' || !indexByName(v)) throw new ParamsError(path, `unknown index ${JSON.stringify(v)}`);
  return v;
}

function morphology(v: Json, path: string): MorphologySpec {
  if (!isObject(v)) throw new ParamsError(path, 'expected an object {op, kernel, size}');
  keys(v, path, ['op', 'kernel', 'size'], ['op', 'kernel']);
  if (!['open', 'close', 'erode', 'dilate'].includes(v['op'] as string)) {
    throw new ParamsError(`${path}.op`, `expected one of open, close, erode, dilate, got ${JSON.stringify(v['op'])}`);
  }
  const kernel = v['kernel'];
  if (Array.isArray(kernel)) {
    const rows = kernel.length;
    if (
      rows % 2 === 0 ||
      !kernel.every(
        (r) => Array.isArray(r) && r.length === (kernel[0] as Json[]).length && r.every((x) => x === 0 || x === 1),
      )
    ) {
      throw new ParamsError(`${path}.kernel`, 'expected an odd-sided matrix of 0 and 1');
    }
    if ((kernel[0] as Json[]).length % 2 === 0)
      throw new ParamsError(`${path}.kernel`, 'expected an odd number of columns');
    if (!kernel.some((r) => (r as number[]).includes(1)))
      throw new ParamsError(`${path}.kernel`, 'the kernel has no 1');
    return { op: v['op'] as MorphologySpec['op'], kernel: kernel as number[][] };
  }
  if (!['square', 'cross', 'disk'].includes(kernel as string)) {
    throw new ParamsError(
      `${path}.kernel`,
      `expected square, cross, disk or a 0/1 matrix, got ${JSON.stringify(kernel)}`,
    );
  }
  const size = num(v['size'] ?? 3, `${path}.size`, (n) =>
    Number.isInteger(n) && n >= 1 && n % 2 === 1 && n <= 99
      ? undefined
      : `expected an odd integer from 1 to 99, got ${n}`,
  );
  return { op: v['op'] as MorphologySpec['op'], kernel: kernel as 'square', size };
}

const measureNames = ['area_px', 'area_m2', 'aspect', 'contrast'];

function detector(v: Json, path: string): DetectorSpec {
  if (!isObject(v)) throw new ParamsError(path, 'expected an object');
  const allowed = [
    'index',
    'conditions',
    'morphology',
    'connectivity',
    'area_m2',
    'max_aspect',
    'confidence',
    'min_confidence',
    'density',
    'outline',
  ];
  keys(v, path, allowed, ['index', 'conditions', 'confidence']);
  const conditions = v['conditions'];
  if (!Array.isArray(conditions) || conditions.length === 0)
    throw new ParamsError(`${path}.conditions`, 'expected a non-empty array of {index, op, value}');
  const conds = conditions.map((c, i): Condition => {
    const p = `${path}.conditions[${i}]`;
    if (!isObject(c)) throw new ParamsError(p, 'expected an object {index, op, value}');
    keys(c, p, ['index', 'op', 'value'], ['index', 'op', 'value']);
    if (!['>', '>=', '<', '<='].includes(c['op'] as string))
      throw new ParamsError(`${p}.op`, `expected one of >, >=, <, <=, got ${JSON.stringify(c['op'])}`);
    return {
      index: indexName(c['index'], `${p}.index`),
      op: c['op'] as CompareOp,
      value: num(c['value'], `${p}.value`),
    };
  });
  const morph = v['morphology'] ?? [];
  if (!Array.isArray(morph)) throw new ParamsError(`${path}.morphology`, 'expected an array of steps');
  const area = v['area_m2'] ?? { min: 0, max: null };
  if (!isObject(area)) throw new ParamsError(`${path}.area_m2`, 'expected an object {min, max}');
  keys(area, `${path}.area_m2`, ['min', 'max'], []);
  const min = num(area['min'] ?? 0, `${path}.area_m2.min`, (n) => (n >= 0 ? undefined : 'expected ≥ 0'));
  const max =
    area['max'] === null || area['max'] === undefined
      ? null
      : num(area['max'], `${path}.area_m2.max`, (n) => (n >= min ? undefined : `expected ≥ min (${min})`));
  const connectivity = v['connectivity'] ?? 8;
  if (connectivity !== 4 && connectivity !== 8)
    throw new ParamsError(`${path}.connectivity`, `expected 4 or 8, got ${JSON.stringify(connectivity)}`);
  const maxAspect =
    v['max_aspect'] === null || v['max_aspect'] === undefined
      ? null
      : num(v['max_aspect'], `${path}.max_aspect`, (n) => (n >= 1 ? undefined : 'expected ≥ 1'));
  if (typeof v['confidence'] !== 'string') throw new ParamsError(`${path}.confidence`, 'expected a formula string');
  let formula: Formula;
  try {
    formula = parseFormula(v['confidence']);
  } catch (err) {
    throw new ParamsError(`${path}.confidence`, (err as Error).message);
  }
  for (const name of formulaVariables(formula)) {
    if (measureNames.includes(name)) continue;
    if (name.startsWith('mean_') && indexByName(name.slice(5))) continue;
    throw new ParamsError(
      `${path}.confidence`,
      `unknown variable '${name}' (known: ${measureNames.join(', ')}, mean_<index>)`,
    );
  }
  let density: DetectorSpec['density'] = null;
  if (v['density'] !== null && v['density'] !== undefined) {
    const d = v['density'];
    if (!isObject(d)) throw new ParamsError(`${path}.density`, 'expected null or {max_per_km2, cluster_m}');
    keys(d, `${path}.density`, ['max_per_km2', 'cluster_m'], ['max_per_km2', 'cluster_m']);
    density = {
      max_per_km2: num(d['max_per_km2'], `${path}.density.max_per_km2`, (n) => (n > 0 ? undefined : 'expected > 0')),
      cluster_m: num(d['cluster_m'], `${path}.density.cluster_m`, (n) => (n >= 0 ? undefined : 'expected ≥ 0')),
    };
  }
  const outline = v['outline'];
  if (outline !== undefined && (typeof outline !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(outline))) {
    throw new ParamsError(`${path}.outline`, `expected a colour #rrggbb, got ${JSON.stringify(outline)}`);
  }
  return {
    index: indexName(v['index'], `${path}.index`),
    conditions: conds,
    morphology: morph.map((m, i) => morphology(m, `${path}.morphology[${i}]`)),
    connectivity,
    area_m2: { min, max },
    max_aspect: maxAspect,
    confidence: v['confidence'],
    min_confidence: num(v['min_confidence'] ?? 0, `${path}.min_confidence`),
    density,
    ...(outline !== undefined ? { outline } : {}),
  };
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

/** Indices a set of detectors reads (conditions, own index, confidence means). */
export function detectorIndices(specs: readonly DetectorSpec[]): string[] {
  const out = new Set<string>();
  for (const d of specs) {
    out.add(d.index);
    for (const c of d.conditions) out.add(c.index);
    for (const v of formulaVariables(parseFormula(d.confidence))) if (v.startsWith('mean_')) out.add(v.slice(5));
  }
  return [...out];
}
