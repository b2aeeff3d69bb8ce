/** `archeo invert <ifgramStack.h5>`: MintPy's ifgram_inversion options; the work is in pipeline/timeseries/invert.ts. */
import { Command, Option } from 'commander';
import { UsageError } from '../core/errors.js';
import type { MultiValueFlag } from './argv.js';
import {
  addCommonFlags,
  makeLogger,
  outOption,
  parseList,
  parseNumberFlag,
  ramAlias,
  ramBudget,
  ramOption,
  workerThreads,
  type MintpyFlags,
} from './options.js';
import { progressBar } from './progress.js';

interface InvertFlags extends MintpyFlags {
  dset: string;
  weightFunc: string;
  minNormPhase?: boolean;
  maskDset?: string;
  maskThres: string;
  minRedun: string;
  waterMask?: string;
  output?: string;
  skipRef?: boolean;
}

/** MintPy's aliases for ifgram_inversion. */
export const invertFlags: Record<string, MultiValueFlag> = {
  '--dset': { aliases: ['-d'] },
  '--mask-dset': { aliases: ['--mask-dataset', '--md'] },
  '--mask-thres': { aliases: ['--mask-threshold', '--mt'] },
  '--min-redun': { aliases: ['--min-redundancy', '--mr'] },
  '--skip-ref': { aliases: ['--skip-reference'] },
  '--output': { aliases: ['-o'], value: (t) => /\.h5$/i.test(t) },
  ...ramAlias,
};

export function invertCommand(): Command {
  const command = new Command('invert')
    .description(
      "Invert a network of interferograms into a time series (MintPy's ifgram_inversion: same options, numbers and files)",
    )
    .argument('<ifgramStack.h5>', 'MintPy interferogram stack')
    .option('-i, --dset <name>', 'observation dataset (also -d)', 'unwrapPhase')
    .addOption(
      new Option(
        '-w, --weight-func <func>',
        'weights from coherence: var (inverse phase variance), fim (Fisher information), coh, no',
      )
        .choices(['var', 'fim', 'coh', 'no'])
        .default('var'),
    )
    .option('--min-norm-phase', 'minimum-norm deformation phase instead of velocity')
    .option(
      '--mask-dset <name>',
      'blank observations where coherence < --mask-thres, or connectComponent is 0 (also --md)',
    )
    .option('--mask-thres <n>', 'coherence threshold of --mask-dset coherence (also --mt)', '0.4')
    .option('--min-redun <n>', 'pairs every date needs for a pixel to be inverted (also --mr)', '1.0')
    .option('-m, --water-mask <file>', 'skip pixels where this mask is 0 (a missing file: none, as MintPy)')
    .option('--output <files>', 'three output names: time series, temporal coherence, pairs used (also -o TS TCOH NUM)')
    .option('--skip-ref', 'do not subtract the reference pixel (testing)')
    .addOption(outOption('output folder'))
    .addOption(ramOption())
    .addHelpText(
      'after',
      `
Outputs (MintPy's names and layout): timeseries.h5 (m, referenced to the first date),
temporalCoherence.h5, numInvIfgram.h5 (dataset 'mask': pairs used per pixel), report.json.

Examples:
  archeo invert inputs/ifgramStack.h5
  archeo invert inputs/ifgramStack.h5 -w no --out mintpy
  archeo invert inputs/ifgramStack.h5 --mask-dset connectComponent -o ts.h5 tcoh.h5 num.h5`,
    )
    .action(async (input: string, flags: InvertFlags) => {
      const logger = makeLogger(flags);
      const outputs =
        flags.output === undefined
          ? ['timeseries.h5', 'temporalCoherence.h5', 'numInvIfgram.h5']
          : parseList(flags.output);
      if (outputs.length !== 3)
        throw new UsageError(
          `-o ${outputs.join(' ')}: expected three file names (time series, temporal coherence, pairs used)`,
        );
      if (flags.maskDset !== undefined && !['coherence', 'connectComponent'].includes(flags.maskDset)) {
        throw new UsageError(`--mask-dset ${flags.maskDset}: expected coherence or connectComponent`);
      }
      const maskThreshold = parseNumberFlag('--mask-thres', flags.maskThres);
      const minRedundancy = parseNumberFlag('--min-redun', flags.minRedun);
      const ramGb = ramBudget(flags.ram);
      const progress = progressBar(logger, flags.progress && !flags.quiet);
      const { runInvert } = await import('../pipeline/timeseries/invert.js');
      const r = await runInvert({
        input,
        outDir: flags.out,
        outputs: outputs as [string, string, string],
        obsName: flags.dset,
        weight: flags.weightFunc as 'var' | 'fim' | 'coh' | 'no',
        minNormVelocity: !flags.minNormPhase,
        mask: flags.maskDset
          ? { dataset: flags.maskDset as 'coherence' | 'connectComponent', threshold: maskThreshold }
          : undefined,
        maskThreshold,
        minRedundancy,
        waterMask: flags.waterMask,
        skipRef: flags.skipRef ?? false,
        ramGb,
        threads: workerThreads(),
        logger,
        onProgress: (label, done, total) => progress.update(label, done, total),
      });
      progress.clear();
      if (flags.json) process.stdout.write(`${JSON.stringify({ files: r.files, report: r.report }, null, 2)}\n`);
      else if (!flags.quiet) {
        const px = r.report['pixels'] as Record<string, number>;
        process.stdout.write(
          `${r.files.join(', ')}: ${px['total']! - px['skipped']!} pixels inverted (${px['solved_together']} together), ${px['skipped']} skipped, in ${r.report['wall_s']} s\n`,
        );
      }
    });
  return addCommonFlags(command);
}
