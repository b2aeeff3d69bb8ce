/**
 * Row blocks of the MintPy commands (velocity, rms, invert): how many rows of a cube one block holds,
 * from --ram, what one row costs, and the file's chunking. One rule and one error text for all three.
 */
import { UsageError } from '../../core/errors.js';

/**
 * Input bytes per block aimed at: larger blocks ran slower, not faster (100 x 1000 x 1000 cube, 2 cores:
 * 32 MB blocks 0.95 s and 166 MB peak; 128 MB blocks 1.3 s and 300 MB), and only cost memory.
 */
export const BLOCK_TARGET_BYTES = 32 * 2 ** 20;

export interface RowBudget {
  /** Bytes everything a block holds costs per row (input rows, accumulators, outputs). */
  rowBytes: number;
  /** What one row holds, for the error when it does not fit: `1000 pixels x 50 dates`. */
  rowLabel: string;
  /** --ram in GiB. */
  ramGb: number;
  /** Blocks in memory at once (one per worker), sharing --ram equally (default 1). */
  shares?: number;
  /** Rows of the cube. */
  totalRows: number;
  /** Rows per chunk of the input (1 when contiguous). */
  chunkRows: number;
  /** Bytes per row that count towards BLOCK_TARGET_BYTES (default rowBytes). */
  targetRowBytes?: number;
  /** A further cap on the rows of a block (default none). */
  maxRows?: number;
}

/**
 * Rows per block from --ram: at most what the budget (divided among `shares` blocks), `maxRows` and the
 * cube allow; within that, about BLOCK_TARGET_BYTES of `targetRowBytes` but at least one chunk's rows,
 * rounded down to whole chunks (each chunk then read and decompressed once). At least 1. Throws a
 * UsageError naming --ram when one row does not fit in the budget.
 */
export function rowsPerBlock(b: RowBudget): number {
  const budget = (b.ramGb * 2 ** 30) / (b.shares ?? 1);
  if (b.rowBytes > budget) {
    const needs = (b.rowBytes / 2 ** 20).toFixed(2);
    throw new UsageError(`--ram ${b.ramGb}: too small for one row of ${b.rowLabel} (needs ${needs} MB)`);
  }
  const maxRows = Math.min(Math.floor(budget / b.rowBytes), b.maxRows ?? Infinity, b.totalRows);
  const targetRows = Math.floor(BLOCK_TARGET_BYTES / (b.targetRowBytes ?? b.rowBytes));
  let rows = Math.min(maxRows, Math.max(b.chunkRows, targetRows));
  if (rows > b.chunkRows && rows < b.totalRows) rows -= rows % b.chunkRows;
  return Math.max(1, rows);
}
