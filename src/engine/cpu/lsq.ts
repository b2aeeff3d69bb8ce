/**
 * The per-pixel sums of a least-squares fit, b = Gᵀd over the valid dates (NaN dates skipped), for a run
 * of pixels: generated source with the parameter count unrolled, so the JIT sees one flat loop per date. Pixels are taken in runs short
 * enough that every accumulator stays in the L1/L2 cache while all dates stream past (the cube is read
 * once; date planes are `npix` apart), which is what makes it fast — memory traffic is the input only.
 *
 * For each pixel t of the run, over the dates i (plane offsets `offs[i]`), with C the coefficients
 * (row-major dates x p; G itself for b = Gᵀd):
 *   acc_k[t] = Σ_i C[i·p + k] · d_i   (valid d only)     k = 0..p-1
 *   ss[t] = Σ d_i²,  sum[t] = Σ d_i,  nan[t] = #NaN dates
 */
import type { AccumulateKernel } from '../../compute/timeseries/kernels.js';

/** The kernel for `p` parameters (compile once per run: each call generates a fresh function). */
export function compileAccumulateKernel(p: number): AccumulateKernel {
  const ks = Array.from({ length: p }, (_, k) => k);
  const source = `
    return function accumulate(data, offs, j0, len, Pt, acc, ss, sum, nan) {
      ${ks.map((k) => `const a${k} = acc[${k}];`).join(' ')}
      for (let t = 0; t < len; t++) { ${ks.map((k) => `a${k}[t] = 0;`).join(' ')} ss[t] = 0; sum[t] = 0; nan[t] = 0; }
      const n = offs.length;
      for (let i = 0; i < n; i++) {
        const o = offs[i] + j0;
        ${ks.map((k) => `const c${k} = Pt[i * ${p} + ${k}];`).join(' ')}
        for (let t = 0; t < len; t++) {
          const v = data[o + t];
          if (v === v) {
            ${ks.map((k) => `a${k}[t] += c${k} * v;`).join(' ')}
            ss[t] += v * v;
            sum[t] += v;
          } else nan[t]++;
        }
      }
    };`;
  return new Function(source)() as AccumulateKernel;
}
