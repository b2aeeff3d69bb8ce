/**
 * `archeo velocity <timeseries.h5>`: MintPy's timeseries2velocity options (with its aliases), checked
 * here; the fit runs in pipeline/timeseries/velocity.ts (loaded after parsing, with h5wasm).
 */
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { InputError, UsageError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { isDateToken, isNumber, type MultiValueFlag } from './argv.js';
import {
  addCommonFlags,
  makeLogger,
  outOption,
  parseIntFlag,
  parseList,
  parseNumberFlag,
  ramAlias,
  ramBudget,
  ramOption,
  type MintpyFlags,
} from './options.js';
import { progressBar } from './progress.js';

interface VelocityFlags extends MintpyFlags {
  output: string;
  startDate?: string;
  endDate?: string;
  excludeDate?: string;
  refDate?: string;
  refYx?: string;
  refLalo?: string;
  polynomial: string;
  periodic?: string;
  step?: string;
  exp: string[];
  log: string[];
  uq: string;
  tsCov?: string;
  bootstrapCount: string;
  seed?: string;
  saveRes?: boolean;
  resFile: string;
  geotiff?: boolean;
  simd: boolean;
}

const isExcludeToken = (t: string): boolean => isDateToken(t) || /\.(txt|cfg|dat)$/i.test(t);

/** MintPy's aliases and the options that take several values (see argv.ts). */
export const velocityFlags: Record<string, MultiValueFlag> = {
  '--exclude-date': { aliases: ['--ex', '--ex-date'], value: isExcludeToken },
  '--polynomial': { aliases: ['--poly', '--poly-order'] },
  '--periodic': { aliases: ['--period', '--peri'], value: isNumber },
  '--step': { aliases: ['--step-date'], value: isDateToken },
  '--exp': { aliases: ['--exponential'], value: (t) => isDateToken(t) || isNumber(t) },
  '--log': { aliases: ['--logarithmic'], value: (t) => isDateToken(t) || isNumber(t) },
  '--ref-yx': { value: isNumber },
  '--ref-lalo': { value: isNumber },
  '--uq': { aliases: ['--uncertainty'] },
  '--bootstrap-count': { aliases: ['--bc'] },
  '--ts-cov': { aliases: ['--ts-cov-file'] },
  ...ramAlias,
  '--save-res': { aliases: ['--save_residual'] },
  '--res-file': { aliases: ['--residual-file'] },
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function velocityCommand(): Command {
  const command = new Command('velocity')
    .description(
      "Fit velocity and other time functions to a MintPy time series (MintPy's timeseries2velocity: same options, numbers and velocity.h5)",
    )
    .argument('<timeseries.h5>', 'MintPy time-series file')
    .option('-o, --output <file>', 'output file name (in --out)', 'velocity.h5')
    .addOption(outOption('output folder for velocity.h5, the residual file, GeoTIFFs and report.json'))
    .option('-s, --start-date <date>', 'leave out dates before this one (YYYYMMDD)')
    .option('-e, --end-date <date>', 'leave out dates after this one')
    .option('--exclude-date <dates>', 'dates to leave out, or text files listing them (also --ex)')
    .option('--ref-date <date>', 'reference the series to this date before fitting')
    .option('--ref-yx <y x>', 'reference the series to this pixel (row, column) before fitting')
    .option('--ref-lalo <lat lon>', 'reference pixel by coordinates (geocoded files)')
    .option('--polynomial <n>', 'polynomial degree: 1 linear (velocity), 2 adds acceleration, … (also --poly)', '1')
    .option('--periodic <years>', 'periodic functions with these periods in years, e.g. 1 0.5 (also --period)')
    .option('--step <dates>', 'step functions at these dates (YYYYMMDD or YYYYMMDDTHHMM)')
    .option(
      '--exp <onset taus>',
      'exponential: onset date and characteristic times in days, e.g. 20170910 60 (repeatable)',
      collect,
      [],
    )
    .option('--log <onset taus>', 'logarithmic: onset date and characteristic times in days (repeatable)', collect, [])
    .addOption(
      new Option('--uq <method>', 'uncertainty of the parameters')
        .choices(['residue', 'covariance', 'bootstrap'])
        .default('residue'),
    )
    .option(
      '--ts-cov <file>',
      'time-series variance (dates, l, w) or covariance (dates, dates, l, w) file for --uq covariance',
    )
    .option('--bootstrap-count <n>', 'bootstrap draws (also --bc)', '400')
    .option('--seed <n>', 'seed of the bootstrap draws (default: random, written to report.json)')
    .option('--save-res', 'also write the residual time series')
    .option('--res-file <file>', 'residual file name (in --out)', 'timeseriesResidual.h5')
    .addOption(ramOption())
    .option('--geotiff', 'also write each output dataset as a GeoTIFF (geocoded files)')
    .option('--no-simd', 'use the JavaScript kernels instead of WebAssembly SIMD (slower; same numbers)')
    .addHelpText(
      'after',
      `
Datasets written (MintPy's velocity.h5 layout): intercept, velocity (poly ≥ 1), acceleration (poly ≥ 2),
poly<k>, each with <name>Std; annualAmplitude/annualPhase, semiAnnual…, period<P>Y…; step<D>,
exp<D>Tau<T>D, log<D>Tau<T>D with Std; residue (--uq residue). Pixels NaN on every date or with mean 0
are 0, as in MintPy; pixels NaN on some dates are fitted on the dates they have (MintPy aborts on them),
or NaN when fewer than parameters + 1 dates remain.

Examples:
  archeo velocity timeseries.h5
  archeo velocity timeseries.h5 --periodic 1 0.5 --ex 20180113 20180125 -o vel_seasonal.h5
  archeo velocity timeseries_ERA5.h5 --poly 2 --step 20190706 --exp 20190706 60 --out fits
  archeo velocity timeseries.h5 --ref-date 20180601 --ram 1 --geotiff --json
Exit codes: 0 ok, 1 failure (bad input file), 2 usage error, 130 interrupted.`,
    )
    .action(async (input: string, flags: VelocityFlags) => {
      const logger = makeLogger(flags);
      const ctx = buildContext(input, flags, logger);
      const progress = progressBar(logger, flags.progress && !flags.quiet);
      ctx.onProgress = (done, total) => progress.update('velocity', done, total);
      const { runVelocity } = await import('../pipeline/timeseries/velocity.js');
      const result = await runVelocity(ctx);
      progress.clear();
      const r = result.report;
      const summary = {
        output: result.output,
        files: result.files,
        wall_s: r.wall_s,
        pixels: r.pixels,
        dates_used: r.model.dates_used,
        report: r.run_id,
      };
      if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else if (!flags.quiet) {
        const p = r.pixels;
        process.stdout.write(
          `${result.output}: ${r.model.dates_used} dates, ${p.full + p.partial} pixels fitted (${p.partial} partial), ${p.skipped} skipped, ` +
            `${p.too_few_dates + p.rank_deficient} not fittable, in ${r.wall_s.toFixed(2)} s\n`,
        );
      }
    });
  return addCommonFlags(command);
}

function buildContext(
  input: string,
  flags: VelocityFlags,
  logger: Logger,
): import('../pipeline/timeseries/velocity.context.js').VelocityContext {
  const polynomial = parseIntFlag('--polynomial', flags.polynomial, 0, 20);
  const periodic =
    flags.periodic === undefined ? [] : parseList(flags.periodic).map((v) => parseNumberFlag('--periodic', v));
  for (const p of periodic) if (!(p > 0)) throw new UsageError(`--periodic ${p}: expected a period in years > 0`);
  const steps = flags.step === undefined ? [] : parseList(flags.step).map((d) => checkDate('--step', d));
  const relax = (flag: string, groups: string[]) =>
    groups.map((g) => {
      const [onset, ...taus] = parseList(g);
      if (!onset || taus.length === 0)
        throw new UsageError(
          `${flag} ${g.replace(/,/g, ' ')}: expected an onset date and at least one characteristic time in days`,
        );
      return { raw: [onset, ...taus], onset: checkDate(flag, onset), taus: taus.map((t) => parseNumberFlag(flag, t)) };
    });
  const exp = relax('--exp', flags.exp);
  const log = relax('--log', flags.log);
  // MintPy keys relaxations by onset: a repeated onset replaces the earlier one's taus.
  const byOnset = (list: ReturnType<typeof relax>) => [
    ...new Map(list.map((r) => [r.onset, { onset: r.onset, taus: r.taus }])).values(),
  ];

  const excludeRaw = flags.excludeDate === undefined ? [] : parseList(flags.excludeDate);
  const excludeDates: string[] = [];
  for (const item of excludeRaw) {
    if (/\.(txt|cfg|dat)$/i.test(item)) {
      if (!existsSync(item)) {
        logger.warn(
          'Velocity:Options',
          { file: item },
          `--exclude-date ${item}: file not found; no dates excluded from it`,
        );
        continue;
      }
      excludeDates.push(
        ...readFileSync(item, 'utf8')
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => checkDate(`--exclude-date ${item}`, l)),
      );
    } else excludeDates.push(checkDate('--exclude-date', item));
  }

  const pair = (flag: string, value: string | undefined, integer: boolean): [number, number] | undefined => {
    if (value === undefined) return undefined;
    const parts = parseList(value);
    if (parts.length !== 2) throw new UsageError(`${flag} ${value.replace(/,/g, ' ')}: expected two values`);
    const nums = parts.map((v) => (integer ? parseIntFlag(flag, v, 0) : parseNumberFlag(flag, v)));
    return [nums[0]!, nums[1]!];
  };

  let uncertainty = flags.uq as 'residue' | 'covariance' | 'bootstrap';
  const bootstrapCount = parseIntFlag('--bootstrap-count', flags.bootstrapCount, 0);
  if (uncertainty === 'bootstrap') {
    if (bootstrapCount <= 1) {
      logger.warn(
        'Velocity:Options',
        {},
        `--bootstrap-count ${bootstrapCount}: needs more than 1 draw; using --uq residue (as MintPy)`,
      );
      uncertainty = 'residue';
    } else if (polynomial !== 1 || periodic.length || steps.length || exp.length || log.length) {
      throw new UsageError('--uq bootstrap: only the linear model (--polynomial 1, no other function), as in MintPy');
    }
  }
  if (flags.tsCov !== undefined && !existsSync(flags.tsCov))
    throw new InputError(flags.tsCov, 'file not found (--ts-cov)');
  if (uncertainty === 'covariance' && flags.tsCov === undefined) {
    logger.warn('Velocity:Options', {}, '--uq covariance needs --ts-cov FILE; using --uq residue (as MintPy)');
    uncertainty = 'residue';
  }
  const ramGb = ramBudget(flags.ram);

  return {
    input,
    outDir: flags.out,
    output: flags.output,
    options: {
      startDate: flags.startDate === undefined ? undefined : checkDate('--start-date', flags.startDate),
      endDate: flags.endDate === undefined ? undefined : checkDate('--end-date', flags.endDate),
      excludeDates,
      refDate: flags.refDate === undefined ? undefined : checkDate('--ref-date', flags.refDate),
      refYX: pair('--ref-yx', flags.refYx, true),
      refLalo: pair('--ref-lalo', flags.refLalo, false),
      model: { polynomial, periodic, steps, exp: byOnset(exp), log: byOnset(log) },
      uncertainty,
      bootstrapCount,
      ramGb,
    },
    config: {
      startDate: flags.startDate,
      endDate: flags.endDate,
      excludeDate: excludeRaw,
      polynomial,
      periodic,
      stepDate: steps,
      exp: exp.map((r) => r.raw),
      log: log.map((r) => r.raw),
      uncertaintyQuantification: uncertainty,
      timeSeriesCovFile: flags.tsCov,
      bootstrapCount,
    },
    residualFile: flags.saveRes ? flags.resFile : undefined,
    covarianceFile: uncertainty === 'covariance' ? flags.tsCov : undefined,
    seed: flags.seed === undefined ? randomInt(0, 2 ** 31) : parseIntFlag('--seed', flags.seed, 0, 2 ** 32 - 1),
    geotiff: flags.geotiff ?? false,
    simd: flags.simd,
    logger,
  };
}

function checkDate(flag: string, value: string): string {
  const v = value.trim();
  if (!isDateToken(v)) throw new UsageError(`${flag} ${value}: expected a date YYYYMMDD (or YYYYMMDDTHHMM)`);
  const d = v.split('T')[0]!.length === 6 ? (v[0] === '9' ? '19' : '20') + v : v;
  const [y, m, day] = [Number(d.slice(0, 4)), Number(d.slice(4, 6)), Number(d.slice(6, 8))];
  const t = new Date(Date.UTC(y, m - 1, day));
  if (t.getUTCMonth() !== m - 1 || t.getUTCDate() !== day)
    throw new UsageError(`${flag} ${value}: not a calendar date`);
  return d;
}
