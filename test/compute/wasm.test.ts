/**
 * The WebAssembly SIMD kernels agree bit for bit with the JavaScript ones (which the end-to-end tests
 * compare with numpy): every index on random reflectances with NaN and masked pixels, and the float
 * predictor on tiles read in place from a wider strip.
 */
import { describe, expect, test } from '@jest/globals';
import { indexTable } from '../../src/compute/indices.js';
import { compileIndexKernel } from '../../src/engine/cpu/compile.js';
import { compileWasmKernels, simdAvailable } from '../../src/engine/cpu/wasm.kernels.js';
import { floatPredictor32 } from '../../src/io/raster/tiff.codec.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('WebAssembly SIMD kernels', () => {
  test('this runtime has SIMD', () => {
    expect(simdAvailable()).toBe(true);
  });

  test.each([[false], [true]])('all eleven indices equal the JavaScript kernel bit for bit (mask: %s)', (withMask) => {
    const js = compileIndexKernel(indexTable);
    const wk = compileWasmKernels(indexTable, js.bands);
    const n = 4099; // not a multiple of 4: the tail lanes are computed but not compared
    const rnd = random(7);
    const A = wk.arena;
    A.reset(64 << 20);
    const planePtrs = js.bands.map(() => A.alloc(n * 4));
    const maskPtr = A.alloc(n);
    const outPtrs = indexTable.map(() => A.alloc(n * 4));
    const planes = planePtrs.map((p) => A.f32(p, n));
    for (const plane of planes) for (let i = 0; i < n; i++) plane[i] = i % 101 === 0 ? NaN : rnd() * 0.7 - 0.05;
    planes[0]![5] = 0; // zero denominators
    planes[1]![5] = 0;
    const mask = A.u8(maskPtr, n);
    for (let i = 0; i < n; i++) mask[i] = rnd() < 0.1 ? 1 : 0;
    const expected = indexTable.map(() => new Float32Array(n));
    js.run(planes, withMask ? mask : undefined, expected, n);
    wk.indices(n, withMask ? maskPtr : 0, planePtrs, outPtrs);
    indexTable.forEach((d, k) => {
      const got = A.f32(outPtrs[k]!, n);
      const bad = Array.from(got).filter(
        (v, i) => !(Object.is(v, expected[k]![i]) || (Number.isNaN(v) && Number.isNaN(expected[k]![i]!))),
      );
      expect({ index: d.name, mismatches: bad.length }).toEqual({ index: d.name, mismatches: 0 });
    });
  });

  test('the arena refuses to allocate beyond its reservation (growing would detach live views)', () => {
    const wk = compileWasmKernels(indexTable.slice(0, 1), compileIndexKernel(indexTable.slice(0, 1)).bands);
    wk.arena.reset(1024);
    wk.arena.alloc(900);
    expect(() => wk.arena.alloc(200)).toThrow(/allocated beyond the 1024 reserved/);
  });

  test('bilinear helpers: 2x pairs and vertical blends round each product and sum to float32', () => {
    const wk = compileWasmKernels(indexTable.slice(0, 1), compileIndexKernel(indexTable.slice(0, 1)).bands);
    const A = wk.arena;
    A.reset(1 << 16);
    const src = A.alloc(16 * 4);
    const dst = A.alloc(32 * 4);
    const s = A.f32(src, 16);
    for (let i = 0; i < 16; i++) s[i] = Math.fround(0.1 * (i + 1) + 0.0123 * i * i);
    wk.hpairs(src, dst, 1, 64, 128, 2, 0.75, 0.25, 0.25, 0.75);
    const f = Math.fround;
    const expected = Array.from({ length: 8 }, (_, m) => [
      f(f(s[m]! * 0.75) + f(s[m + 1]! * 0.25)),
      f(f(s[m]! * 0.25) + f(s[m + 1]! * 0.75)),
    ]).flat();
    expect(Array.from(A.f32(dst, 16))).toEqual(expected);
    wk.vblend(src, src + 16, dst, 8, 0.3, 0.7);
    const blend = Array.from({ length: 8 }, (_, i) => f(f(s[i]! * f(0.3)) + f(s[i + 4]! * f(0.7))));
    expect(Array.from(A.f32(dst, 8))).toEqual(blend);
    s[3] = NaN;
    expect(wk.countValid(src, 4)).toBe(15);
  });

  test('float predictor equals the JavaScript one, in place from a strip twice as wide', () => {
    const wk = compileWasmKernels(indexTable.slice(0, 1), compileIndexKernel(indexTable.slice(0, 1)).bands);
    const A = wk.arena;
    A.reset(1 << 20);
    const width = 64;
    const rows = 5;
    const src = A.alloc(2 * width * rows * 4);
    const dst = A.alloc(width * rows * 4);
    const strip = A.f32(src, 2 * width * rows);
    const rnd = random(3);
    for (let i = 0; i < strip.length; i++)
      strip[i] = i % 13 === 0 ? NaN : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 6 - 3);
    for (const x0 of [0, width]) {
      wk.fpredict(src + x0 * 4, dst, width, rows, 2 * width * 4);
      expect(A.u8(dst, width * rows * 4)).toEqual(floatPredictor32(strip, width, rows, 2 * width, x0));
    }
  });
});
