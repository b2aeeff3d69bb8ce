/**
 * A GeoTIFF's overviews built while its full-resolution rows stream past, never holding a whole level:
 * each level keeps one tile row (its current block) and the two rows before it (the carry: a window
 * spans at most three source rows, so a row straddling two blocks still finds its sources). Rows are
 * fed in order, a strip at a time (`advance`); a level's block is handed to `emit` tile by tile as soon
 * as it is complete, after the next level has taken what it needs from it.
 *
 * The state lives in shared memory (`PyramidState`), so the feeding can move between worker threads
 * from one strip to the next: scan workers copy their tasks' rows into a ring of full-resolution strip
 * slots, and one worker at a time, in strip order, advances the pyramid from the finished strip.
 */
import type { WritableType } from './tile.encode.js';
import { averageRow, axisWindows, modeRow, type LevelSize, type OverviewMethod, type Window } from './overview.js';

export interface PyramidState {
  type: WritableType;
  method: OverviewMethod;
  /** The value written where nothing valid is left (NaN for float32). */
  nodata: number;
  tileSize: number;
  /** Level 0 (full resolution) first. */
  sizes: LevelSize[];
  /** Full-resolution strip slots (`slots` x tileSize rows x width), filled by workers; null when fed directly. */
  ring: SharedArrayBuffer | null;
  slots: number;
  /** Level k ≥ 1: its current block (tileSize rows); index 0 unused. */
  blocks: (SharedArrayBuffer | null)[];
  /** Level k ≥ 0: the two rows before its block. */
  carries: SharedArrayBuffer[];
  /** Int32 per level: [rows done, block start, carry start] (carry start −1: no carry yet). */
  counters: SharedArrayBuffer;
}

type Samples = Float32Array | Uint8Array;

/** Makes the shared state of a raster's pyramid (sizes from overviewSizes, more than one level). */
export function createPyramidState(
  type: WritableType,
  method: OverviewMethod,
  nodata: number,
  tileSize: number,
  sizes: LevelSize[],
  slots: number,
  ring: boolean,
): PyramidState {
  const bytes = type === 'float32' ? 4 : 1;
  const w0 = sizes[0]!.width;
  const counters = new SharedArrayBuffer(sizes.length * 12);
  const c = new Int32Array(counters);
  for (let k = 0; k < sizes.length; k++) c[k * 3 + 2] = -1;
  return {
    type,
    method,
    nodata,
    tileSize,
    sizes,
    ring: ring ? new SharedArrayBuffer(slots * tileSize * w0 * bytes) : null,
    slots,
    blocks: sizes.map((s, k) => (k === 0 ? null : new SharedArrayBuffer(tileSize * s.width * bytes))),
    carries: sizes.map((s) => new SharedArrayBuffer(2 * s.width * bytes)),
    counters,
  };
}

/** Hands one finished tile of `level` (tileSize² samples, padded with nodata) to the file. */
export type EmitTile = (level: number, tx: number, ty: number, tile: Samples) => Promise<void>;

export class Pyramid {
  private readonly counters: Int32Array;
  private readonly cols: (Window[] | null)[] = [];
  private readonly rowWins: (Window[] | null)[] = [];

  constructor(readonly state: PyramidState) {
    this.counters = new Int32Array(state.counters);
  }

  get levels(): number {
    return this.state.sizes.length;
  }

  private view(buf: SharedArrayBuffer): Samples {
    return this.state.type === 'float32' ? new Float32Array(buf) : new Uint8Array(buf);
  }

  /** Slot `s` of the full-resolution ring, where workers copy the rows of strip s. */
  slot(strip: number): Samples {
    const { ring, slots, tileSize, sizes } = this.state;
    const n = tileSize * sizes[0]!.width;
    const at = (strip % slots) * n;
    return this.state.type === 'float32' ? new Float32Array(ring!, at * 4, n) : new Uint8Array(ring!, at, n);
  }

  /** Copies a task's rows (`rows` x `cols`, packed) into strip `strip`'s slot at column x0. */
  put(strip: number, data: Samples, rows: number, cols: number, x0: number): void {
    const slot = this.slot(strip);
    const w = this.state.sizes[0]!.width;
    for (let y = 0; y < rows; y++) slot.set(data.subarray(y * cols, y * cols + cols), y * w + x0);
  }

  private count(k: number, i: number): number {
    return this.counters[k * 3 + i]!;
  }

  private setCount(k: number, i: number, v: number): void {
    this.counters[k * 3 + i] = v;
  }

  /** Full-resolution rows [y0, y0 + rows) arrived in `block` (rows of the raster's width), in order. */
  async advance(block: Samples, y0: number, rows: number, emit: EmitTile): Promise<void> {
    if (this.count(0, 0) !== y0)
      throw new Error(`overview pyramid: rows from ${y0} arrived when ${this.count(0, 0)} were expected`);
    this.setCount(0, 1, y0);
    this.setCount(0, 0, y0 + rows);
    if (this.levels > 1) await this.level(1, block, y0 + rows, emit);
    this.keepCarry(0, block, y0 + rows);
  }

  /** Row r of level k, from its block or its carry. */
  private row(k: number, block: Samples, r: number): Samples {
    const w = this.state.sizes[k]!.width;
    const start = this.count(k, 1);
    if (r >= start) return block.subarray((r - start) * w, (r - start + 1) * w);
    const carry = this.count(k, 2);
    if (carry < 0 || r < carry) throw new Error(`overview pyramid: row ${r} of level ${k} is gone`);
    const c = this.view(this.state.carries[k]!);
    return c.subarray((r - carry) * w, (r - carry + 1) * w);
  }

  /** The last two rows before `end` (of the block and the old carry) become level k's carry. */
  private keepCarry(k: number, block: Samples, end: number): void {
    const w = this.state.sizes[k]!.width;
    const first = Math.max(0, end - 2);
    const keep = Array.from({ length: end - first }, (_, j) => this.row(k, block, first + j).slice());
    const c = this.view(this.state.carries[k]!);
    keep.forEach((r, j) => c.set(r, j * w));
    this.setCount(k, 2, first);
  }

  private windows(k: number): { cols: Window[] | null; rows: Window[]; exact2: boolean } {
    const src = this.state.sizes[k - 1]!;
    const dst = this.state.sizes[k]!;
    const exact2 = src.width % 2 === 0 && src.height % 2 === 0;
    this.rowWins[k] ??= axisWindows(src.height, dst.height);
    if (!exact2) this.cols[k] ??= axisWindows(src.width, dst.width);
    return { cols: this.cols[k] ?? null, rows: this.rowWins[k]!, exact2 };
  }

  /** Computes level k's rows that level k − 1's rows below `available` allow; emits finished blocks. */
  private async level(k: number, srcBlock: Samples, available: number, emit: EmitTile): Promise<void> {
    const { sizes, tileSize: T, method, nodata } = this.state;
    const { width, height } = sizes[k]!;
    const block = this.view(this.state.blocks[k]!);
    const { cols, rows: rowWins, exact2 } = this.windows(k);
    for (let y = this.count(k, 0); y < height; y = this.count(k, 0)) {
      const win = rowWins[y]!;
      if (win.end > available) break;
      const src: Samples[] = [];
      for (let r = win.first; r < win.end; r++) src.push(this.row(k - 1, srcBlock, r));
      const start = this.count(k, 1);
      const out = block.subarray((y - start) * width, (y - start + 1) * width);
      if (method === 'average') averageRow(src as Float32Array[], win.weights, cols ?? [], out as Float32Array, exact2);
      else modeRow(src as Uint8Array[], cols ?? [], out as Uint8Array, nodata, exact2);
      this.setCount(k, 0, y + 1);
      if (y + 1 - start === T || y + 1 === height) {
        if (k + 1 < this.levels) await this.level(k + 1, block, y + 1, emit);
        await this.emitBlock(k, block, y + 1 - start, emit);
        this.keepCarry(k, block, y + 1);
        this.setCount(k, 1, y + 1);
      }
    }
  }

  private async emitBlock(k: number, block: Samples, rows: number, emit: EmitTile): Promise<void> {
    const { sizes, tileSize: T, nodata } = this.state;
    const { width } = sizes[k]!;
    const ty = Math.floor(this.count(k, 1) / T);
    const across = Math.ceil(width / T);
    await Promise.all(
      Array.from({ length: across }, (_, tx) => {
        const tile = this.state.type === 'float32' ? new Float32Array(T * T) : new Uint8Array(T * T);
        const x0 = tx * T;
        const w = Math.min(T, width - x0);
        if (w < T || rows < T) tile.fill(nodata);
        for (let y = 0; y < rows; y++) tile.set(block.subarray(y * width + x0, y * width + x0 + w), y * T);
        return emit(k, tx, ty, tile);
      }),
    );
  }
}
