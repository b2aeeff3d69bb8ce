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
import { Code, emitModule, F32, F64, I32, Lanes, Simd, V128, type FunctionDef } from './wasm.emit.js';

/**
 * sums(quads, data, u, out), u = four float64 arrays u¹..u⁴ one after the other (`stride` bytes apart):
 * out = [Σd, Σu·d, Σu²·d, Σu, Σu², Σu³, Σu⁴, Σd² (f64x2 each), count (i32x4)] over the valid pixels
 * (neither NaN nor 0), then the count of the pixels that are not NaN, zeros included (i32x4).
 */
export function sumsFunction(stride: number): FunctionDef {
  const [pQ, pData, pU, pOut] = [0, 1, 2, 3];
  const c = new Code(4);
  const lT = c.local(I32); // byte offset of the four pixels in the row (float32)
  const lEnd = c.local(I32);
  const lU = c.local(I32); // address of their u¹ (float64)
  const v = c.local(V128); // d of the four pixels, 0 where not valid
  const m = c.local(V128); // all-ones lanes where valid (neither NaN nor 0)
  const lo = c.local(V128); // d of pixels 0, 1 in float64
  const hi = c.local(V128); // and of pixels 2, 3
  const mlo = c.local(V128); // m of pixels 0, 1 widened to 64-bit lanes
  const mhi = c.local(V128); // and of pixels 2, 3
  const ulo = c.local(V128); // u^q of pixels 0, 1
  const uhi = c.local(V128); // and of pixels 2, 3
  const va = c.local(V128); // all-ones lanes where not NaN
  const accs = c.locals(V128, 8); // 0..7 as in the doc comment
  const acc = (k: number): number => accs[k]!;
  const cnt = c.local(V128);
  const cntAll = c.local(V128);
  for (let k = 0; k < 8; k++) c.v128Zero().set(acc(k));
  c.v128Zero().set(cnt);
  c.v128Zero().set(cntAll);
  c.get(pQ).i32Const(16).i32Mul().set(lEnd);
  c.i32Const(0).set(lT);
  c.block().loop();
  c.get(lT).get(lEnd).i32GeU().brIf(1);
  c.get(pData).get(lT).i32Add().simdMem(Simd.load, 2).set(v);
  // valid: not NaN (v == v) and not 0; the RMS counts the zeros too
  c.get(v).get(v).simd(Simd.f32x4Eq).set(va);
  c.get(cntAll).get(va).simd(Simd.i32x4Sub).set(cntAll);
  c.get(va).get(v).f32x4Const(0).simd(Simd.f32x4Ne).simd(Simd.and).set(m);
  c.get(v).get(m).simd(Simd.and).set(v);
  c.get(cnt).get(m).simd(Simd.i32x4Sub).set(cnt);
  c.get(v).simd(Simd.f64x2PromoteLowF32x4).set(lo);
  c.get(v).get(v).shuffle(Lanes.highHalf).simd(Simd.f64x2PromoteLowF32x4).set(hi);
  c.get(m).simd(Simd.i64x2ExtendLowI32x4S).set(mlo);
  c.get(m).simd(Simd.i64x2ExtendHighI32x4S).set(mhi);
  // Σd += lo + hi
  c.get(acc(0)).get(lo).simd(Simd.f64x2Add).get(hi).simd(Simd.f64x2Add).set(acc(0));
  // Σd² += lo·lo + hi·hi
  c.get(acc(7));
  c.get(lo).get(lo).simd(Simd.f64x2Mul).simd(Simd.f64x2Add);
  c.get(hi).get(hi).simd(Simd.f64x2Mul).simd(Simd.f64x2Add);
  c.set(acc(7));
  // u arrays are float64: pixel q at 8q = 2·lT bytes from the start of each power's array
  c.get(pU).get(lT).i32Const(1).i32Shl().i32Add().set(lU);
  for (let q = 1; q <= 4; q++) {
    const off = (q - 1) * stride;
    c.get(lU).simdMem(Simd.load, 3, off).set(ulo);
    c.get(lU)
      .simdMem(Simd.load, 3, off + 16)
      .set(uhi);
    // Σu^q += u^q where valid, pixels 0, 1 then 2, 3
    c.get(acc(2 + q));
    c.get(ulo).get(mlo).simd(Simd.and).simd(Simd.f64x2Add);
    c.get(uhi).get(mhi).simd(Simd.and).simd(Simd.f64x2Add);
    c.set(acc(2 + q));
    if (q > 2) continue;
    // Σu^q·d += u^q·d (d is 0 where not valid), pixels 0, 1 then 2, 3
    c.get(acc(q));
    c.get(ulo).get(lo).simd(Simd.f64x2Mul).simd(Simd.f64x2Add);
    c.get(uhi).get(hi).simd(Simd.f64x2Mul).simd(Simd.f64x2Add);
    c.set(acc(q));
  }
  c.get(lT).i32Const(16).i32Add().set(lT);
  c.br(0).end().end();
  for (let k = 0; k < 8; k++)
    c.get(pOut)
      .get(acc(k))
      .simdMem(Simd.store, 4, 16 * k);
  c.get(pOut)
    .get(cnt)
    .simdMem(Simd.store, 4, 16 * 8);
  c.get(pOut)
    .get(cntAll)
    .simdMem(Simd.store, 4, 16 * 9);
  return { name: 'sums', params: 4, body: c };
}

/** squares(quads, data, u, a, b, c, ref, out): out = [Σ out² (f64x2), count (i32x4)]. */
export function squaresFunction(): FunctionDef {
  const [pQ, pData, pU, pA, pB, pC, pRef, pOut] = [0, 1, 2, 3, 4, 5, 6, 7];
  const c = new Code(8);
  const lT = c.local(I32); // byte offset of the four pixels in the row (float32)
  const lEnd = c.local(I32);
  const v = c.local(V128); // d, then the deramped value, of the four pixels
  const valid = c.local(V128); // all-ones lanes where d is not NaN
  const nz = c.local(V128); // all-ones lanes where d is not 0
  const A = c.local(V128); // a, b, c as f64x2 splats
  const B = c.local(V128);
  const C = c.local(V128);
  const R = c.local(V128); // ref as an f32x4 splat
  const r01 = c.local(V128); // the ramp of pixels 0, 1 in float64
  const r23 = c.local(V128); // and of pixels 2, 3
  const ramp = c.local(V128); // float32(ramp) − ref, 0 where d is 0
  const lo = c.local(V128); // the deramped values of pixels 0, 1 in float64
  const hi = c.local(V128); // and of pixels 2, 3
  const sum = c.local(V128); // Σ deramped² (f64x2)
  const cnt = c.local(V128); // non-NaN pixels (i32x4)
  const u = c.local(V128); // u of two pixels (float64)
  c.v128Zero().set(sum).v128Zero().set(cnt);
  c.get(pA).simd(Simd.f64x2Splat).set(A);
  c.get(pB).simd(Simd.f64x2Splat).set(B);
  c.get(pC).simd(Simd.f64x2Splat).set(C);
  c.get(pRef).simd(Simd.f32x4Splat).set(R);
  c.get(pQ).i32Const(16).i32Mul().set(lEnd);
  c.i32Const(0).set(lT);
  c.block().loop();
  c.get(lT).get(lEnd).i32GeU().brIf(1);
  c.get(pData).get(lT).i32Add().simdMem(Simd.load, 2).set(v);
  c.get(v).get(v).simd(Simd.f32x4Eq).set(valid);
  c.get(v).f32x4Const(0).simd(Simd.f32x4Ne).set(nz);
  // ramp of pixels 0,1 and 2,3 in double precision: (A·u + B)·u + C
  for (const [dst, off] of [
    [r01, 0],
    [r23, 16],
  ] as const) {
    c.get(pU).get(lT).i32Const(1).i32Shl().i32Add().simdMem(Simd.load, 3, off).set(u);
    c.get(A).get(u).simd(Simd.f64x2Mul).get(B).simd(Simd.f64x2Add); // A·u + B
    c.get(u).simd(Simd.f64x2Mul).get(C).simd(Simd.f64x2Add); // (A·u + B)·u + C
    c.set(dst);
  }
  // float32(ramp) − ref, in float32; 0 where d is 0
  c.demotePair(r01, r23); // pixels 0, 1 in lanes 0, 1; 2, 3 in lanes 2, 3
  c.get(R).simd(Simd.f32x4Sub).get(nz).simd(Simd.and).set(ramp);
  // then d − ramp in float32, 0 where d is NaN
  c.get(v).get(ramp).simd(Simd.f32x4Sub).get(valid).simd(Simd.and).set(v);
  c.get(cnt).get(valid).simd(Simd.i32x4Sub).set(cnt);
  c.get(v).simd(Simd.f64x2PromoteLowF32x4).set(lo);
  c.get(v).get(v).shuffle(Lanes.highHalf).simd(Simd.f64x2PromoteLowF32x4).set(hi);
  // Σ out² += lo·lo + hi·hi
  c.get(sum);
  c.get(lo).get(lo).simd(Simd.f64x2Mul).simd(Simd.f64x2Add);
  c.get(hi).get(hi).simd(Simd.f64x2Mul).simd(Simd.f64x2Add);
  c.set(sum);
  c.get(lT).i32Const(16).i32Add().set(lT);
  c.br(0).end().end();
  c.get(pOut).get(sum).simdMem(Simd.store, 4, 0);
  c.get(pOut).get(cnt).simdMem(Simd.store, 4, 16);
  return { name: 'squares', params: [I32, I32, I32, F64, F64, F64, F32, I32], body: c };
}

/** The kernels for rows of `width` pixels; u = x / width. */
export function compileRmsKernels(width: number): RmsRowKernels {
  const pad = (n: number): number => Math.ceil(n / 16) * 16;
  const stride = pad(width * 8);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const module = new WebAssembly.Module(emitModule([sumsFunction(stride), squaresFunction()]));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  type Sums = (q: number, data: number, u: number, out: number) => void;
  type Squares = (q: number, data: number, u: number, a: number, b: number, c: number, ref: number, o: number) => void;
  const sums = instance.exports['sums'] as Sums;
  const squares = instance.exports['squares'] as Squares;
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
      const count = outI[32]! + outI[33]! + outI[34]! + outI[35]!;
      const us: [number, number, number, number, number] = [count, lane(3), lane(4), lane(5), lane(6)];
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
