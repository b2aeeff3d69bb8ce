/**
 * The SHA-256s of a scene's rasters, hashed by their writers as they finish (GeoTiffWriter's `digest`,
 * in the worker threads), so the state file need not read the files back (batch.ts).
 */
import { relative } from 'node:path';
import type { WorkerPool } from '../../engine/cpu/pool.js';
import type { DigestPiece } from '../../io/output/checksum.js';
import type { ChecksumTask } from './scan.worker.js';

export class SceneDigests {
  private readonly known = new Map<string, string>();

  /** `tmp`: the scene's temporary folder; paths are kept relative to it (the same in the final folder). */
  constructor(
    private readonly pool: WorkerPool,
    private readonly tmp: string,
  ) {}

  /** The `digest` option of the writer of `path`. */
  of(path: string): (pieces: DigestPiece[]) => Promise<string> {
    return async (pieces) => {
      const sha256 = await this.pool.run<string>({ type: 'checksum', pieces } satisfies ChecksumTask);
      this.known.set(relative(this.tmp, path), sha256);
      return sha256;
    };
  }

  /** SHA-256 by path relative to the scene's folder. */
  get byPath(): ReadonlyMap<string, string> {
    return this.known;
  }
}
