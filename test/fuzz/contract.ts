/**
 * One fuzz case against archeo's reliability contract (docs/reliability.md): a fresh folder holding a
 * mutated copy of a sample input, an `out/` folder and a sentinel file beside it; the CLI run with a time
 * bound; the result classified as clean or as one or more violations (the columns of the campaign's table).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { root, rkhSample, unuSample } from '../helpers/paths.js';
import {
  caseRng,
  FUZZ_CLASSES,
  type FuzzClass,
  listFiles,
  type Mutation,
  mutateHdf5,
  mutateJp2,
  mutateMtd,
  mutateParams,
  mutateTiff,
  type Rng,
} from './mutate.js';

/** The violation columns, in table order. */
export const COLUMNS = ['hang', 'partial', 'wrong_exit', 'outside_out', 'unclear_message', 'silent_change'] as const;
export type Violation = (typeof COLUMNS)[number];

/** What a case runs: a scan of the COG or SAFE sample, or a MintPy command on its HDF5 sample. */
export type Target = 'cog' | 'safe' | 'velocity' | 'rms' | 'invert';

const mintpy = join(root, 'samples', 'mintpy_synthetic');
const SOURCES: Record<Target, string> = {
  cog: rkhSample,
  safe: unuSample,
  velocity: join(mintpy, 'timeseries.h5'),
  rms: join(mintpy, 'timeseries.h5'),
  invert: join(mintpy, 'ifgramStack.h5'),
};
const BOOKKEEPING =
  /^(archeo-state(-shard-\d+-of-\d+)?\.(json|journal)|(run-report|archeo-plan)(-shard-\d+-of-\d+)?\.json)$/;
export const SENTINEL = 'SENTINEL-must-survive.txt';
const SENTINEL_TEXT = 'archeo must not touch this file (it lies beside --out)\n';

export interface CaseSpec {
  klass: FuzzClass;
  seed: number;
  index: number;
}

/** `tiff:1:17`: class, seed and case index, enough to replay the case (`npm run fuzz -- --case tiff:1:17`). */
export const caseId = (s: CaseSpec): string => `${s.klass}:${s.seed}:${s.index}`;

export function parseCaseId(id: string): CaseSpec {
  const m = /^([a-z0-9]+):(\d+):(\d+)$/.exec(id);
  if (!m || !(FUZZ_CLASSES as readonly string[]).includes(m[1]!)) throw new Error(`bad case id ${JSON.stringify(id)}`);
  return { klass: m[1] as FuzzClass, seed: Number(m[2]), index: Number(m[3]) };
}

/** The folders of one case. Everything outside `out` must be as it was before the run. */
export interface Layout {
  /** The case's own folder (snapshotted, `out` excepted). */
  dir: string;
  /** The run's working directory; holds `input/`, `out/`, the sentinel and a parameter file. */
  work: string;
  /** Root of the input copy (`work/input`). */
  inputRoot: string;
  out: string;
  /** TMPDIR of the run: what archeo leaves there is outside --out. */
  tmp: string;
}

export function makeLayout(prefix = 'archeo-fuzz-'): Layout {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const work = join(dir, 'work');
  const layout = { dir, work, inputRoot: join(work, 'input'), out: join(work, 'out'), tmp: join(dir, 'tmp') };
  mkdirSync(layout.inputRoot, { recursive: true });
  mkdirSync(layout.tmp);
  writeFileSync(join(work, SENTINEL), SENTINEL_TEXT);
  return layout;
}

/** Copies the target's sample into the layout; returns the path given to the CLI. */
export function copyInput(layout: Layout, target: Target): string {
  const src = SOURCES[target];
  const dst = join(layout.inputRoot, basename(src));
  cpSync(src, dst, { recursive: true });
  return dst;
}

/** archeo's arguments for a target (the scan runs on the CPU engine: the same numbers, no GPU probing). */
export function cliArgs(target: Target, input: string, out: string, params?: string): string[] {
  if (target === 'cog' || target === 'safe')
    return ['scan', input, '--out', out, '--backend', 'cpu', ...(params ? ['--params', params] : [])];
  return [target, input, '--out', out];
}

// ---------------------------------------------------------------------------------------------------------------
// Running a process with a bound

export interface RunOutcome {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  wallMs: number;
  stdout: string;
  stderr: string;
}

/** Runs argv[0] with argv[1..] in its own process group; past `timeoutMs` the whole group is killed. */
export function runBounded(
  argv: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    const cap = (s: string, d: Buffer): string => (s.length > 1_000_000 ? s : s + d.toString());
    child.stdout.on('data', (d: Buffer) => (stdout = cap(stdout, d)));
    child.stderr.on('data', (d: Buffer) => (stderr = cap(stderr, d)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut, wallMs: Date.now() - t0, stdout, stderr: `${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Anything the run left running in its group (workers are threads; a stray child would be a leak).
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone: good
      }
      resolve({ code, signal, timedOut, wallMs: Date.now() - t0, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Snapshots, digests, the reference tool

/** Path -> type, size and content hash of everything under `dir`, the `skip` subtree excepted. */
export function snapshot(dir: string, skip: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (p === skip) continue;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out.set(relative(dir, p), 'dir');
        walk(p);
      } else if (st.isFile()) {
        out.set(relative(dir, p), `file ${st.size} ${createHash('sha1').update(readFileSync(p)).digest('hex')}`);
      } else out.set(relative(dir, p), st.isSymbolicLink() ? 'symlink' : 'special');
    }
  };
  walk(dir);
  return out;
}

function snapshotDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const d: string[] = [];
  for (const [p, v] of after) {
    if (!before.has(p)) d.push(`created ${p}`);
    else if (before.get(p) !== v) d.push(`changed ${p}`);
  }
  for (const p of before.keys()) if (!after.has(p)) d.push(`removed ${p}`);
  return d.sort();
}

let h5ready: Promise<typeof import('h5wasm/node').default> | undefined;
async function h5(): Promise<typeof import('h5wasm/node').default> {
  h5ready ??= (async () => {
    const mod = (await import('h5wasm/node')).default;
    const plugins = await import('h5wasm-plugins');
    await plugins.install_local_plugins(await mod.ready);
    return mod;
  })();
  return h5ready;
}

/** The values of an HDF5 file: every dataset's shape and data, every attribute (not its layout or times). */
async function h5Digest(path: string): Promise<string> {
  const lib = await h5();
  const f = new lib.File(path, 'r');
  const hash = createHash('sha256');
  try {
    const walk = (g: InstanceType<typeof lib.Group>, prefix: string): void => {
      for (const [k, a] of Object.entries(g.attrs).sort()) hash.update(`${prefix}@${k}=${String(a.value)}\n`);
      for (const name of g.keys().sort()) {
        const item = g.get(name);
        if (item instanceof lib.Group) walk(item, `${prefix}/${name}`);
        else if (item instanceof lib.Dataset) {
          hash.update(`${prefix}/${name} ${JSON.stringify(item.shape)}\n`);
          for (const [k, a] of Object.entries(item.attrs).sort()) hash.update(`  @${k}=${String(a.value)}\n`);
          const v = item.value as unknown;
          if (ArrayBuffer.isView(v)) hash.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
          else hash.update(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x)));
        }
      }
    };
    walk(f, '');
  } finally {
    f.close();
  }
  return hash.digest('hex');
}

/** Final outputs under `out` (bookkeeping and report.json excepted): relative path -> digest of its values. */
export async function outputDigest(out: string): Promise<Record<string, string>> {
  const d: Record<string, string> = {};
  if (!existsSync(out)) return d;
  for (const rel of listFiles(out)) {
    const name = basename(rel);
    if (BOOKKEEPING.test(name) || name === 'report.json' || name.startsWith('.')) continue;
    const p = join(out, rel);
    d[rel] = rel.endsWith('.h5') ? await h5Digest(p) : createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return d;
}

/** The warnings of the run's report.json files, with the case's own folder written as `<work>`. */
export function reportWarnings(out: string, work: string): string[] {
  const w: string[] = [];
  if (!existsSync(out)) return w;
  for (const rel of listFiles(out)) {
    if (basename(rel) !== 'report.json') continue;
    try {
      const doc = JSON.parse(readFileSync(join(out, rel), 'utf8')) as { warnings?: unknown };
      if (Array.isArray(doc.warnings)) for (const x of doc.warnings) w.push(String(x).split(work).join('<work>'));
    } catch {
      w.push(`(unreadable ${rel})`);
    }
  }
  return w;
}

function exec(cmd: string, args: string[], timeoutMs = 60_000): Promise<RunOutcome> {
  return runBounded([cmd, ...args], { timeoutMs });
}

let gdalPresent: Promise<boolean> | undefined;
export function gdalAvailable(): Promise<boolean> {
  gdalPresent ??= exec('gdalinfo', ['--version']).then((r) => r.code === 0);
  return gdalPresent;
}

/**
 * What GDAL, the reference reader, refuses in a file: `gdalinfo -checksum` reads every pixel of a raster
 * (of every subdataset of an HDF5 file); a non-zero exit or an ERROR line is a refusal. Subjects are named
 * with the file's path replaced by `<file>` (`HDF5:"<file>"://coherence`); `<file>` itself is the file as a
 * whole. Undefined without GDAL.
 */
export async function gdalRefusals(path: string): Promise<Map<string, string> | undefined> {
  if (!(await gdalAvailable())) return undefined;
  const refusals = new Map<string, string>();
  const bad = (r: RunOutcome): boolean => r.code !== 0 || r.timedOut || /^ERROR /m.test(r.stderr);
  const why = (r: RunOutcome, s: string): string =>
    `gdalinfo -checksum ${s.split(path).join(basename(path))}: ${r.timedOut ? 'timed out' : `exit ${r.code}`} ${
      r.stderr.split('\n').find((l) => l.startsWith('ERROR')) ?? ''
    }`.trim();
  let subjects = [path];
  if (path.endsWith('.h5')) {
    const info = await exec('gdalinfo', [path]);
    if (bad(info)) return refusals.set('<file>', why(info, path));
    const subs = [...info.stdout.matchAll(/SUBDATASET_\d+_NAME=(.*)$/gm)].map((m) => m[1]!);
    if (subs.length) subjects = subs;
  }
  for (const s of subjects) {
    const r = await exec('gdalinfo', ['-checksum', s]);
    if (bad(r)) refusals.set(s.split(path).join('<file>'), why(r, s));
  }
  return refusals;
}

const originals = new Map<string, Promise<Map<string, string> | undefined>>();

/**
 * Does GDAL refuse the mutated file where it reads the original? The reason, false when it reads all that it
 * reads of the original, undefined when it cannot judge (no GDAL, or it refuses the original as a whole).
 */
export async function gdalRefusesMutated(mutated: string, original?: string): Promise<string | false | undefined> {
  let base: Promise<Map<string, string> | undefined> | undefined;
  if (original) {
    base = originals.get(original);
    if (!base) {
      base = gdalRefusals(original);
      originals.set(original, base);
    }
  }
  const before = base ? await base : new Map<string, string>();
  if (!before || before.has('<file>')) return undefined;
  const after = await gdalRefusals(mutated);
  if (!after) return undefined;
  const fresh = [...after].filter(([k]) => !before.has(k)).map(([, v]) => v);
  return fresh.length ? fresh.join('; ') : false;
}

// ---------------------------------------------------------------------------------------------------------------
// Classification

/** What a complete, unmutated run of a target gives: the baseline a silent change is measured against. */
export interface Reference {
  digest: Record<string, string>;
  warnings: string[];
}

export interface Execution {
  layout: Layout;
  /** The full command line (executable first). */
  argv: string[];
  /** `scan` outputs scene folders; the MintPy commands write files straight into --out. */
  kind: 'scan' | 'files';
  mutation: Mutation;
  timeoutMs: number;
  /** Files a failure message may name: the input copy, a parameter file. */
  inputPaths: string[];
  /** The class decides what a silent change is (see classify). */
  klass?: FuzzClass;
  reference?: Reference;
  /** The original of the mutated file (GDAL must read it, for GDAL's refusal to mean anything). */
  original?: string;
}

export interface Classified {
  outcome: RunOutcome;
  violations: Violation[];
  evidence: string[];
}

const STACK = /^\s+at .*(\(.*:\d+:\d+\)|:\d+:\d+)$|^(\w*Error|Uncaught \w+):? /m;

function partialEvidence(e: Execution, code: number): string[] {
  const ev: string[] = [];
  const { out } = e.layout;
  if (!existsSync(out)) return ev;
  const files = listFiles(out);
  for (const rel of files) if (/\.tmp-/.test(rel)) ev.push(`temporary left: out/${rel}`);
  for (const rel of files) if (basename(rel) === '.archeo.lock') ev.push(`lock left: out/${rel}`);
  const top = readdirSync(out).filter((n) => !n.startsWith('.') && !BOOKKEEPING.test(n));
  if (code !== 0) {
    for (const n of top) ev.push(`failed run left out/${n}`);
    return ev;
  }
  if (e.kind === 'scan') {
    for (const n of top) {
      const dir = join(out, n);
      if (!lstatSync(dir).isDirectory()) {
        ev.push(`out/${n}: a file where scene folders belong`);
        continue;
      }
      let listed: { path: string; bytes: number }[];
      try {
        listed = (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { outputs: { files: typeof listed } })
          .outputs.files;
      } catch {
        ev.push(`half scene folder out/${n}: no readable report.json`);
        continue;
      }
      const have = new Set(listFiles(dir));
      for (const f of listed) {
        if (!have.has(f.path)) ev.push(`half scene folder out/${n}: ${f.path} listed but missing`);
        else if (lstatSync(join(dir, f.path)).size !== f.bytes) ev.push(`out/${n}/${f.path}: not the listed size`);
      }
      const names = new Set(['report.json', ...listed.map((f) => f.path)]);
      for (const f of have) if (!names.has(f)) ev.push(`out/${n}/${f}: not listed in report.json`);
    }
  } else if (e.reference) {
    const want = new Set(['report.json', ...Object.keys(e.reference.digest)]);
    const have = new Set(top);
    for (const n of want) if (!have.has(n)) ev.push(`complete run writes out/${n}; this one did not`);
  }
  return ev;
}

/** Runs one execution (its input already mutated) and classifies it against the contract. */
export async function execute(e: Execution): Promise<Classified> {
  const before = snapshot(e.layout.dir, e.layout.out);
  const outcome = await runBounded(e.argv, {
    cwd: e.layout.work,
    env: { ...process.env, TMPDIR: e.layout.tmp, ARCHEO_DEBUG: '' },
    timeoutMs: e.timeoutMs,
  });
  const violations = new Set<Violation>();
  const evidence: string[] = [];
  const flag = (v: Violation, why: string): void => {
    violations.add(v);
    evidence.push(`${v}: ${why}`);
  };

  const outside = snapshotDiff(before, snapshot(e.layout.dir, e.layout.out));
  if (outside.length) flag('outside_out', outside.slice(0, 5).join('; ') + (outside.length > 5 ? ' …' : ''));
  if (outcome.timedOut) {
    const printed = outcome.stderr.split('\n').find((l) => l.startsWith('archeo: '));
    flag('hang', `no exit after ${e.timeoutMs / 1000} s (killed)${printed ? `; it had printed: ${printed}` : ''}`);
    return { outcome, violations: [...violations], evidence };
  }

  const code = outcome.code ?? -1;
  const expected = e.mutation.expectExit ?? [0, 1];
  if (outcome.signal) flag('wrong_exit', `killed by ${outcome.signal}`);
  else if (!expected.includes(code)) flag('wrong_exit', `exit ${code}, expected ${expected.join(' or ')}`);

  for (const p of partialEvidence(e, code)) flag('partial', p);

  const lines = outcome.stderr.split('\n').filter((l) => l.startsWith('archeo: '));
  if (code !== 0) {
    if (lines.length !== 1)
      flag('unclear_message', `${lines.length} error lines: ${JSON.stringify(lines.slice(0, 3))}`);
    else if (!e.inputPaths.some((p) => lines[0]!.includes(p)))
      flag('unclear_message', `names no input file: ${lines[0]}`);
  }
  if (/internal error/i.test(outcome.stderr))
    flag('unclear_message', `internal error: ${outcome.stderr.match(/.*internal error.*/i)![0].slice(0, 300)}`);
  const nonJson = outcome.stderr
    .split('\n')
    .filter((l) => !l.startsWith('{'))
    .join('\n');
  const stack = STACK.exec(nonJson);
  if (stack) flag('unclear_message', `stack trace or uncaught error: ${stack[0].trim().slice(0, 200)}`);

  if (code === 0 && !outcome.signal && e.reference) {
    const warnings = reportWarnings(e.layout.out, e.layout.work);
    const fresh = warnings.filter((w) => !e.reference!.warnings.includes(w));
    if (fresh.length === 0) {
      if (e.mutation.mustRefuse) flag('silent_change', `accepted without a warning: ${e.mutation.what}`);
      else if (e.klass !== 'params') {
        const digest = await outputDigest(e.layout.out);
        const all = new Set([...Object.keys(digest), ...Object.keys(e.reference.digest)]);
        const changed = [...all].filter((k) => digest[k] !== e.reference!.digest[k]).sort();
        if (changed.length) {
          const what = `${changed.length} output(s) differ from the unmutated run's (${changed.slice(0, 3).join(', ')})`;
          if (e.klass === 'mtd') flag('silent_change', `${what}, no warning`);
          else {
            const mutated = join(e.layout.work, e.mutation.file);
            const refused = await gdalRefusesMutated(mutated, e.original);
            if (refused) flag('silent_change', `${what}, no warning, and GDAL refuses the input: ${refused}`);
            else
              evidence.push(
                `note: ${what}, no warning; GDAL ${refused === false ? 'reads the mutated input too' : 'not available to judge'}`,
              );
          }
        }
      }
    }
  }
  return { outcome, violations: COLUMNS.filter((c) => violations.has(c)), evidence };
}

// ---------------------------------------------------------------------------------------------------------------
// Cases

export interface CaseResult {
  id: string;
  klass: FuzzClass;
  seed: number;
  index: number;
  target: Target;
  mutation?: Mutation;
  args?: string[];
  code?: number | null;
  signal?: string | null;
  wall_s?: number;
  violations: Violation[];
  evidence: string[];
  /** The harness itself failed (a mutator found nothing to mutate): not a finding about archeo. */
  error?: string;
  stderr_tail?: string;
  /** The run's error line(s) (`archeo: …`), for the report. */
  message?: string;
  /** The case folder, when kept. */
  dir?: string;
}

export interface FuzzOptions {
  timeoutMs: number;
  /** Keep every case folder (else only none: each case is cheap to replay). */
  keep?: boolean;
}

const archeoArgv = (args: string[]): string[] => [process.execPath, join(root, 'bin', 'archeo.js'), ...args];

let defaultParams: Promise<string> | undefined;
/** The default parameter set, as `archeo scan --print-params` prints it. */
export function printedParams(): Promise<string> {
  defaultParams ??= runBounded(archeoArgv(['scan', '--print-params']), { timeoutMs: 60_000 }).then((r) => {
    if (r.code !== 0) throw new Error(`archeo scan --print-params failed: ${r.stderr}`);
    return r.stdout;
  });
  return defaultParams;
}

const references = new Map<string, Promise<Reference>>();

/** The unmutated run of a target (once per process), itself checked against the contract. */
export function reference(target: Target, withParams: boolean, opts: FuzzOptions): Promise<Reference> {
  const key = `${target}${withParams ? '+params' : ''}`;
  let r = references.get(key);
  if (!r) {
    r = (async () => {
      const layout = makeLayout('archeo-fuzz-ref-');
      try {
        const input = copyInput(layout, target);
        const params = withParams ? join(layout.work, 'params.json') : undefined;
        if (params) writeFileSync(params, await printedParams());
        const res = await execute({
          layout,
          argv: archeoArgv(cliArgs(target, input, layout.out, params)),
          kind: target === 'cog' || target === 'safe' ? 'scan' : 'files',
          mutation: { file: '', what: 'none (reference run)', expectExit: [0] },
          timeoutMs: opts.timeoutMs,
          inputPaths: [layout.inputRoot],
        });
        if (res.violations.length)
          throw new Error(`the unmutated ${key} run is not clean: ${res.evidence.join('; ')}\n${res.outcome.stderr}`);
        return { digest: await outputDigest(layout.out), warnings: reportWarnings(layout.out, layout.work) };
      } finally {
        rmSync(layout.dir, { recursive: true, force: true });
      }
    })();
    references.set(key, r);
  }
  return r;
}

function targetOf(klass: FuzzClass, rng: Rng): Target {
  if (klass === 'tiff' || klass === 'params') return 'cog';
  if (klass === 'mtd' || klass === 'jp2') return 'safe';
  return rng.pick(['velocity', 'rms', 'invert'] as const);
}

/** Mutates the input copy (and writes the parameter file) of one case; returns the mutation. */
export async function mutateCase(klass: FuzzClass, rng: Rng, layout: Layout, input: string): Promise<Mutation> {
  const rel = (p: string): string => relative(layout.work, p);
  if (klass === 'tiff') {
    const bands = listFiles(input).filter((f) => f.endsWith('.tif'));
    const p = join(input, rng.pick(bands));
    return mutateTiff(rng, p, rel(p));
  }
  if (klass === 'jp2') {
    const bands = listFiles(input).filter((f) => f.endsWith('.jp2'));
    const p = join(input, rng.pick(bands));
    return mutateJp2(rng, p, rel(p));
  }
  if (klass === 'mtd') {
    const p = join(input, 'MTD_MSIL2A.xml');
    return mutateMtd(rng, p, rel(p));
  }
  if (klass === 'hdf5') return mutateHdf5(rng, input, rel(input));
  const p = join(layout.work, 'params.json');
  return mutateParams(rng, await printedParams(), p, rel(p));
}

/** Runs case (class, seed, index): mutate a fresh copy, run archeo, classify, clean up. */
export async function runCase(spec: CaseSpec, opts: FuzzOptions): Promise<CaseResult> {
  const rng = caseRng(spec.seed, spec.index);
  const target = targetOf(spec.klass, rng);
  const result: CaseResult = { id: caseId(spec), ...spec, target, violations: [], evidence: [] };
  const layout = makeLayout();
  try {
    const withParams = spec.klass === 'params';
    const ref = await reference(target, withParams, opts);
    const input = copyInput(layout, target);
    const mutation = await mutateCase(spec.klass, rng, layout, input);
    result.mutation = mutation;
    const params = withParams ? join(layout.work, 'params.json') : undefined;
    const args = cliArgs(target, input, layout.out, params);
    result.args = args.map((a) => a.split(layout.work).join('<work>'));
    const original =
      spec.klass === 'params' ? undefined : join(SOURCES[target], relative(input, join(layout.work, mutation.file)));
    const res = await execute({
      layout,
      argv: archeoArgv(args),
      kind: target === 'cog' || target === 'safe' ? 'scan' : 'files',
      mutation,
      timeoutMs: opts.timeoutMs,
      inputPaths: [layout.inputRoot, ...(params ? [params] : [])],
      klass: spec.klass,
      reference: ref,
      ...(original ? { original } : {}),
    });
    result.code = res.outcome.code;
    result.signal = res.outcome.signal;
    result.wall_s = Math.round(res.outcome.wallMs) / 1000;
    result.violations = res.violations;
    result.evidence = res.evidence.map((x) => x.split(layout.work).join('<work>'));
    const lines = res.outcome.stderr.split('\n').filter((l) => l.startsWith('archeo: '));
    if (lines.length) result.message = lines.join('\n').split(layout.work).join('<work>');
    if (res.violations.length) result.stderr_tail = res.outcome.stderr.split(layout.work).join('<work>').slice(-2000);
  } catch (err) {
    result.error = (err as Error).stack ?? String(err);
  } finally {
    if (opts.keep) result.dir = layout.dir;
    else rmSync(layout.dir, { recursive: true, force: true });
  }
  return result;
}
