/**
 * Compiles index definitions into one fused JavaScript loop over typed arrays (generated source, so the
 * JIT sees a flat loop without calls or dispatch). Every operation is wrapped in Math.fround, which
 * makes each intermediate exactly the float32 numpy would compute: results are bit-identical to numpy's
 * float32 arithmetic, not just close.
 */
import type { Expr } from '../../compute/expr.js';
import type { IndexDef } from '../../compute/indices.js';
import type { BandId } from '../../io/scene/bands.js';
import type { Engine, IndexKernel } from '../engine.js';

type KernelFn = IndexKernel['run'];

function emit(e: Expr, bandVar: (b: BandId) => string): string {
  switch (e.op) {
    case 'band':
      return bandVar(e.band);
    case 'const':
      // The float32 value written out exactly, so that the JIT folds it as a constant.
      return `(${Math.fround(e.value).toString()})`;
    case 'sqrt':
      return `f(Math.sqrt(${emit(e.a, bandVar)}))`;
    default: {
      const sym = { add: '+', sub: '-', mul: '*', div: '/' }[e.op];
      return `f(${emit(e.a, bandVar)} ${sym} ${emit(e.b, bandVar)})`;
    }
  }
}

export function compileIndexKernel(defs: readonly IndexDef[]): IndexKernel {
  const bands: BandId[] = [];
  for (const d of defs) for (const b of d.bands) if (!bands.includes(b)) bands.push(b);
  const bandVar = (b: BandId): string => `v${bands.indexOf(b)}`;
  const head = [
    ...bands.map((_, i) => `const p${i} = planes[${i}];`),
    ...defs.map((_, i) => `const o${i} = outs[${i}];`),
  ].join('\n');
  const loads = bands.map((_, i) => `const v${i} = p${i}[i];`).join(' ');
  // The outermost rounding is the Float32Array store itself.
  const stores = defs.map((d, i) => `o${i}[i] = ${emit(d.expr, bandVar).replace(/^f\((.*)\)$/s, '($1)')};`).join('\n');
  const nans = defs.map((_, i) => `o${i}[i] = NaN;`).join(' ');
  const source = `
    const f = Math.fround;
    return function indexKernel(planes, masked, outs, n) {
      ${head}
      if (masked === undefined) {
        for (let i = 0; i < n; i++) { ${loads}
          ${stores}
        }
      } else {
        for (let i = 0; i < n; i++) {
          if (masked[i] !== 0) { ${nans} continue; }
          ${loads}
          ${stores}
        }
      }
    };`;
  const run = new Function(source)() as KernelFn;
  return { names: defs.map((d) => d.name), bands, run };
}

export const cpuEngine: Engine = {
  name: 'cpu',
  compileIndices: compileIndexKernel,
};
