/** What `archeo velocity` is given: the context the command line builds for pipeline/timeseries/velocity.ts. */
import type { Logger } from '../../core/log.js';
import type { TimeFuncConfig } from './velocity.outputs.js';
import type { VelocityOptions } from './velocity.plan.js';

export interface VelocityContext {
  /** The timeseries.h5 to fit. */
  input: string;
  /** Output folder (created when missing). */
  outDir: string;
  /** velocity.h5 name, in outDir unless a path. */
  output: string;
  options: VelocityOptions;
  /** The options as typed, for the mintpy.timeFunc.* attributes. */
  config: TimeFuncConfig;
  /** Residual time series file name (--save-res), or undefined. */
  residualFile?: string;
  /** Time-series variance (n, l, w) or covariance (n, n, l, w) file for --uq covariance. */
  covarianceFile?: string;
  /** Seed of the bootstrap draws (reported, so a run can be repeated). */
  seed: number;
  geotiff: boolean;
  /** WebAssembly SIMD kernels when the runtime has them; false forces the JavaScript kernels. */
  simd: boolean;
  logger: Logger;
  onProgress?: (done: number, total: number) => void;
}
