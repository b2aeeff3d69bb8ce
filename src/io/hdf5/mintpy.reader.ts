/**
 * MintPy HDF5 files (reference/mintpy.md §1): datasets at the root, every attribute a string, `date` as
 * S8 (or S13 with a time of day). `openTimeseries` checks what the time-series commands rely on — the
 * cube, its dates in order, the grid size — and reads the cube in row blocks through `H5Cube`.
 * `describeH5` lists any HDF5 file for `archeo info`.
 */
import { resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import { H5Cube } from './cube.js';
import {
  attributeStrings,
  mintpyRootAttributes,
  checkFilters,
  closeH5,
  dtypeName,
  h5Guard,
  isDataset,
  loadH5,
  openH5,
  type H5File,
  type H5Module,
} from './h5.js';

export interface TimeseriesFile {
  path: string;
  /** Root attributes, as strings. */
  attrs: Record<string, string>;
  /** Acquisition dates, YYYYMMDD (or YYYYMMDDTHHMM), ascending. */
  dates: string[];
  /** Perpendicular baselines (m), when the file has them. */
  bperp: Float32Array | null;
  length: number;
  width: number;
  cube: H5Cube;
  close(): void;
}

/** Opens a MintPy timeseries.h5; refuses files the fit cannot use, naming the fault. */
export async function openTimeseries(path: string): Promise<TimeseriesFile> {
  const file = await openH5(path);
  try {
    const names = h5Guard(path, undefined, () => file.keys());
    if (!names.includes('timeseries'))
      throw new InputError(
        path,
        `no 'timeseries' dataset (found: ${names.join(', ') || 'nothing'}); is this a MintPy time-series file?`,
      );
    const entry = h5Guard(path, 'timeseries', () => file.get('timeseries'));
    if (!entry) throw new InputError(path, `dataset 'timeseries' is listed but cannot be opened (a damaged header)`);
    if (!isDataset(entry))
      throw new InputError(
        path,
        `'timeseries' is a group (the pre-2019 MintPy layout); archeo reads the dataset layout`,
      );
    const cube = await H5Cube.of(path, file, 'timeseries');
    if (cube.shape.length !== 3)
      throw new InputError(path, `'timeseries' has shape (${cube.shape.join(', ')}); expected (dates, length, width)`);
    if (cube.shape[0] === 0) throw new InputError(path, `'timeseries' has no dates (shape (${cube.shape.join(', ')}))`);
    if (cube.length === 0 || cube.width === 0)
      throw new InputError(path, `'timeseries' has no pixels (shape (${cube.shape.join(', ')}))`);
    const dates = readDates(path, file, cube.shape[0]!);
    const attrs = mintpyRootAttributes(path, file);
    checkGridAttributes(path, attrs, cube.length, cube.width);
    const bperp = h5Guard(path, 'bperp', () => {
      const entry = names.includes('bperp') ? file.get('bperp') : null;
      return isDataset(entry) ? Float32Array.from(entry.value as ArrayLike<number>) : null;
    });
    if (bperp && bperp.length !== dates.length)
      throw new InputError(path, `'bperp' lists ${bperp.length} values but 'timeseries' has ${dates.length} dates`);
    return { path, attrs, dates, bperp, length: cube.length, width: cube.width, cube, close: () => closeH5(file) };
  } catch (err) {
    closeH5(file);
    throw err;
  }
}

/** The `date` dataset: one string per acquisition, strictly ascending. */
function readDates(path: string, file: H5File, count: number): string[] {
  const raw = h5Guard(path, 'date', () => {
    const entry = file.keys().includes('date') ? file.get('date') : null;
    if (!isDataset(entry)) throw new InputError(path, `no 'date' dataset (the acquisition dates)`);
    return entry.value;
  });
  const dates = (Array.isArray(raw) ? raw : [raw]).map((d) =>
    (d instanceof Uint8Array ? Buffer.from(d).toString('latin1') : String(d)).replace(/\0+$/, '').trim(),
  );
  if (dates.length !== count)
    throw new InputError(path, `'date' lists ${dates.length} dates but 'timeseries' has ${count}`);
  for (let i = 0; i < dates.length; i++) {
    if (!/^\d{8}(T\d{4})?$/.test(dates[i]!))
      throw new InputError(path, `date ${i} '${dates[i]}' is not YYYYMMDD or YYYYMMDDTHHMM`);
    if (i > 0 && dates[i]! <= dates[i - 1]!) {
      throw new InputError(
        path,
        `dates out of order: ${dates[i]} (index ${i}) comes after ${dates[i - 1]}; MintPy files list dates ascending`,
      );
    }
  }
  return dates;
}

/**
 * The reference pixel of a MintPy file from its REF_Y/REF_X attributes: undefined when it has none; an
 * InputError naming the file when they are not pixel indices or fall outside the length x width grid.
 */
export function referencePixel(
  path: string,
  attrs: Record<string, string>,
  length: number,
  width: number,
): [number, number] | undefined {
  const [y, x] = [attrs['REF_Y'], attrs['REF_X']];
  if (y === undefined || x === undefined) return undefined;
  const ref: [number, number] = [Math.trunc(Number(y)), Math.trunc(Number(x))];
  if (!Number.isFinite(ref[0]) || !Number.isFinite(ref[1]) || y.trim() === '' || x.trim() === '')
    throw new InputError(path, `REF_Y/REF_X attributes '${y}'/'${x}' are not pixel indices`);
  if (ref[0] < 0 || ref[0] >= length || ref[1] < 0 || ref[1] >= width)
    throw new InputError(path, `REF_Y/REF_X (${y}, ${x}) is outside the ${length} x ${width} grid`);
  return ref;
}

function checkGridAttributes(path: string, attrs: Record<string, string>, length: number, width: number): void {
  for (const [key, size] of [
    ['LENGTH', length],
    ['WIDTH', width],
  ] as const) {
    const v = attrs[key];
    if (v !== undefined && Number(v) !== size)
      throw new InputError(path, `attribute ${key}=${v} but the 'timeseries' grid has ${size}`);
  }
}

/**
 * The attributes MintPy's reader adds before a tool copies them into its output (readfile.read_attribute):
 * FILE_TYPE from the datasets, DATA_TYPE, PROCESSOR, UNIT, NO_DATA_VALUE, FILE_PATH (an older one kept as
 * OG_FILE_PATH).
 */
export function mintpyReaderAttributes(
  path: string,
  attrs: Record<string, string>,
  fileType: string,
  dataType: string,
  defaultUnit: string,
): Record<string, string> {
  const out: Record<string, string> = { ...attrs };
  out['FILE_TYPE'] = fileType;
  out['DATA_TYPE'] = dataType;
  if (out['INSAR_PROCESSOR'] !== undefined) out['PROCESSOR'] = out['INSAR_PROCESSOR'];
  out['PROCESSOR'] ??= 'mintpy';
  out['UNIT'] ??= defaultUnit;
  out['NO_DATA_VALUE'] = (out['NO_DATA_VALUE'] ?? 'None').toLowerCase();
  if (out['FILE_PATH'] !== undefined && out['OG_FILE_PATH'] === undefined) out['OG_FILE_PATH'] = out['FILE_PATH'];
  out['FILE_PATH'] = resolve(path);
  return out;
}

export interface H5Description {
  path: string;
  file_type: string;
  datasets: {
    name: string;
    shape: number[];
    dtype: string;
    chunks: number[] | null;
    filters: string[];
    attributes: Record<string, string>;
  }[];
  attributes: Record<string, string>;
  dates: string[] | null;
}

/** Everything at the root of an HDF5 file: datasets (shape, type, chunks, filters, attributes) and attributes. */
export async function describeH5(path: string): Promise<H5Description> {
  const file = await openH5(path);
  const { module } = await loadH5();
  try {
    return h5Guard(path, undefined, () => describeOpen(path, file, module));
  } finally {
    closeH5(file);
  }
}

function describeOpen(path: string, file: H5File, module: H5Module): H5Description {
  const datasets: H5Description['datasets'] = [];
  let dates: string[] | null = null;
  for (const name of file.keys()) {
    const ds = file.get(name);
    if (!isDataset(ds)) continue;
    datasets.push({
      name,
      shape: (ds.shape ?? []).map(Number),
      dtype: dtypeName(ds.metadata, module),
      chunks: ds.metadata.chunks ? ds.metadata.chunks.map(Number) : null,
      filters: ds.filters.map((f) => `${f.name || 'filter'} (${f.id})`),
      attributes: attributeStrings(ds),
    });
    if (name === 'date' && (ds.shape ?? []).length === 1)
      dates = (ds.value as unknown[]).map((d) => String(d).replace(/\0+$/, ''));
  }
  const attributes = attributeStrings(file);
  return {
    path,
    file_type: fileTypeOf(
      datasets.map((d) => ({ name: d.name, ndim: d.shape.length })),
      attributes,
    ),
    datasets,
    attributes,
    dates,
  };
}

/** MintPy's FILE_TYPE rule: known dataset names first, then the attribute, then the first 2D+ dataset. */
export function fileTypeOf(datasets: { name: string; ndim: number }[], attrs: Record<string, string>): string {
  const d2 = datasets.filter((d) => d.ndim >= 2).map((d) => d.name);
  if (d2.some((n) => ['unwrapPhase', 'rangeOffset', 'azimuthOffset'].includes(n))) return 'ifgramStack';
  if (d2.some((n) => ['height', 'latitude', 'azimuthCoord'].includes(n))) return 'geometry';
  if (d2.includes('timeseries')) return 'timeseries';
  if (d2.includes('velocity')) return 'velocity';
  return attrs['FILE_TYPE'] ?? d2[0] ?? 'unknown';
}

/**
 * A 2D mask file (maskTempCoh.h5, a water mask, …) as bytes, 1 where the value is not 0: its `mask`
 * dataset, or its first 2D dataset, of the time series' size.
 */
export async function readMask(
  path: string,
  length: number,
  width: number,
  against = 'the time series',
): Promise<Uint8Array> {
  const file = await openH5(path);
  try {
    return h5Guard(path, undefined, () => {
      const names = file.keys();
      const name = names.includes('mask')
        ? 'mask'
        : names.find((k) => (file.get(k) as { shape?: number[] } | null)?.shape?.length === 2);
      const ds = name === undefined ? null : file.get(name);
      if (!isDataset(ds))
        throw new InputError(path, `no 2D dataset to use as a mask (found: ${names.join(', ') || 'nothing'})`);
      const shape = (ds.shape ?? []).map(Number);
      if (shape.length !== 2 || shape[0] !== length || shape[1] !== width) {
        throw new InputError(path, `mask '${name}' is (${shape.join(', ')}) but ${against} is (${length}, ${width})`);
      }
      checkFilters(path, name!, ds);
      const values = h5Guard(path, name, () => ds.value as ArrayLike<number | bigint | boolean>);
      const out = new Uint8Array(length * width);
      for (let i = 0; i < out.length; i++) out[i] = values[i] === 0 || values[i] === 0n || values[i] === false ? 0 : 1;
      return out;
    });
  } finally {
    closeH5(file);
  }
}
