/**
 * A GeoTIFF's overviews built while its full-resolution rows stream past, never holding a whole level:
 * each level keeps one tile row (its current block) and the two rows before it (the carry: a window
 * spans at most three source rows, so a row straddling two blocks still finds its sources). Rows are
 * fed in order, a strip at a time (`advance`); a level's block is handed to `emit` tile by tile as soon
 * as it is complete, after the next level has taken what it needs from it.
 *
 * The state lives in shared memory (`PyramidState`), so the feeding can move between worker threads
 * from one strip to the next: scan workers put their tasks' rows into a ring of strip slots, and one
 * worker at a time, in strip order, advances the pyramid from the finished strip. When the raster's
 * sides are even (the common case) the slots hold level 1, not the full resolution: each task averages
 * its own 2 x 2 blocks as it puts them (a task's columns and a strip's rows start at even offsets, so no
 * window crosses two tasks), which spreads level 1 over the workers and makes the slots a quarter size.
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
  /**
   * Strip slots filled by workers (`slots` strips: full-resolution rows, or level-1 rows when `reduced`);
   * null when fed directly.
   */
  ring: SharedArrayBuffer | null;
  slots: number;
  /** The slots hold level 1 (half the rows and columns), averaged by the workers that put them. */
  reduced: boolean;
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
  // Level 1 of an even raster is exact 2 x 2 blocks, which a task can make from its own rows alone.
  const reduced = ring && sizes.length > 1 && w0 % 2 === 0 && sizes[0]!.height % 2 === 0 && tileSize % 2 === 0;
  const slotSamples = reduced ? (tileSize / 2) * sizes[1]!.width : tileSize * w0;
  const counters = new SharedArrayBuffer(sizes.length * 12);
  const c = new Int32Array(counters);
  for (let k = 0; k < sizes.length; k++) c[k * 3 + 2] = -1;
  return {
    type,
    method,
    nodata,
    tileSize,
    sizes,
    ring: ring ? new SharedArrayBuffer(slots * slotSamples * bytes) : null,
    slots,
    reduced,
    blocks: sizes.map((s, k) => (k === 0 ? null : new SharedArrayBuffer(tileSize * s.width * bytes))),
    carries: sizes.map((s) => new SharedArrayBuffer(2 * s.width * bytes)),
    counters,
  };
}

/**
 * One finished tile where it lies in its level's block: `rows` x `cols` samples from column `x0`, rows
 * `stride` samples apart (fewer than tileSize at the level's right and bottom edges). Valid until the
 * emit's promise settles.
 */
export interface TileView {
  samples: Samples;
  stride: number;
  x0: number;
  cols: number;
  rows: number;
}

/** Hands one finished tile of `level` to the file. */
export type EmitTile = (level: number, tx: number, ty: number, tile: TileView) => Promise<void>;

/** The tile of a view as a full tileSize² tile, padded with `fill` past the level's edges. */
export function paddedTile(v: TileView, tileSize: number, fill: number): Samples {
  const tile = v.samples instanceof Float32Array ? new Float32Array(tileSize ** 2) : new Uint8Array(tileSize ** 2);
  if (v.cols < tileSize || v.rows < tileSize) tile.fill(fill);
  for (let y = 0; y < v.rows; y++) {
    const at = y * v.stride + v.x0;
    tile.set(v.samples.subarray(at, at + v.cols), y * tileSize);
  }
  return tile;
}

/**
 * Level-1 rows averaged elsewhere (the CPU engine's SIMD kernel) from a task's rows, exactly as
 * averageRow's exact-2 case would: `rows` rows of the first `cols` level-1 columns, `stride` values apart.
 */
export interface AveragedRows {
  samples: Float32Array;
  rows: number;
  cols: number;
  stride: number;
}

/** Weights of a 2 x 2 window's rows (unused by the exact-2 kernels, which weigh all four alike). */
const EQUAL = new Float64Array([1, 1]);

/**
 * Makes 2 x 2 averages elsewhere (the CPU engine's SIMD kernel), exactly as averageRow's exact-2 case:
 * out's first values from rows a and b; returns how many it made (the rest is averaged here).
 */
export type RowAverager = (a: Float32Array, b: Float32Array, out: Float32Array) => number;

export class Pyramid {
  /** Averages the rows of levels 2 and up (float32, even sides) when set; JavaScript otherwise. */
  averager: RowAverager | undefined;
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

  /** Slot `s` of the ring, where workers put the rows of strip s (level-1 rows when reduced). */
  slot(strip: number): Samples {
    const { ring, slots, tileSize, sizes, reduced } = this.state;
    const n = reduced ? (tileSize / 2) * sizes[1]!.width : tileSize * sizes[0]!.width;
    const at = (strip % slots) * n;
    return this.state.type === 'float32' ? new Float32Array(ring!, at * 4, n) : new Uint8Array(ring!, at, n);
  }

  /** Whether `put` takes averaged level-1 rows (float32 averages into reduced slots). */
  get averagesLevel1(): boolean {
    return this.state.reduced && this.state.method === 'average' && this.state.type === 'float32';
  }

  /**
   * Puts a task's full-resolution rows (`rows` x `cols`, packed, from column x0) into strip `strip`'s
   * slot: copied, or averaged into level 1 when the slots are reduced (rows, cols and x0 even there).
   * `averaged`: level-1 rows of the task already made (when `averagesLevel1`), copied as they are; the
   * columns they lack are averaged here.
   */
  put(strip: number, data: Samples, rows: number, cols: number, x0: number, averaged?: AveragedRows): void {
    const slot = this.slot(strip);
    if (!this.state.reduced) {
      const w = this.state.sizes[0]!.width;
      for (let y = 0; y < rows; y++) slot.set(data.subarray(y * cols, y * cols + cols), y * w + x0);
      return;
    }
    const w1 = this.state.sizes[1]!.width;
    const half = cols / 2;
    const given = averaged && this.averagesLevel1 && averaged.rows >= rows / 2 ? Math.min(averaged.cols, half) : 0;
    for (let y = 0; y < rows / 2; y++) {
      const at = y * w1 + x0 / 2;
      if (given) slot.set(averaged!.samples.subarray(y * averaged!.stride, y * averaged!.stride + given), at);
      if (given === half) continue;
      const a = data.subarray(2 * y * cols + 2 * given, (2 * y + 1) * cols);
      const b = data.subarray((2 * y + 1) * cols + 2 * given, (2 * y + 2) * cols);
      const out = slot.subarray(at + given, at + half);
      if (this.state.method === 'average') averageRow([a, b] as Float32Array[], EQUAL, [], out as Float32Array, true);
      else modeRow([a, b] as Uint8Array[], [], out as Uint8Array, this.state.nodata, true);
    }
  }

  /**
   * The finished strip in slot `strip` (full-resolution rows [y0, y0 + rows)) goes into the pyramid:
   * level 1 takes the reduced rows as they are, or the full-resolution rows feed it as in `advance`.
   */
  async advanceSlot(strip: number, y0: number, rows: number, emit: EmitTile): Promise<void> {
    if (!this.state.reduced) return this.advance(this.slot(strip), y0, rows, emit);
    if (this.count(0, 0) !== y0)
      throw new Error(`overview pyramid: rows from ${y0} arrived when ${this.count(0, 0)} were expected`);
    this.setCount(0, 0, y0 + rows);
    await this.arrive(1, this.slot(strip), y0 / 2, rows / 2, emit);
  }

  /** Level k's rows [y, y + n) arrive made (packed): into its block, finished blocks emitted as in `level`. */
  private async arrive(k: number, rowsIn: Samples, y: number, n: number, emit: EmitTile): Promise<void> {
    const { sizes, tileSize: T } = this.state;
    const { width, height } = sizes[k]!;
    if (this.count(k, 0) !== y)
      throw new Error(`overview pyramid: level ${k} rows from ${y} arrived when ${this.count(k, 0)} were expected`);
    const block = this.view(this.state.blocks[k]!);
    for (let done = 0; done < n; ) {
      const start = this.count(k, 1);
      const at = this.count(k, 0);
      const take = Math.min(n - done, start + T - at);
      block.set(rowsIn.subarray(done * width, (done + take) * width), (at - start) * width);
      done += take;
      this.setCount(k, 0, at + take);
      if (at + take - start === T || at + take === height) {
        if (k + 1 < this.levels) await this.level(k + 1, block, at + take, emit);
        await this.emitBlock(k, block, at + take - start, emit);
        this.keepCarry(k, block, at + take);
        this.setCount(k, 1, at + take);
      }
    }
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
      if (method === 'average') this.average(src as Float32Array[], win.weights, cols, out as Float32Array, exact2);
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

  /** averageRow, by the averager where it takes the rows (2 x 2 windows) and in JavaScript for the rest. */
  private average(
    src: Float32Array[],
    weights: Float64Array,
    cols: Window[] | null,
    out: Float32Array,
    exact2: boolean,
  ): void {
    const done = exact2 && src.length === 2 && this.averager ? this.averager(src[0]!, src[1]!, out) : 0;
    if (done === out.length) return;
    const rest = done ? src.map((r) => r.subarray(2 * done)) : src;
    averageRow(rest, weights, cols ?? [], done ? out.subarray(done) : out, exact2);
  }

  private async emitBlock(k: number, block: Samples, rows: number, emit: EmitTile): Promise<void> {
    const { sizes, tileSize: T } = this.state;
    const { width } = sizes[k]!;
    const ty = Math.floor(this.count(k, 1) / T);
    const across = Math.ceil(width / T);
    await Promise.all(
      Array.from({ length: across }, (_, tx) => {
        const x0 = tx * T;
        return emit(k, tx, ty, { samples: block, stride: width, x0, cols: Math.min(T, width - x0), rows });
      }),
    );
  }
}
