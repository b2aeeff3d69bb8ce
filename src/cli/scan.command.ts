/** `archeo scan <path...>`: parse and check options, build the scan context, run, print the summary. */
import os from 'node:os';
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { readJsonFile } from '../io/json.file.js';
import { ExitCode, InputError, UsageError } from '../core/errors.js';
import type { DetectionParams, DetectorSpec } from '../compute/detect/params.js';
import { indexTable, defaultIndexNames } from '../compute/indices.js';
import { parseAoi } from '../io/aoi.js';
import { defaultMaskClasses, sclClasses } from '../core/bands.js';
import { codecs, defaultLevel, type Codec } from '../io/raster/tiff.codec.js';
import {
  addCommonFlags,
  makeLogger,
  parseChoice,
  parseIntFlag,
  parseList,
  parseNumberFlag,
  type CommonOptions,
} from './options.js';
import { progressBar } from './progress.js';
import { remoteOptionsFromEnv } from './remote.options.js';
import { addStacFlags, parseRetryPolicy, parseStacSearch, type StacFlags } from './stac.options.js';
import { parseShard } from './shard.js';
import type { BackendChoice } from '../engine/engine.js';
import type { ScanContext } from '../pipeline/scan/scan.context.js';

interface ScanFlags extends CommonOptions, StacFlags {
  out: string;
  params?: string;
  printParams?: boolean;
  detect?: string;
  quicklook: boolean;
  indices?: string;
  resolution: string;
  resample: string;
  maskClasses?: string;
  mask: boolean;
  aoi?: string;
  compress: string;
  level?: string;
  block: string;
  threads?: string;
  boaOffset?: string;
  reflectance: string;
  clipReflectance?: boolean;
  simd: boolean;
  requesterPays?: boolean;
  backend: string;
  list?: boolean;
  force?: boolean;
  retryFailed?: boolean;
  jobs: string;
  shard?: string;
}

const indexHelp = indexTable
  .map((d, i) => `  ${d.name.padEnd(22)}${d.description}${i < defaultIndexNames.length ? '  [default]' : ''}`)
  .join('\n');

export function scanCommand(setExit: (code: number) => void): Command {
  const command = new Command('scan')
    .description(
      'Compute spectral indices for Sentinel-2 L2A scenes (COG folders or .SAFE products), or every scene below a folder',
    )
    .argument(
      '[paths...]',
      'scene folders, .SAFE products, folders holding scenes, or STAC items (a URL or a local .json file)',
    )
    .option('-o, --out <dir>', 'output folder; each scene writes <dir>/<scene id>/', 'archeo-out')
    .option(
      '--indices <list>',
      'comma-separated indices (a missing band is then an error), or "all" the bands allow (default: the first seven; see below)',
    )
    .addOption(
      new Option('--resolution <m>', 'output grid resolution in metres').choices(['10', '20', '60']).default('10'),
    )
    .addOption(
      new Option('--resample <method>', 'upsampling of coarser bands (OpenCV INTER_LINEAR or INTER_NEAREST)')
        .choices(['bilinear', 'nearest'])
        .default('bilinear'),
    )
    .option('--params <file|set>', 'detector parameters: a JSON file, or a built-in set (default, original)', 'default')
    .option('--print-params', 'print the parameter set (--params) as JSON and exit')
    .option('--detect <list>', 'detectors to run: names from the parameter set, "all" or "none"', 'all')
    .option('--no-quicklook', 'do not write quicklook.png')
    .option(
      '--mask-classes <list>',
      `SCL classes masked to NaN in every index (default: the parameter set's, ${defaultMaskClasses.join(',')})`,
    )
    .option('--no-mask', 'do not apply the SCL cloud mask')
    .option(
      '--aoi <bbox|file>',
      "process only minLon,minLat,maxLon,maxLat or a GeoJSON file's extent (reads only the tiles it touches)",
    )
    .addOption(
      new Option('--compress <codec>', 'output compression (all with the floating-point predictor)')
        .choices([...codecs])
        .default('zstd'),
    )
    .option('--level <n>', 'compression level (default: zstd 1, deflate 1)')
    .option('--block <px>', 'output tile size and strip height in pixels (multiple of 16)', '512')
    .option('--threads <n>', 'worker threads for the pixel work (default: all cores)')
    .option(
      '--boa-offset <dn>',
      'override BOA_ADD_OFFSET for every band (e.g. -1000 for baseline 04.00+ data without metadata)',
    )
    .addOption(
      new Option(
        '--reflectance <mode>',
        'divide: (DN + offset) / quantification (product.md); multiply: by float32(1 / quantification), to compare with pipelines that scale so',
      )
        .choices(['divide', 'multiply'])
        .default('divide'),
    )
    .option(
      '--clip-reflectance',
      'set negative reflectance (DN below -BOA_ADD_OFFSET, baseline 04.00+) to 0, so normalised differences stay in [-1, 1]; counted in report.json either way',
    )
    .option('--list', 'print what a run would do with each scene and why (new, changed, done, failed before), and stop')
    .option('--force', 'redo every scene, even those done and unchanged')
    .option('--retry-failed', 'run again the scenes that failed before, even if nothing changed')
    .option('--jobs <n>', 'scenes processed at once (each holds its own strips in memory)', '1')
    .option(
      '--shard <i/n>',
      "process only this task's share: scenes whose id hashes to i of n; 'auto' or 'auto/n' takes i (and n) from a job array: SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, CLOUD_RUN_TASK_INDEX (docs/batch.md)",
    )
    .option(
      '--requester-pays',
      'read s3:// bands from requester-pays buckets, billed to your AWS account (docs/remote.md)',
    )
    .option('--no-simd', 'use the JavaScript kernels instead of WebAssembly SIMD (slower; same numbers)')
    .addOption(
      new Option(
        '--backend <engine>',
        'where the indices are computed: auto (a hardware GPU when one answers, else the CPU), cpu, webgpu (TF.js on WebGPU; SwiftShader without a GPU), tensorflow (tfjs-node-gpu, when installed)',
      )
        .choices(['auto', 'cpu', 'webgpu', 'tensorflow'])
        .default('auto'),
    )
    .addHelpText(
      'after',
      `
Indices (product.md):
${indexHelp}

SCL classes: ${Object.entries(sclClasses)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}

Detection: --params default (terra_preta, terra_preta_standard, crop_mark, earthworks) or original (the
original pipeline's thresholds and Canny/Hough/contour step), or a JSON file (archeo scan --print-params
shows the format). Outputs per scene:
masks/<detector>.tif, candidates.geojson (RFC 7946, lon/lat), quicklook.png, report.json.

Archives and cron: the output folder keeps archeo-state.json (per scene: input fingerprint, parameter
hash, tool version, outcome, outputs with SHA-256); a rerun skips scenes done and unchanged, redoes
changed ones, and skips scenes that failed before unless something changed (--retry-failed). A lock
(.archeo.lock) keeps a second run out of the folder (exit 4). run-report.json sums up each run;
archeo status <out> merges every shard's state, plan and lock (done, failed, pending, running).

STAC (docs/remote.md): a STAC item by URL or as a .json file, or a search (--stac API root with
--collection, --bbox or --aoi, --datetime, --max-cloud, --max-items): every item found is scanned, and the
state keys each by item id and its 'updated' time (or ETag). A network fault of one item fails that scene
as transient (exit 75; run-report.json failures[].fault) and the next run retries it.

Examples:
  archeo scan samples/S2A_29RKH_20200219_0_L2A --out out
  archeo scan --stac https://earth-search.aws.element84.com/v1 --bbox 12.4,41.8,12.6,41.95 --datetime 2024-06-01/2024-06-30 --max-cloud 20 --out /data/indices
  archeo scan /data/archive --indices all --compress deflate --out /data/indices
  archeo scan scene.SAFE --aoi -8.3,52.7,-8.2,52.8 --resolution 20
  archeo scan /data/archive --out /data/indices --list
  archeo scan /data/archive --out /data/indices --jobs 2 --shard auto/4
  sbatch --array=1-16 --wrap 'archeo scan /data/archive --out /data/indices --shard auto'
Exit codes: 0 ok, 1 failure, 2 usage error, 3 some scenes of a batch failed (bad inputs), 4 the output
folder is locked by another run, 75 a transient fault (disk full, I/O, network, memory: retry), 130
interrupted. Transient ones (4, 75, 130) are worth a retry; 1, 2 and 3 are not (docs/batch.md).`,
    )
    .action(async (paths: string[], flags: ScanFlags) => {
      const params = await loadParams(flags.params ?? 'default');
      if (flags.printParams) {
        process.stdout.write(`${JSON.stringify(params, null, 2)}\n`);
        return;
      }
      if (paths.length === 0 && flags.stac === undefined)
        throw new UsageError('scan: give at least one scene, folder or STAC item, or --stac (or --print-params)');
      const logger = makeLogger(flags);
      const ctx = await buildContext(paths, flags, logger, params);
      const progress = progressBar(logger, flags.progress && !flags.quiet);
      ctx.onProgress = (label, done, total) => progress.update(label, done, total);
      const { runScan } = await import('../pipeline/batch.js');
      const result = await runScan(ctx);
      progress.clear();
      if (ctx.batch.list) {
        if (flags.json) process.stdout.write(`${JSON.stringify(result.decisions, null, 2)}\n`);
        else {
          for (const d of result.decisions)
            process.stdout.write(`${d.status.padEnd(9)} ${d.run ? 'run ' : 'skip'}  ${d.id}  ${d.reason}\n`);
          const run = result.decisions.filter((d) => d.run).length;
          process.stdout.write(
            `${result.decisions.length} scene(s): ${run} to run, ${result.decisions.length - run} to skip\n`,
          );
        }
        return;
      }
      const summary = {
        run_id: result.runId,
        failed: result.failed,
        skipped: result.scenes.filter((s) => s.skipped !== undefined).length,
        scenes: result.scenes.map((s) => ({
          path: s.path,
          id: s.id ?? null,
          ok: s.ok,
          ...(s.report
            ? { output: s.outputDir, wall_s: s.report.wall_s, indices: s.report.indices.written }
            : s.skipped !== undefined
              ? { skipped: s.skipped }
              : { error: s.error, stage: s.stage, fault: s.fault ?? 'permanent' }),
        })),
      };
      if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else if (!flags.quiet) {
        for (const s of result.scenes) {
          if (s.report)
            process.stdout.write(
              `${s.id}: ${s.report.indices.written.length} indices in ${s.report.wall_s.toFixed(2)} s -> ${s.outputDir}\n`,
            );
          else if (s.skipped !== undefined) process.stdout.write(`${s.id}: skipped: ${s.skipped}\n`);
          else process.stdout.write(`${s.path}: FAILED: ${s.error}\n`);
        }
      }
      // A transient fault in any scene says "retry" to a scheduler (75); otherwise failed scenes are the inputs' (3).
      if (result.transient > 0) setExit(ExitCode.Transient);
      else if (result.failed > 0) setExit(ExitCode.PartialFailure);
    });
  return addCommonFlags(addStacFlags(command));
}

/** A built-in set by name, or a JSON file validated with the JSON path of any fault. */
async function loadParams(spec: string): Promise<DetectionParams> {
  const { builtinParams, validateParams, ParamsError } = await import('../compute/detect/params.js');
  const builtin = builtinParams[spec];
  if (builtin) return builtin;
  if (!/\.json$/i.test(spec) && !existsSync(spec)) {
    throw new UsageError(`--params ${spec}: expected a JSON file or one of ${Object.keys(builtinParams).join(', ')}`);
  }
  const doc = readJsonFile(spec);
  try {
    return validateParams(doc);
  } catch (err) {
    if (err instanceof ParamsError) throw new InputError(spec, err.message);
    throw err;
  }
}

async function buildContext(
  paths: string[],
  flags: ScanFlags,
  logger: ReturnType<typeof makeLogger>,
  params: DetectionParams,
): Promise<ScanContext> {
  const indices =
    flags.indices === undefined
      ? undefined
      : flags.indices.trim() === 'all'
        ? ('all' as const)
        : parseList(flags.indices);
  if (Array.isArray(indices) && indices.length === 0)
    throw new UsageError('--indices: expected at least one index name');
  for (const name of Array.isArray(indices) ? indices : []) {
    if (!indexTable.some((d) => d.name === name))
      throw new UsageError(`--indices: unknown index '${name}' (known: ${indexTable.map((d) => d.name).join(', ')})`);
  }
  const maskClasses = !flags.mask
    ? []
    : flags.maskClasses === undefined
      ? params.mask_classes
      : parseList(flags.maskClasses).map((c) => parseIntFlag('--mask-classes', c, 0, 255));
  const detect = (flags.detect ?? 'all').trim();
  let detectors: Record<string, DetectorSpec> = {};
  if (detect === 'all') detectors = params.detectors;
  else if (detect !== 'none') {
    for (const name of parseList(detect)) {
      const spec = params.detectors[name];
      if (!spec)
        throw new UsageError(
          `--detect: unknown detector '${name}' (in ${params.name}: ${Object.keys(params.detectors).join(', ')})`,
        );
      detectors[name] = spec;
    }
  }
  const codec = parseChoice<Codec>('--compress', flags.compress, codecs);
  const level =
    flags.level === undefined
      ? defaultLevel[codec]
      : parseIntFlag('--level', flags.level, codec === 'zstd' ? -7 : 0, codec === 'zstd' ? 22 : 9);
  const block = parseIntFlag('--block', flags.block, 16, 4096);
  if (block % 16 !== 0) throw new UsageError(`--block ${flags.block}: expected a multiple of 16 (TIFF tiles)`);
  const threads =
    flags.threads === undefined
      ? Math.max(1, os.availableParallelism())
      : parseIntFlag('--threads', flags.threads, 1, 256);
  const aoi = flags.aoi === undefined ? undefined : parseAoi(flags.aoi);
  const remote = remoteOptionsFromEnv(process.env, { requesterPays: flags.requesterPays });
  return {
    inputs: paths,
    out: flags.out,
    stac: { search: parseStacSearch(flags, aoi), policy: parseRetryPolicy(flags, remote.policy) },
    plan: {
      indices,
      resolution: Number(flags.resolution),
      resample: flags.resample as 'bilinear' | 'nearest',
      maskClasses,
      aoi,
      boaOffset: flags.boaOffset === undefined ? undefined : parseNumberFlag('--boa-offset', flags.boaOffset),
      reflectance: flags.reflectance as 'divide' | 'multiply',
      clipReflectance: flags.clipReflectance ?? false,
    },
    codec,
    level,
    cogCopy: process.env['ARCHEO_COG_COPY'] === '1',
    block,
    threads,
    inflight: 2,
    remote,
    simd: flags.simd,
    backend: flags.backend as BackendChoice,
    detection: Object.keys(detectors).length ? { params, detectors, explicit: detect !== 'all' } : undefined,
    quicklook: flags.quicklook,
    logger,
    batch: {
      list: flags.list ?? false,
      force: flags.force ?? false,
      retryFailed: flags.retryFailed ?? false,
      jobs: parseIntFlag('--jobs', flags.jobs, 1, 64),
      shard: flags.shard === undefined ? undefined : parseShard(flags.shard, process.env),
    },
  };
}
