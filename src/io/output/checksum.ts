/**
 * SHA-256 of outputs for the state file, run in worker threads (hashing 2 GB takes a core about a
 * second): of a file as it lies, or of a file still being put together, from its pieces in order.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

const PIECE = 8 * 2 ** 20;

/** SHA-256 of a file, read in 8 MB pieces. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(PIECE);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * A piece of a file to be: bytes given, a range of another file, or a framed range (a COG tile: its
 * byte count as uint32 before it, its last 4 bytes again after it, as cog.layout.ts writes them).
 */
export type DigestPiece =
  | { bytes: Uint8Array }
  | { zeros: number }
  | { path: string; at: number; length: number; framed?: boolean };

/**
 * SHA-256 of the concatenation of `pieces`. A COG's writer hashes its file this way just before the
 * file takes its final form, while its data is still in the page cache: inserting room at its start
 * (insert.range.ts) drops the file's cached pages, and hashing it afterwards would read it from disk.
 */
export function sha256Pieces(pieces: readonly DigestPiece[]): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(PIECE);
  const fds = new Map<string, number>();
  try {
    for (const p of pieces) {
      if ('bytes' in p) hash.update(p.bytes);
      else if ('zeros' in p) hash.update(Buffer.alloc(p.zeros));
      else {
        let fd = fds.get(p.path);
        if (fd === undefined) {
          fd = openSync(p.path, 'r');
          fds.set(p.path, fd);
        }
        if (p.framed) {
          const leader = Buffer.alloc(4);
          leader.writeUInt32LE(p.length);
          hash.update(leader);
        }
        const last = hashRange(hash, fd, buf, p.at, p.length, p.path);
        if (p.framed) hash.update(last);
      }
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
  return hash.digest('hex');
}

/** Hashes `length` bytes of `fd` from `at`; returns their last 4 bytes (fewer: zero-padded on the left). */
function hashRange(hash: Hash, fd: number, buf: Buffer, at: number, length: number, path: string): Buffer {
  const last = Buffer.alloc(4);
  for (let done = 0; done < length; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, length - done), at + done);
    if (n === 0) throw new Error(`${path}: ${length} bytes expected from offset ${at}, the file ends before`);
    hash.update(buf.subarray(0, n));
    done += n;
    // The range's last 4 bytes may straddle two reads.
    const tail = buf.subarray(Math.max(0, n - 4), n);
    last.copyWithin(0, tail.length);
    last.set(tail, 4 - tail.length);
  }
  return last;
}
