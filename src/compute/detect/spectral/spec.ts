/**
 * The spectral kind of detector (the original's): conditions on indices → bit mask → morphology →
 * connected components → area and shape limits → statistics (means, ring contrast) → confidence formula →
 * density limit. Its parameters, their checks (JSON paths) and the indices it reads; the scan runs it in
 * pipeline/scan/detectors/spectral.ts.
 */
import { indexByName } from '../../indices.js';
import { formulaVariables, parseFormula, type Formula } from '../formula.js';
import type { DetectorKindSchema } from '../kind.js';
import { isObject, keys, indexName, num, ParamsError, type Json } from '../params.check.js';

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

export interface SpectralSpec {
  /** Parameter files without `kind` mean this one. */
  kind: 'spectral';
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

function validateSpectral(v: Record<string, Json>, path: string): SpectralSpec {
  // kind and outline are checked by params.ts for every kind; listed for the fault's message
  const allowed = [
    'kind',
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
  let density: SpectralSpec['density'] = null;
  if (v['density'] !== null && v['density'] !== undefined) {
    const d = v['density'];
    if (!isObject(d)) throw new ParamsError(`${path}.density`, 'expected null or {max_per_km2, cluster_m}');
    keys(d, `${path}.density`, ['max_per_km2', 'cluster_m'], ['max_per_km2', 'cluster_m']);
    density = {
      max_per_km2: num(d['max_per_km2'], `${path}.density.max_per_km2`, (n) => (n > 0 ? undefined : 'expected > 0')),
      cluster_m: num(d['cluster_m'], `${path}.density.cluster_m`, (n) => (n >= 0 ? undefined : 'expected ≥ 0')),
    };
  }
  return {
    kind: 'spectral',
    index: indexName(v['index'], `${path}.index`),
    conditions: conds,
    morphology: morph.map((m, i) => morphology(m, `${path}.morphology[${i}]`)),
    connectivity,
    area_m2: { min, max },
    max_aspect: maxAspect,
    confidence: v['confidence'],
    min_confidence: num(v['min_confidence'] ?? 0, `${path}.min_confidence`),
    density,
  };
}

/** Indices a spectral detector reads: its own, its conditions', and the means its confidence uses. */
function spectralIndices(d: SpectralSpec): string[] {
  const out = new Set<string>([d.index, ...d.conditions.map((c) => c.index)]);
  for (const v of formulaVariables(parseFormula(d.confidence))) if (v.startsWith('mean_')) out.add(v.slice(5));
  return [...out];
}

export const spectralKind: DetectorKindSchema<SpectralSpec> = {
  kind: 'spectral',
  validate: validateSpectral,
  indices: spectralIndices,
};
