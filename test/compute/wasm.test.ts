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
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
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
      const bad = Array.from(got).filter((v, i) => !(Object.is(v, expected[k]![i]) || (Number.isNaN(v) && Number.isNaN(expected[k]![i]!))));
      expect({ index: d.name, mismatches: bad.length }).toEqual({ index: d.name, mismatches: 0 });
    });
  });

  test('float predictor equals the JavaScript one, in place from a strip twice as wide', () => {
    const wk = compileWasmKernels(indexTable.slice(0, 1), compileIndexKernel(indexTable.slice(0, 1)).bands);
    const A = wk.arena;
    const width = 64;
    const rows = 5;
    const src = A.alloc(2 * width * rows * 4);
    const dst = A.alloc(width * rows * 4);
    const strip = A.f32(src, 2 * width * rows);
    const rnd = random(3);
    for (let i = 0; i < strip.length; i++) strip[i] = i % 13 === 0 ? NaN : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 6 - 3);
    for (const x0 of [0, width]) {
      wk.fpredict(src + x0 * 4, dst, width, rows, 2 * width * 4);
      expect(A.u8(dst, width * rows * 4)).toEqual(floatPredictor32(strip, width, rows, 2 * width, x0));
    }
  });
});
