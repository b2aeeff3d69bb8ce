/**
 * Makes room at the start of a file without copying it: Linux's fallocate(FALLOC_FL_INSERT_RANGE)
 * shifts the file's blocks by `bytes` and leaves a hole (zeros) in front, in the file system's extent
 * map only. A COG's full-resolution tiles must come after its overviews, whose size is known only when
 * the whole raster has passed; with this, the tiles written as they came stay where they are and the
 * header, IFDs and overviews are written into the room made before them, instead of copying every byte
 * into a second file (docs/scan.md, "COG layout and overviews").
 *
 * Node has no binding for fallocate's modes, so this runs util-linux's `fallocate` (essential in Debian
 * and every common Linux distribution). Where it is missing, or the file system cannot insert ranges
 * (tmpfs, NFS, Lustre, btrfs, any non-Linux system), it reports false and the caller copies instead.
 * The offset and the length must be multiples of the file system's block size: callers keep to
 * INSERT_ALIGN, the common block size (ext4, XFS); a larger block size is refused and ends in the copy.
 */
import { execFile } from 'node:child_process';

/** The granularity of an inserted range (the block size of ext4 and XFS as usually made). */
export const INSERT_ALIGN = 4096;

/**
 * Inserts `bytes` (a multiple of INSERT_ALIGN) of zeros at the start of the non-empty file `path`,
 * shifting its contents; true when done, false when this system cannot (the file is then unchanged).
 * The file's own writes must be complete (positioned writes from other threads included).
 */
export function insertAtStart(path: string, bytes: number): Promise<boolean> {
  if (process.platform !== 'linux' || bytes % INSERT_ALIGN !== 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    execFile(
      'fallocate',
      ['--insert-range', '--offset', '0', '--length', String(bytes), path],
      // Any failure (no such program, EOPNOTSUPP, EINVAL for an unaligned block size) leaves the file as it
      // was. No timeout: a killed fallocate may still have shifted the file, and the copy would then be wrong.
      (err) => resolve(!err),
    );
  });
}
