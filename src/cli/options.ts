/**
 * Parsers for command-line values (each throws a UsageError naming the flag and the bad value), and the
 * flags several commands share: the common ones every command takes last, and the MintPy commands' own.
 */
import os from 'node:os';
import { Option, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { Logger, type LogLevel } from '../core/log.js';
import type { MultiValueFlag } from './argv.js';

export function parseIntFlag(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    throw new UsageError(
      `${flag} ${value}: expected an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`,
    );
  }
  return n;
}

export function parseNumberFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} ${value}: expected a number`);
  return n;
}

export function parseChoice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw new UsageError(`${flag} ${value}: expected one of ${choices.join(', ')}`);
  return value as T;
}

export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Options every command shares. */
export interface CommonOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  /** False with --no-progress. */
  progress: boolean;
}

/** Human lines on a terminal, JSON lines otherwise (cron, pipes). */
export function makeLogger(opts: CommonOptions): Logger {
  const level: LogLevel = opts.quiet ? 'warn' : opts.verbose ? 'debug' : 'info';
  return new Logger({ level, json: !process.stderr.isTTY });
}

/** The flags every command takes last: progress bar, JSON summary, log level. */
export function addCommonFlags(command: Command): Command {
  return command
    .option('--no-progress', 'no progress bar on the terminal')
    .option('--json', 'print the result summary as JSON on stdout')
    .option('-q, --quiet', 'print warnings and errors only')
    .option('-v, --verbose', 'print debug events');
}

/** Help of the MintPy commands' --ram. */
export const ramHelp = 'memory budget for the row blocks in GB (default: 4, or half the free memory when less)';

/** --ram in GB: as given (> 0), or MintPy's default of 4 capped at half the free memory. */
export function ramBudget(value: string | undefined): number {
  const ramGb = value === undefined ? Math.min(4, os.freemem() / 2 ** 30 / 2) : parseNumberFlag('--ram', value);
  if (!(ramGb > 0)) throw new UsageError(`--ram ${value}: expected a memory budget in GB > 0`);
  return ramGb;
}

/** Flags the MintPy commands (velocity, rms, invert) share: output folder and memory budget. */
export interface MintpyFlags extends CommonOptions {
  out: string;
  ram?: string;
}

/** MintPy's alias of --ram, in every MintPy command's alias table (argv.ts). */
export const ramAlias: Record<string, MultiValueFlag> = { '--ram': { aliases: ['--memory'] } };

/** --out <dir> of a MintPy command (default: the current folder), described as the command writes there. */
export function outOption(description: string): Option {
  return new Option('--out <dir>', description).default('.');
}

/** --ram <GB> of a MintPy command (read with ramBudget). */
export function ramOption(): Option {
  return new Option('--ram <GB>', ramHelp);
}

/** Worker threads of the MintPy commands: one per core. */
export function workerThreads(): number {
  return Math.max(1, os.availableParallelism());
}
