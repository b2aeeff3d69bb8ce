/**
 * The accumulation of lsq.ts in WebAssembly SIMD: four pixels per step, float64 accumulators held in
 * registers while every date of a tile streams past. The same IEEE double operations in the same order
 * as the JavaScript kernel (v promoted from float32, acc += c·v, ss += v·v, sum += v), so both give
 * identical bits; this one is several times faster.
 *
 * Memory (one WebAssembly.Memory owned by the kernel): a tile of `n` dates x `T` pixels (float32, the
 * caller copies the block's planes in), the coefficients Pt as f64x2 splats ([n][p] x 16 bytes), and the
 * outputs: p + 2 float64 planes of T (parameters, Σd², Σd) and T int32 counts of valid dates.
 */
import { Code, emitModule, I32, Simd, V128 } from './wasm.emit.js';
import { ACCUMULATE_RUN, type AccumulateKernel } from '../../compute/timeseries/kernels.js';

const Op = {
  f64x2Promote: 0x5f,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
  f32x4Eq: 0x41,
  i32x4Sub: 0xb1,
} as const;

/** Pixels per tile: (p + 2) x 2 f64x2 registers per four pixels; the tile's dates stay in L1/L2. */
export const TILE = ACCUMULATE_RUN;

/**
 * `accumulate(n, T, data, coef, out)`: for each group of four pixels q of the tile, over the n dates,
 * the sums described above; T a multiple of 4.
 */
function accumulateFunction(p: number) {
  const [pN, pT, pData, pCoef, pOut] = [0, 1, 2, 3, 4];
  const lT = 5; // byte offset of the pixel group in a date row (float32)
  const lEnd = 6;
  const lI = 7;
  const lD = 8; // data pointer walking the dates
  const lC = 9; // coefficient pointer
  const v = 10; // v128 locals
  const m = 11;
  const lo = 12;
  const hi = 13;
  const cnt = 14;
  const A = p + 2; // accumulators: p parameters, ss, sum
  const accLo = (k: number): number => 15 + 2 * k;
  const accHi = (k: number): number => 16 + 2 * k;
  const zero = new Uint8Array(16);
  const code = new Code();
  code.get(pT).i32Const(4).i32Mul().set(lEnd);
  code.i32Const(0).set(lT);
  code.block().loop();
  code.get(lT).get(lEnd).i32GeU().brIf(1);
  for (let k = 0; k < A; k++) code.v128Bytes(zero).set(accLo(k)).v128Bytes(zero).set(accHi(k));
  code.v128Bytes(zero).set(cnt);
  code.get(pData).get(lT).i32Add().set(lD);
  code.get(pCoef).set(lC);
  code.get(pN).set(lI);
  code.block().loop();
  code.get(lI).op(0x45).brIf(1); // i32.eqz: no dates left
  code.get(lD).simdMem(Simd.load, 4).set(v);
  code.get(v).get(v).simd(Op.f32x4Eq).set(m); // all-ones where valid (not NaN)
  code.get(v).get(m).simd(Simd.and).set(v); // NaN → 0
  code.get(cnt).get(m).simd(Op.i32x4Sub).set(cnt); // valid lanes count +1
  code.get(v).simd(Op.f64x2Promote).set(lo);
  code.get(v).get(v).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]).simd(Op.f64x2Promote).set(hi);
  for (let k = 0; k < p; k++) {
    code.get(accLo(k)).get(lC).simdMem(Simd.load, 4, 16 * k).get(lo).simd(Op.f64x2Mul).simd(Op.f64x2Add).set(accLo(k));
    code.get(accHi(k)).get(lC).simdMem(Simd.load, 4, 16 * k).get(hi).simd(Op.f64x2Mul).simd(Op.f64x2Add).set(accHi(k));
  }
  code.get(accLo(p)).get(lo).get(lo).simd(Op.f64x2Mul).simd(Op.f64x2Add).set(accLo(p));
  code.get(accHi(p)).get(hi).get(hi).simd(Op.f64x2Mul).simd(Op.f64x2Add).set(accHi(p));
  code.get(accLo(p + 1)).get(lo).simd(Op.f64x2Add).set(accLo(p + 1));
  code.get(accHi(p + 1)).get(hi).simd(Op.f64x2Add).set(accHi(p + 1));
  code.get(lD).get(lEnd).i32Add().set(lD);
  code.get(lC).i32Const(16 * p).i32Add().set(lC);
  code.get(lI).i32Const(1).i32Sub().set(lI);
  code.br(0).end().end();
  // Stores: accumulator k of pixel q at out + k·T·8 + q·8 (q·8 = 2·lT); counts after the A planes.
  for (let k = 0; k < A; k++) {
    code.get(pOut).get(pT).i32Const(8 * k).i32Mul().i32Add().get(lT).i32Const(1).i32Shl().i32Add().tee(lD);
    code.get(accLo(k)).simdMem(Simd.store, 4);
    code.get(lD).get(accHi(k)).simdMem(Simd.store, 4, 16);
  }
  code.get(pOut).get(pT).i32Const(8 * A).i32Mul().i32Add().get(lT).i32Add().get(cnt).simdMem(Simd.store, 4);
  code.get(lT).i32Const(16).i32Add().set(lT);
  code.br(0).end().end();
  return { name: 'accumulate', params: 5, locals: [{ type: I32, count: 5 }, { type: V128, count: 5 + 2 * A }], body: code };
}

/**
 * The SIMD kernel for `p` parameters behind the AccumulateKernel interface: each call copies the run's
 * planes into the tile and reads the sums back (runs of at most TILE pixels).
 */
export function compileWasmAccumulateKernel(p: number, n: number): AccumulateKernel {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const module = new WebAssembly.Module(emitModule([accumulateFunction(p)]));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const accumulate = instance.exports['accumulate'] as (n: number, T: number, data: number, coef: number, out: number) => void;
  const dataBytes = n * TILE * 4;
  const coefBytes = n * p * 16;
  const outBytes = (p + 2) * TILE * 8 + TILE * 4;
  const total = dataBytes + coefBytes + outBytes;
  memory.grow(Math.ceil(total / 65536));
  const buf = memory.buffer;
  const tile = new Float32Array(buf, 0, n * TILE);
  const coef = new Float64Array(buf, dataBytes, n * p * 2);
  const outPtr = dataBytes + coefBytes;
  let coefFor: Float64Array | undefined;
  return (data, offs, j0, len, Pt, acc, ss, sum, nan) => {
    if (len > TILE) throw new Error(`wasm accumulate: run of ${len} pixels exceeds the ${TILE}-pixel tile`);
    if (coefFor !== Pt) {
      for (let i = 0; i < n * p; i++) coef[2 * i] = coef[2 * i + 1] = Pt[i]!;
      coefFor = Pt;
    }
    // Rows of the tile and output planes are T values apart (the kernel's stride), T = len rounded up to 4.
    const T = (len + 3) & ~3;
    for (let i = 0; i < n; i++) tile.set(data.subarray(offs[i]! + j0, offs[i]! + j0 + len), i * T);
    accumulate(n, T, 0, dataBytes, outPtr);
    const plane = (k: number): Float64Array => new Float64Array(buf, outPtr + k * T * 8, len);
    for (let k = 0; k < p; k++) acc[k]!.set(plane(k));
    ss.set(plane(p));
    sum.set(plane(p + 1));
    const valid = new Int32Array(buf, outPtr + (p + 2) * T * 8, len);
    for (let t = 0; t < len; t++) nan[t] = n - valid[t]!;
  };
}
