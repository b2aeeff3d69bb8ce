/**
 * A run's plan (`archeo-plan.json`, `archeo-plan-shard-i-of-n.json`): the scenes of its share and what it
 * decided for each (run or skip), written once when the run has its lock and before any scene starts. The
 * state says what ended; the plan says what a run set out to do, so `archeo status` can tell the scenes
 * still waiting (or left behind by a killed run) from those never planned. Replaced by rename, never
 * edited: a reader sees the whole plan or the previous one.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors.js';
import { writeJsonAtomic } from './atomic.js';

export interface PlannedScene {
  id: string;
  path: string;
  /** The decision's status (new, changed, done, failed, retry, …) and whether the run processes it. */
  status: string;
  run: boolean;
}

export interface RunPlan {
  format: 'archeo-plan/1';
  run_id: string;
  shard: { index: number; count: number } | null;
  host: string;
  pid: number;
  started_at: string;
  scenes: PlannedScene[];
}

export async function writePlan(path: string, plan: RunPlan): Promise<void> {
  await writeJsonAtomic(path, plan, false);
}

/** The plan at `path`; undefined when there is none; a damaged one is reported by `problem`. */
export function readPlan(path: string): { plan?: RunPlan; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InputError(path, `cannot read the run plan (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    const plan = JSON.parse(text) as RunPlan;
    if (plan?.format !== 'archeo-plan/1' || !Array.isArray(plan.scenes)) throw new Error('not an archeo run plan');
    return { plan };
  } catch (err) {
    return { problem: `${path}: ${(err as Error).message}` };
  }
}
