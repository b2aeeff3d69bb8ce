/**
 * The two per-pixel loops of `archeo rms` in WebAssembly SIMD, one image row per call, four pixels per
 * step (the caller finishes the last width % 4 pixels in JavaScript):
 *  - `sums`: over the row's pixels that are neither NaN nor 0: Σd, Σu·d, Σu²·d in double precision, and
 *    their count (the ramp's normal equations);
 *  - `squares`: the deramped values as MintPy stores them — ramp (a·u + b)·u + c rounded to float32,
 *    minus the float32 reference value, 0 where d is 0, d minus that, in float32 — and Σ of their
 *    squares in double precision and the count, over the pixels that are not NaN.
 * Masked pixels come in as NaN (the caller writes NaN where the mask is 0 when copying the row in).
 */
import type { RmsRowKernels } from '../../compute/timeseries/kernels.js';
import { Code, emitModule, F32, I32, Simd, V128 } from './wasm.emit.js';

const F64 = 0x7c;
const Op = {
  load64Zero: 0x5d,
  f32x4Ne: 0x42,
  f32x4Sub: 0xe5,
  f32x4Splat: 0x13,
  f64x2Splat: 0x14,
  f64x2Promote: 0x5f,
  f32x4Demote: 0x5e,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
  i32x4Sub: 0xb1,
  i64x2ExtendLow: 0xc7,
  i64x2ExtendHigh: 0xc8,
} as const;
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/**
 * sums(quads, data, u, out), u = four float64 arrays u¹..u⁴ one after the other (`stride` bytes apart):
 * out = [Σd, Σu·d, Σu²·d, Σu, Σu², Σu³, Σu⁴, Σd² (f64x2 each), count (i32x4)] over the valid pixels
 * (neither NaN nor 0), then the count of the pixels that are not NaN, zeros included (i32x4).
 */
function sumsFunction(stride: number) {
  const [pQ, pData, pU, pOut] = [0, 1, 2, 3];
  const [lT, lEnd, lU] = [4, 5, 6];
  const [v, m, lo, hi, mlo, mhi, ulo, uhi, va] = [7, 8, 9, 10, 11, 12, 13, 14, 15];
  const acc = (k: number): number => 16 + k; // 0..7 as in the doc comment
  const cnt = 24;
  const cntAll = 25;
  const zero = new Uint8Array(16);
  const c = new Code();
  for (let k = 0; k < 8; k++) c.v128Bytes(zero).set(acc(k));
  c.v128Bytes(zero).set(cnt);
  c.v128Bytes(zero).set(cntAll);
  c.get(pQ).i32Const(16).i32Mul().set(lEnd);
  c.i32Const(0).set(lT);
  c.block().loop();
  c.get(lT).get(lEnd).i32GeU().brIf(1);
  c.get(pData).get(lT).i32Add().simdMem(Simd.load, 2).set(v);
  // valid: not NaN (v == v) and not 0; the RMS counts the zeros too
  c.get(v).get(v).simd(Simd.f32x4Eq).set(va);
  c.get(cntAll).get(va).simd(Op.i32x4Sub).set(cntAll);
  c.get(va).get(v).f32x4Const(0).simd(Op.f32x4Ne).simd(Simd.and).set(m);
  c.get(v).get(m).simd(Simd.and).set(v);
  c.get(cnt).get(m).simd(Op.i32x4Sub).set(cnt);
  c.get(v).simd(Op.f64x2Promote).set(lo);
  c.get(v).get(v).shuffle(HIGH_HALF).simd(Op.f64x2Promote).set(hi);
  c.get(m).simd(Op.i64x2ExtendLow).set(mlo);
  c.get(m).simd(Op.i64x2ExtendHigh).set(mhi);
  c.get(acc(0)).get(lo).simd(Op.f64x2Add).get(hi).simd(Op.f64x2Add).set(acc(0));
  c.get(acc(7)).get(lo).get(lo).simd(Op.f64x2Mul).simd(Op.f64x2Add).get(hi).get(hi).simd(Op.f64x2Mul).simd(Op.f64x2Add).set(acc(7));
  // u arrays are float64: pixel q at 8q = 2·lT bytes from the start of each power's array
  c.get(pU).get(lT).i32Const(1).i32Shl().i32Add().set(lU);
  for (let q = 1; q <= 4; q++) {
    const off = (q - 1) * stride;
    c.get(lU).simdMem(Simd.load, 3, off).set(ulo);
    c.get(lU).simdMem(Simd.load, 3, off + 16).set(uhi);
    c.get(acc(2 + q)).get(ulo).get(mlo).simd(Simd.and).simd(Op.f64x2Add).get(uhi).get(mhi).simd(Simd.and).simd(Op.f64x2Add).set(acc(2 + q));
    if (q <= 2) c.get(acc(q)).get(ulo).get(lo).simd(Op.f64x2Mul).simd(Op.f64x2Add).get(uhi).get(hi).simd(Op.f64x2Mul).simd(Op.f64x2Add).set(acc(q));
  }
  c.get(lT).i32Const(16).i32Add().set(lT);
  c.br(0).end().end();
  for (let k = 0; k < 8; k++) c.get(pOut).get(acc(k)).simdMem(Simd.store, 4, 16 * k);
  c.get(pOut).get(cnt).simdMem(Simd.store, 4, 16 * 8);
  c.get(pOut).get(cntAll).simdMem(Simd.store, 4, 16 * 9);
  return { name: 'sums', params: 4, locals: [{ type: I32, count: 3 }, { type: V128, count: 19 }], body: c };
}

/** squares(quads, data, u, a, b, c, ref, out): out = [Σ out² (f64x2), count (i32x4)]. */
function squaresFunction() {
  const [pQ, pData, pU, pA, pB, pC, pRef, pOut] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [lT, lEnd] = [8, 9];
  const [v, valid, nz, A, B, C, R, r01, r23, ramp, lo, hi, sum, cnt, u] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
  const zero = new Uint8Array(16);
  const c = new Code();
  c.v128Bytes(zero).set(sum).v128Bytes(zero).set(cnt);
  c.get(pA).simd(Op.f64x2Splat).set(A);
  c.get(pB).simd(Op.f64x2Splat).set(B);
  c.get(pC).simd(Op.f64x2Splat).set(C);
  c.get(pRef).simd(Op.f32x4Splat).set(R);
  c.get(pQ).i32Const(16).i32Mul().set(lEnd);
  c.i32Const(0).set(lT);
  c.block().loop();
  c.get(lT).get(lEnd).i32GeU().brIf(1);
  c.get(pData).get(lT).i32Add().simdMem(Simd.load, 2).set(v);
  c.get(v).get(v).simd(Simd.f32x4Eq).set(valid);
  c.get(v).f32x4Const(0).simd(Op.f32x4Ne).set(nz);
  // ramp of pixels 0,1 and 2,3 in double precision: (A·u + B)·u + C
  for (const [dst, off] of [[r01, 0], [r23, 16]] as const) {
    c.get(pU).get(lT).i32Const(1).i32Shl().i32Add().simdMem(Simd.load, 3, off).set(u);
    c.get(A).get(u).simd(Op.f64x2Mul).get(B).simd(Op.f64x2Add).get(u).simd(Op.f64x2Mul).get(C).simd(Op.f64x2Add).set(dst);
  }
  // float32(ramp) − ref, in float32; 0 where d is 0; then d − ramp in float32
  c.get(r01).simd(Op.f32x4Demote).get(r23).simd(Op.f32x4Demote).shuffle(LOW_HALVES).get(R).simd(Op.f32x4Sub).get(nz).simd(Simd.and).set(ramp);
  c.get(v).get(ramp).simd(Op.f32x4Sub).get(valid).simd(Simd.and).set(v);
  c.get(cnt).get(valid).simd(Op.i32x4Sub).set(cnt);
  c.get(v).simd(Op.f64x2Promote).set(lo);
  c.get(v).get(v).shuffle(HIGH_HALF).simd(Op.f64x2Promote).set(hi);
  c.get(sum).get(lo).get(lo).simd(Op.f64x2Mul).simd(Op.f64x2Add).get(hi).get(hi).simd(Op.f64x2Mul).simd(Op.f64x2Add).set(sum);
  c.get(lT).i32Const(16).i32Add().set(lT);
  c.br(0).end().end();
  c.get(pOut).get(sum).simdMem(Simd.store, 4, 0);
  c.get(pOut).get(cnt).simdMem(Simd.store, 4, 16);
  return { name: 'squares', params: [I32, I32, I32, F64, F64, F64, F32, I32], locals: [{ type: I32, count: 2 }, { type: V128, count: 15 }], body: c };
}

/** The kernels for rows of `width` pixels; u = x / width. */
export function compileRmsKernels(width: number): RmsRowKernels {
  const pad = (n: number): number => Math.ceil(n / 16) * 16;
  const stride = pad(width * 8);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(emitModule([sumsFunction(stride), squaresFunction()])), { env: { memory } });
  const sums = instance.exports['sums'] as (q: number, data: number, u: number, out: number) => void;
  const squares = instance.exports['squares'] as (q: number, data: number, u: number, a: number, b: number, c: number, ref: number, out: number) => void;
  const dataPtr = 0;
  const uPtr = pad(width * 4);
  const outPtr = uPtr + 4 * stride;
  const total = outPtr + 160;
  const pages = Math.ceil(total / 65536) - 1;
  if (pages > 0) memory.grow(pages);
  const buf = memory.buffer;
  const row = new Float32Array(buf, dataPtr, width);
  const u = [1, 2, 3, 4].map((q) => {
    const a = new Float64Array(buf, uPtr + (q - 1) * stride, width);
    for (let x = 0; x < width; x++) a[x] = (x / width) ** q;
    return a;
  });
  const u1 = u[0]!;
  const outF = new Float64Array(buf, outPtr, 16);
  const outI = new Int32Array(buf, outPtr, 40);
  const quads = width >> 2;
  const tail = quads * 4;
  const f = Math.fround;
  return {
    sums(input) {
      row.set(input);
      sums(quads, dataPtr, uPtr, outPtr);
      const lane = (k: number): number => outF[2 * k]! + outF[2 * k + 1]!;
      const d: [number, number, number] = [lane(0), lane(1), lane(2)];
      const us: [number, number, number, number, number] = [outI[32]! + outI[33]! + outI[34]! + outI[35]!, lane(3), lane(4), lane(5), lane(6)];
      let dd = lane(7);
      let all = outI[36]! + outI[37]! + outI[38]! + outI[39]!;
      for (let x = tail; x < width; x++) {
        const v = input[x]!;
        if (v !== v) continue;
        all++;
        if (v === 0) continue;
        dd += v * v;
        d[0] += v;
        d[1] += u1[x]! * v;
        d[2] += u[1]![x]! * v;
        us[0] += 1;
        for (let q = 1; q <= 4; q++) us[q] = us[q]! + u[q - 1]![x]!;
      }
      return { d, u: us, dd, all };
    },
    squares(input, a, b, c, ref) {
      row.set(input);
      squares(quads, dataPtr, uPtr, a, b, c, ref, outPtr);
      let sum = outF[0]! + outF[1]!;
      let n = outI[4]! + outI[5]! + outI[6]! + outI[7]!;
      for (let x = tail; x < width; x++) {
        const v = input[x]!;
        if (v !== v) continue;
        n++;
        if (v === 0) continue;
        const ux = u1[x]!;
        const out = f(v - f(f((a * ux + b) * ux + c) - ref));
        sum += out * out;
      }
      return [sum, n];
    },
  };
}
