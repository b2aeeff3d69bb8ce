/**
 * The fuzz campaign runner (docs/reliability.md, "The fuzz campaign"):
 *
 *   npm run fuzz -- --cases 2000 --seed 1 [--classes tiff,mtd,jp2,hdf5,params] [--jobs 2] [--timeout 60]
 *                   [--report FILE] [--keep] [--case tiff:1:17 ...]
 *
 * Case i of seed S mutates input class `classes[i % classes.length]` with the PRNG of (S, i); `--case
 * class:seed:index` replays single cases. Prints a summary table and every non-clean case, writes a JSON
 * report, and exits 1 when any case is not clean.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from '../helpers/paths.js';
import { type CaseResult, type CaseSpec, gdalAvailable, parseCaseId, runCase } from './contract.js';
import { FUZZ_CLASSES, type FuzzClass } from './mutate.js';

export interface CampaignOptions {
  cases: number;
  seed: number;
  classes: FuzzClass[];
  jobs: number;
  timeoutMs: number;
  keep?: boolean;
  /** Replay these cases instead of generating `cases`. */
  only?: CaseSpec[];
  /** Called after each case (progress). */
  onCase?: (r: CaseResult, done: number, total: number) => void;
}

export interface SummaryRow {
  cases: number;
  clean: number;
  hang: number;
  partial: number;
  wrong_exit: number;
  outside_out: number;
  unclear_message: number;
  silent_change: number;
  harness_error: number;
}

export interface CampaignReport {
  seed: number;
  cases: number;
  classes: FuzzClass[];
  timeout_s: number;
  jobs: number;
  gdal: boolean;
  started_at: string;
  wall_s: number;
  summary: Record<string, SummaryRow>;
  results: CaseResult[];
}

/** The cases of a campaign: case i mutates class classes[i % classes.length]. */
export function campaignCases(cases: number, seed: number, classes: readonly FuzzClass[]): CaseSpec[] {
  return Array.from({ length: cases }, (_, index) => ({ klass: classes[index % classes.length]!, seed, index }));
}

const emptyRow = (): SummaryRow => ({
  cases: 0,
  clean: 0,
  hang: 0,
  partial: 0,
  wrong_exit: 0,
  outside_out: 0,
  unclear_message: 0,
  silent_change: 0,
  harness_error: 0,
});

export function summarize(results: CaseResult[]): Record<string, SummaryRow> {
  const rows: Record<string, SummaryRow> = {};
  for (const r of results) {
    for (const key of [r.klass as string, 'total']) {
      rows[key] ??= emptyRow();
      const row = rows[key];
      row.cases++;
      if (r.error) row.harness_error++;
      else if (r.violations.length === 0) row.clean++;
      for (const v of r.violations) row[v]++;
    }
  }
  return rows;
}

/** Runs cases `jobs` at a time. */
export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  const t0 = Date.now();
  const specs = o.only ?? campaignCases(o.cases, o.seed, o.classes);
  const results: CaseResult[] = new Array(specs.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const i = next++;
      results[i] = await runCase(specs[i]!, { timeoutMs: o.timeoutMs, ...(o.keep ? { keep: true } : {}) });
      o.onCase?.(results[i]!, ++done, specs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, specs.length)) }, worker));
  return {
    seed: o.seed,
    cases: specs.length,
    classes: o.classes,
    timeout_s: o.timeoutMs / 1000,
    jobs: o.jobs,
    gdal: await gdalAvailable(),
    started_at: new Date(t0).toISOString(),
    wall_s: (Date.now() - t0) / 1000,
    summary: summarize(results),
    results,
  };
}

const HEADINGS: [keyof SummaryRow, string][] = [
  ['cases', 'cases'],
  ['clean', 'clean'],
  ['hang', 'hangs'],
  ['partial', 'partial'],
  ['wrong_exit', 'wrong exit'],
  ['outside_out', 'outside --out'],
  ['unclear_message', 'unclear msg'],
  ['silent_change', 'silent change'],
  ['harness_error', 'harness err'],
];

/** The summary table, one row per class and a total. */
export function formatTable(summary: Record<string, SummaryRow>): string {
  const keys = [...FUZZ_CLASSES.filter((c) => summary[c]), 'total'].filter((k) => summary[k]);
  const widths = HEADINGS.map(([, h]) => Math.max(h.length, 5));
  const line = (first: string, cells: string[]): string =>
    `${first.padEnd(7)}${cells.map((c, i) => c.padStart(widths[i]! + 2)).join('')}`;
  return [
    line(
      'class',
      HEADINGS.map(([, h]) => h),
    ),
    ...keys.map((k) =>
      line(
        k,
        HEADINGS.map(([f]) => String(summary[k]![f])),
      ),
    ),
  ].join('\n');
}

/** Every non-clean case: id, mutation, exit, evidence. */
export function formatFindings(results: CaseResult[]): string {
  const bad = results.filter((r) => r.error || r.violations.length);
  if (!bad.length) return 'every case is clean';
  return bad
    .map((r) =>
      [
        `${r.id} [${r.error ? 'harness error' : r.violations.join(', ')}] ${r.target}: ${r.mutation?.file ?? ''}: ${r.mutation?.what ?? ''}`,
        `  exit ${r.signal ?? r.code}${r.wall_s !== undefined ? ` after ${r.wall_s} s` : ''}`,
        ...r.evidence.map((e) => `  ${e}`),
        ...(r.error ? [`  ${r.error.split('\n').slice(0, 3).join('\n  ')}`] : []),
      ].join('\n'),
    )
    .join('\n');
}

function parseArgs(argv: string[]): CampaignOptions & { report: string } {
  const o = { cases: 50, seed: 1, classes: [...FUZZ_CLASSES] as FuzzClass[], jobs: 2, timeoutMs: 60_000 };
  let report: string | undefined;
  let keep = false;
  const only: CaseSpec[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (name: string, v: string, min: number): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected an integer >= ${min}, got ${v}`);
      return n;
    };
    if (a === '--cases') o.cases = int(a, val(), 1);
    else if (a === '--seed') o.seed = int(a, val(), 0);
    else if (a === '--jobs') o.jobs = int(a, val(), 1);
    else if (a === '--timeout') o.timeoutMs = int(a, val(), 1) * 1000;
    else if (a === '--report') report = val();
    else if (a === '--keep') keep = true;
    else if (a === '--case') only.push(parseCaseId(val()));
    else if (a === '--classes') {
      const list = val().split(',');
      for (const c of list)
        if (!(FUZZ_CLASSES as readonly string[]).includes(c))
          throw new Error(`--classes: unknown class ${c} (known: ${FUZZ_CLASSES.join(', ')})`);
      o.classes = list as FuzzClass[];
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${readHelp()}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return {
    ...o,
    keep,
    ...(only.length ? { only } : {}),
    report: resolve(
      report ?? join(root, 'build', 'fuzz', only.length ? 'report-replay.json' : `report-seed${o.seed}.json`),
    ),
  };
}

function readHelp(): string {
  return [
    'usage: npm run fuzz -- [--cases N] [--seed S] [--classes tiff,mtd,jp2,hdf5,params] [--jobs J]',
    '                       [--timeout SECONDS] [--report FILE] [--keep] [--case class:seed:index ...]',
  ].join('\n');
}

async function main(): Promise<void> {
  let o: ReturnType<typeof parseArgs>;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`fuzz: ${(err as Error).message}\n${readHelp()}\n`);
    process.exit(2);
  }
  const total = o.only?.length ?? o.cases;
  process.stderr.write(
    o.only
      ? `fuzz: replaying ${total} case(s), ${o.jobs} job(s), bound ${o.timeoutMs / 1000} s\n`
      : `fuzz: ${total} case(s), seed ${o.seed}, classes ${o.classes.join(',')}, ${o.jobs} job(s), bound ${o.timeoutMs / 1000} s\n`,
  );
  const report = await runCampaign({
    ...o,
    onCase: (r, done, n) =>
      process.stderr.write(
        `[${done}/${n}] ${r.id} ${r.error ? 'HARNESS ERROR' : r.violations.length ? r.violations.join(',') : 'clean'} (${r.wall_s ?? '-'} s) ${r.mutation?.what ?? ''}\n`,
      ),
  });
  mkdirSync(dirname(o.report), { recursive: true });
  writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${formatTable(report.summary)}\n\n${formatFindings(report.results)}\n\n`);
  process.stdout.write(
    `${report.cases} case(s) in ${report.wall_s.toFixed(1)} s${report.gdal ? '' : ' (GDAL not found: silent changes of raster and HDF5 inputs not judged)'}; report: ${o.report}\n` +
      `replay a case: npm run fuzz -- --case <id> --keep\n`,
  );
  const bad = report.summary['total'];
  process.exitCode = bad && bad.clean === bad.cases ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
