/** Runs the real CLI (`node bin/archeo.js`) in a child process. */
import { expect } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * The CLI in a child process without blocking this process's event loop: for tests whose server (HTTP,
 * STAC, s3rver) lives in this process and must answer the run. Resolves once its output streams close.
 */
export function archeoAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'archeo.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The error lines a failed run printed (log events are JSON lines when stderr is not a terminal). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('archeo: '));
}

/**
 * Runs `archeo <command> <input> ...args --out <fresh folder>` and expects it to fail with exactly one
 * error line, this exit code, and nothing left in the output folder (no output, no temporary).
 */
export function expectCliFailure(command: string, input: string, args: string[], line: string, code = 1): void {
  const out = join(mkdtempSync(join(tmpdir(), 'archeo-out-')), 'out');
  const r = archeo([command, input, ...args, '--out', out]);
  expect(errorLines(r.stderr)).toEqual([`archeo: ${line}`]);
  expect(r.code).toBe(code);
  let left: string[] = [];
  try {
    left = readdirSync(out);
  } catch {
    // --out was never created
  }
  expect(left).toEqual([]);
}

/**
 * Starts the CLI, waits until it has logged `event` on stderr (run it with -v for debug events), sends
 * SIGINT, and returns its exit code and everything it wrote on stderr.
 */
export async function interruptAfter(args: string[], event: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'archeo.js'), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (stderr.includes(event) || child.exitCode !== null) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  child.kill('SIGINT');
  return { code: await exited, stderr };
}

/**
 * Runs the CLI like `archeo`, killed after `timeoutMs` (a hang fails the test instead of stalling it),
 * and reports how long it ran.
 */
export function archeoTimed(args: string[], timeoutMs = 60000): CliResult & { seconds: number; timedOut: boolean } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'bin', 'archeo.js'), ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    seconds: (performance.now() - t0) / 1000,
    timedOut: r.signal === 'SIGKILL',
  };
}
