/**
 * A minimal WebAssembly binary emitter: enough of the format (types, an imported memory, functions,
 * exports) and of the instruction set (i32 control flow, SIMD loads, stores and f32x4 arithmetic) for the
 * CPU engine to compile kernels at run time. WebAssembly's f32x4 operations are IEEE binary32 with
 * round-to-nearest, so a kernel gives exactly numpy's float32 results, four pixels per instruction.
 */

/** Value types. */
export const I32 = 0x7f;
export const V128 = 0x7b;
export const F32 = 0x7d;

/** SIMD opcodes (after the 0xFD prefix), from the WebAssembly SIMD specification. */
export const Simd = {
  load: 0x00,
  load32Zero: 0x5c,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  swizzle: 0x0e,
  i8x16Splat: 0x0f,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  not: 0x4d,
  and: 0x4e,
  or: 0x50,
  bitselect: 0x52,
  i8x16Sub: 0x71,
  i16x8ExtendLowI8x16U: 0x89,
  i32x4ExtendLowI16x8U: 0xa9,
  i32x4Ne: 0x38,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Eq: 0x41,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  i32x4Bitmask: 0xa4,
  i32x4Sub: 0xb1,
  i32x4ExtractLane: 0x1b,
} as const;

/** Builds one function body. */
export class Code {
  readonly bytes: number[] = [];

  u32(n: number): this {
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n !== 0) b |= 0x80;
      this.bytes.push(b);
    } while (n !== 0);
    return this;
  }

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

  op(...codes: number[]): this {
    this.bytes.push(...codes);
    return this;
  }

  get(local: number): this {
    return this.op(0x20).u32(local);
  }
  set(local: number): this {
    return this.op(0x21).u32(local);
  }
  i32Const(n: number): this {
    return this.op(0x41).s32(n);
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32ShrU(): this {
    return this.op(0x76);
  }
  i32Shl(): this {
    return this.op(0x74);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  /** i32.load16_u / f32.load / f32.store with alignment log2 and offset. */
  i32Load16U(align = 1, offset = 0): this {
    return this.op(0x2f).u32(align).u32(offset);
  }
  f32Load(align = 2, offset = 0): this {
    return this.op(0x2a).u32(align).u32(offset);
  }
  f32Store(align = 2, offset = 0): this {
    return this.op(0x38).u32(align).u32(offset);
  }
  i32Or(): this {
    return this.op(0x72);
  }
  i32Store(align = 2, offset = 0): this {
    return this.op(0x36).u32(align).u32(offset);
  }
  tee(local: number): this {
    return this.op(0x22).u32(local);
  }
  i32GeU(): this {
    return this.op(0x4f);
  }
  /** block / loop with an empty type; close with end(). */
  block(): this {
    return this.op(0x02, 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  br(depth: number): this {
    return this.op(0x0c).u32(depth);
  }
  brIf(depth: number): this {
    return this.op(0x0d).u32(depth);
  }
  end(): this {
    return this.op(0x0b);
  }

  simd(opcode: number): this {
    return this.op(0xfd).u32(opcode);
  }
  /** A SIMD memory access with alignment log2 `align` and constant `offset`. */
  simdMem(opcode: number, align: number, offset = 0): this {
    return this.simd(opcode).u32(align).u32(offset);
  }
  v128Bytes(bytes: ArrayLike<number>): this {
    this.simd(Simd.const);
    for (let i = 0; i < 16; i++) this.bytes.push(bytes[i]! & 0xff);
    return this;
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
}

export interface FunctionDef {
  name: string;
  /** Number of i32 parameters, or their types. */
  params: number | number[];
  /** Result types (none by default). */
  results?: number[];
  /** Extra locals by type, declared after the parameters in this order. */
  locals: { type: number; count: number }[];
  body: Code;
}

function vec(items: number[][]): number[] {
  return [...new Code().u32(items.length).bytes, ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...new Code().u32(content.length).bytes, ...content];
}

function name(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...new Code().u32(b.length).bytes, ...b];
}

/** A module importing `env.memory` (1 page minimum) and exporting each function by name. */
export function emitModule(funcs: FunctionDef[]): Uint8Array {
  const types = funcs.map((f) => {
    const params = typeof f.params === 'number' ? new Array<number>(f.params).fill(I32) : f.params;
    const results = f.results ?? [];
    return [0x60, ...new Code().u32(params.length).bytes, ...params, ...new Code().u32(results.length).bytes, ...results];
  });
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]]);
  const functions = vec(funcs.map((_, i) => new Code().u32(i).bytes));
  const exports = vec(funcs.map((f, i) => [...name(f.name), 0x00, ...new Code().u32(i).bytes]));
  const bodies = funcs.map((f) => {
    const locals = vec(f.locals.filter((l) => l.count > 0).map((l) => [...new Code().u32(l.count).bytes, l.type]));
    const body = [...locals, ...f.body.bytes, 0x0b];
    return [...new Code().u32(body.length).bytes, ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, vec(bodies)),
  ]);
}
