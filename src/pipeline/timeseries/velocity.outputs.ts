/**
 * What goes into velocity.h5 (reference/mintpy.md §2.7-2.8): the attributes MintPy writes, with its
 * `mintpy.timeFunc.*` configuration keys printed as Python prints them, and, per block, the float32
 * planes of every dataset from a fit (parameters, their std, periodic amplitude and phase, residue).
 */
import { PixelStatus, type BlockFit } from '../../compute/timeseries/fit.js';
import { pythonStr } from '../../core/python.format.js';
import type { OutputDataset } from '../../compute/timeseries/design.js';
import { mintpyReaderAttributes, type TimeseriesFile } from '../../io/hdf5/mintpy.reader.js';
import type { Uncertainty, VelocityPlan } from './velocity.plan.js';

/** The options as the user gave them, for the `mintpy.timeFunc.*` attributes (MintPy stores str(value)). */
export interface TimeFuncConfig {
  startDate?: string;
  endDate?: string;
  excludeDate: string[];
  polynomial: number;
  periodic: number[];
  stepDate: string[];
  /** --exp / --log groups as typed: [onset, tau, ...]. */
  exp: string[][];
  log: string[][];
  uncertaintyQuantification: Uncertainty;
  timeSeriesCovFile?: string;
  bootstrapCount: number;
}

export function velocityAttributes(
  ts: TimeseriesFile,
  plan: VelocityPlan,
  config: TimeFuncConfig,
): Record<string, string> {
  const a = mintpyReaderAttributes(ts.path, ts.attrs, 'timeseries', 'float32', 'm');
  const kept = plan.selection.kept;
  const [date0, date1] = [kept[0]!, kept[kept.length - 1]!];
  a['FILE_TYPE'] = 'velocity';
  a['UNIT'] = 'm/year';
  a['START_DATE'] = date0;
  a['END_DATE'] = date1;
  a['DATE12'] = `${date0}_${date1}`;
  if (plan.rereference) {
    a['REF_Y'] = String(plan.refY);
    a['REF_X'] = String(plan.refX);
  }
  if (plan.refDate !== null) a['REF_DATE'] = plan.refDate;
  const prefix = 'mintpy.timeFunc.';
  a[`${prefix}startDate`] = pythonStr(config.startDate);
  a[`${prefix}endDate`] = pythonStr(config.endDate);
  a[`${prefix}excludeDate`] = pythonStr(config.excludeDate);
  a[`${prefix}polynomial`] = String(config.polynomial);
  a[`${prefix}periodic`] = pythonStr(config.periodic, true);
  a[`${prefix}stepDate`] = pythonStr(config.stepDate);
  a[`${prefix}exp`] = pythonStr(config.exp);
  a[`${prefix}log`] = pythonStr(config.log);
  a[`${prefix}uncertaintyQuantification`] = config.uncertaintyQuantification;
  a[`${prefix}timeSeriesCovFile`] = pythonStr(config.timeSeriesCovFile);
  a[`${prefix}bootstrapCount`] = String(config.bootstrapCount);
  return a;
}

/** Attributes of the residual time series (--save-res): the input's, without REF_DATE. */
export function residualAttributes(ts: TimeseriesFile): Record<string, string> {
  const a = mintpyReaderAttributes(ts.path, ts.attrs, 'timeseries', 'float32', 'm');
  delete a['REF_DATE'];
  return a;
}

/** The float32 plane of every output dataset for one block. */
export function blockPlanes(datasets: OutputDataset[], fit: BlockFit, std: Float64Array[]): Map<string, Float32Array> {
  const npix = fit.status.length;
  const out = new Map<string, Float32Array>();
  // MintPy leaves every phase 0 in a block whose fitted sine coefficients are all 0.
  const anySine = (index: number): boolean => {
    const s = fit.m[index + 1]!;
    for (let j = 0; j < npix; j++) if (isFitted(fit.status[j]!) && s[j] !== 0) return true;
    return false;
  };
  for (const ds of datasets) {
    const plane = new Float32Array(npix);
    const src = ds.source;
    switch (src.kind) {
      case 'param':
        copyRounded(plane, fit.m[src.index]!);
        break;
      case 'std':
        copyRounded(plane, std[src.index]!);
        break;
      case 'residue':
        for (let j = 0; j < npix; j++) plane[j] = Math.sqrt(fit.e2[j]!);
        break;
      case 'amplitude': {
        const c = fit.m[src.index]!;
        const s = fit.m[src.index + 1]!;
        for (let j = 0; j < npix; j++) plane[j] = Math.hypot(Math.fround(c[j]!), Math.fround(s[j]!));
        break;
      }
      case 'phase': {
        if (!anySine(src.index)) {
          for (let j = 0; j < npix; j++)
            if (!isFitted(fit.status[j]!) && fit.status[j] !== PixelStatus.Skipped) plane[j] = NaN;
          break;
        }
        const c = fit.m[src.index]!;
        const s = fit.m[src.index + 1]!;
        for (let j = 0; j < npix; j++) {
          const st = fit.status[j]!;
          plane[j] = st === PixelStatus.Skipped ? 0 : Math.atan2(Math.fround(c[j]!), Math.fround(s[j]!));
        }
        break;
      }
    }
    out.set(ds.name, plane);
  }
  return out;
}

function isFitted(status: number): boolean {
  return status === PixelStatus.Full || status === PixelStatus.Partial;
}

function copyRounded(dst: Float32Array, src: Float64Array): void {
  for (let j = 0; j < dst.length; j++) dst[j] = src[j]!;
}
