/**
 * Binary morphology on bit-packed masks (32 pixels per word), as OpenCV defines it:
 *   dilate: dst(x, y) = OR  of src(x+dx, y+dy) over the structuring element's offsets (no reflection);
 *   erode:  dst(x, y) = AND of the same;
 * the anchor is the element's centre; outside the image counts as foreground for erosion and background
 * for dilation (OpenCV's default border), so an opening does not eat the border. open = erode then
 * dilate, close = dilate then erode, each with its own border value.
 *
 * An element is split into rows (dy) of horizontal offset sets; rows with the same set share one
 * horizontal pass, so a k x k square costs k word shifts per row plus k row combinations (separable).
 * A chain of operations can be evaluated for any band of rows: scan streams masks strip by strip.
 */
import { ComputeError } from '../core/errors.js';

/** A mask of width x height bits, `stride` 32-bit words per row; bit x%32 of word x>>5 is pixel x. */
export class BitMask {
  readonly stride: number;
  readonly data: Uint32Array;
  constructor(
    readonly width: number,
    readonly height: number,
    data?: Uint32Array,
  ) {
    this.stride = (width + 31) >>> 5;
    this.data = data ?? new Uint32Array(this.stride * height);
  }

  get(x: number, y: number): boolean {
    return ((this.data[y * this.stride + (x >>> 5)]! >>> (x & 31)) & 1) === 1;
  }

  set(x: number, y: number, v: boolean): void {
    const i = y * this.stride + (x >>> 5);
    if (v) this.data[i] = this.data[i]! | (1 << (x & 31));
    else this.data[i] = this.data[i]! & ~(1 << (x & 31));
  }

  row(y: number): Uint32Array {
    return this.data.subarray(y * this.stride, (y + 1) * this.stride);
  }

  static fromBytes(bytes: ArrayLike<number>, width: number, height: number): BitMask {
    const m = new BitMask(width, height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (bytes[y * width + x]) m.set(x, y, true);
    return m;
  }

  /** Rows [y0, y1) as bytes 0/1 (`y1 - y0` rows of `width`). Empty and full words are filled at once. */
  toBytes(y0 = 0, y1 = this.height, out = new Uint8Array((y1 - y0) * this.width)): Uint8Array {
    for (let y = y0; y < y1; y++) {
      const o = (y - y0) * this.width;
      const r = y * this.stride;
      for (let j = 0; j < this.stride; j++) {
        const w = this.data[r + j]!;
        const x0 = j << 5;
        const n = Math.min(32, this.width - x0);
        if (w === 0) out.fill(0, o + x0, o + x0 + n);
        else if (w === -1 || w === 0xffffffff) out.fill(1, o + x0, o + x0 + n);
        else for (let b = 0; b < n; b++) out[o + x0 + b] = (w >>> b) & 1;
      }
    }
    return out;
  }

  count(): number {
    let n = 0;
    for (const w of this.data) n += popcount(w);
    return n;
  }
}

export function popcount(w: number): number {
  w = w - ((w >>> 1) & 0x55555555);
  w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
  return (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** A structuring element: a rows x cols 0/1 matrix with odd sides, anchored at its centre. */
export interface StructuringElement {
  rows: number;
  cols: number;
  /** Row-major 0/1 values. */
  values: Uint8Array;
}

export type KernelShape = 'square' | 'cross' | 'disk';

/** square: all ones; cross: the middle row and column (MORPH_CROSS); disk: OpenCV's MORPH_ELLIPSE. */
export function structuringElement(shape: KernelShape, size: number): StructuringElement {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0)
    throw new ComputeError(`structuringElement: size ${size} is not an odd positive integer`);
  const v = new Uint8Array(size * size);
  const c = size >> 1;
  for (let i = 0; i < size; i++) {
    let j1 = 0;
    let j2 = size;
    if (shape === 'cross') [j1, j2] = i === c ? [0, size] : [c, c + 1];
    else if (shape === 'disk') {
      // OpenCV getStructuringElement(MORPH_ELLIPSE): dx = round(c * sqrt((r² - dy²) / r²)), r = c.
      const dy = i - c;
      const dx = c === 0 ? 0 : Math.round(c * Math.sqrt((c * c - dy * dy) / (c * c)));
      j1 = Math.max(c - dx, 0);
      j2 = Math.min(c + dx + 1, size);
    }
    for (let j = j1; j < j2; j++) v[i * size + j] = 1;
  }
  return { rows: size, cols: size, values: v };
}

/** An explicit element from a matrix of 0/1 (odd number of rows and columns). */
export function explicitElement(matrix: readonly (readonly number[])[]): StructuringElement {
  const rows = matrix.length;
  const cols = matrix[0]?.length ?? 0;
  if (rows % 2 === 0 || cols % 2 === 0 || matrix.some((r) => r.length !== cols)) {
    throw new ComputeError(`explicitElement: ${rows}x${cols} is not an odd-sided rectangle`);
  }
  return { rows, cols, values: Uint8Array.from(matrix.flat().map((v) => (v ? 1 : 0))) };
}

export type MorphOp = 'erode' | 'dilate';

/** One erosion or dilation, prepared: element rows grouped by their horizontal offsets. */
export interface MorphStep {
  op: MorphOp;
  /** Vertical reach of the element (rows above and below the anchor). */
  ry: number;
  /** Distinct horizontal offset sets, and for each the dy values that use it. */
  groups: { dxs: number[]; dys: number[] }[];
}

export function prepareStep(op: MorphOp, se: StructuringElement): MorphStep {
  const ay = se.rows >> 1;
  const ax = se.cols >> 1;
  const byKey = new Map<string, { dxs: number[]; dys: number[] }>();
  for (let i = 0; i < se.rows; i++) {
    const dxs: number[] = [];
    for (let j = 0; j < se.cols; j++) if (se.values[i * se.cols + j]) dxs.push(j - ax);
    if (dxs.length === 0) continue;
    const key = dxs.join(',');
    const g = byKey.get(key) ?? { dxs, dys: [] };
    g.dys.push(i - ay);
    byKey.set(key, g);
  }
  if (byKey.size === 0) throw new ComputeError('prepareStep: the structuring element is empty');
  return { op, ry: Math.max(ay, se.rows - 1 - ay), groups: [...byKey.values()] };
}

/** Expands open/close into erosions and dilations. */
export function stepsOf(op: 'erode' | 'dilate' | 'open' | 'close', se: StructuringElement): MorphStep[] {
  switch (op) {
    case 'erode':
    case 'dilate':
      return [prepareStep(op, se)];
    case 'open':
      return [prepareStep('erode', se), prepareStep('dilate', se)];
    case 'close':
      return [prepareStep('dilate', se), prepareStep('erode', se)];
  }
}

/** Rows [y0, y1) of a mask: what one stage of a chain holds. */
interface Band {
  y0: number;
  y1: number;
  data: Uint32Array;
}

/**
 * A chain of steps evaluated on bands of rows. `halo` rows of input are needed above and below the
 * rows wanted (fewer at the image's top and bottom, where the border rule applies).
 */
export class MorphChain {
  readonly halo: number;
  private readonly stride: number;
  private readonly pad: number;
  /** Padded row scratch: `pad` words each side of a row. */
  private readonly padded: Uint32Array;
  private readonly tmp: Uint32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly steps: readonly MorphStep[],
  ) {
    this.halo = steps.reduce((a, s) => a + s.ry, 0);
    this.stride = (width + 31) >>> 5;
    let maxDx = 0;
    for (const s of steps) for (const g of s.groups) for (const dx of g.dxs) maxDx = Math.max(maxDx, Math.abs(dx));
    this.pad = (maxDx >>> 5) + 1;
    this.padded = new Uint32Array(this.stride + 2 * this.pad);
    this.tmp = new Uint32Array(this.stride);
  }

  /**
   * Computes rows [y0, y1) of the chain's result into `out` (a full-size mask). `src` must hold valid
   * input rows [y0 - halo, y1 + halo) ∩ [0, height).
   */
  run(src: BitMask, y0: number, y1: number, out: BitMask): void {
    const H = this.height;
    let rest = this.halo;
    let band: Band = {
      y0: Math.max(0, y0 - rest),
      y1: Math.min(H, y1 + rest),
      data: src.data.subarray(Math.max(0, y0 - rest) * this.stride, Math.min(H, y1 + rest) * this.stride),
    };
    if (this.steps.length === 0) {
      out.data.set(src.data.subarray(y0 * this.stride, y1 * this.stride), y0 * this.stride);
      return;
    }
    this.steps.forEach((step, i) => {
      rest -= step.ry;
      const last = i === this.steps.length - 1;
      const o0 = Math.max(0, y0 - rest);
      const o1 = Math.min(H, y1 + rest);
      const target = last
        ? out.data.subarray(o0 * this.stride, o1 * this.stride)
        : new Uint32Array((o1 - o0) * this.stride);
      this.apply(step, band, o0, o1, target);
      band = { y0: o0, y1: o1, data: target };
    });
  }

  /** One step from `band` into rows [o0, o1) (target holds exactly those rows). */
  private apply(step: MorphStep, band: Band, o0: number, o1: number, target: Uint32Array): void {
    const S = this.stride;
    const erode = step.op === 'erode';
    // Horizontal pass per source row and offset group, kept in a rolling buffer of 2·ry + 1 rows: each
    // source row is shifted once per group, and output row y needs source rows y - ry .. y + ry.
    const span = 2 * step.ry + 1;
    const G = step.groups.length;
    const rolling = new Uint32Array(G * span * S);
    const rowOf = new Int32Array(G * span).fill(-1);
    const horizontal = (g: number, y: number): Uint32Array | undefined => {
      if (y < 0 || y >= this.height) return undefined; // outside: the border value, neutral for the combine
      const slot = g * span + (((y % span) + span) % span);
      const h = rolling.subarray(slot * S, (slot + 1) * S);
      if (rowOf[slot] !== y) {
        if (y < band.y0 || y >= band.y1)
          throw new ComputeError(`MorphChain: row ${y} is not in the band ${band.y0}..${band.y1}`);
        this.shiftCombine(band.data.subarray((y - band.y0) * S, (y - band.y0 + 1) * S), step.groups[g]!.dxs, erode, h);
        rowOf[slot] = y;
      }
      return h;
    };
    const tailMask = this.width % 32 === 0 ? 0xffffffff : (1 << (this.width % 32)) - 1;
    const hs: Uint32Array[] = [];
    for (let y = o0; y < o1; y++) {
      const o = (y - o0) * S;
      hs.length = 0;
      for (let g = 0; g < G; g++) {
        for (const dy of step.groups[g]!.dys) {
          const h = horizontal(g, y + dy);
          if (h) hs.push(h); // rows outside the image hold the border value: neutral here
        }
      }
      if (hs.length === 3) {
        // Three rows (3x3 elements, the common case) combined in one pass.
        const [a, b, c] = hs as [Uint32Array, Uint32Array, Uint32Array];
        if (erode) for (let j = 0; j < S; j++) target[o + j] = a[j]! & b[j]! & c[j]!;
        else for (let j = 0; j < S; j++) target[o + j] = a[j]! | b[j]! | c[j]!;
      } else {
        target.fill(erode ? 0xffffffff : 0, o, o + S);
        for (const h of hs) {
          if (erode) for (let j = 0; j < S; j++) target[o + j] = target[o + j]! & h[j]!;
          else for (let j = 0; j < S; j++) target[o + j] = target[o + j]! | h[j]!;
        }
      }
      target[o + S - 1] = target[o + S - 1]! & tailMask; // bits past the right edge stay 0
    }
  }

  /**
   * shiftCombine for offsets under 32 pixels: one pass over the words, each output word made from its
   * word and its two neighbours (bits shifted in across word edges); beyond the row, the border value.
   */
  private shiftCombineNear(row: Uint32Array, dxs: readonly number[], erode: boolean, out: Uint32Array): void {
    const S = this.stride;
    const fill = erode ? -1 : 0;
    const tail = this.width & 31;
    // Bits past the right edge are outside the image: the border value for erosion (they are 0 already).
    const tailFill = erode && tail !== 0 ? ~((1 << tail) - 1) : 0;
    const n = dxs.length;
    const d = Int32Array.from(dxs);
    if (n === 1 && d[0] === 0) {
      out.set(row);
      return;
    }
    if (n === 3 && d[0] === -1 && d[1] === 0 && d[2] === 1) {
      // The 3-wide span of 3x3 elements, spelled out: this runs for every row of every step.
      for (let j = 0; j < S; j++) {
        const w = j === S - 1 ? row[j]! | tailFill : row[j]!;
        const prev = j > 0 ? row[j - 1]! : fill;
        const next = j < S - 1 ? (j + 1 === S - 1 ? row[j + 1]! | tailFill : row[j + 1]!) : fill;
        const left = (w << 1) | (prev >>> 31);
        const right = (w >>> 1) | (next << 31);
        out[j] = erode ? w & left & right : w | left | right;
      }
      return;
    }
    for (let j = 0; j < S; j++) {
      const w = j === S - 1 ? row[j]! | tailFill : row[j]!;
      const prev = j > 0 ? row[j - 1]! : fill;
      const next = j < S - 1 ? (j + 1 === S - 1 ? row[j + 1]! | tailFill : row[j + 1]!) : fill;
      let acc = fill;
      for (let k = 0; k < n; k++) {
        const dx = d[k]!;
        const v = dx === 0 ? w : dx > 0 ? (w >>> dx) | (next << (32 - dx)) : (w << -dx) | (prev >>> (32 + dx));
        acc = erode ? acc & v : acc | v;
      }
      out[j] = acc;
    }
  }

  /** out[x] = combine over dx of row[x + dx], with pixels outside the row = border value. */
  private shiftCombine(row: Uint32Array, dxs: readonly number[], erode: boolean, out: Uint32Array): void {
    if (dxs.every((dx) => dx > -32 && dx < 32)) {
      this.shiftCombineNear(row, dxs, erode, out);
      return;
    }
    const S = this.stride;
    const P = this.pad;
    const fill = erode ? 0xffffffff : 0;
    const p = this.padded;
    p.fill(fill, 0, P);
    p.set(row, P);
    p.fill(fill, P + S);
    if (this.width % 32 !== 0) {
      const tail = (1 << (this.width % 32)) - 1;
      p[P + S - 1] = erode ? p[P + S - 1]! | ~tail : p[P + S - 1]! & tail;
    }
    out.fill(erode ? 0xffffffff : 0);
    const t = this.tmp;
    for (const dx of dxs) {
      // bits of pixels [32j + dx, 32j + dx + 32) = padded words at j + P + floor(dx/32), shifted
      const q = Math.floor(dx / 32);
      const r = dx - q * 32;
      for (let j = 0; j < S; j++) {
        const w0 = p[j + P + q]!;
        t[j] = r === 0 ? w0 : (w0 >>> r) | (p[j + P + q + 1]! << (32 - r));
      }
      if (erode) for (let j = 0; j < S; j++) out[j] = out[j]! & t[j]!;
      else for (let j = 0; j < S; j++) out[j] = out[j]! | t[j]!;
    }
  }
}

/** Applies a chain to a whole mask. */
export function morph(src: BitMask, steps: readonly MorphStep[]): BitMask {
  const out = new BitMask(src.width, src.height);
  new MorphChain(src.width, src.height, steps).run(src, 0, src.height, out);
  return out;
}

/**
 * A detector mask's bytes from the bit rows of two masks (BitMask rows, `width` bits each): 1 where `mask`
 * is set, else 0 where `tested` is set, else `nodata`. Whole words of one kind (no candidate with all or
 * none tested; all candidates) are filled at once.
 */
export function classBytes(
  mask: Uint32Array,
  tested: Uint32Array,
  width: number,
  rows: number,
  nodata: number,
): Uint8Array {
  const stride = (width + 31) >>> 5;
  const out = new Uint8Array(rows * width);
  for (let y = 0; y < rows; y++) {
    for (let j = 0; j < stride; j++) {
      const m = mask[y * stride + j]!;
      const v = tested[y * stride + j]!;
      const o = y * width + (j << 5);
      const n = Math.min(32, width - (j << 5));
      if (m === 0 && v === 0xffffffff) continue; // zeros already
      if (m === 0 && v === 0) out.fill(nodata, o, o + n);
      else if (m === 0xffffffff) out.fill(1, o, o + n);
      else for (let b = 0; b < n; b++) out[o + b] = (m >>> b) & 1 ? 1 : (v >>> b) & 1 ? 0 : nodata;
    }
  }
  return out;
}
