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
import { ACCUMULATE_RUN, type AccumulateKernel } from '../../compute/timeseries/kernels.js';
import { Code, emitModule, I32, Lanes, Simd, V128, type FunctionDef } from './wasm.emit.js';

/** Pixels per tile: (p + 2) x 2 f64x2 registers per four pixels; the tile's dates stay in L1/L2. */
export const TILE = ACCUMULATE_RUN;

/**
 * `accumulate(n, T, data, coef, out)`: for each group of four pixels q of the tile, over the n dates,
 * the sums described above; T a multiple of 4.
 */
export function accumulateFunction(p: number): FunctionDef {
  const [pN, pT, pData, pCoef, pOut] = [0, 1, 2, 3, 4];
  const c = new Code(5);
  const lT = c.local(I32); // byte offset of the pixel group in a date row (float32)
  const lEnd = c.local(I32);
  const lI = c.local(I32); // dates left
  const lD = c.local(I32); // data pointer walking the dates
  const lC = c.local(I32); // coefficient pointer
  const v = c.local(V128); // the four pixels' values of one date
  const m = c.local(V128); // all-ones lanes where valid
  const lo = c.local(V128); // v promoted to float64: pixels 0, 1
  const hi = c.local(V128); // and pixels 2, 3
  const cnt = c.local(V128); // valid dates per pixel (i32x4)
  const A = p + 2; // accumulators: p parameters, ss, sum; pixels 0, 1 (lo) and 2, 3 (hi) of each
  const accs = Array.from({ length: A }, () => ({ lo: c.local(V128), hi: c.local(V128) }));
  const accLo = (k: number): number => accs[k]!.lo;
  const accHi = (k: number): number => accs[k]!.hi;
  c.get(pT).i32Const(4).i32Mul().set(lEnd);
  c.i32Const(0).set(lT);
  c.block().loop();
  c.get(lT).get(lEnd).i32GeU().brIf(1);
  for (let k = 0; k < A; k++) c.v128Zero().set(accLo(k)).v128Zero().set(accHi(k));
  c.v128Zero().set(cnt);
  c.get(pData).get(lT).i32Add().set(lD);
  c.get(pCoef).set(lC);
  c.get(pN).set(lI);
  c.block().loop();
  c.get(lI).i32Eqz().brIf(1); // no dates left
  c.get(lD).simdMem(Simd.load, 4).set(v);
  c.get(v).get(v).simd(Simd.f32x4Eq).set(m); // all-ones where valid (not NaN)
  c.get(v).get(m).simd(Simd.and).set(v); // NaN → 0
  c.get(cnt).get(m).simd(Simd.i32x4Sub).set(cnt); // valid lanes count +1
  c.get(v).simd(Simd.f64x2PromoteLowF32x4).set(lo);
  c.get(v).get(v).shuffle(Lanes.highHalf).simd(Simd.f64x2PromoteLowF32x4).set(hi);
  for (let k = 0; k < p; k++) {
    // acc_k += c_k · v (the date's coefficient, splatted, at coef + 16k)
    c.get(accLo(k))
      .get(lC)
      .simdMem(Simd.load, 4, 16 * k)
      .get(lo)
      .simd(Simd.f64x2Mul)
      .simd(Simd.f64x2Add);
    c.set(accLo(k));
    c.get(accHi(k))
      .get(lC)
      .simdMem(Simd.load, 4, 16 * k)
      .get(hi)
      .simd(Simd.f64x2Mul)
      .simd(Simd.f64x2Add);
    c.set(accHi(k));
  }
  // ss += v · v
  c.get(accLo(p)).get(lo).get(lo).simd(Simd.f64x2Mul).simd(Simd.f64x2Add).set(accLo(p));
  c.get(accHi(p)).get(hi).get(hi).simd(Simd.f64x2Mul).simd(Simd.f64x2Add).set(accHi(p));
  // sum += v
  c.get(accLo(p + 1))
    .get(lo)
    .simd(Simd.f64x2Add)
    .set(accLo(p + 1));
  c.get(accHi(p + 1))
    .get(hi)
    .simd(Simd.f64x2Add)
    .set(accHi(p + 1));
  c.get(lD).get(lEnd).i32Add().set(lD);
  c.get(lC)
    .i32Const(16 * p)
    .i32Add()
    .set(lC);
  c.get(lI).i32Const(1).i32Sub().set(lI);
  c.br(0).end().end();
  // Stores: accumulator k of pixel q at out + k·T·8 + q·8 (q·8 = 2·lT); counts after the A planes.
  for (let k = 0; k < A; k++) {
    c.get(pOut)
      .get(pT)
      .i32Const(8 * k)
      .i32Mul()
      .i32Add()
      .get(lT)
      .i32Const(1)
      .i32Shl()
      .i32Add()
      .tee(lD);
    c.get(accLo(k)).simdMem(Simd.store, 4);
    c.get(lD).get(accHi(k)).simdMem(Simd.store, 4, 16);
  }
  c.get(pOut)
    .get(pT)
    .i32Const(8 * A)
    .i32Mul()
    .i32Add()
    .get(lT)
    .i32Add()
    .get(cnt)
    .simdMem(Simd.store, 4);
  c.get(lT).i32Const(16).i32Add().set(lT);
  c.br(0).end().end();
  return { name: 'accumulate', params: 5, body: c };
}

/**
 * The SIMD kernel for `p` parameters behind the AccumulateKernel interface: each call copies the run's
 * planes into the tile and reads the sums back (runs of at most TILE pixels).
 */
export function compileWasmAccumulateKernel(p: number, n: number): AccumulateKernel {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const module = new WebAssembly.Module(emitModule([accumulateFunction(p)]));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  type Accumulate = (n: number, T: number, data: number, coef: number, out: number) => void;
  const accumulate = instance.exports['accumulate'] as Accumulate;
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
