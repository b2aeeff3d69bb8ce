/**
 * Level 1 of the overviews in WebAssembly SIMD (engine/cpu/wasm.overview.ts) against the JavaScript kernel
 * it replaces (io/raster/overview.ts averageRow, exact 2 x 2), bit for bit (Uint32 views): random rows with
 * NaN of several payloads and signs, ±0, subnormals, values whose sums overflow float32, ±Infinity (and
 * blocks holding both, whose sum is NaN), all-NaN blocks, at level-1 widths that are not multiples of 4 or 8
 * and over several rows; then the engine's module (compileWasmKernels) and Pyramid.put with the averaged
 * rows against put without them, tails included; the CPU engine's strip (level1) and between-task row
 * kernel (averageRow2x2), and a whole pyramid with the kernel for its upper levels against one without.
 */
import { describe, expect, test } from '@jest/globals';
import { bandsOfIndices, indexTable } from '../../src/compute/indices.js';
import { compileCpuScene } from '../../src/engine/cpu/strip.js';
import { emitModule } from '../../src/engine/cpu/wasm.emit.js';
import { compileWasmKernels, WasmArena } from '../../src/engine/cpu/wasm.kernels.js';
import { average2Function, JS_NAN_BITS } from '../../src/engine/cpu/wasm.overview.js';
import { averageRow, overviewSizes } from '../../src/io/raster/overview.js';
import { createPyramidState, paddedTile, Pyramid } from '../../src/io/raster/overview.pyramid.js';

const EQUAL = new Float64Array([1, 1]);

/** float32 values from their bits. */
const fromBits = (...bits: number[]): number[] => Array.from(new Float32Array(new Uint32Array(bits).buffer));

const SPECIALS = [
  Number.NaN,
  ...fromBits(0xffc00000, 0x7f800001, 0xff800123, 0x7fc00001), // NaN of other signs and payloads
  0,
  -0,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  ...fromBits(1, 0x80000001, 0x007fffff, 0x807fffff), // the smallest and largest subnormals, ±
  3.4e38,
  -3.4e38,
  1e-38,
  0.1,
];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

/** Deterministic float32 rows (LCG): ordinary values, specials, and all-NaN 2 x 2 blocks. */
function rows(count: number, width: number, seed: number): Float32Array {
  const out = new Float32Array(count * width);
  const next = lcg(seed);
  for (let i = 0; i < out.length; i++) {
    const u = next();
    out[i] = u < 0.25 ? SPECIALS[Math.floor(next() * SPECIALS.length)]! : (next() - 0.4) * 10 ** (next() * 8 - 4);
  }
  // every fifth block of each row pair all NaN
  for (let y = 0; y + 1 < count; y += 2)
    for (let x = 0; x + 1 < width; x += 10)
      for (const at of [y * width + x, y * width + x + 1, (y + 1) * width + x, (y + 1) * width + x + 1])
        out[at] = Number.NaN;
  return out;
}

/** averageRow's level-1 rows of `src` (2·rowsOut rows of `width`), packed. */
function jsLevel1(src: Float32Array, rowsOut: number, width: number): Float32Array {
  const out = new Float32Array(rowsOut * (width / 2));
  for (let y = 0; y < rowsOut; y++) {
    const a = src.subarray(2 * y * width, (2 * y + 1) * width);
    const b = src.subarray((2 * y + 1) * width, (2 * y + 2) * width);
    averageRow([a, b], EQUAL, [], out.subarray((y * width) / 2, ((y + 1) * width) / 2), true);
  }
  return out;
}

const u32 = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** The kernel alone, in a memory of its own: the level-1 rows of `src` where 4-output steps reach. */
function favg2Alone(src: Float32Array, rowsOut: number, width: number): { out: Float32Array; cols: number } {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((src.byteLength * 2 + 64) / 65536) + 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(emitModule([average2Function()])), {
    env: { memory },
  });
  const favg2 = instance.exports['favg2'] as (...a: number[]) => void;
  // source at byte 4 (not 16-aligned, as a task's odd rows are), destination after it
  new Float32Array(memory.buffer, 4, src.length).set(src);
  const dst = 16 * Math.ceil((4 + src.byteLength) / 16) + 8;
  const quads = width >> 3;
  const cols = quads * 4;
  const sentinel = new Uint32Array(memory.buffer, dst, rowsOut * (cols + 1));
  sentinel.fill(0xdeadbeef);
  favg2(4, dst, rowsOut, quads, width * 4, (cols + 1) * 4); // one value of gap between output rows
  const out = new Float32Array(rowsOut * cols);
  const all = new Float32Array(memory.buffer, dst, rowsOut * (cols + 1));
  for (let y = 0; y < rowsOut; y++) {
    out.set(all.subarray(y * (cols + 1), y * (cols + 1) + cols), y * cols);
    expect(sentinel[y * (cols + 1) + cols]).toBe(0xdeadbeef); // nothing written past 4·quads
  }
  return { out, cols };
}

describe('level-1 average kernel (WebAssembly SIMD)', () => {
  test("JavaScript's NaN literal stored in a Float32Array has the bits the kernel writes", () => {
    const f = new Float32Array(1);
    f[0] = Number.NaN;
    expect(new Uint32Array(f.buffer)[0]).toBe(JS_NAN_BITS);
  });

  test('every output equals averageRow (exact 2 x 2) bit for bit, widths 2..66 and 2046, several rows', () => {
    let compared = 0;
    let nan = 0;
    for (const half of [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 1023]) {
      const width = 2 * half;
      for (const rowsOut of [1, 3, 8]) {
        const src = rows(2 * rowsOut, width, half * 131 + rowsOut);
        const want = jsLevel1(src, rowsOut, width);
        const { out, cols } = favg2Alone(src, rowsOut, width);
        expect(cols).toBe(4 * Math.floor(half / 4));
        const wantCols = new Float32Array(rowsOut * cols);
        for (let y = 0; y < rowsOut; y++) wantCols.set(want.subarray(y * half, y * half + cols), y * cols);
        expect(u32(out)).toEqual(u32(wantCols));
        compared += out.length;
        nan += out.filter((v) => Number.isNaN(v)).length;
      }
    }
    expect(compared).toBeGreaterThan(5000);
    expect(nan).toBeGreaterThan(500); // all-NaN blocks and NaN sums were there
  });

  test('the awkward blocks one by one: signed zeros, subnormal sums, overflow, Infinity - Infinity', () => {
    const blocks: number[][] = [
      [-0, -0, -0, -0],
      [-0, Number.NaN, Number.NaN, Number.NaN],
      [Number.NaN, Number.NaN, Number.NaN, -0],
      [0, -0, Number.NaN, -0],
      [-1e-45, 1e-45, Number.NaN, Number.NaN],
      [...fromBits(1, 1, 1, 0x80000001)],
      [3.4e38, 3.4e38, 3.4e38, Number.NaN],
      [-3.4e38, -3.4e38, -3.4e38, -3.4e38],
      [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, Number.NaN],
      [Number.NaN, Number.NEGATIVE_INFINITY, Number.NaN, Number.POSITIVE_INFINITY],
      [Number.POSITIVE_INFINITY, 1, Number.NaN, 2],
      [...fromBits(0xffc00000, 0x7f800001, 0xff800123, 0x7fc00001)],
      [0.1, 0.2, 0.3, Number.NaN],
      [1, 2, 3, 4],
    ];
    const half = blocks.length + 3; // not a multiple of 4, and every block within the 4-value steps
    const src = new Float32Array(2 * 2 * half).fill(0.5);
    blocks.forEach(([a0, a1, b0, b1], x) => {
      src.set([a0!, a1!], 2 * x);
      src.set([b0!, b1!], 2 * half + 2 * x);
    });
    const want = jsLevel1(src, 1, 2 * half);
    const { out, cols } = favg2Alone(src, 1, 2 * half);
    expect(cols).toBeGreaterThanOrEqual(blocks.length);
    expect(u32(out)).toEqual(u32(want.subarray(0, cols)));
    expect(Object.is(out[0], 0)).toBe(true); // -0 inputs average to +0, as the JavaScript's sum from +0
  });

  test("the engine's module has the kernel (favg2), and Pyramid.put with its rows fills the slots as without", () => {
    const defs = indexTable.slice(0, 1);
    const wk = compileWasmKernels(defs, bandsOfIndices(defs));
    for (const [width, height, tileSize] of [
      [44, 20, 8], // level-1 task widths 8 and 2 (tail only)
      [60, 12, 16], // 16 and 6: a 4-value step and a tail
      [64, 16, 32], // 32: steps only
    ] as const) {
      const sizes = [
        { width, height },
        { width: width / 2, height: height / 2 },
        { width: width / 4, height: height / 4 },
      ];
      const plain = new Pyramid(createPyramidState('float32', 'average', Number.NaN, tileSize, sizes, 2, true));
      const simd = new Pyramid(createPyramidState('float32', 'average', Number.NaN, tileSize, sizes, 2, true));
      expect(simd.averagesLevel1).toBe(true);
      const data = rows(height, width, width + height);
      for (let ty = 0; ty * tileSize < height; ty++) {
        const rowsIn = Math.min(tileSize, height - ty * tileSize);
        for (let x0 = 0; x0 < width; x0 += tileSize) {
          const cols = Math.min(tileSize, width - x0);
          const task = new Float32Array(rowsIn * cols);
          for (let y = 0; y < rowsIn; y++) {
            const at = (ty * tileSize + y) * width + x0;
            task.set(data.subarray(at, at + cols), y * cols);
          }
          // the task in the arena, as the CPU strip has it, and its level 1 by the kernel
          wk.arena.reset(2 * WasmArena.size(task.byteLength));
          const from = wk.arena.alloc(task.byteLength);
          const to = wk.arena.alloc(task.byteLength / 4);
          wk.arena.f32(from, task.length).set(task);
          const quads = cols >> 3;
          wk.favg2(from, to, rowsIn / 2, quads, cols * 4, quads * 16);
          const averaged = { samples: wk.arena.f32(to, (rowsIn / 2) * quads * 4), rows: rowsIn / 2, cols: quads * 4 };
          plain.put(ty, task, rowsIn, cols, x0);
          simd.put(ty, task, rowsIn, cols, x0, { ...averaged, stride: quads * 4 });
        }
        expect(u32(simd.slot(ty) as Float32Array)).toEqual(u32(plain.slot(ty) as Float32Array));
      }
    }
  });

  /** A CPU scene of two indices on same-size bands (nearest: the planes are the DNs' reflectances). */
  function scene(size: number, simd: boolean) {
    const names = ['ndvi', 'terra_preta'];
    const defs = names.map((n) => indexTable.find((d) => d.name === n)!);
    const bands = bandsOfIndices(defs);
    const plan = { gridWidth: size, gridHeight: size, srcWidth: size, srcHeight: size, method: 'nearest' as const };
    const cpu = compileCpuScene({
      indexNames: names,
      bands: bands.map(() => ({ plan, radiometry: { offset: -1000, quantification: 10000 } })),
      scl: undefined,
      simd,
      detect: undefined,
    });
    return { cpu, bands };
  }

  test("the CPU strip's level1 equals averageRow over its outputs; absent without SIMD", () => {
    const size = 80;
    for (const [cols, rows] of [
      [80, 40],
      [44, 18], // 22 level-1 columns: 20 by the kernel
      [6, 4], // 3: none
    ] as const) {
      const { cpu, bands } = scene(size, true);
      const next = lcg(cols * rows);
      // DNs around the offset (reflectance of both signs, and zero), some 0 (nodata: NaN), and row pairs of
      // nodata (all-NaN blocks)
      const windows = bands.map(() => ({
        data: Uint16Array.from({ length: size * size }, (_, i) =>
          (Math.floor(i / size) >> 1) % 5 === 0 || next() < 0.05 ? 0 : 900 + Math.floor(next() * 300),
        ),
        x0: 0,
        y0: 0,
        width: size,
        height: size,
      }));
      const strip = cpu.strip({ gridX0: 2, gridY0: 4, cols, rows, bands: windows, scl: undefined }, 16);
      try {
        strip.fillPlanes();
        strip.runIndices();
        for (let i = 0; i < strip.outs.length; i++) {
          const got = strip.level1!(i);
          expect([got.rows, got.cols]).toEqual([rows / 2, 4 * Math.floor(cols / 8)]);
          const want = jsLevel1(strip.outs[i]!.slice(0, rows * cols), rows / 2, cols);
          if (got.cols) {
            const numbers = got.samples.filter((v) => !Number.isNaN(v)).length;
            expect(numbers).toBeGreaterThan(0); // values and NaN both
            expect(numbers).toBeLessThan(got.samples.length);
          }
          for (let y = 0; y < got.rows; y++) {
            const row = got.samples.subarray(y * got.stride, y * got.stride + got.cols);
            expect(u32(row)).toEqual(u32(want.subarray((y * cols) / 2, (y * cols) / 2 + got.cols)));
          }
        }
      } finally {
        cpu.release();
      }
      const js = scene(size, false).cpu;
      const plain = js.strip({ gridX0: 0, gridY0: 0, cols, rows, bands: windows, scl: undefined }, 16);
      expect(plain.level1).toBeUndefined();
      expect(js.averageRow2x2(new Float32Array(16), new Float32Array(16), new Float32Array(8))).toBe(0);
      js.release();
    }
  });

  test('averageRow2x2 (between tasks) equals averageRow on the values it makes', () => {
    const { cpu } = scene(16, true);
    for (const half of [1, 3, 4, 9, 64, 1001]) {
      const src = rows(2, 2 * half, half);
      const out = new Float32Array(half).fill(12345);
      const done = cpu.averageRow2x2(src.subarray(0, 2 * half), src.subarray(2 * half), out);
      expect(done).toBe(4 * Math.floor(half / 4));
      const want = jsLevel1(src, 1, 2 * half);
      expect(u32(out.subarray(0, done))).toEqual(u32(want.subarray(0, done)));
      expect(Array.from(out.subarray(done))).toEqual(new Array(half - done).fill(12345)); // the rest is the caller's
    }
  });

  test('a whole pyramid averaged by the kernel (level 1 by put, levels 2+ by the averager) emits the same tiles', async () => {
    const { cpu } = scene(16, true);
    const wk = compileWasmKernels(indexTable.slice(0, 1), bandsOfIndices(indexTable.slice(0, 1)));
    let kernelRows = 0;
    for (const [width, height, T] of [
      [200, 120, 16], // levels 100x60, 50x30, 25x15 (exact), 13x8 (fractional)
      [72, 40, 8],
    ] as const) {
      const sizes = overviewSizes(width, height, T);
      const data = rows(height, width, width * height);
      const emitted = async (withKernel: boolean): Promise<Map<string, number[]>> => {
        const p = new Pyramid(createPyramidState('float32', 'average', Number.NaN, T, sizes, 2, true));
        if (withKernel)
          p.averager = (a, b, o) => {
            const done = cpu.averageRow2x2(a, b, o);
            if (done) kernelRows++;
            return done;
          };
        const tiles = new Map<string, number[]>();
        for (let ty = 0; ty * T < height; ty++) {
          const rowsIn = Math.min(T, height - ty * T);
          const task = data.slice(ty * T * width, (ty * T + rowsIn) * width);
          const quads = width >> 3;
          let averaged: { samples: Float32Array; rows: number; cols: number } | undefined;
          if (withKernel) {
            wk.arena.reset(2 * WasmArena.size(task.byteLength));
            const from = wk.arena.alloc(task.byteLength);
            const to = wk.arena.alloc(task.byteLength / 4);
            wk.arena.f32(from, task.length).set(task);
            wk.favg2(from, to, rowsIn / 2, quads, width * 4, quads * 16);
            averaged = { samples: wk.arena.f32(to, (rowsIn / 2) * quads * 4), rows: rowsIn / 2, cols: quads * 4 };
          }
          p.put(ty, task, rowsIn, width, 0, averaged && { ...averaged, stride: quads * 4 });
          await p.advanceSlot(ty, ty * T, rowsIn, async (level, tx, y, tile) => {
            tiles.set(`${level}/${tx}/${y}`, u32(paddedTile(tile, T, Number.NaN) as Float32Array));
          });
        }
        return tiles;
      };
      const plain = await emitted(false);
      const simd = await emitted(true);
      expect(plain.size).toBeGreaterThan(sizes.length);
      expect([...simd.keys()].sort()).toEqual([...plain.keys()].sort());
      for (const [key, tile] of plain) expect({ key, tile: simd.get(key) }).toEqual({ key, tile });
    }
    expect(kernelRows).toBeGreaterThan(20);
  });
});
