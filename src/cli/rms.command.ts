/** `archeo rms <timeseries.h5>`: MintPy's timeseries_rms options; the work is in pipeline/timeseries/rms.ts. */
import { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { MultiValueFlag } from './argv.js';
import {
  addCommonFlags,
  makeLogger,
  outOption,
  parseNumberFlag,
  ramAlias,
  ramBudget,
  ramOption,
  workerThreads,
  type MintpyFlags,
} from './options.js';
import { progressBar } from './progress.js';

interface RmsFlags extends MintpyFlags {
  mask: string;
  ramp: string;
  cutoff: string;
  simd: boolean;
}

const ramps = [
  'no',
  'linear',
  'quadratic',
  'linear_range',
  'linear_azimuth',
  'quadratic_range',
  'quadratic_azimuth',
] as const;

/** MintPy's aliases for timeseries_rms. */
export const rmsFlags: Record<string, MultiValueFlag> = {
  '--ramp': { aliases: ['--deramp'] },
  ...ramAlias,
};

export function rmsCommand(): Command {
  const command = new Command('rms')
    .description(
      "Residual RMS per date of a time series, its reference date and outlier dates (MintPy's timeseries_rms: same files and numbers, a PNG plot)",
    )
    .argument('<timeseries.h5>', 'MintPy time-series file (usually timeseriesResidual.h5)')
    .option(
      '-m, --mask <file>',
      'mask file: pixels where it is 0 are left out (a missing file: no mask, as MintPy)',
      'maskTempCoh.h5',
    )
    .option(
      '-r, --ramp <type>',
      `ramp removed from each date before the RMS: ${ramps.join(', ')} (also --deramp)`,
      'quadratic',
    )
    .option('--cutoff <n>', "outlier dates: RMS > cutoff x median RMS x 0.67449 (MintPy's rule)", '3')
    .addOption(outOption('folder for rms_*.txt, rms_*.png, reference_date.txt, exclude_date.txt and report.json'))
    .addOption(ramOption())
    .option('--no-simd', 'use the JavaScript loops instead of WebAssembly SIMD (slower; same numbers to 1e-15)')
    .addHelpText(
      'after',
      `
Outputs (MintPy's names): rms_<name>_ramp.txt (rms_<name>.txt with --ramp no), reference_date.txt,
exclude_date.txt (removed when no date is an outlier), rms_<name>_ramp.png, report.json. MintPy also
writes the deramped cube <name>_ramp.h5; archeo computes the same RMS without writing it.

Examples:
  archeo rms timeseriesResidual.h5
  archeo rms timeseriesResidual.h5 -m maskTempCoh.h5 --cutoff 3 --out rms
  archeo rms timeseries_ERA5_demErr.h5 --ramp no --json`,
    )
    .action(async (input: string, flags: RmsFlags) => {
      const logger = makeLogger(flags);
      if (!(ramps as readonly string[]).includes(flags.ramp))
        throw new UsageError(`--ramp ${flags.ramp}: expected one of ${ramps.join(', ')}`);
      const cutoff = parseNumberFlag('--cutoff', flags.cutoff);
      if (!(cutoff > 0)) throw new UsageError(`--cutoff ${flags.cutoff}: expected a number > 0`);
      const ramGb = ramBudget(flags.ram);
      const progress = progressBar(logger, flags.progress && !flags.quiet);
      const { runRms } = await import('../pipeline/timeseries/rms.js');
      const r = await runRms({
        input,
        outDir: flags.out,
        maskFile: flags.mask,
        ramp: flags.ramp as (typeof ramps)[number],
        cutoff,
        ramGb,
        threads: workerThreads(),
        simd: flags.simd,
        logger,
        onProgress: (label, done, total) => progress.update(label, done, total),
      });
      progress.clear();
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify(
            {
              reference_date: r.referenceDate,
              threshold_m: r.threshold,
              excluded: r.excluded,
              files: r.files,
              rms_m: Object.fromEntries(r.dates.map((d, i) => [d, r.rms[i]])),
            },
            null,
            2,
          )}\n`,
        );
      } else if (!flags.quiet) {
        const ref = r.dates.indexOf(r.referenceDate);
        const lines = [
          `date with min RMS: ${r.referenceDate} - ${r.rms[ref]!.toFixed(4)}`,
          `date(s) with RMS > ${cutoff} * median RMS (${r.threshold.toFixed(4)})`,
          ...(r.excluded.length ? r.excluded.map((d) => `${d} - ${r.rms[r.dates.indexOf(d)]!.toFixed(4)}`) : ['None.']),
          ...r.files.map((f) => `wrote ${f}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
    });
  return addCommonFlags(command);
}
