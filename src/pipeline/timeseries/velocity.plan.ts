/**
 * Everything `archeo velocity` decides before reading pixels: the dates used, the reference date and
 * pixel, the model and its design matrix (rank checked), the output datasets, and the row blocks sized
 * from the memory budget. Every refusal here is one line naming the option or the file.
 */
import { InputError, UsageError } from '../../core/errors.js';
import { DateError, normalizeDate, selectDates, type DateSelection } from '../../compute/timeseries/dates.js';
import {
  designMatrix,
  ModelError,
  outputDatasets,
  parameterCount,
  validateModel,
  wholeDays,
  type DesignMatrix,
  type OutputDataset,
  type TimeModel,
} from '../../compute/timeseries/design.js';
import { fitSystem, isRankDeficient, type FitSystem } from '../../compute/timeseries/system.js';
import { referencePixel, type TimeseriesFile } from '../../io/hdf5/mintpy.reader.js';
import { rowsPerBlock } from './row.blocks.js';

export type Uncertainty = 'residue' | 'covariance' | 'bootstrap';

export interface VelocityOptions {
  startDate?: string;
  endDate?: string;
  /** Dates to leave out (text files already read by the command). */
  excludeDates: string[];
  refDate?: string;
  refYX?: [number, number];
  refLalo?: [number, number];
  model: TimeModel;
  uncertainty: Uncertainty;
  bootstrapCount: number;
  /** Memory budget in GiB for the row blocks. */
  ramGb: number;
}

export interface RowBlock {
  y0: number;
  y1: number;
}

export interface VelocityPlan {
  selection: DateSelection;
  model: TimeModel;
  design: DesignMatrix;
  system: FitSystem;
  /** CENTER_LINE_UTC, seconds of the day added to dates without a time. */
  seconds: number;
  /** Date whose slice is subtracted from every date (index in the file), or null. */
  refDateIndex: number | null;
  refDate: string | null;
  /** Reference pixel (row, column): always fitted; with --ref-yx its series is subtracted. */
  refY: number;
  refX: number;
  /** True when the reference pixel's series is subtracted (--ref-yx / --ref-lalo). */
  rereference: boolean;
  datasets: OutputDataset[];
  blocks: RowBlock[];
  blockRows: number;
  /** Bytes per row of everything a block holds (input rows, accumulators, outputs). */
  rowBytes: number;
  warnings: string[];
}

/** h5wasm's heap tops out at 2 GiB; one block must fit in it with room to spare. */
const HEAP_BLOCK_LIMIT = 1024 * 2 ** 20;

export function planVelocity(ts: TimeseriesFile, opts: VelocityOptions, extraRowBytes = 0): VelocityPlan {
  const warnings: string[] = [];
  let selection: DateSelection;
  try {
    selection = selectDates(ts.dates, { start: opts.startDate, end: opts.endDate, exclude: opts.excludeDates });
  } catch (err) {
    if (err instanceof DateError) throw new UsageError(`--start-date/--end-date/--exclude-date: ${err.message}`);
    throw err;
  }
  const p = parameterCount(opts.model);
  // Too few dates in the file itself is a fault of the input (exit 1, the file named); too few left after
  // --start-date/--end-date/--exclude-date is one of the flags (exit 2).
  if (ts.dates.length <= p) {
    throw new InputError(
      ts.path,
      `${ts.dates.length} date(s) in the file but the model has ${p} parameters: a fit needs at least ${p + 1} dates`,
    );
  }
  if (selection.kept.length === 0)
    throw new UsageError(
      `no dates left after --start-date/--end-date/--exclude-date (the file has ${ts.dates[0]}..${ts.dates[ts.dates.length - 1]})`,
    );
  if (selection.kept.length <= p) {
    throw new UsageError(
      `${selection.kept.length} dates used but the model has ${p} parameters: a fit needs at least ${p + 1} dates`,
    );
  }
  try {
    warnings.push(...validateModel(opts.model, selection.kept));
  } catch (err) {
    if (err instanceof ModelError || err instanceof DateError) throw new UsageError(err.message);
    throw err;
  }
  const model = wholeDays(opts.model);
  const seconds = Number(ts.attrs['CENTER_LINE_UTC'] ?? 0) || 0;
  const design = designMatrix(model, selection.kept, seconds);
  const system = fitSystem(design);
  if (isRankDeficient(system)) {
    throw new UsageError(
      `the design matrix is rank-deficient (rank ${system.rank} for ${system.p} parameters on ${selection.kept.length} dates): ` +
        'two time functions cannot be told apart on these dates (a tau too short, an onset long before the first date, a period too long?)',
    );
  }

  // Reference date: --ref-date, else the file's REF_DATE (no change), else the first date used (MintPy).
  let refDate: string | null = null;
  if (opts.refDate !== undefined) {
    refDate = normalizeDate(opts.refDate);
    if (!selection.kept.includes(refDate))
      throw new UsageError(
        `--ref-date ${opts.refDate}: not among the dates used (${selection.kept[0]}..${selection.kept[selection.kept.length - 1]})`,
      );
  } else if (ts.attrs['REF_DATE'] === undefined) {
    refDate = selection.kept[0]!;
    warnings.push(`no REF_DATE in the file: referenced to the first date used, ${refDate} (as MintPy)`);
  }

  let ref: [number, number] | undefined = opts.refYX;
  if (!ref && opts.refLalo) ref = lalo2yx(ts, opts.refLalo);
  const rereference = ref !== undefined;
  if (!ref) {
    // The file's own reference pixel: a fault there is the file's (InputError, exit 1).
    ref = referencePixel(ts.path, ts.attrs, ts.length, ts.width);
    if (!ref)
      throw new InputError(ts.path, 'no REF_Y/REF_X attributes (the reference pixel); give one with --ref-yx Y X');
  }
  const [refY, refX] = ref;
  if (refY < 0 || refY >= ts.length || refX < 0 || refX >= ts.width) {
    throw new UsageError(
      `${opts.refYX ? '--ref-yx' : '--ref-lalo'} (${refY}, ${refX}) is outside the ${ts.length} x ${ts.width} grid`,
    );
  }

  const datasets = outputDatasets(model, opts.uncertainty === 'residue');
  const n = selection.kept.length;
  // A block holds the input rows (every date of the file: one hyperslab read), the float64 accumulators
  // of the fit (parameters, Σd, Σd², scratch, e²: p + 4), status bytes, and one float32 plane per output.
  let perPixel = ts.dates.length * 4 + (p + 4) * 8 + 5 + datasets.length * 4 + p * 8;
  if (opts.uncertainty === 'bootstrap') perPixel += 2 * p * 8;
  perPixel += extraRowBytes;
  const rowBytes = perPixel * ts.width;
  // The block target and h5wasm's heap limit count the input rows only.
  const inputRowBytes = ts.dates.length * 4 * ts.width;
  const rows = rowsPerBlock({
    rowBytes,
    rowLabel: `${ts.width} pixels x ${n} dates`,
    ramGb: opts.ramGb,
    totalRows: ts.length,
    chunkRows: ts.cube.chunks?.[1] ?? 1,
    targetRowBytes: inputRowBytes,
    maxRows: Math.max(1, Math.floor(HEAP_BLOCK_LIMIT / inputRowBytes)),
  });
  const blocks: RowBlock[] = [];
  for (let y0 = 0; y0 < ts.length; y0 += rows) blocks.push({ y0, y1: Math.min(ts.length, y0 + rows) });
  return {
    selection,
    model,
    design,
    system,
    seconds,
    refDateIndex: refDate === null ? null : ts.dates.indexOf(refDate),
    refDate,
    refY,
    refX,
    rereference,
    datasets,
    blocks,
    blockRows: rows,
    rowBytes,
    warnings,
  };
}

/** MintPy's coordinate → pixel rule for geocoded files: floor((lat − Y_FIRST)/Y_STEP + 0.01). */
function lalo2yx(ts: TimeseriesFile, [lat, lon]: [number, number]): [number, number] {
  const a = ts.attrs;
  const [y0, x0, dy, dx] = [a['Y_FIRST'], a['X_FIRST'], a['Y_STEP'], a['X_STEP']].map(Number);
  if (![y0, x0, dy, dx].every((v) => Number.isFinite(v) && v !== undefined)) {
    throw new UsageError(`--ref-lalo: ${ts.path} is not geocoded (no X_FIRST/Y_FIRST/X_STEP/Y_STEP); use --ref-yx`);
  }
  return [Math.floor((lat - y0!) / dy! + 0.01), Math.floor((lon - x0!) / dx! + 0.01)];
}
