/**
 * Structured events named `Noun:Verb` (`Scene:Read`, `Index:Skip`). On a terminal they print as short
 * human lines; otherwise (cron, pipes) each event is one JSON line on stderr, so logs can be parsed.
 * stdout is reserved for command results (`--json`).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  /** Lowest level printed. */
  level: LogLevel;
  /** One JSON object per line (true) or human-readable lines (false). */
  json: boolean;
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
}

export type LogFields = Record<string, unknown>;

export class Logger {
  private readonly write: (line: string) => void;
  /** Set by a progress bar so that log lines first clear the bar's line. */
  beforeWrite: (() => void) | undefined;

  constructor(private readonly opts: LoggerOptions) {
    this.write = opts.write ?? ((line) => process.stderr.write(`${line}\n`));
  }

  get json(): boolean {
    return this.opts.json;
  }

  enabled(level: LogLevel): boolean {
    return rank[level] >= rank[this.opts.level];
  }

  debug(event: string, fields: LogFields = {}, msg?: string): void {
    this.log('debug', event, fields, msg);
  }
  info(event: string, fields: LogFields = {}, msg?: string): void {
    this.log('info', event, fields, msg);
  }
  warn(event: string, fields: LogFields = {}, msg?: string): void {
    this.log('warn', event, fields, msg);
  }
  error(event: string, fields: LogFields = {}, msg?: string): void {
    this.log('error', event, fields, msg);
  }

  private log(level: LogLevel, event: string, fields: LogFields, msg?: string): void {
    if (!this.enabled(level)) return;
    this.beforeWrite?.();
    if (this.opts.json) {
      this.write(JSON.stringify({ time: new Date().toISOString(), level, event, ...(msg ? { msg } : {}), ...fields }));
      return;
    }
    const prefix = level === 'warn' ? 'warning: ' : level === 'error' ? 'error: ' : '';
    if (msg) {
      this.write(prefix + msg);
      return;
    }
    const detail = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    this.write(`${prefix}${event}${detail ? ` ${detail}` : ''}`);
  }
}

/** A logger that prints nothing (tests, library use). */
export const silentLogger = new Logger({ level: 'error', json: true, write: () => undefined });
