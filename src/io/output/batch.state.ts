/**
 * The state of an output folder across runs: per scene, what its inputs were (fingerprint), with which
 * parameters and tool version it was processed, how it ended, and its outputs with sizes and SHA-256
 * checksums. Two files survive a crash at any moment:
 *  - the snapshot (`archeo-state.json`), only ever replaced atomically (temporary name, then rename);
 *  - a journal (`archeo-state.journal`), one JSON line per finished scene, appended and synced as each
 *    scene ends. Loading replays the journal over the snapshot (a torn last line is ignored: that scene is
 *    simply redone); a run folds the journal into the snapshot when it starts and when it ends. So each
 *    scene costs one small append, not a rewrite of the whole state of a large archive.
 */
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync, rmSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import { writeJsonAtomic } from './atomic.js';

export interface OutputRecord {
  /** Relative to the scene's output folder. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface SceneRecord {
  id: string;
  path: string;
  /** SHA-256 of the scene's input files (relative path, size, mtime). */
  fingerprint: string;
  /** Input files as [relative path, bytes, mtime ms]: which one changed, when one did. */
  inputs: [string, number, number][];
  /** A STAC item's version (`updated …`, `etag …` or `sha256 …`): a new one redoes the scene. */
  version?: string;
  params_hash: string;
  tool_version: string;
  outcome: 'done' | 'failed';
  /** For a failure: the stage it happened in and the one-line message. */
  stage?: string;
  error?: string;
  /** For a failure: transient (a network fault, retried by every run) or permanent (skipped until changed). */
  fault?: 'transient' | 'permanent';
  outputs?: OutputRecord[];
  run_id: string;
  finished_at: string;
  wall_s: number;
}

export interface BatchState {
  format: 'archeo-state/1';
  updated_at: string;
  scenes: Record<string, SceneRecord>;
}

/** The journal that goes with a snapshot file. */
export function journalPath(statePath: string): string {
  return `${statePath.replace(/\.json$/, '')}.journal`;
}

/**
 * Reads the snapshot and replays the journal. A missing snapshot is an empty state; a damaged one is
 * set aside and started afresh (every scene is then redone, which is safe).
 */
export async function loadState(path: string, warn: (msg: string) => void): Promise<BatchState> {
  let state = emptyState();
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new InputError(path, `cannot read the state file (${(err as NodeJS.ErrnoException).code})`);
  }
  if (text !== undefined) {
    try {
      const parsed = JSON.parse(text) as BatchState;
      if (parsed.format !== 'archeo-state/1' || typeof parsed.scenes !== 'object')
        throw new Error('not an archeo state file');
      state = parsed;
    } catch (err) {
      const aside = `${path}.damaged-${Date.now()}`;
      await rename(path, aside);
      warn(`${path}: ${(err as Error).message}; moved to ${aside}, every scene will be redone`);
    }
  }
  let journal = '';
  try {
    journal = readFileSync(journalPath(path), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new InputError(journalPath(path), `cannot read the state journal (${(err as NodeJS.ErrnoException).code})`);
  }
  for (const line of journal.split('\n')) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as SceneRecord;
      if (rec && typeof rec.id === 'string') state.scenes[rec.id] = rec;
    } catch {
      // a line torn by a crash: that scene is redone
    }
  }
  return state;
}

function emptyState(): BatchState {
  return { format: 'archeo-state/1', updated_at: new Date().toISOString(), scenes: {} };
}

/** Records scene outcomes: one synced journal line each, folded into the snapshot by `compact`. */
export class StateStore {
  constructor(
    readonly path: string,
    readonly state: BatchState,
  ) {}

  get(id: string): SceneRecord | undefined {
    return this.state.scenes[id];
  }

  /** Records a scene's outcome: in memory, and as one appended, synced journal line. */
  record(rec: SceneRecord): void {
    this.state.scenes[rec.id] = rec;
    const journal = journalPath(this.path);
    appendFileSync(journal, `${JSON.stringify(rec)}\n`);
    const fd = openSync(journal, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Writes the whole state as the new snapshot (atomically), then removes the journal it now contains. */
  async compact(): Promise<void> {
    this.state.updated_at = new Date().toISOString();
    await writeJsonAtomic(this.path, this.state, false);
    // A crash before this line only means the journal is replayed once more: records are idempotent.
    rmSync(journalPath(this.path), { force: true });
  }
}
