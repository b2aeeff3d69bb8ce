/**
 * Level 1 of a float32 raster's overviews in WebAssembly SIMD: each 2 x 2 block averaged as GDAL's
 * `average` does for an even raster, and bit for bit as the JavaScript kernel (io/raster/overview.ts
 * averageRow, exact2) does it: per output x, the sum in double, from +0, of the values among a[2x],
 * a[2x+1], b[2x], b[2x+1] (in that order) that are not NaN, divided by their count, rounded to float32
 * once; NaN (the bits of JavaScript's NaN literal) where all four are NaN.
 *
 * Four outputs per step. The float32 values are promoted to f64x2 (exact) with NaN replaced by +0: the
 * JavaScript sum starts from +0 and skips NaN, and adding +0 to a sum is exact except to -0, which that
 * sum never is (from +0, a round-to-nearest sum is -0 only when both terms are -0); so the same four
 * additions in the same order give the same double whatever the values (±0, subnormals, ±Infinity, and
 * the NaN of Infinity - Infinity, which a later +0 keeps as it is). The count of valid values (1 to 4)
 * converts exactly to double, so the division and the demotion are the JavaScript's too.
 */
import { Code, I32, Lanes, Simd, V128, type FunctionDef } from './wasm.emit.js';

/** The float32 bits JavaScript stores for its NaN literal (V8: the canonical quiet NaN). */
export const JS_NAN_BITS = 0x7fc00000;

/**
 * `favg2(src, dst, rowsOut, quadsOut, srcStride, dstStride)`: output row r from source rows 2r and 2r + 1
 * (`srcStride` bytes apart, from `src`), 4·quadsOut values (8·quadsOut source values a row) at
 * dst + r·dstStride. Strides in bytes; no alignment needed.
 */
export function average2Function(): FunctionDef {
  const [pSrc, pDst, pRows, pQuads, pSS, pDS] = [0, 1, 2, 3, 4, 5];
  const c = new Code(6);
  const lR = c.local(I32);
  const lQ = c.local(I32);
  const lA = c.local(I32); // row a's next 8 values
  const lB = c.local(I32); // row b's
  const lD = c.local(I32); // the next 4 outputs
  const vNaN = c.local(V128);
  const [A0, A1, B0, B1] = c.locals(V128, 4) as [number, number, number, number];
  const terms = c.locals(V128, 4); // a[2x], a[2x+1], b[2x], b[2x+1] of the 4 outputs, NaN as +0
  const vMask = c.local(V128);
  const vCount = c.local(V128); // i32 lanes: valid values per output
  const half = [c.local(V128), c.local(V128)]; // outputs 0, 1 and 2, 3 in double
  const nanBytes = new Uint8Array(new Uint32Array([JS_NAN_BITS, JS_NAN_BITS, JS_NAN_BITS, JS_NAN_BITS]).buffer);
  c.v128Bytes(nanBytes).set(vNaN);
  c.i32Const(0).set(lR);
  c.block().loop();
  c.get(lR).get(pRows).i32GeU().brIf(1);
  // a = src + 2r·srcStride, b = a + srcStride, d = dst + r·dstStride
  c.get(pSrc).get(lR).get(pSS).i32Mul().i32Const(1).i32Shl().i32Add().set(lA);
  c.get(lA).get(pSS).i32Add().set(lB);
  c.get(pDst).get(lR).get(pDS).i32Mul().i32Add().set(lD);
  c.i32Const(0).set(lQ);
  c.block().loop();
  c.get(lQ).get(pQuads).i32GeU().brIf(1);
  c.get(lA).simdMem(Simd.load, 2, 0).set(A0);
  c.get(lA).simdMem(Simd.load, 2, 16).set(A1);
  c.get(lB).simdMem(Simd.load, 2, 0).set(B0);
  c.get(lB).simdMem(Simd.load, 2, 16).set(B1);
  c.v128Zero().set(vCount);
  const sources: [number, number, readonly number[]][] = [
    [A0, A1, Lanes.evens32],
    [A0, A1, Lanes.odds32],
    [B0, B1, Lanes.evens32],
    [B0, B1, Lanes.odds32],
  ];
  sources.forEach(([lo, hi, lanes], t) => {
    const v = terms[t]!;
    c.get(lo).get(hi).shuffle(lanes).set(v);
    // all-ones where not NaN: keeps the value (NaN becomes +0), and counts one (0 - -1)
    c.get(v).get(v).simd(Simd.f32x4Eq).set(vMask);
    c.get(v).get(vMask).simd(Simd.and).set(v);
    c.get(vCount).get(vMask).simd(Simd.i32x4Sub).set(vCount);
  });
  for (let h = 0; h < 2; h++) {
    const low = (v: number): void => {
      c.get(v);
      if (h === 1) c.get(v).shuffle(Lanes.highHalf);
    };
    c.v128Zero(); // +0 + a[2x] + a[2x+1] + b[2x] + b[2x+1]
    for (const v of terms) {
      low(v);
      c.simd(Simd.f64x2PromoteLowF32x4).simd(Simd.f64x2Add);
    }
    low(vCount);
    c.simd(Simd.f64x2ConvertLowI32x4S).simd(Simd.f64x2Div).set(half[h]!);
  }
  // the four quotients as float32; NaN where nothing was valid (0 / 0's sign is not JavaScript's)
  c.get(lD);
  c.demotePair(half[0]!, half[1]!);
  c.get(vNaN);
  c.get(vCount).v128Zero().simd(Simd.i32x4Ne);
  c.simd(Simd.bitselect);
  c.simdMem(Simd.store, 2, 0);
  c.get(lA).i32Const(32).i32Add().set(lA);
  c.get(lB).i32Const(32).i32Add().set(lB);
  c.get(lD).i32Const(16).i32Add().set(lD);
  c.get(lQ).i32Const(1).i32Add().set(lQ);
  c.br(0).end().end();
  c.get(lR).i32Const(1).i32Add().set(lR);
  c.br(0).end().end();
  return { name: 'favg2', params: 6, body: c };
}
