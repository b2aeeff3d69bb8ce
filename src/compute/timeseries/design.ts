/**
 * The time functions of a deformation model and their design matrix, column for column as MintPy builds
 * them (reference/mintpy.md §2.4, utils/time_func.py): polynomial Δt^k/k!, periodic cos/sin pairs, steps,
 * exponential and logarithmic relaxations. Entries are computed in double precision and rounded to
 * float32, because MintPy stores G as float32 before solving.
 */
import { factorial } from '../../core/numbers.js';
import { pythonFloatRepr } from '../../core/python.format.js';
import { decimalYear, parseDate } from './dates.js';

export interface Relaxation {
  /** Onset date, YYYYMMDD or YYYYMMDDTHHMM. */
  onset: string;
  /** Characteristic times in whole days. */
  taus: number[];
}

export interface TimeModel {
  polynomial: number;
  /** Periods in years. */
  periodic: number[];
  /** Step dates. */
  steps: string[];
  exp: Relaxation[];
  log: Relaxation[];
}

export class ModelError extends Error {
  override readonly name = 'ModelError';
}

export function parameterCount(model: TimeModel): number {
  const taus = (list: Relaxation[]): number => list.reduce((a, r) => a + r.taus.length, 0);
  return model.polynomial + 1 + 2 * model.periodic.length + model.steps.length + taus(model.exp) + taus(model.log);
}

/**
 * MintPy's checks of a model against the dates used (time_func.inps2model, get_design_matrix4time_func).
 * Returns warnings (fractional taus are truncated to whole days, as MintPy does).
 */
export function validateModel(model: TimeModel, dates: readonly string[]): string[] {
  const warnings: string[] = [];
  if (!Number.isInteger(model.polynomial) || model.polynomial < 0)
    throw new ModelError(`polynomial degree ${model.polynomial}: expected an integer ≥ 0`);
  if (parameterCount(model) <= 1)
    throw new ModelError(
      'no time function to fit: a polynomial of degree 0 alone is one parameter (use --polynomial 1 or add a function)',
    );
  const first = decimalYear(dates[0]!);
  const last = decimalYear(dates[dates.length - 1]!);
  for (const p of model.periodic) if (!(p > 0)) throw new ModelError(`period ${p}: expected a period in years > 0`);
  for (const s of model.steps) {
    const y = decimalYear(s);
    if (!(first < y && y < last))
      throw new ModelError(
        `step date ${s} is not between the first and last dates used (${dates[0]} / ${dates[dates.length - 1]})`,
      );
  }
  for (const [kind, list] of [
    ['exp', model.exp],
    ['log', model.log],
  ] as const) {
    for (const r of list) {
      if (!/^\d{8}(T\d{4})?$/.test(r.onset))
        throw new ModelError(`--${kind} onset ${r.onset}: expected YYYYMMDD or YYYYMMDDTHHMM`);
      parseDate(r.onset);
      if (decimalYear(r.onset) >= last)
        throw new ModelError(
          `--${kind} onset ${r.onset} is not before the last date used (${dates[dates.length - 1]})`,
        );
      if (r.taus.length === 0)
        throw new ModelError(`--${kind} ${r.onset}: give at least one characteristic time in days after the onset`);
      for (const tau of r.taus) {
        if (!(tau > 0)) throw new ModelError(`--${kind} ${r.onset}: characteristic time ${tau}: expected days > 0`);
        if (!Number.isInteger(tau))
          warnings.push(
            `--${kind} ${r.onset}: characteristic time ${tau} truncated to ${Math.trunc(tau)} days (as MintPy)`,
          );
      }
    }
  }
  return warnings;
}

/** Whole-day taus, as MintPy uses them (fractions dropped). */
export function wholeDays(model: TimeModel): TimeModel {
  const trunc = (list: Relaxation[]): Relaxation[] =>
    list.map((r) => ({ onset: r.onset, taus: r.taus.map((t) => Math.trunc(t)) }));
  return { ...model, exp: trunc(model.exp), log: trunc(model.log) };
}

export interface DesignMatrix {
  /** Row-major, rows = dates, columns = parameters; float32 values held in doubles. */
  values: Float64Array;
  rows: number;
  cols: number;
}

/**
 * G for `dates` (the dates used, ascending). The polynomial and periodic columns take Δt from the date at
 * `origin` (the first date used, as timeseries2velocity does); steps and relaxations compare acquisition
 * times (with CENTER_LINE_UTC `seconds`) to their onsets (without).
 */
export function designMatrix(model: TimeModel, dates: readonly string[], seconds: number, origin = 0): DesignMatrix {
  const n = dates.length;
  const p = parameterCount(model);
  const t = dates.map((d) => decimalYear(d, seconds));
  const t0 = t[origin]!;
  const dt = t.map((y) => y - t0);
  const g = new Float64Array(n * p);
  const set = (i: number, c: number, v: number): void => {
    g[i * p + c] = Math.fround(v);
  };
  let c = 0;
  for (let k = 0; k <= model.polynomial; k++, c++) {
    const f = factorial(k);
    for (let i = 0; i < n; i++) set(i, c, dt[i]! ** k / f);
  }
  for (const period of model.periodic) {
    const w = (2 * Math.PI) / period;
    for (let i = 0; i < n; i++) {
      set(i, c, Math.cos(w * dt[i]!));
      set(i, c + 1, Math.sin(w * dt[i]!));
    }
    c += 2;
  }
  for (const step of model.steps) {
    const ts = decimalYear(step);
    for (let i = 0; i < n; i++) set(i, c, t[i]! > ts ? 1 : 0);
    c++;
  }
  for (const r of model.exp) {
    const onset = decimalYear(r.onset);
    for (const tau of r.taus) {
      const tauYears = tau / 365.25;
      for (let i = 0; i < n; i++) set(i, c, t[i]! > onset ? 1 - Math.exp((-1 * (t[i]! - onset)) / tauYears) : 0);
      c++;
    }
  }
  for (const r of model.log) {
    const onset = decimalYear(r.onset);
    for (const tau of r.taus) {
      const tauYears = tau / 365.25;
      for (let i = 0; i < n; i++) {
        const v = Math.log(1 + (t[i]! - onset) / tauYears);
        // MintPy: H(t − T) · nan_to_num(log(...), nan=0, neginf=0)
        set(i, c, t[i]! > onset && Number.isFinite(v) ? v : 0);
      }
      c++;
    }
  }
  return { values: g, rows: n, cols: p };
}

/** What each output dataset of velocity.h5 holds, in MintPy's order (model2hdf5_dataset). */
export type OutputKind =
  | { kind: 'param'; index: number }
  | { kind: 'std'; index: number }
  | { kind: 'amplitude'; index: number }
  | { kind: 'phase'; index: number }
  | { kind: 'residue' };

export interface OutputDataset {
  name: string;
  unit: string;
  source: OutputKind;
}

export function outputDatasets(model: TimeModel, withResidue: boolean): OutputDataset[] {
  const out: OutputDataset[] = [];
  let c = 0;
  const pair = (name: string, unit: string): void => {
    out.push({ name, unit, source: { kind: 'param', index: c } });
    out.push({ name: `${name}Std`, unit, source: { kind: 'std', index: c } });
    c++;
  };
  for (let k = 0; k <= model.polynomial; k++) {
    if (k === 0) pair('intercept', 'm');
    else if (k === 1) pair('velocity', 'm/year');
    else if (k === 2) pair('acceleration', 'm/year^2');
    else pair(`poly${k}`, `m/year^${k}`);
  }
  for (const period of model.periodic) {
    const base = period === 1 ? 'annual' : period === 0.5 ? 'semiAnnual' : `period${pythonFloatRepr(period)}Y`;
    out.push({ name: `${base}Amplitude`, unit: 'm', source: { kind: 'amplitude', index: c } });
    out.push({ name: `${base}Phase`, unit: 'radian', source: { kind: 'phase', index: c } });
    c += 2;
  }
  for (const step of model.steps) pair(`step${step}`, 'm');
  for (const r of model.exp) for (const tau of r.taus) pair(`exp${r.onset}Tau${tau}D`, 'm');
  for (const r of model.log) for (const tau of r.taus) pair(`log${r.onset}Tau${tau}D`, 'm');
  if (withResidue) out.push({ name: 'residue', unit: 'm', source: { kind: 'residue' } });
  return out;
}
