/** Parsers for command-line values: each throws a UsageError naming the flag and the bad value. */
import { UsageError } from '../core/errors.js';
import { Logger, type LogLevel } from '../core/log.js';

export function parseIntFlag(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    throw new UsageError(`${flag} ${value}: expected an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`);
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
}

/** Human lines on a terminal, JSON lines otherwise (cron, pipes). */
export function makeLogger(opts: CommonOptions): Logger {
  const level: LogLevel = opts.quiet ? 'warn' : opts.verbose ? 'debug' : 'info';
  return new Logger({ level, json: !process.stderr.isTTY });
}
