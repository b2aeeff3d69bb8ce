/**
 * The HDF5 error layer: every h5wasm call on a file goes through `h5Guard`, so that what the library
 * raises on a corrupt or truncated file — an HDF5 diagnostic stack (the throwing error handler), a
 * WebAssembly abort (`Aborted(native code called abort())`), a C-side message such as `error - name not
 * defined!`, a JavaScript error of h5wasm's wrappers fed garbage — becomes one InputError naming the file
 * and the dataset. What the library prints itself while failing (the abort line, UTF-8 warnings about
 * garbage names) is kept off the terminal during the call.
 *
 * An abort leaves this thread's h5wasm unusable (Emscripten sets ABORT): later calls are refused with
 * the same one line instead of being made, and `closeH5` does not touch a file after one. Workers (rms,
 * invert) have their own h5wasm, so an abort there only poisons that worker.
 */
import { ArcheoError, InputError } from '../../core/errors.js';

let abortedOn: string | undefined;

/** The file whose read aborted this thread's h5wasm, or undefined while it is usable. */
export function h5AbortedOn(): string | undefined {
  return abortedOn;
}

/** True for an Emscripten abort (a WebAssembly.RuntimeError `Aborted(…)`, or a trap in the wasm code). */
export function isWasmAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'RuntimeError' || /^Aborted\(/.test(err.message));
}

/** One line from an h5wasm/HDF5 exception (the innermost HDF5 message, not the whole stack). */
export function h5Error(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text.split('\n').map((l) => l.trim());
  const stack = lines.filter((l) => /^#\d+:/.test(l));
  const last = stack[stack.length - 1];
  if (last) return last.replace(/^#\d+:\s*\S+ line \d+ in /, '').replace(/\(\):\s*/, ': ');
  return lines.find((l) => l.length > 0 && !/^HDF5-DIAG/.test(l)) ?? 'HDF5 error';
}

/** What a system-call failure inside HDF5 says about the file system (its errno text), if anything. */
export function h5SystemFault(err: unknown): string | undefined {
  const text = err instanceof Error ? err.message : String(err);
  const m = /error message = '([^']+)'/.exec(text);
  const known = ['No space left on device', 'Read-only file system', 'Permission denied', 'Quota exceeded'];
  const said = m?.[1];
  if (said && known.some((k) => said.toLowerCase().includes(k.toLowerCase()))) return said.toLowerCase();
  if (/Disc quota exceeded|Disk quota exceeded/i.test(text)) return 'disk quota exceeded';
  return undefined;
}

/**
 * The error for a fault h5wasm raised on `path`, said as `what` (e.g. `dataset 'timeseries' is corrupt
 * or unreadable`) with the library's reason in parentheses: an archeo error passes unchanged, anything
 * else becomes one InputError line.
 */
export function h5Fault(path: string, err: unknown, what: string): Error {
  if (err instanceof ArcheoError) return err;
  if (isWasmAbort(err)) {
    abortedOn ??= path;
    return new InputError(path, `${what} (the HDF5 library aborted on damaged data)`);
  }
  return new InputError(path, `${what} (${h5Error(err)})`);
}

/** How a fault reading `dataset` (or the file's structure, without one) is said. */
export function faultWhat(dataset?: string): string {
  return dataset === undefined
    ? "the file's structure is corrupt or unreadable"
    : `dataset '${dataset}' is corrupt or unreadable`;
}

/** Lines h5wasm prints while failing, kept off stderr/stdout during a guarded call. */
const libraryNoise = /^(Aborted\(|warning: Invalid UTF-8|HDF5-DIAG|error - |Assertion failed|native function)/;

/**
 * Runs synchronous h5wasm calls on `path` (on `dataset`, when given): their faults become one
 * InputError (h5Fault), and the library's own failure lines are not printed. Refuses to call into an
 * h5wasm that an earlier abort left unusable.
 */
export function h5Guard<T>(path: string, dataset: string | undefined, fn: () => T, what = faultWhat(dataset)): T {
  if (abortedOn !== undefined)
    throw new InputError(path, `${what} (the HDF5 library aborted earlier on ${abortedOn} and cannot be used)`);
  const restore = muteLibraryNoise();
  try {
    return fn();
  } catch (err) {
    throw h5Fault(path, err, what);
  } finally {
    restore();
  }
}

/** Closes an h5wasm file, never throwing (after an abort the library is not called at all). */
export function closeH5(file: { close(): unknown }): void {
  if (abortedOn !== undefined) return;
  const restore = muteLibraryNoise();
  try {
    file.close();
  } catch {
    // closing a damaged file may fail again: the fault that matters has been reported
  } finally {
    restore();
  }
}

function muteLibraryNoise(): () => void {
  const streams = [process.stderr, process.stdout];
  const originals = streams.map((s) => s.write);
  streams.forEach((s, i) => {
    const original = originals[i]!;
    s.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      if (
        typeof chunk === 'string'
          ? libraryNoise.test(chunk)
          : Buffer.isBuffer(chunk) && libraryNoise.test(chunk.toString('utf8', 0, 40))
      )
        return true;
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof s.write;
  });
  return () => {
    streams.forEach((s, i) => {
      s.write = originals[i]!;
    });
  };
}
