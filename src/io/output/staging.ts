/**
 * The outputs of one run as a set (velocity, rms, invert). Every file is written into one staging folder
 * inside its output folder — `.archeo-stage.tmp-<host>-<pid>-<time>` (core/cleanup.ts's convention, so a
 * later run can tell that its owner is dead) — and only when all are complete are they moved into place
 * together: the old `report.json` is removed first, every other file is renamed over its final name,
 * and the new `report.json`, which lists the files of the set, is renamed last. A folder with a
 * report.json therefore holds the complete set it names; a folder without one (a run killed between
 * the renames) holds no set anyone should trust. Staging folders and temporaries left by dead runs on
 * this host are removed when the next run opens the folder.
 *
 * Writes that fail on the file system (ENOSPC, EROFS, EACCES, EDQUOT, …) are one OutputError naming the
 * final path.
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { hostTag, processAlive, tempNameFor, tempOwner, tempPaths } from '../../core/cleanup.js';
import { outputErrorOf } from '../../core/errors.js';

/** The marker of a complete set: written last, it names every file of the set. */
export const SET_MARKER = 'report.json';

/** Creates `dir` (and its parents); a file-system fault is an OutputError naming it. */
export async function makeOutputDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw outputErrorOf(dir, err) ?? err;
  }
}

/**
 * Removes temporaries in `dir` left by runs on this host whose process is gone (staging folders and
 * `.name.tmp-…` files); returns their names. Others' (another host, a live process) are left alone.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const owner = tempOwner(name);
    if (!owner || owner.host !== hostTag || owner.pid === process.pid || processAlive(owner.pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

export class OutputSet {
  /** Final folder → its staging folder. */
  private readonly stages = new Map<string, string>();
  /** Final path → staged path, in the order staged. */
  private readonly staged = new Map<string, string>();
  /** Old outputs this run does not make again, removed with the swap. */
  private readonly removals = new Set<string>();
  /** Temporaries of dead runs removed when the folders were opened. */
  readonly cleaned: string[] = [];

  private constructor(readonly outDir: string) {}

  /** Opens `outDir` for a run's outputs: created, cleaned of dead runs' temporaries, a staging folder made. */
  static async open(outDir: string): Promise<OutputSet> {
    const set = new OutputSet(outDir);
    await set.stageDir(outDir);
    return set;
  }

  private async stageDir(dir: string): Promise<string> {
    const key = resolve(dir);
    const known = this.stages.get(key);
    if (known) return known;
    await makeOutputDir(dir);
    this.cleaned.push(...(await removeStaleTemporaries(dir)));
    const stage = tempNameFor(dir, 'archeo-stage');
    tempPaths.add(stage);
    try {
      await mkdir(stage);
    } catch (err) {
      tempPaths.delete(stage);
      throw outputErrorOf(dir, err) ?? err;
    }
    this.stages.set(key, stage);
    return stage;
  }

  /** Where final path `path` is written during the run (its folder's staging folder). */
  async stage(path: string): Promise<string> {
    const at = join(await this.stageDir(dirname(path)), basename(path));
    this.staged.set(path, at);
    return at;
  }

  /** The staged path of `path` (staged before). */
  stagedPath(path: string): string {
    const at = this.staged.get(path);
    if (!at) throw new Error(`OutputSet: ${path} was not staged`);
    return at;
  }

  /** Writes a whole file of the set; a file-system fault names `path`. */
  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    const at = await this.stage(path);
    try {
      await writeFile(at, data);
    } catch (err) {
      throw outputErrorOf(path, err) ?? err;
    }
  }

  /** Writes JSON (indented) and a final newline. */
  async writeJson(path: string, value: unknown): Promise<void> {
    await this.writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** Sizes of the staged files, under their final names (for report.json). */
  async sizes(paths: string[]): Promise<{ path: string; bytes: number }[]> {
    return Promise.all(paths.map(async (path) => ({ path, bytes: (await stat(this.stagedPath(path))).size })));
  }

  /** An old output that this run does not make again (MintPy's exclude_date.txt): removed with the swap. */
  removeWithSwap(path: string): void {
    this.removals.add(path);
  }

  /**
   * Moves the set into place: the old marker out first, every file renamed over its final name, the
   * stale removals, the new marker (report.json of `outDir`) last; then the staging folders go.
   */
  async commit(): Promise<void> {
    const marker = join(this.outDir, SET_MARKER);
    const move = async (path: string, at: string): Promise<void> => {
      try {
        await rename(at, path);
      } catch (err) {
        throw outputErrorOf(path, err) ?? err;
      }
    };
    if (this.staged.has(marker)) await rm(marker, { force: true });
    for (const [path, at] of this.staged) if (path !== marker) await move(path, at);
    for (const path of this.removals) await rm(path, { force: true });
    const markerAt = this.staged.get(marker);
    if (markerAt) await move(marker, markerAt);
    await this.dropStages();
  }

  /** Deletes everything staged (after an error); the final names are untouched. */
  async abort(): Promise<void> {
    await this.dropStages();
  }

  private async dropStages(): Promise<void> {
    for (const stage of this.stages.values()) {
      await rm(stage, { recursive: true, force: true });
      tempPaths.delete(stage);
    }
    this.stages.clear();
  }
}
