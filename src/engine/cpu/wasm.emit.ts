/**
 * A minimal WebAssembly binary emitter: enough of the format (types, an imported memory, functions,
 * exports) and of the instruction set (i32 control flow, SIMD loads, stores and f32x4 / f64x2
 * arithmetic) for the CPU engine to compile kernels at run time. WebAssembly's f32x4 operations are
 * IEEE binary32 with round-to-nearest, so a kernel gives exactly numpy's float32 results, four pixels
 * per instruction.
 *
 * Every byte of the format the kernels use is named here, once: value types, the structural bytes of
 * a module (Section, Bin), the scalar instructions (Op) and the SIMD instructions (Simd). The kernels
 * write no literal opcode.
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Section ids, in the order a module must list them. */
export const Section = {
  type: 1,
  import: 2,
  function: 3,
  export: 7,
  code: 10,
} as const;

/** The other structural bytes of a module. */
export const Bin = {
  /** "\0asm", then version 1. */
  header: [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  /** Introduces a function type (params, results). */
  funcType: 0x60,
  /** Import / export kinds. */
  externFunc: 0x00,
  externMemory: 0x02,
  /** Limits with a minimum only. */
  limitsMin: 0x00,
  /** The block type of a block or loop that takes and leaves nothing. */
  emptyBlock: 0x40,
} as const;

/** Scalar opcodes (one byte each), from the WebAssembly core specification. */
export const Op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  drop: 0x1a,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  f32Load: 0x2a,
  i32Load16U: 0x2f,
  i32Store: 0x36,
  f32Store: 0x38,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Or: 0x72,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  /** Prefix of every SIMD instruction (followed by a Simd opcode as u32 LEB128). */
  simdPrefix: 0xfd,
} as const;

/** SIMD opcodes (after the 0xFD prefix), from the WebAssembly SIMD specification. */
export const Simd = {
  // memory and constants
  load: 0x00,
  load32Zero: 0x5c,
  load64Zero: 0x5d,
  store: 0x0b,
  const: 0x0c,
  // lanes
  shuffle: 0x0d,
  swizzle: 0x0e,
  i8x16Splat: 0x0f,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  f64x2Splat: 0x14,
  i32x4ExtractLane: 0x1b,
  // comparisons (all-ones lanes where true)
  i32x4Ne: 0x38,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  // bitwise
  not: 0x4d,
  and: 0x4e,
  or: 0x50,
  bitselect: 0x52,
  // conversions
  f32x4DemoteF64x2Zero: 0x5e,
  f64x2PromoteLowF32x4: 0x5f,
  f64x2ConvertLowI32x4S: 0xfe,
  i16x8ExtendLowI8x16U: 0x89,
  i32x4ExtendLowI16x8U: 0xa9,
  i64x2ExtendLowI32x4S: 0xc7,
  i64x2ExtendHighI32x4S: 0xc8,
  // integer arithmetic
  i8x16Sub: 0x71,
  i32x4Bitmask: 0xa4,
  i32x4Sub: 0xb1,
  // float arithmetic
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f64x2Neg: 0xed,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
  f64x2Min: 0xf4,
  f64x2Max: 0xf5,
} as const;

/** Lane patterns of i8x16.shuffle (byte i of the result = byte lanes[i] of a ‖ b). */
export const Lanes = {
  /** a's high 64 bits, in both halves (to promote or extend them as a low half). */
  highHalf: [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15],
  /** a's low 64 bits, then b's. */
  lowHalves: [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23],
  /** a's high 64 bits, then b's. */
  highHalves: [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31],
  /** 32-bit lanes a0 b0 a1 b1. */
  interleaveLow32: [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23],
  /** 32-bit lanes a2 b2 a3 b3. */
  interleaveHigh32: [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31],
  /** The even 32-bit lanes of a ‖ b: a0 a2 b0 b2. */
  evens32: [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27],
  /** The odd 32-bit lanes of a ‖ b: a1 a3 b1 b3. */
  odds32: [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31],
} as const;

/** A run of locals of one type, as a function body declares them. */
export interface LocalRun {
  type: number;
  count: number;
}

/**
 * Builds one function body. `new Code(params)` numbers locals after the function's `params`
 * parameters: `local(type)` declares the next one and returns its index. (Without parameters, it also
 * serves to encode LEB128 numbers.)
 */
export class Code {
  readonly bytes: number[] = [];
  /** The locals declared so far, consecutive ones of a type in one run. */
  readonly localRuns: LocalRun[] = [];
  private nextLocal: number;

  constructor(readonly params = 0) {
    this.nextLocal = params;
  }

  /** Declares a local of `type`; returns its index. */
  local(type: number): number {
    const last = this.localRuns[this.localRuns.length - 1];
    if (last?.type === type) last.count++;
    else this.localRuns.push({ type, count: 1 });
    return this.nextLocal++;
  }

  /** Declares `count` locals of `type`; returns their indices. */
  locals(type: number, count: number): number[] {
    return Array.from({ length: count }, () => this.local(type));
  }

  /** Unsigned LEB128. */
  u32(n: number): this {
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n !== 0) b |= 0x80;
      this.bytes.push(b);
    } while (n !== 0);
    return this;
  }

  /** Signed LEB128. */
  s32(n: number): this {
    for (;;) {
      const b = n & 0x7f;
      n >>= 7;
      if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
        this.bytes.push(b);
        return this;
      }
      this.bytes.push(b | 0x80);
    }
  }

  /** Raw bytes: an opcode of Op, Bin or Section with its immediates. */
  op(...codes: number[]): this {
    this.bytes.push(...codes);
    return this;
  }

  get(local: number): this {
    return this.op(Op.localGet).u32(local);
  }
  set(local: number): this {
    return this.op(Op.localSet).u32(local);
  }
  tee(local: number): this {
    return this.op(Op.localTee).u32(local);
  }
  drop(): this {
    return this.op(Op.drop);
  }
  i32Const(n: number): this {
    return this.op(Op.i32Const).s32(n);
  }
  i32Add(): this {
    return this.op(Op.i32Add);
  }
  i32Sub(): this {
    return this.op(Op.i32Sub);
  }
  i32Mul(): this {
    return this.op(Op.i32Mul);
  }
  i32Or(): this {
    return this.op(Op.i32Or);
  }
  i32Shl(): this {
    return this.op(Op.i32Shl);
  }
  i32ShrU(): this {
    return this.op(Op.i32ShrU);
  }
  i32GeU(): this {
    return this.op(Op.i32GeU);
  }
  i32Eqz(): this {
    return this.op(Op.i32Eqz);
  }
  /** i32.load16_u / f32.load / f32.store / i32.store with alignment log2 and offset. */
  i32Load16U(align = 1, offset = 0): this {
    return this.op(Op.i32Load16U).u32(align).u32(offset);
  }
  f32Load(align = 2, offset = 0): this {
    return this.op(Op.f32Load).u32(align).u32(offset);
  }
  f32Store(align = 2, offset = 0): this {
    return this.op(Op.f32Store).u32(align).u32(offset);
  }
  i32Store(align = 2, offset = 0): this {
    return this.op(Op.i32Store).u32(align).u32(offset);
  }
  /** block / loop with an empty type; close with end(). */
  block(): this {
    return this.op(Op.block, Bin.emptyBlock);
  }
  loop(): this {
    return this.op(Op.loop, Bin.emptyBlock);
  }
  br(depth: number): this {
    return this.op(Op.br).u32(depth);
  }
  brIf(depth: number): this {
    return this.op(Op.brIf).u32(depth);
  }
  end(): this {
    return this.op(Op.end);
  }

  simd(opcode: number): this {
    return this.op(Op.simdPrefix).u32(opcode);
  }
  /** A SIMD memory access with alignment log2 `align` and constant `offset`. */
  simdMem(opcode: number, align: number, offset = 0): this {
    return this.simd(opcode).u32(align).u32(offset);
  }
  /** A SIMD lane access (extract_lane, replace_lane) of lane `lane`. */
  simdLane(opcode: number, lane: number): this {
    return this.simd(opcode).op(lane);
  }
  v128Bytes(bytes: ArrayLike<number>): this {
    this.simd(Simd.const);
    for (let i = 0; i < 16; i++) this.bytes.push(bytes[i]! & 0xff);
    return this;
  }
  /** v128.const of sixteen zero bytes. */
  v128Zero(): this {
    return this.v128Bytes(new Uint8Array(16));
  }
  /** v128.const with four copies of a float32. */
  f32x4Const(value: number): this {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    for (let i = 0; i < 4; i++) v.setFloat32(i * 4, value, true);
    return this.v128Bytes(b);
  }
  shuffle(lanes: readonly number[]): this {
    this.simd(Simd.shuffle);
    for (const l of lanes) this.bytes.push(l);
    return this;
  }
  /** Pushes one f32x4 made of two f64x2 locals, each rounded once: `lo`'s lanes 0, 1 then `hi`'s as 2, 3. */
  demotePair(lo: number, hi: number): this {
    this.get(lo).simd(Simd.f32x4DemoteF64x2Zero);
    this.get(hi).simd(Simd.f32x4DemoteF64x2Zero);
    return this.shuffle(Lanes.lowHalves);
  }
}

export interface FunctionDef {
  name: string;
  /** Number of i32 parameters, or their types; as many as the body's Code was made for. */
  params: number | number[];
  /** Result types (none by default). */
  results?: number[];
  /** The body; its locals are those it declared with Code.local. */
  body: Code;
}

function leb(n: number): number[] {
  return new Code().u32(n).bytes;
}

function vec(items: number[][]): number[] {
  return [...leb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

function name(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...leb(b.length), ...b];
}

/** A module importing `env.memory` (1 page minimum) and exporting each function by name. */
export function emitModule(funcs: FunctionDef[]): Uint8Array {
  const types = funcs.map((f) => {
    const params = typeof f.params === 'number' ? new Array<number>(f.params).fill(I32) : f.params;
    if (params.length !== f.body.params) {
      throw new Error(`emitModule: ${f.name} has ${params.length} parameters, its body was built for ${f.body.params}`);
    }
    const results = f.results ?? [];
    return [Bin.funcType, ...leb(params.length), ...params, ...leb(results.length), ...results];
  });
  const memory = [...name('env'), ...name('memory'), Bin.externMemory, Bin.limitsMin, 1];
  const functions = funcs.map((_, i) => leb(i));
  const exports = funcs.map((f, i) => [...name(f.name), Bin.externFunc, ...leb(i)]);
  const bodies = funcs.map((f) => {
    const locals = vec(f.body.localRuns.map((l) => [...leb(l.count), l.type]));
    const body = [...locals, ...f.body.bytes, Op.end];
    return [...leb(body.length), ...body];
  });
  return Uint8Array.from([
    ...Bin.header,
    ...section(Section.type, vec(types)),
    ...section(Section.import, vec([memory])),
    ...section(Section.function, vec(functions)),
    ...section(Section.export, vec(exports)),
    ...section(Section.code, vec(bodies)),
  ]);
}
