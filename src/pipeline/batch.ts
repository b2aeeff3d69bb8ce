/**
 * `archeo scan` over archives, for operators and cron: walk the inputs for scenes (stable order), keep
 * this machine's shard, lock the output folder, decide per scene from the state file whether it is new,
 * changed, done or failed before, process what needs it `--jobs` at a time (one failure never stops the
 * others), record every outcome as it happens, and write run-report.json. A single scene is an archive
 * of one: the same state, lock and skip rules apply.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import pLimit from 'p-limit';
import { errorLine, isTransient, outputErrorOf } from '../core/errors.js';
import { toolVersion } from '../core/version.js';
import { WorkerPool } from '../engine/cpu/pool.js';
import { selectEngine, type EngineSelection } from '../engine/select.js';
import { loadState, StateStore, type OutputRecord, type SceneRecord } from '../io/output/batch.state.js';
import { OutputLock } from '../io/output/lock.js';
import { removeStaleTemporaries } from '../io/output/staging.js';
import { writePlan } from '../io/output/batch.plan.js';
import { writeJsonAtomic } from '../io/output/atomic.js';
import { newRunId } from '../io/output/report.js';
import { discoverScene, findScenes, type Scene } from '../io/scene/discover.js';
import { describeChange, fingerprintScene, type Fingerprint } from '../io/scene/fingerprint.js';
import { defaultRetryPolicy } from '../io/source/retry.js';
import { fingerprintItem, isItemInput } from '../io/stac/stac.scene.js';
import { itemCandidates } from './batch.items.js';
import { paramsHash } from '../compute/detect/params.js';
import { buildRunReport, type Decision, type RunReport, type SceneOutcome } from './batch.report.js';
import { SourceContext } from '../io/source/source.context.js';
import { runLimits, type ScanContext, type StageTracker } from './scan/scan.context.js';
import { scanScene } from './scan/scan.js';
import type { ChecksumTask } from './scan/scan.worker.js';

export interface ScanResult {
  runId: string;
  /** Every scene of this run's share: processed, skipped or failed. */
  scenes: SceneOutcome[];
  /** Scenes that failed in this run. */
  failed: number;
  /** Of those, the ones that failed on a transient fault (disk full, I/O, network, memory): exit 75. */
  transient: number;
  decisions: Decision[];
  report: RunReport | undefined;
}

interface Candidate {
  path: string;
  id: string;
  scene?: Scene;
  discoverError?: unknown;
  discoverSeconds: number;
  fingerprint?: Fingerprint;
  /** A STAC item's version (updated / ETag / content hash): the state keys remote scenes by id and this. */
  version?: string;
}

/** File names of a run's lock, state and report: one set per shard, so shards can share a folder. */
export function batchFiles(shard: ScanContext['batch']['shard']): {
  lock: string;
  state: string;
  report: string;
  plan: string;
} {
  const tag = shard ? `-shard-${shard.index}-of-${shard.count}` : '';
  return {
    lock: `.archeo${tag}.lock`,
    state: `archeo-state${tag}.json`,
    report: `run-report${tag}.json`,
    plan: `archeo-plan${tag}.json`,
  };
}

/** The shard a scene id belongs to: a stable hash, so every machine computes the same partition. */
export function shardOf(id: string, count: number): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % count;
}

/** Hash of every option that changes a scene's outputs: a change redoes every scene. */
export function runParameterHash(ctx: ScanContext): string {
  const p = ctx.plan;
  const options = {
    indices: p.indices ?? 'default',
    resolution: p.resolution,
    resample: p.resample,
    mask_classes: p.maskClasses,
    aoi: p.aoi ? [p.aoi.west, p.aoi.south, p.aoi.east, p.aoi.north] : null,
    boa_offset: p.boaOffset ?? null,
    reflectance: p.reflectance,
    // Only when set: hashes of runs without the flag stay what they were (no scene redone for nothing).
    ...(p.clipReflectance ? { clip_reflectance: true } : {}),
    compress: ctx.codec,
    level: ctx.level,
    block: ctx.block,
    detection: ctx.detection
      ? { params: paramsHash(ctx.detection.params), detectors: Object.keys(ctx.detection.detectors) }
      : null,
    quicklook: ctx.quicklook,
  };
  return createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 16);
}

export async function runScan(ctx: ScanContext): Promise<ScanResult> {
  const { batch } = ctx;
  const runId = newRunId();
  const started = new Date();
  const t0 = performance.now();

  const paths: string[] = [];
  for (const input of ctx.inputs) {
    if (isItemInput(input)) continue; // STAC items (URLs, .json files): below
    for (const p of await findScenes(input)) if (!paths.includes(resolve(p))) paths.push(resolve(p));
  }
  let candidates: Candidate[] = [];
  for (const path of paths) {
    const t = performance.now();
    try {
      const scene = await discoverScene(path);
      candidates.push({ path, id: scene.id, scene, discoverSeconds: (performance.now() - t) / 1000 });
    } catch (err) {
      candidates.push({
        path,
        id: basename(path),
        discoverError: err,
        discoverSeconds: (performance.now() - t) / 1000,
      });
    }
  }
  // STAC items named on the command line, then the search's items sorted by id (batch.items.ts).
  candidates.push(
    ...(await itemCandidates(
      ctx.inputs.filter(isItemInput),
      ctx.stac?.search,
      ctx.stac?.policy ?? ctx.remote?.policy ?? defaultRetryPolicy,
      ctx.logger,
    )),
  );
  const found = candidates.length;
  if (batch.shard) {
    const { index, count, source } = batch.shard;
    candidates = candidates.filter((c) => shardOf(c.id, count) === index);
    ctx.logger.info(
      'Run:Shard',
      { index, count, source: source ?? '--shard', scenes: candidates.length, found },
      `shard ${index}/${count}${source && source !== '--shard' ? ` (${source})` : ''}: ${candidates.length} of ${found} scene(s)`,
    );
  }

  const files = batchFiles(batch.shard);
  // The engine of the run (--backend), probed and opened before anything is written: an engine that is
  // not available is a usage error that leaves no state behind. Shared by every scene.
  const engine = batch.list ? undefined : await selectEngine(ctx.backend);
  try {
    return await runWithEngine(ctx, engine, { runId, started, t0, candidates, found, files });
  } finally {
    await engine?.engine?.close();
  }
}

async function runWithEngine(
  ctx: ScanContext,
  engine: EngineSelection | undefined,
  run: {
    runId: string;
    started: Date;
    t0: number;
    candidates: Candidate[];
    found: number;
    files: ReturnType<typeof batchFiles>;
  },
): Promise<ScanResult> {
  const { logger, batch } = ctx;
  const { runId, started, t0, candidates, found, files } = run;
  const lock = batch.list ? undefined : await OutputLock.acquire(ctx.out, files.lock, runId);
  try {
    if (lock?.tookOver) logger.warn('Run:Lock', { lock: lock.path }, lock.tookOver);
    if (lock) await removeDeadRunsTemporaries(ctx);
    const statePath = join(ctx.out, files.state);
    const state = new StateStore(
      statePath,
      await loadState(statePath, (msg) => logger.warn('Run:State', { state: statePath }, msg)),
    );
    if (lock) await state.compact();

    const hash = runParameterHash(ctx);
    // A run of one scene named on the command line behaves as a single scan (its error is the command's);
    // a search is an archive, however many items it finds.
    const single = candidates.length === 1 && !ctx.stac?.search;
    const decisions: Decision[] = [];
    const firstPath = new Map<string, string>();
    for (const c of candidates) {
      const earlier = firstPath.get(c.id);
      if (earlier !== undefined) {
        decisions.push({
          id: c.id,
          path: c.path,
          status: 'duplicate',
          run: false,
          reason: `scene id ${c.id} was already found at ${earlier}; not replacing it`,
        });
        continue;
      }
      firstPath.set(c.id, c.path);
      c.fingerprint =
        c.version !== undefined ? await fingerprintItem(c.version, c.scene) : await fingerprintScene(c.path);
      // A run of one scene retries it even when it failed before: someone is looking at it.
      decisions.push(await decide(ctx, c, state.get(c.id), hash, single));
    }
    if (batch.list) return { runId, scenes: [], failed: 0, transient: 0, decisions, report: undefined };
    await writePlan(join(ctx.out, files.plan), {
      format: 'archeo-plan/1',
      run_id: runId,
      shard: batch.shard ? { index: batch.shard.index, count: batch.shard.count } : null,
      host: os.hostname(),
      pid: process.pid,
      started_at: started.toISOString(),
      scenes: decisions.map((d) => ({ id: d.id, path: d.path, status: d.status, run: d.run })),
    });

    const todo = candidates.filter((_, i) => decisions[i]!.run);
    const outcomes: SceneOutcome[] = candidates.map((c, i) => {
      const d = decisions[i]!;
      if (d.status === 'duplicate')
        return { path: c.path, id: c.id, ok: false, error: `${c.path}: ${d.reason}`, stage: 'discover' };
      return { path: c.path, id: c.id, ok: d.status === 'done', skipped: d.run ? undefined : d.reason };
    });
    for (const d of decisions) {
      if (!d.run && d.status !== 'duplicate')
        logger.info(
          'Scene:Skip',
          { scene: d.id, status: d.status, reason: d.reason },
          `${d.id}: ${d.status}: ${d.reason}`,
        );
      if (d.status === 'duplicate')
        logger.error('Scene:Failed', { scene: d.id, path: d.path, stage: 'discover' }, `${d.path}: ${d.reason}`);
    }

    let failure: unknown;
    if (todo.length > 0) {
      if (engine) {
        // Why `auto` stayed on the CPU (no Vulkan loader, no GPU driver…) is for those who asked for a GPU
        // (--backend webgpu|tensorflow fails with it) or look (`info --engines`, -v, report.json): a
        // CPU-only machine is not told about Vulkan on every run.
        const quietCpu = engine.requested === 'auto' && engine.name === 'cpu';
        const fields = { engine: engine.name, device: engine.device.description };
        if (quietCpu) {
          logger.info('Run:Engine', fields, `engine: cpu on ${engine.device.description}`);
          if (engine.note) logger.debug('Run:Engine', fields, engine.note);
        } else
          logger.info('Run:Engine', fields, engine.note ?? `engine: ${engine.name} on ${engine.device.description}`);
      }
      const pool = new WorkerPool(new URL('./scan/scan.worker.js', import.meta.url), ctx.threads);
      // Scenes at once (--jobs): each holds its strips in flight and its detection state; the JPEG 2000
      // and tile limits are shared by all, so band decodes do not multiply with the jobs.
      const limits = runLimits(
        ctx.threads,
        new SourceContext(ctx.remote, {
          retry: (e) =>
            logger.warn(
              'Remote:Retry',
              { url: e.url, attempt: e.attempt + 1, delay_ms: Math.round(e.delayMs) },
              `${e.url}: ${e.reason}, retrying in ${(e.delayMs / 1000).toFixed(1)} s`,
            ),
          note: (href, message) => logger.warn('Remote:Note', { url: href }, `${href}: ${message}`),
        }),
      );
      const jobs = pLimit(batch.jobs);
      const sceneCtx: ScanContext = { ...ctx, engine, onProgress: todo.length > 1 ? undefined : ctx.onProgress };
      let done = 0;
      let singleCause: unknown;
      try {
        await Promise.all(
          todo.map((c) =>
            jobs(async () => {
              const { outcome, cause } = await processScene(sceneCtx, pool, c, runId, limits, state, hash, !single);
              outcomes[candidates.indexOf(c)] = outcome;
              if (cause !== undefined) singleCause = cause;
              done++;
              if (todo.length > 1) ctx.onProgress?.('scenes', done, todo.length);
            }),
          ),
        );
      } finally {
        await pool.close();
      }
      if (single && singleCause !== undefined) failure = singleCause;
    }

    await state.compact();
    const report = buildRunReport({
      runId,
      started,
      wallSeconds: (performance.now() - t0) / 1000,
      ctx,
      found,
      decisions,
      outcomes,
      files,
    });
    await writeJsonAtomic(join(ctx.out, files.report), report);
    // A run of one scene that failed ends with that scene's error: its one line, exit 1.
    if (failure !== undefined) throw failure;
    const failed = outcomes.filter((o) => !o.ok && o.skipped === undefined).length;
    const transient = outcomes.filter((o) => o.fault === 'transient').length;
    return { runId, scenes: outcomes, failed, transient, decisions, report };
  } finally {
    lock?.release();
  }
}

async function decide(
  ctx: ScanContext,
  c: Candidate,
  rec: SceneRecord | undefined,
  hash: string,
  retryFailed: boolean,
): Promise<Decision> {
  const base = { id: c.id, path: c.path };
  if (!rec) return { ...base, status: 'new', run: true, reason: 'not processed before' };
  if (ctx.batch.force) return { ...base, status: 'forced', run: true, reason: '--force' };
  let change: string | undefined;
  if (rec.fingerprint !== c.fingerprint!.hash)
    change =
      c.version !== undefined && rec.version !== c.version
        ? `item ${rec.version ?? 'unknown'} → ${c.version}`
        : describeChange(rec.inputs, c.fingerprint!.files);
  else if (rec.params_hash !== hash) change = 'parameters changed';
  else if (rec.tool_version !== toolVersion) change = `tool version ${rec.tool_version} → ${toolVersion}`;
  if (rec.outcome === 'failed') {
    if (change) return { ...base, status: 'changed', run: true, reason: `${change} (failed before)` };
    // A transient fault (network, disk full, I/O, memory) says nothing about the scene: the next run tries again.
    if (rec.fault === 'transient')
      return {
        ...base,
        status: 'retry',
        run: true,
        reason: `failed on a transient fault before (${rec.stage ?? '?'}: ${rec.error ?? '?'})`,
      };
    if (ctx.batch.retryFailed || retryFailed)
      return {
        ...base,
        status: 'retry',
        run: true,
        reason: ctx.batch.retryFailed ? '--retry-failed' : 'failed before',
      };
    return {
      ...base,
      status: 'failed',
      run: false,
      reason: `failed before (${rec.stage ?? '?'}: ${rec.error ?? '?'}); unchanged, skipped (--retry-failed runs it again)`,
    };
  }
  if (change) return { ...base, status: 'changed', run: true, reason: change };
  for (const o of rec.outputs ?? []) {
    const at = join(ctx.out, c.id, o.path);
    let size: number | undefined;
    try {
      size = (await stat(at)).size;
    } catch {
      return { ...base, status: 'outputs', run: true, reason: `output ${o.path} is missing` };
    }
    if (size !== o.bytes)
      return {
        ...base,
        status: 'outputs',
        run: true,
        reason: `output ${o.path} changed size (${o.bytes} → ${size} bytes)`,
      };
  }
  return { ...base, status: 'done', run: false, reason: `done ${rec.finished_at}, unchanged` };
}

/** Error codes that only writing raises. */
const onlyWhenWriting = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EROFS']);

async function processScene(
  ctx: ScanContext,
  pool: WorkerPool,
  c: Candidate,
  runId: string,
  limits: ReturnType<typeof runLimits>,
  state: StateStore,
  hash: string,
  logFailure: boolean,
): Promise<{ outcome: SceneOutcome; cause?: unknown }> {
  const tracker: StageTracker = { stage: 'discover' };
  const t0 = performance.now();
  const record = (r: Partial<SceneRecord> & Pick<SceneRecord, 'outcome'>): void =>
    state.record({
      id: c.id,
      path: c.path,
      fingerprint: c.fingerprint!.hash,
      inputs: c.fingerprint!.files,
      ...(c.version !== undefined ? { version: c.version } : {}),
      params_hash: hash,
      tool_version: toolVersion,
      run_id: runId,
      finished_at: new Date().toISOString(),
      wall_s: Math.round(performance.now() - t0) / 1000,
      ...r,
    });
  try {
    if (c.discoverError !== undefined) throw c.discoverError;
    const result = await scanScene({ ctx, pool, runId, limits }, c.scene!, tracker, c.discoverSeconds);
    tracker.stage = 'checksum';
    const outputs = await checksums(pool, result.outputDir, result.digests);
    record({ outcome: 'done', outputs });
    return { outcome: { path: c.path, id: c.id, ok: true, outputDir: result.outputDir, report: result.report } };
  } catch (thrown) {
    // A write fault raised where no path is known (a worker appending tiles to a file descriptor): the
    // scene's output folder is the file it names.
    const code = (thrown as NodeJS.ErrnoException | undefined)?.code;
    const err =
      code && onlyWhenWriting.has(code) && !(thrown as NodeJS.ErrnoException).path
        ? (outputErrorOf(join(ctx.out, c.id), thrown) ?? thrown)
        : thrown;
    const line = errorLine(err);
    // Transient (a network fault: retried by the next run) or permanent (the data: skipped until it changes).
    const fault = isTransient(err) ? 'transient' : 'permanent';
    record({ outcome: 'failed', stage: tracker.stage, error: line, fault });
    // (A run of one scene reports its failure as the command's error line instead.)
    if (logFailure)
      ctx.logger.error('Scene:Failed', { scene: c.id, path: c.path, stage: tracker.stage, error: line, fault }, line);
    return { outcome: { path: c.path, id: c.id, ok: false, error: line, stage: tracker.stage, fault }, cause: err };
  }
}

/**
 * SHA-256 of every file of a finished scene folder: the rasters' as their writers hashed them, the
 * others hashed now in the worker threads.
 */
async function checksums(pool: WorkerPool, dir: string, known: ReadonlyMap<string, string>): Promise<OutputRecord[]> {
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.isFile()) files.push(join(d, e.name));
    }
  };
  await walk(dir);
  return Promise.all(
    files.map(async (path) => ({
      path: relative(dir, path),
      bytes: (await stat(path)).size,
      sha256:
        known.get(relative(dir, path)) ?? (await pool.run<string>({ type: 'checksum', path } satisfies ChecksumTask)),
    })),
  );
}

/**
 * Temporary files and folders left in the output folder by a run of this host that was killed
 * (SIGKILL, power loss): their process is gone. Others — a live run, another host — are left alone.
 * The rule is io/output/staging.ts's, shared with velocity/rms/invert; here each removal is logged.
 */
async function removeDeadRunsTemporaries(ctx: ScanContext): Promise<void> {
  for (const name of await removeStaleTemporaries(ctx.out)) {
    ctx.logger.info('Run:Cleanup', { removed: name }, `removed ${name}, left by a run that is gone`);
  }
}
