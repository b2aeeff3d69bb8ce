/**
 * The WebAssembly emitter on its own: LEB128 numbers against byte sequences from the definition, the
 * byte layout of a minimal module, the local allocator, and a module of each kernel family accepted by
 * the runtime's validator (which also rejects a deliberately ill-typed body, so the check has teeth).
 */
import { describe, expect, test } from '@jest/globals';
import { indexTable } from '../../src/compute/indices.js';
import { compileIndexKernel } from '../../src/engine/cpu/compile.js';
import type { SlotConditions } from '../../src/engine/engine.js';
import { Code, emitModule, F32, F64, I32, V128, type FunctionDef } from '../../src/engine/cpu/wasm.emit.js';
import {
  blendFunction,
  conditionsFunction,
  countFunction,
  indexFunction,
  lutFunction,
  pairsFunction,
  predictorFunction,
} from '../../src/engine/cpu/wasm.kernels.js';
import { accumulateFunction } from '../../src/engine/cpu/wasm.lsq.js';
import { average2Function } from '../../src/engine/cpu/wasm.overview.js';
import { squaresFunction, sumsFunction } from '../../src/engine/cpu/wasm.rms.js';

// Expected bytes worked out by hand from the LEB128 definition (7 bits per byte, least significant
// group first, high bit = more follows; signed: the last byte's bit 6 is the sign), cf. Wikipedia's
// examples 624485 → E5 8E 26 and −123456 → C0 BB 78.
const unsigned: [number, number[]][] = [
  [0, [0x00]],
  [1, [0x01]],
  [63, [0x3f]],
  [64, [0x40]],
  [127, [0x7f]],
  [128, [0x80, 0x01]],
  [300, [0xac, 0x02]],
  [16383, [0xff, 0x7f]],
  [16384, [0x80, 0x80, 0x01]],
  [624485, [0xe5, 0x8e, 0x26]],
  [2 ** 31 - 1, [0xff, 0xff, 0xff, 0xff, 0x07]],
  [2 ** 31, [0x80, 0x80, 0x80, 0x80, 0x08]],
  [2 ** 32 - 1, [0xff, 0xff, 0xff, 0xff, 0x0f]],
];
const signed: [number, number[]][] = [
  [0, [0x00]],
  [1, [0x01]],
  [63, [0x3f]],
  [64, [0xc0, 0x00]],
  [-1, [0x7f]],
  [-64, [0x40]],
  [-65, [0xbf, 0x7f]],
  [127, [0xff, 0x00]],
  [128, [0x80, 0x01]],
  [-128, [0x80, 0x7f]],
  [-16, [0x70]],
  [624485, [0xe5, 0x8e, 0x26]],
  [-123456, [0xc0, 0xbb, 0x78]],
  [2 ** 31 - 1, [0xff, 0xff, 0xff, 0xff, 0x07]],
  [-(2 ** 31), [0x80, 0x80, 0x80, 0x80, 0x78]],
];

const hex = (bytes: ArrayLike<number>): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

/** The sections of a module after its 8-byte header: id and content (sizes decoded independently). */
function sections(bytes: Uint8Array): { id: number; content: Uint8Array }[] {
  const out: { id: number; content: Uint8Array }[] = [];
  let i = 8;
  while (i < bytes.length) {
    const id = bytes[i++]!;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[i++]!;
      size += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    out.push({ id, content: bytes.subarray(i, i + size) });
    i += size;
  }
  return out;
}

/** A module's one function `f`, instantiated over a fresh memory. */
function instantiate(def: FunctionDef): (...a: number[]) => number {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(emitModule([def])), { env: { memory } });
  return instance.exports[def.name] as (...a: number[]) => number;
}

describe('LEB128', () => {
  test.each(unsigned)('unsigned %d', (n, bytes) => {
    expect(hex(new Code().u32(n).bytes)).toBe(hex(bytes));
  });

  test.each(signed)('signed %d', (n, bytes) => {
    expect(hex(new Code().s32(n).bytes)).toBe(hex(bytes));
  });

  test('i32.const of each signed value reads back as that value', () => {
    for (const [n] of signed) {
      const run = instantiate({ name: 'k', params: 0, results: [I32], body: new Code().i32Const(n) });
      expect(run()).toBe(n);
    }
  });
});

describe('module layout', () => {
  test('a minimal module: header, then type, import, function, export and code sections', () => {
    const bytes = emitModule([{ name: 'f', params: 0, body: new Code() }]);
    const expected = [
      0x00,
      0x61,
      0x73,
      0x6d,
      0x01,
      0x00,
      0x00,
      0x00, // "\0asm", version 1
      0x01,
      0x04,
      0x01,
      0x60,
      0x00,
      0x00, // type: one func type () -> ()
      0x02,
      0x0f,
      0x01, // import: one entry
      0x03,
      0x65,
      0x6e,
      0x76, // "env"
      0x06,
      0x6d,
      0x65,
      0x6d,
      0x6f,
      0x72,
      0x79, // "memory"
      0x02,
      0x00,
      0x01, // a memory, limits: minimum 1 page
      0x03,
      0x02,
      0x01,
      0x00, // function: one, of type 0
      0x07,
      0x05,
      0x01,
      0x01,
      0x66,
      0x00,
      0x00, // export: "f" = function 0
      0x0a,
      0x04,
      0x01,
      0x02,
      0x00,
      0x0b, // code: one body of 2 bytes, no locals, end
    ];
    expect(hex(bytes)).toBe(hex(expected));
    expect(WebAssembly.validate(bytes)).toBe(true);
  });

  test('parameter and result types, and locals declared in runs of one type', () => {
    const c = new Code(2);
    const a = c.local(I32);
    const b = c.local(I32);
    const v = c.local(V128);
    const d = c.local(I32);
    expect([a, b, v, d]).toEqual([2, 3, 4, 5]);
    expect(c.localRuns).toEqual([
      { type: I32, count: 2 },
      { type: V128, count: 1 },
      { type: I32, count: 1 },
    ]);
    // (p0 - p1) * 8 + 100000, through the locals
    c.get(0).get(1).i32Sub().set(a).get(a).i32Const(3).i32Shl().set(d).get(d).i32Const(100000).i32Add();
    const def: FunctionDef = { name: 'g', params: [I32, I32], results: [I32], body: c };
    const found = sections(emitModule([def]));
    expect(found.map((s) => s.id)).toEqual([1, 2, 3, 7, 10]);
    // one type: func, 2 params (i32 i32), 1 result (i32)
    expect(hex(found[0]!.content)).toBe(hex([0x01, 0x60, 0x02, I32, I32, 0x01, I32]));
    // one body: its size, then 3 runs of locals (2 x i32, 1 x v128, 1 x i32), then the instructions
    const code = found[4]!.content;
    expect(code[0]).toBe(1);
    expect(code[1]).toBe(code.length - 2);
    expect(hex(code.subarray(2, 9))).toBe(hex([0x03, 0x02, I32, 0x01, V128, 0x01, I32]));
    expect(hex(code.subarray(9))).toBe(hex([...c.bytes, 0x0b]));
    expect(instantiate(def)(7, 3)).toBe(100032);
    expect(instantiate(def)(-5, 3)).toBe(-64 + 100000);
  });

  test('a body built for another number of parameters is refused', () => {
    expect(() => emitModule([{ name: 'h', params: 3, body: new Code(2) }])).toThrow(/3 parameters.*built for 2/);
  });
});

describe('every kernel family validates', () => {
  const bands = compileIndexKernel(indexTable).bands;
  const detectors: SlotConditions[] = [
    {
      conditions: [
        { slot: 2, op: '>', value: 0.3 },
        { slot: 0, op: '<=', value: -0.1 },
      ],
    },
    {
      conditions: [
        { slot: 1, op: '>=', value: 0 },
        { slot: 1, op: '<', value: 0.7 },
      ],
    },
  ];
  const families: [string, () => FunctionDef][] = [
    ['index kernel, masked', () => indexFunction(indexTable, bands, true)],
    ['index kernel, no mask', () => indexFunction(indexTable, bands, false)],
    ['conditions', () => conditionsFunction(detectors)],
    ['predictor', predictorFunction],
    ['lut16', lutFunction],
    ['hpairs', pairsFunction],
    ['vblend', blendFunction],
    ['countValid', countFunction],
    ['favg2 (overview level 1)', average2Function],
    ...[1, 2, 3, 5].map((p): [string, () => FunctionDef] => [`lsq accumulate, p = ${p}`, () => accumulateFunction(p)]),
    ['rms sums', () => sumsFunction(1024)],
    ['rms squares', squaresFunction],
  ];

  test.each(families)('%s', (_, make) => {
    expect(WebAssembly.validate(emitModule([make()]))).toBe(true);
  });

  test('all of them in one module', () => {
    const all = families.map(([, make], i) => ({ ...make(), name: `f${i}` }));
    expect(WebAssembly.validate(emitModule(all))).toBe(true);
  });

  test('the validator rejects an ill-typed body (a v128 into an i32 local)', () => {
    const c = new Code(0);
    c.f32x4Const(1).set(c.local(I32));
    expect(WebAssembly.validate(emitModule([{ name: 'bad', params: 0, body: c }]))).toBe(false);
    // and an f64 parameter read where a v128 is expected
    const d = new Code(1);
    d.get(0).set(d.local(V128));
    expect(WebAssembly.validate(emitModule([{ name: 'bad', params: [F64], body: d }]))).toBe(false);
    const e = new Code(1);
    e.get(0).set(e.local(F32));
    expect(WebAssembly.validate(emitModule([{ name: 'ok', params: [F32], body: e }]))).toBe(true);
  });
});
