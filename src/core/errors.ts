/**
 * Typed errors at the boundary. Each kind maps to one exit code; `cli/main.ts` is the only place
 * that turns them into a printed line and a process exit.
 */

/** Process exit codes shared by every command (documented in the README). */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  /** A batch finished but some of its items failed. */
  PartialFailure: 3,
  /** Another run holds the output folder's lock (transient: retry later). */
  Locked: 4,
  /**
   * A transient fault: the run (or a scene of a batch) met a fault that a later try may not meet — no
   * space left, a quota, an I/O error or a stale handle of a network file system, a network timeout or
   * reset, out of memory. 75 is EX_TEMPFAIL of sysexits.h, which schedulers and mailers read as "retry".
   */
  Transient: 75,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class ArcheoError extends Error {
  readonly exitCode: ExitCode = ExitCode.Failure;
  /** The errno-like code of the fault underneath (ENOSPC, EIO, …), when there is one: it decides transience. */
  readonly code?: string;
}

/** A flag or argument the user gave is wrong: names the flag and the value. */
export class UsageError extends ArcheoError {
  override readonly exitCode = ExitCode.Usage;
  override readonly name = 'UsageError';
}

/** An input file is missing, unreadable or not what it claims to be: names the file and the fault. */
export class InputError extends ArcheoError {
  override readonly name = 'InputError';
  constructor(
    readonly path: string,
    readonly fault: string,
  ) {
    super(`${path}: ${fault}`);
  }
}

/**
 * An output cannot be written — no space left, a read-only file system, no permission, a quota, a file
 * where a folder is expected: names the path (the final name, not a temporary one). Exit 1, like an input
 * fault: the environment, not archeo, is at fault.
 */
export class OutputError extends ArcheoError {
  override readonly name = 'OutputError';
  constructor(
    readonly path: string,
    readonly fault: string,
    override readonly code?: string,
  ) {
    super(`cannot write ${path}: ${fault}`);
  }
}

/** The file-system errors of writing an output, in words. */
const writeFaults: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file is in the way of a folder',
  EISDIR: 'is a folder',
  EIO: 'input/output error',
};

/**
 * The OutputError for a file-system error met writing `path` (ENOSPC, EROFS, EACCES, EDQUOT, …), or
 * undefined when `err` is not one of those.
 */
export function outputErrorOf(path: string, err: unknown): OutputError | undefined {
  if (err instanceof OutputError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code && code in writeFaults ? new OutputError(path, writeFaults[code]!, code) : undefined;
}

/** A computation was handed data it cannot work on: names the function and the shapes. */
export class ComputeError extends ArcheoError {
  override readonly name = 'ComputeError';
}

/** The run was interrupted (SIGINT/SIGTERM); temporary files have been removed. */
export class InterruptedError extends ArcheoError {
  override readonly exitCode = ExitCode.Interrupted;
  override readonly name = 'InterruptedError';
}

/** One line for the user: the message of a known error, or the first line of an unexpected one. */
export function errorLine(err: unknown): string {
  if (err instanceof ArcheoError) return err.message;
  // A file-system error that no writer mapped: still one line naming the path, not an internal error.
  const errno = err as NodeJS.ErrnoException;
  if (errno?.path) {
    const mapped = outputErrorOf(errno.path, err);
    if (mapped) return mapped.message;
  }
  if (err instanceof Error) return `internal error: ${err.message.split('\n')[0]}`;
  return `internal error: ${String(err)}`;
}

/**
 * Faults a later try may not meet (the environment's, not the input's): a full disk or quota that may be
 * freed, I/O errors and stale handles of network file systems, network timeouts and resets, too many open
 * files, out of memory (a worker thread over its heap, or an allocation refused). Bad inputs, usage
 * errors and permissions are permanent: retrying them gives the same answer.
 */
const transientCodes = new Set([
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'ESTALE',
  'EAGAIN',
  'EBUSY',
  'EMFILE',
  'ENFILE',
  'ENOMEM',
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'EPIPE',
  'ERR_WORKER_OUT_OF_MEMORY',
]);

/** Whether `err` is a transient fault (see transientCodes); a held lock and an interruption are too. */
export function isTransient(err: unknown): boolean {
  if (err instanceof ArcheoError && (err.exitCode === ExitCode.Locked || err.exitCode === ExitCode.Interrupted))
    return true;
  // A network fault that a later attempt may not meet (io/source/retry.ts: RemoteError says so itself).
  if ((err as { transient?: unknown } | undefined)?.transient === true) return true;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && transientCodes.has(code)) return true;
  // V8's refusals to allocate (a typed array or WebAssembly memory larger than the machine gives).
  return err instanceof RangeError && /allocation failed|out of memory|Out of memory/.test(err.message);
}

/** The exit code of a run that ended with `err`: its kind's, or 75 for a transient fault of any kind. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof ArcheoError && err.exitCode !== ExitCode.Failure) return err.exitCode;
  return isTransient(err) ? ExitCode.Transient : ExitCode.Failure;
}
