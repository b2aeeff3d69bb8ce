/** Runs the real CLI (`node bin/archeo.js`) in a child process. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function archeo(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): CliResult {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'archeo.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 300000,
    cwd,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The error lines a failed run printed (log events are JSON lines when stderr is not a terminal). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('archeo: '));
}
