/**
 * CPU kernels compiled to WebAssembly SIMD at run time:
 * - the index kernel, generated from the index table's expression trees (four pixels per instruction,
 *   float32 arithmetic exactly as numpy's);
 * - the TIFF floating-point predictor (byte planes by shuffles, differences by bytewise subtraction);
 * - level 1 of the outputs' overviews (2 x 2 averages, wasm.overview.ts).
 * All work on buffers inside one WebAssembly.Memory, which the caller allocates (WasmArena).
 */
import type { Expr } from '../../compute/expr.js';
import type { IndexDef } from '../../compute/indices.js';
import type { BandId } from '../../core/bands.js';
import type { SlotConditions } from '../engine.js';
import { Code, emitModule, F32, I32, Lanes, Simd, V128, type FunctionDef } from './wasm.emit.js';
import { average2Function } from './wasm.overview.js';

/**
 * Bump allocator over a WebAssembly.Memory: 16-byte aligned blocks, all freed at once by reset().
 * Growing the memory detaches every view made before, so a task reserves its whole size first; an
 * allocation beyond the reservation is a bug and throws rather than detach views silently.
 */
export class WasmArena {
  readonly memory = new WebAssembly.Memory({ initial: 16 });
  /** End of the static area (tables kept for a whole scene); task allocations start here. */
  private base = 0;
  private top = 0;
  private limit = 0;

  /** Allocates in the static area, which reset() keeps. Only between tasks (it may grow the memory). */
  allocStatic(bytes: number): number {
    const ptr = this.base;
    this.base += WasmArena.size(bytes);
    this.grow(this.base);
    this.top = this.limit = this.base;
    return ptr;
  }

  /** Frees the task area and makes room for `bytes` of allocations (count them with WasmArena.size). */
  reset(bytes = 0): void {
    this.top = this.base;
    this.limit = this.base + bytes;
    this.grow(this.limit);
  }

  private grow(bytes: number): void {
    const needed = Math.ceil(bytes / 65536) - this.memory.buffer.byteLength / 65536;
    if (needed > 0) this.memory.grow(needed);
  }

  /** Bytes an allocation of `bytes` takes (16-byte rounding, plus 16 of slack for 4-lane tails). */
  static size(bytes: number): number {
    return Math.ceil(bytes / 16) * 16 + 16;
  }

  alloc(bytes: number): number {
    const ptr = this.top;
    this.top += WasmArena.size(bytes);
    if (this.top > this.limit) {
      throw new Error(`WasmArena: ${this.top} bytes allocated beyond the ${this.limit} reserved`);
    }
    return ptr;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }
  u32(ptr: number, length: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, length);
  }
  u16(ptr: number, length: number): Uint16Array {
    return new Uint16Array(this.memory.buffer, ptr, length);
  }
}

function emitExpr(code: Code, e: Expr, bandLocal: (b: BandId) => number): void {
  switch (e.op) {
    case 'band':
      code.get(bandLocal(e.band));
      return;
    case 'const':
      code.f32x4Const(e.value);
      return;
    case 'sqrt':
      emitExpr(code, e.a, bandLocal);
      code.simd(Simd.f32x4Sqrt);
      return;
    default:
      emitExpr(code, e.a, bandLocal);
      emitExpr(code, e.b, bandLocal);
      code.simd({ add: Simd.f32x4Add, sub: Simd.f32x4Sub, mul: Simd.f32x4Mul, div: Simd.f32x4Div }[e.op]);
  }
}

/**
 * `indices(n, mask, plane_0 … plane_B-1, out_0 … out_M-1)` (or `indicesNoMask` without the mask
 * argument): addresses of float32 arrays of n pixels (n rounded up to 4 may be read and written) and of
 * n mask bytes (0 = keep, else every output is NaN).
 */
export function indexFunction(defs: readonly IndexDef[], bands: readonly BandId[], masked: boolean): FunctionDef {
  const B = bands.length;
  const M = defs.length;
  const first = masked ? 2 : 1; // parameters: n, [mask], planes, outs
  const pN = 0;
  const pMask = 1;
  const pPlane = (b: number): number => first + b;
  const pOut = (k: number): number => first + B + k;
  const params = first + B + M;
  const code = new Code(params);
  const lOff = code.local(I32); // byte offset into the float arrays
  const lEnd = code.local(I32);
  const vBands = code.locals(V128, B); // four pixels of each band
  const vMask = code.local(V128); // all-ones lanes where masked (declared without a mask too)
  const vBand = (b: number): number => vBands[b]!;
  const bandLocal = (id: BandId): number => vBand(bands.indexOf(id));

  code.get(pN).i32Const(4).i32Mul().set(lEnd);
  code.i32Const(0).set(lOff);
  code.block().loop();
  code.get(lOff).get(lEnd).i32GeU().brIf(1);
  for (let b = 0; b < B; b++) code.get(pPlane(b)).get(lOff).i32Add().simdMem(Simd.load, 4).set(vBand(b));
  if (masked) {
    // 4 mask bytes widened to 4 x i32, then all-ones lanes where non-zero.
    code.get(pMask).get(lOff).i32Const(2).i32ShrU().i32Add().simdMem(Simd.load32Zero, 0);
    code.simd(Simd.i16x8ExtendLowI8x16U).simd(Simd.i32x4ExtendLowI16x8U);
    code.v128Zero().simd(Simd.i32x4Ne).set(vMask);
  }
  defs.forEach((d, k) => {
    code.get(pOut(k)).get(lOff).i32Add();
    if (masked) code.f32x4Const(NaN);
    emitExpr(code, d.expr, bandLocal);
    if (masked) code.get(vMask).simd(Simd.bitselect); // NaN where masked, the index elsewhere
    code.simdMem(Simd.store, 4);
  });
  code.get(lOff).i32Const(16).i32Add().set(lOff);
  code.br(0).end().end();
  return { name: masked ? 'indices' : 'indicesNoMask', params, body: code };
}

/**
 * `fpredict(src, dst, width, rows, stride)`: the TIFF floating-point predictor (3) of a `width` x `rows`
 * float32 tile whose rows start every `stride` bytes at `src`, into `width * rows * 4` bytes at `dst`.
 * `width` must be a multiple of 16. Per 16 samples: one shuffle per sample vector groups its bytes by
 * significance, a 4x4 transpose of 32-bit lanes makes one vector per byte plane, and each plane vector
 * minus itself shifted by one byte (the previous byte carried in) gives the differences.
 */
export function predictorFunction(): FunctionDef {
  const [pSrc, pDst, pWidth, pRows, pStride] = [0, 1, 2, 3, 4];
  const code = new Code(5);
  const lRow = code.local(I32);
  const lK = code.local(I32); // sample index in the row
  const lS = code.local(I32); // the row's source address
  const lD = code.local(I32); // the row's destination address
  const lPlane = code.local(I32); // bytes per byte plane of a row
  const vVs = code.locals(V128, 4); // 4 sample vectors, then the 4 plane vectors
  const vPrevs = code.locals(V128, 4); // previous vector of each plane (last byte used)
  const vTs = code.locals(V128, 4); // transpose temporaries
  const vV = (i: number): number => vVs[i]!;
  const vPrev = (p: number): number => vPrevs[p]!;
  const vT = (i: number): number => vTs[i]!;
  // Byte order inside one 16-byte vector of 4 little-endian floats: group byte 3 of each, then 2, 1, 0.
  const group = [3, 7, 11, 15, 2, 6, 10, 14, 1, 5, 9, 13, 0, 4, 8, 12];
  code.i32Const(0).set(lRow);
  code.block().loop();
  code.get(lRow).get(pRows).i32GeU().brIf(1);
  // s = src + row * stride; d = dst + row * width * 4; plane = width (bytes per plane of a row)
  code.get(pSrc).get(lRow).get(pStride).i32Mul().i32Add().set(lS);
  code.get(pDst).get(lRow).get(pWidth).i32Mul().i32Const(4).i32Mul().i32Add().set(lD);
  code.get(pWidth).set(lPlane);
  // The byte before plane p's first byte is plane p-1's last byte: bytes 3, 2, 1 of the row's last
  // sample. Load that sample's 4 bytes splatted; lane 15 of each prev vector is what the shift uses.
  for (let p = 0; p < 4; p++) {
    if (p === 0) {
      code.v128Zero().set(vPrev(0));
      continue;
    }
    // the row's last vector, at s + width * 4 - 16
    code.get(lS).get(pWidth).i32Const(4).i32Mul().i32Add().i32Const(-16).i32Add().simdMem(Simd.load, 0);
    // last sample = bytes 12..15 of the last vector; its byte (4-p) goes to every lane
    const b = 12 + (4 - p);
    code.v128Zero().shuffle(new Array<number>(16).fill(b)).set(vPrev(p));
  }
  code.i32Const(0).set(lK);
  code.block().loop();
  code.get(lK).get(pWidth).i32GeU().brIf(1);
  for (let i = 0; i < 4; i++) {
    code
      .get(lS)
      .get(lK)
      .i32Const(4)
      .i32Mul()
      .i32Add()
      .simdMem(Simd.load, 0, i * 16);
    code.v128Bytes(group).simd(Simd.swizzle).set(vV(i));
  }
  // 4x4 transpose of 32-bit lanes: plane p = lane p of v0, v1, v2, v3.
  const lo = Lanes.interleaveLow32;
  const hi = Lanes.interleaveHigh32;
  const lo64 = Lanes.lowHalves;
  const hi64 = Lanes.highHalves;
  code.get(vV(0)).get(vV(1)).shuffle(lo).set(vT(0)); // v0.0 v1.0 v0.1 v1.1
  code.get(vV(0)).get(vV(1)).shuffle(hi).set(vT(1)); // v0.2 v1.2 v0.3 v1.3
  code.get(vV(2)).get(vV(3)).shuffle(lo).set(vT(2));
  code.get(vV(2)).get(vV(3)).shuffle(hi).set(vT(3));
  const planes: [number, number, readonly number[]][] = [
    [vT(0), vT(2), lo64],
    [vT(0), vT(2), hi64],
    [vT(1), vT(3), lo64],
    [vT(1), vT(3), hi64],
  ];
  // The previous vector's last byte, then this vector's first fifteen.
  const shiftedIn = [15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30];
  planes.forEach(([a, b, lanes], p) => {
    // address: d + p * plane + k (bytes of plane p for samples k..k+15)
    code.get(lD).get(lPlane).i32Const(p).i32Mul().i32Add().get(lK).i32Add();
    code.get(a).get(b).shuffle(lanes).set(vV(p)); // the plane vector
    code.get(vV(p));
    code.get(vPrev(p)).get(vV(p)).shuffle(shiftedIn);
    code.simd(Simd.i8x16Sub);
    code.simdMem(Simd.store, 0);
    code.get(vV(p)).set(vPrev(p));
  });
  code.get(lK).i32Const(16).i32Add().set(lK);
  code.br(0).end().end();
  code.get(lRow).i32Const(1).i32Add().set(lRow);
  code.br(0).end().end();
  return { name: 'fpredict', params: 5, body: code };
}

/** `lut16(src, dst, n, lut)`: dst[i] = lut[src[i]] for uint16 src, float32 dst and table. */
export function lutFunction(): FunctionDef {
  const [pSrc, pDst, pN, pLut] = [0, 1, 2, 3];
  const code = new Code(4);
  const lI = code.local(I32);
  code.i32Const(0).set(lI);
  code.block().loop();
  code.get(lI).get(pN).i32GeU().brIf(1);
  code.get(pDst).get(lI).i32Const(2).i32Shl().i32Add(); // store address
  code.get(pLut).get(pSrc).get(lI).i32Const(1).i32Shl().i32Add().i32Load16U(); // src[i]
  code.i32Const(2).i32Shl().i32Add().f32Load(); // lut[src[i]]
  code.f32Store();
  code.get(lI).i32Const(1).i32Add().set(lI);
  code.br(0).end().end();
  return { name: 'lut16', params: 4, body: code };
}

/**
 * `hpairs(src, dst, rows, srcStride, dstStride, quads, a0, a1, b0, b1)`: the horizontal pass of an exact
 * 2x bilinear upsampling, 8 outputs per step: outputs 2m, 2m+1 from taps u[m], u[m+1] with weights
 * (a0, a1) and (b0, b1), products and sums rounded to float32 as OpenCV does. Strides in bytes.
 */
export function pairsFunction(): FunctionDef {
  const [pSrc, pDst, pRows, pSS, pDS, pQuads] = [0, 1, 2, 3, 4, 5];
  const [pA0, pA1, pB0, pB1] = [6, 7, 8, 9];
  const code = new Code(10);
  const lR = code.local(I32); // row
  const lQ = code.local(I32); // step in the row
  const lS = code.local(I32); // source address
  const lD = code.local(I32); // destination address
  const vA0 = code.local(V128); // the four weights, splatted
  const vA1 = code.local(V128);
  const vB0 = code.local(V128);
  const vB1 = code.local(V128);
  const vU = code.local(V128); // taps u[m]
  const vV = code.local(V128); // taps u[m+1]
  const vP = code.local(V128); // outputs 2m
  for (const [param, local] of [
    [pA0, vA0],
    [pA1, vA1],
    [pB0, vB0],
    [pB1, vB1],
  ] as const) {
    code.get(param).simd(Simd.f32x4Splat).set(local);
  }
  code.i32Const(0).set(lR);
  code.block().loop();
  code.get(lR).get(pRows).i32GeU().brIf(1);
  code.get(pSrc).get(lR).get(pSS).i32Mul().i32Add().set(lS);
  code.get(pDst).get(lR).get(pDS).i32Mul().i32Add().set(lD);
  code.i32Const(0).set(lQ);
  code.block().loop();
  code.get(lQ).get(pQuads).i32GeU().brIf(1);
  code.get(lS).simdMem(Simd.load, 0, 0).set(vU);
  code.get(lS).simdMem(Simd.load, 0, 4).set(vV);
  // P = U*a0 + V*a1 (outputs 2m), then Q = U*b0 + V*b1 (outputs 2m+1), interleaved.
  code.get(vU).get(vA0).simd(Simd.f32x4Mul).get(vV).get(vA1).simd(Simd.f32x4Mul).simd(Simd.f32x4Add).set(vP);
  code.get(vU).get(vB0).simd(Simd.f32x4Mul).get(vV).get(vB1).simd(Simd.f32x4Mul).simd(Simd.f32x4Add).set(vU); // Q
  // outputs 2m, 2m+1 of the first two taps, then of the last two
  code.get(lD).get(vP).get(vU).shuffle(Lanes.interleaveLow32).simdMem(Simd.store, 0, 0);
  code.get(lD).get(vP).get(vU).shuffle(Lanes.interleaveHigh32).simdMem(Simd.store, 0, 16);
  code.get(lS).i32Const(16).i32Add().set(lS);
  code.get(lD).i32Const(32).i32Add().set(lD);
  code.get(lQ).i32Const(1).i32Add().set(lQ);
  code.br(0).end().end();
  code.get(lR).i32Const(1).i32Add().set(lR);
  code.br(0).end().end();
  return { name: 'hpairs', params: [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32], body: code };
}

/** `vblend(r0, r1, dst, n, b0, b1)`: dst = r0·b0 + r1·b1 (float32 products and sum), n rounded up to 4. */
export function blendFunction(): FunctionDef {
  const [pR0, pR1, pDst, pN, pB0, pB1] = [0, 1, 2, 3, 4, 5];
  const code = new Code(6);
  const lOff = code.local(I32);
  const lEnd = code.local(I32);
  const vB0 = code.local(V128);
  const vB1 = code.local(V128);
  code.get(pB0).simd(Simd.f32x4Splat).set(vB0);
  code.get(pB1).simd(Simd.f32x4Splat).set(vB1);
  code.get(pN).i32Const(2).i32Shl().set(lEnd);
  code.i32Const(0).set(lOff);
  code.block().loop();
  code.get(lOff).get(lEnd).i32GeU().brIf(1);
  code.get(pDst).get(lOff).i32Add();
  code.get(pR0).get(lOff).i32Add().simdMem(Simd.load, 0).get(vB0).simd(Simd.f32x4Mul);
  code.get(pR1).get(lOff).i32Add().simdMem(Simd.load, 0).get(vB1).simd(Simd.f32x4Mul);
  code.simd(Simd.f32x4Add).simdMem(Simd.store, 0);
  code.get(lOff).i32Const(16).i32Add().set(lOff);
  code.br(0).end().end();
  return { name: 'vblend', params: [I32, I32, I32, I32, F32, F32], body: code };
}

/** `countValid(ptr, quads)` → the number of non-NaN float32 values in `quads` x 4 values. */
export function countFunction(): FunctionDef {
  const [pPtr, pQuads] = [0, 1];
  const code = new Code(2);
  const lOff = code.local(I32);
  const lEnd = code.local(I32);
  const vAcc = code.local(V128); // per-lane counts
  const vX = code.local(V128);
  code.get(pQuads).i32Const(4).i32Shl().set(lEnd);
  code.i32Const(0).set(lOff);
  code.v128Zero().set(vAcc);
  code.block().loop();
  code.get(lOff).get(lEnd).i32GeU().brIf(1);
  code.get(pPtr).get(lOff).i32Add().simdMem(Simd.load, 0).set(vX);
  // x == x is all-ones (-1) in every lane that is not NaN: subtracting counts them.
  code.get(vAcc).get(vX).get(vX).simd(Simd.f32x4Eq).simd(Simd.i32x4Sub).set(vAcc);
  code.get(lOff).i32Const(16).i32Add().set(lOff);
  code.br(0).end().end();
  for (let lane = 0; lane < 4; lane++) {
    code.get(vAcc).simdLane(Simd.i32x4ExtractLane, lane);
    if (lane > 0) code.i32Add();
  }
  return { name: 'countValid', params: 2, results: [I32], body: code };
}

/** The index slots the conditions read, in the order of the `conditions` kernel's slot pointers. */
export function conditionSlots(detectors: readonly SlotConditions[]): number[] {
  return [...new Set(detectors.flatMap((d) => d.conditions.map((c) => c.slot)))];
}

/**
 * `conditions(slotPtr_0 … slotPtr_K-1, groups, raw_0 … raw_D-1, valid_0 … valid_D-1)`: for `groups`
 * runs of 32 pixels, one word per detector of condition bits (every condition holds) and of validity
 * bits (every index read is a number), bit b = pixel b. Thresholds are float32, as numpy compares.
 */
export function conditionsFunction(detectors: readonly SlotConditions[]): FunctionDef {
  const slots = conditionSlots(detectors);
  const K = slots.length;
  const D = detectors.length;
  const pSlot = (i: number): number => i;
  const pGroups = K;
  const pRaw = (d: number): number => K + 1 + d;
  const pValid = (d: number): number => K + 1 + D + d;
  const params = K + 1 + 2 * D;
  const code = new Code(params);
  const lG = code.local(I32); // group index
  const lOff = code.local(I32); // byte offset of the group's first pixel
  // the group's raw and valid words of each detector
  const lWords = Array.from({ length: D }, () => ({ raw: code.local(I32), valid: code.local(I32) }));
  const lWord = (d: number, valid: boolean): number => (valid ? lWords[d]!.valid : lWords[d]!.raw);
  const vSlots = code.locals(V128, K); // four pixels of each slot read
  const vSlot = (i: number): number => vSlots[i]!;
  const cmp = { '>': Simd.f32x4Gt, '>=': Simd.f32x4Ge, '<': Simd.f32x4Lt, '<=': Simd.f32x4Le } as const;
  code.i32Const(0).set(lG);
  code.block().loop();
  code.get(lG).get(pGroups).i32GeU().brIf(1);
  code.get(lG).i32Const(7).i32Shl().set(lOff); // 32 pixels x 4 bytes
  for (let d = 0; d < D; d++) code.i32Const(0).set(lWord(d, false)).i32Const(0).set(lWord(d, true));
  for (let k = 0; k < 8; k++) {
    for (let i = 0; i < K; i++)
      code
        .get(pSlot(i))
        .get(lOff)
        .i32Add()
        .simdMem(Simd.load, 0, k * 16)
        .set(vSlot(i));
    detectors.forEach((det, d) => {
      for (const valid of [false, true]) {
        code.get(lWord(d, valid));
        let first = true;
        const used = valid ? [...new Set(det.conditions.map((c) => c.slot))] : det.conditions.map((c) => c.slot);
        used.forEach((slot, j) => {
          const v = vSlot(slots.indexOf(slot));
          if (valid) code.get(v).get(v).simd(Simd.f32x4Eq);
          else code.get(v).f32x4Const(det.conditions[j]!.value).simd(cmp[det.conditions[j]!.op]);
          if (!first) code.simd(Simd.and);
          first = false;
        });
        code.simd(Simd.i32x4Bitmask);
        if (k > 0) code.i32Const(4 * k).i32Shl();
        code.i32Or().set(lWord(d, valid));
      }
    });
  }
  for (let d = 0; d < D; d++) {
    code.get(pRaw(d)).get(lG).i32Const(2).i32Shl().i32Add().get(lWord(d, false)).i32Store();
    code.get(pValid(d)).get(lG).i32Const(2).i32Shl().i32Add().get(lWord(d, true)).i32Store();
  }
  code.get(lG).i32Const(1).i32Add().set(lG);
  code.br(0).end().end();
  return { name: 'conditions', params, body: code };
}

let simd: boolean | undefined;
/** Whether this runtime compiles WebAssembly SIMD (checked once with a one-instruction module). */
export function simdAvailable(): boolean {
  if (simd === undefined) {
    const code = new Code().f32x4Const(0).drop(); // v128.const, drop
    try {
      simd = WebAssembly.validate(emitModule([{ name: 'probe', params: 0, body: code }]));
    } catch {
      simd = false;
    }
  }
  return simd;
}

/** The SIMD kernels run when not refused (`--no-simd`) and this runtime has them: one rule for every command. */
export function useSimd(requested: boolean): boolean {
  return requested && simdAvailable();
}

export interface WasmKernels {
  arena: WasmArena;
  /** Bands, in the order of the plane addresses. */
  bands: readonly BandId[];
  /** Every index for n pixels; `mask` 0 = no mask. */
  indices(n: number, mask: number, planes: readonly number[], outs: readonly number[]): void;
  fpredict(src: number, dst: number, width: number, rows: number, strideBytes: number): void;
  lut16(src: number, dst: number, n: number, lut: number): void;
  hpairs(
    src: number,
    dst: number,
    rows: number,
    srcStride: number,
    dstStride: number,
    quads: number,
    a0: number,
    a1: number,
    b0: number,
    b1: number,
  ): void;
  vblend(r0: number, r1: number, dst: number, n: number, b0: number, b1: number): void;
  countValid(ptr: number, quads: number): number;
  /** 2 x 2 averages (overview level 1) of 2·rowsOut rows into rowsOut rows of 4·quadsOut values (wasm.overview.ts). */
  favg2(src: number, dst: number, rowsOut: number, quadsOut: number, srcStride: number, dstStride: number): void;
  /** Condition and validity words for `groups` x 32 pixels (see conditionsFunction); absent without detectors. */
  conditions:
    | ((slotPtrs: readonly number[], groups: number, raw: readonly number[], valid: readonly number[]) => void)
    | undefined;
}

/** Compiles the index kernel for `defs`, the predictor and the resampling helpers into one module. */
export function compileWasmKernels(
  defs: readonly IndexDef[],
  bands: readonly BandId[],
  detectors: readonly SlotConditions[] = [],
): WasmKernels {
  const bytes = emitModule([
    ...(detectors.length ? [conditionsFunction(detectors)] : []),
    indexFunction(defs, bands, true),
    indexFunction(defs, bands, false),
    predictorFunction(),
    lutFunction(),
    pairsFunction(),
    blendFunction(),
    countFunction(),
    average2Function(),
  ]);
  const arena = new WasmArena();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: arena.memory } });
  const ex = instance.exports as Record<string, (...a: number[]) => number>;
  type Name = 'indices' | 'indicesNoMask' | 'fpredict' | 'lut16' | 'hpairs' | 'vblend' | 'countValid' | 'favg2';
  const f = ex as Record<Name, (...a: number[]) => number>;
  return {
    arena,
    bands,
    indices: (n, mask, planes, outs) =>
      void (mask === 0 ? f.indicesNoMask(n, ...planes, ...outs) : f.indices(n, mask, ...planes, ...outs)),
    fpredict: (src, dst, width, rows, stride) => void f.fpredict(src, dst, width, rows, stride),
    lut16: (src, dst, n, lut) => void f.lut16(src, dst, n, lut),
    hpairs: (src, dst, rows, ss, ds, quads, a0, a1, b0, b1) =>
      void f.hpairs(src, dst, rows, ss, ds, quads, a0, a1, b0, b1),
    vblend: (r0, r1, dst, n, b0, b1) => void f.vblend(r0, r1, dst, n, b0, b1),
    countValid: (ptr, quads) => f.countValid(ptr, quads),
    favg2: (src, dst, rows, quads, ss, ds) => void f.favg2(src, dst, rows, quads, ss, ds),
    conditions: detectors.length
      ? (slotPtrs, groups, raw, valid) => void ex['conditions']!(...slotPtrs, groups, ...raw, ...valid)
      : undefined,
  };
}
