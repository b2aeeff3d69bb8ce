/**
 * The earthwork detectors' thin-line response (compute/detect/earthworks/line.response.ts) in WebAssembly
 * SIMD: per pixel, max over 4 directions of min(S(p + 2n) - S(p), S(p - 2n) - S(p)) on the 3x3 mean S
 * (valley; ridge: the differences negated), four pixels per step. It is the detectors' hottest loop and
 * must give the JavaScript's bits: that computes in double and rounds to float32 once, so this promotes
 * the float32 S values to f64x2 (exact), subtracts, takes min and max in double (NaN and -0 as Math.min /
 * Math.max) and demotes once. The last (width - 4) % 4 pixels of the interior are done in JavaScript.
 */
import {
  interiorResponse,
  type LineResponseKernel,
  type LineResponseKernels,
  R_RING,
  S_RING,
} from '../../compute/detect/earthworks/line.response.js';
import { Code, emitModule, I32, Lanes, Simd, V128, type FunctionDef } from './wasm.emit.js';

/**
 * response(c, up, dn, out, quads): byte addresses of column 0 of S rows y, y-2, y+2 and of the output row;
 * writes out[x] for x = 2 .. 2 + 4·quads - 1.
 */
export function responseFunction(sign: 1 | -1): FunctionDef {
  const [pC, pUp, pDn, pOut, pQ] = [0, 1, 2, 3, 4];
  const c = new Code(5);
  const lT = c.local(I32); // byte offset of x - 2 for the quad's first pixel
  const lEnd = c.local(I32);
  // float32 quads: centre; left, right (row y); up, down; up-left, down-right; up-right, down-left
  const [C, L, R, U, D, UL, DR, UR, DL] = c.locals(V128, 9) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const cc = c.local(V128); // the centre of two pixels in double
  const half = [c.local(V128), c.local(V128)]; // the result of pixels 0, 1 and 2, 3 in double
  c.get(pQ).i32Const(16).i32Mul().set(lEnd);
  c.i32Const(0).set(lT);
  c.block().loop();
  c.get(lT).get(lEnd).i32GeU().brIf(1);
  // x - 2 at offset 0, x at 8, x + 2 at 16 bytes from the row's address + lT
  const load = (row: number, off: number, dst: number): void => {
    c.get(row).get(lT).i32Add().simdMem(Simd.load, 2, off).set(dst);
  };
  load(pC, 8, C);
  load(pC, 0, L);
  load(pC, 16, R);
  load(pUp, 8, U);
  load(pDn, 8, D);
  load(pUp, 0, UL);
  load(pDn, 16, DR);
  load(pUp, 16, UR);
  load(pDn, 0, DL);
  for (let h = 0; h < 2; h++) {
    const promote = (v: number): void => {
      c.get(v);
      if (h === 1) c.get(v).shuffle(Lanes.highHalf); // lanes 2, 3 as the low half
      c.simd(Simd.f64x2PromoteLowF32x4);
    };
    promote(C);
    c.set(cc);
    // sign·(side - centre): the ridge's negated, as -1 · (side - centre) is (a zero difference gives -0)
    const diff = (side: number): void => {
      promote(side);
      c.get(cc).simd(Simd.f64x2Sub);
      if (sign === -1) c.simd(Simd.f64x2Neg);
    };
    const dir = (a: number, b: number): void => {
      diff(a);
      diff(b);
      c.simd(Simd.f64x2Min);
    };
    dir(L, R);
    dir(U, D);
    c.simd(Simd.f64x2Max);
    dir(UL, DR);
    c.simd(Simd.f64x2Max);
    dir(UR, DL);
    c.simd(Simd.f64x2Max);
    c.set(half[h]!);
  }
  // pixels 0, 1 in lanes 0, 1 and 2, 3 in lanes 2, 3, stored at x
  c.get(pOut).get(lT).i32Add();
  c.demotePair(half[0]!, half[1]!);
  c.simdMem(Simd.store, 2, 8);
  c.get(lT).i32Const(16).i32Add().set(lT);
  c.br(0).end().end();
  return { name: 'response', params: 5, body: c };
}

/**
 * colsums(raw, col, quads): col[x] = (raw[x] + raw[w + x]) + raw[2w + x] in double for x < 4·quads (the
 * three raw rows at `raw`, `rowBytes` apart; unaligned loads are allowed), as line.response.ts sums them.
 */
export function colSumsFunction(rowBytes: number): FunctionDef {
  const [pRaw, pCol, pQ] = [0, 1, 2];
  const c = new Code(3);
  const lT = c.local(I32); // byte offset of the quad in a raw row (float32)
  const lEnd = c.local(I32);
  const [a, b, d] = c.locals(V128, 3) as [number, number, number];
  c.get(pQ).i32Const(16).i32Mul().set(lEnd);
  c.i32Const(0).set(lT);
  c.block().loop();
  c.get(lT).get(lEnd).i32GeU().brIf(1);
  c.get(pRaw).get(lT).i32Add().simdMem(Simd.load, 2, 0).set(a);
  c.get(pRaw).get(lT).i32Add().simdMem(Simd.load, 2, rowBytes).set(b);
  c.get(pRaw)
    .get(lT)
    .i32Add()
    .simdMem(Simd.load, 2, 2 * rowBytes)
    .set(d);
  for (let h = 0; h < 2; h++) {
    // col of pixels 0, 1 (h = 0) or 2, 3, at 2·lT bytes (+16) into the float64 column sums
    c.get(pCol).get(lT).i32Const(1).i32Shl().i32Add();
    const promote = (v: number): void => {
      c.get(v);
      if (h === 1) c.get(v).shuffle(Lanes.highHalf);
      c.simd(Simd.f64x2PromoteLowF32x4);
    };
    promote(a);
    promote(b);
    c.simd(Simd.f64x2Add);
    promote(d);
    c.simd(Simd.f64x2Add);
    c.simdMem(Simd.store, 3, 16 * h);
  }
  c.get(lT).i32Const(16).i32Add().set(lT);
  c.br(0).end().end();
  return { name: 'colsums', params: 3, body: c };
}

/**
 * means(col, out, quads): out[x] = float32(((col[x-1] + col[x]) + col[x+1]) / 9) for x = 1 .. 4·quads
 * (`col` float64 from column 0, `out` float32 from column 0).
 */
export function meansFunction(): FunctionDef {
  const [pCol, pOut, pQ] = [0, 1, 2];
  const c = new Code(3);
  const lT = c.local(I32); // byte offset of the quad's first pixel - 1 in out (float32)
  const lEnd = c.local(I32);
  const lC = c.local(I32); // address of col[x - 1]
  const nine = c.local(V128);
  const half = [c.local(V128), c.local(V128)];
  c.f32x4Const(9).simd(Simd.f64x2PromoteLowF32x4).set(nine);
  c.get(pQ).i32Const(16).i32Mul().set(lEnd);
  c.i32Const(0).set(lT);
  c.block().loop();
  c.get(lT).get(lEnd).i32GeU().brIf(1);
  c.get(pCol).get(lT).i32Const(1).i32Shl().i32Add().set(lC);
  for (let h = 0; h < 2; h++) {
    const o = 16 * h; // pixels x, x+1 (h = 0) or x+2, x+3: col[x-1..], col[x..], col[x+1..]
    c.get(lC).simdMem(Simd.load, 3, o);
    c.get(lC).simdMem(Simd.load, 3, o + 8);
    c.simd(Simd.f64x2Add);
    c.get(lC).simdMem(Simd.load, 3, o + 16);
    c.simd(Simd.f64x2Add);
    c.get(nine).simd(Simd.f64x2Div);
    c.set(half[h]!);
  }
  c.get(pOut).get(lT).i32Add();
  c.demotePair(half[0]!, half[1]!);
  c.simdMem(Simd.store, 2, 4);
  c.get(lT).i32Const(16).i32Add().set(lT);
  c.br(0).end().end();
  return { name: 'means', params: 3, body: c };
}

/** The response kernels (compute's LineResponseKernels) in WebAssembly SIMD; one memory per detector. */
export const wasmLineResponseKernels: LineResponseKernels = (width, sign) => kernel(width, sign);

function kernel(width: number, sign: 1 | -1): LineResponseKernel {
  const module = new WebAssembly.Module(
    emitModule([responseFunction(sign), colSumsFunction(width * 4), meansFunction()]),
  );
  // layout: S ring, response ring, 3 raw rows one after the other, float64 column sums (the SIMD loops
  // read and write up to 3 pixels past a row: the next row's, or padding)
  const rBase = pad(S_RING * width * 4);
  const rawBase = rBase + pad(R_RING * width * 4);
  const colBase = rawBase + pad(3 * width * 4) + 16;
  const total = colBase + pad(width * 8) + 32;
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(total / 65536)) });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  type Fn3 = (a: number, b: number, q: number) => void;
  const response = instance.exports['response'] as (c: number, up: number, dn: number, o: number, q: number) => void;
  const colsums = instance.exports['colsums'] as Fn3;
  const means = instance.exports['means'] as Fn3;
  const buf = memory.buffer;
  const s = new Float32Array(buf, 0, S_RING * width);
  const r = new Float32Array(buf, rBase, R_RING * width);
  const raw = new Float32Array(buf, rawBase, 3 * width);
  const col = new Float64Array(buf, colBase, width);
  const quads = Math.max(0, (width - 4) >> 2);
  const tail = 2 + 4 * quads;
  const meanQuads = Math.max(0, (width - 2) >> 2);
  return {
    s,
    r,
    raw,
    mean(o) {
      colsums(rawBase, colBase, Math.ceil(width / 4));
      if (meanQuads > 0) means(colBase, o * 4, meanQuads);
      // column -1 and column width replicate the border columns; the pixels after the last quad
      const at = (x: number): number => col[x < 0 ? 0 : x >= width ? width - 1 : x]!;
      s[o] = (at(-1) + at(0) + at(1)) / 9;
      for (let x = 1 + 4 * meanQuads; x < width; x++) s[o + x] = (at(x - 1) + at(x) + at(x + 1)) / 9;
    },
    interior(c, up, dn, o) {
      if (quads > 0) response(c * 4, up * 4, dn * 4, rBase + o * 4, quads);
      // the last pixels by the definition itself
      interiorResponse(s, r, c, up, dn, o, tail, width - 2, sign);
    },
  };
}

function pad(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}
