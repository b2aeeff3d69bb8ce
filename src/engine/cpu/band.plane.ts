/**
 * A band's plane for one scan task: DN → reflectance by table lookup, then resampling onto the task's
 * grid window with the plans of compute/resample.ts. Two implementations of the same arithmetic,
 * operation for operation (so both are bit-identical to OpenCV's): `bandPlaneWasm`, where the lookup and
 * the bilinear passes run in WebAssembly and the edge columns and the nearest/area plans use the
 * JavaScript kernels on views of the same memory, and `bandPlaneJs` in plain typed arrays (`--no-simd`,
 * and the planes a device engine receives).
 */
import {
  pairedRange,
  resampleFloat,
  sourceRange,
  type AxisPlan,
  type GridWindow,
  type LinearPlan,
} from '../../compute/resample.js';
import type { SampleWindow } from '../../core/types.js';
import { WasmArena, type WasmKernels } from './wasm.kernels.js';

/** A source window of DN (digital numbers) of one band. */
type DnWindow = SampleWindow;

/** Scratch buffers the JavaScript path may reuse between calls (the caller owns them). */
export type ScratchTake = (name: string, length: number) => Float32Array;

/** One band's plane on the task's grid window in plain typed arrays: table lookup, then resampling. */
export function bandPlaneJs(
  win: DnWindow,
  lut: Float32Array,
  plan: { x: AxisPlan; y: AxisPlan },
  srcWidth: number,
  grid: GridWindow,
  plane: Float32Array,
  take: ScratchTake,
): void {
  const dn = win.data;
  if (plan.x.kind === 'identity' && plan.y.kind === 'identity') {
    // Same grid: convert straight into the plane.
    for (let y = 0; y < grid.height; y++) {
      const s = (grid.y0 + y - win.y0) * win.width + (grid.x0 - win.x0);
      const o = y * grid.width;
      for (let x = 0; x < grid.width; x++) plane[o + x] = lut[dn[s + x]!]!;
    }
    return;
  }
  // Only the source columns this task needs, converted to reflectance, then resampled.
  const [sx0, sx1] = sourceRange(plan.x, grid.x0, grid.x0 + grid.width, srcWidth);
  const width = sx1 - sx0;
  const refl = take('reflectance', width * win.height);
  for (let y = 0; y < win.height; y++) {
    const s = y * win.width + (sx0 - win.x0);
    const o = y * width;
    for (let x = 0; x < width; x++) refl[o + x] = lut[dn[s + x]!]!;
  }
  const rows = take('rows', win.height * grid.width);
  resampleFloat({ data: refl, x0: sx0, y0: win.y0, width, height: win.height }, plan.x, plan.y, grid, plane, rows);
}

/** Bytes of arena a band's plane needs beyond the plane itself (for WasmArena.reset). */
export function bandScratchBytes(
  win: DnWindow,
  plan: { x: AxisPlan; y: AxisPlan },
  srcWidth: number,
  grid: GridWindow,
): number {
  if (plan.x.kind === 'identity' && plan.y.kind === 'identity') return WasmArena.size(grid.width * grid.height * 2);
  const [sx0, sx1] = sourceRange(plan.x, grid.x0, grid.x0 + grid.width, srcWidth);
  const n = (sx1 - sx0) * win.height;
  return WasmArena.size(n * 2) + WasmArena.size(n * 4) + WasmArena.size(win.height * grid.width * 4);
}

/** Copies rows [0, h) of columns [c0, c0+w) of a DN window into uint16 arena memory at `ptr`. */
function copyDn(wk: WasmKernels, win: DnWindow, c0: number, r0: number, w: number, h: number, ptr: number): void {
  const dst = wk.arena.u16(ptr, w * h);
  const src = win.data;
  for (let y = 0; y < h; y++) {
    const s = (r0 + y) * win.width + c0;
    if (src instanceof Uint16Array) dst.set(src.subarray(s, s + w), y * w);
    else for (let x = 0; x < w; x++) dst[y * w + x] = src[s + x]!; // 8-bit bands widen to 16
  }
}

export function bandPlaneWasm(
  wk: WasmKernels,
  win: DnWindow,
  lutPtr: number,
  plan: { x: AxisPlan; y: AxisPlan },
  srcWidth: number,
  grid: GridWindow,
  planePtr: number,
): void {
  const { arena } = wk;
  const n = grid.width * grid.height;
  if (plan.x.kind === 'identity' && plan.y.kind === 'identity') {
    const dn = arena.alloc(n * 2);
    copyDn(wk, win, grid.x0 - win.x0, grid.y0 - win.y0, grid.width, grid.height, dn);
    wk.lut16(dn, planePtr, n, lutPtr);
    return;
  }
  const [sx0, sx1] = sourceRange(plan.x, grid.x0, grid.x0 + grid.width, srcWidth);
  const width = sx1 - sx0;
  const h = win.height;
  const dn = arena.alloc(width * h * 2);
  const refl = arena.alloc(width * h * 4);
  const rows = arena.alloc(h * grid.width * 4);
  copyDn(wk, win, sx0 - win.x0, 0, width, h, dn);
  wk.lut16(dn, refl, width * h, lutPtr);
  const src = { data: arena.f32(refl, width * h), x0: sx0, y0: win.y0, width, height: h };
  const plane = arena.f32(planePtr, n);
  if (plan.x.kind !== 'linear' || plan.y.kind !== 'linear') {
    resampleFloat(src, plan.x, plan.y, grid, plane, arena.f32(rows, h * grid.width));
    return;
  }
  horizontal(wk, src, refl, plan.x, grid, rows);
  vertical(wk, plan.y, win.y0, grid, rows, planePtr);
}

/** The horizontal pass into `rowsPtr` (h rows of grid.width): paired 2x columns in WebAssembly, the rest in JS. */
function horizontal(
  wk: WasmKernels,
  src: { data: Float32Array; x0: number; width: number; height: number },
  reflPtr: number,
  x: LinearPlan,
  grid: GridWindow,
  rowsPtr: number,
): void {
  const gw = grid.width;
  const [p0, p1] = pairedRange(x, grid.x0, gw);
  const quads = Math.floor((p1 - p0) / 8);
  const w0 = p0 + quads * 8; // columns [p0, w0) in WebAssembly, 8 per step
  if (quads > 0) {
    const g = grid.x0 + p0;
    const tap = x.i0[g]! - src.x0;
    const [a0, a1, b0, b1] = [x.w0[g]!, x.w1[g]!, x.w0[g + 1]!, x.w1[g + 1]!]; // weights of outputs 2m, 2m+1
    wk.hpairs(reflPtr + tap * 4, rowsPtr + p0 * 4, src.height, src.width * 4, gw * 4, quads, a0, a1, b0, b1);
  }
  const out = wk.arena.f32(rowsPtr, src.height * gw);
  const data = src.data;
  const f = Math.fround;
  const edge = (from: number, to: number): void => {
    for (let r = 0; r < src.height; r++) {
      const s = r * src.width - src.x0;
      const o = r * gw;
      for (let c = from; c < to; c++) {
        const g = grid.x0 + c;
        const a1 = x.w1[g]!;
        const v0 = data[s + x.i0[g]!]!;
        out[o + c] = a1 === 0 ? v0 : f(f(v0 * x.w0[g]!) + f(data[s + x.i1[g]!]! * a1));
      }
    }
  };
  edge(0, quads > 0 ? p0 : gw);
  if (quads > 0) edge(w0, gw);
}

/** The vertical pass from the horizontal rows into the plane, one WebAssembly blend per output row. */
function vertical(
  wk: WasmKernels,
  y: LinearPlan,
  sy0: number,
  grid: GridWindow,
  rowsPtr: number,
  planePtr: number,
): void {
  const gw = grid.width;
  const rows = wk.arena.f32(rowsPtr, 0);
  const plane = wk.arena.f32(planePtr, 0);
  // Rows are written in order: a blend may spill up to 3 values into the next row, which is written next.
  for (let r = 0; r < grid.height; r++) {
    const g = grid.y0 + r;
    const r0 = rowsPtr + (y.i0[g]! - sy0) * gw * 4;
    const b1 = y.w1[g]!;
    if (b1 === 0) {
      new Float32Array(plane.buffer, planePtr + r * gw * 4, gw).set(new Float32Array(rows.buffer, r0, gw));
      continue;
    }
    wk.vblend(r0, rowsPtr + (y.i1[g]! - sy0) * gw * 4, planePtr + r * gw * 4, gw, y.w0[g]!, b1);
  }
}
