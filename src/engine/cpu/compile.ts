/**
 * Compiles index definitions into one fused JavaScript loop over typed arrays (generated source, so the
 * JIT sees a flat loop without calls or dispatch). Every operation is wrapped in Math.fround, which
 * makes each intermediate exactly the float32 numpy would compute: results are bit-identical to numpy's
 * float32 arithmetic, not just close.
 */
import type { Expr } from '../../compute/expr.js';
import { bandsOfIndices, type IndexDef } from '../../compute/indices.js';
import type { BandId } from '../../core/bands.js';
import type { IndexKernel, SlotConditions } from '../engine.js';

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
  const bands = bandsOfIndices(defs);
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

/**
 * Computes, per detector, two bit masks of a task's pixels (rows x cols, rows of ceil(cols / 32) words,
 * bit x%32 of word x>>5): `raw` where every condition holds, `valid` where every index the conditions
 * read is a number (not nodata or masked). Thresholds are compared as float32, as numpy compares a
 * float32 array with a Python float. `fromWord` skips the words before it (done by the SIMD kernel).
 */
export type ConditionKernel = (
  outs: readonly Float32Array[],
  rows: number,
  cols: number,
  raw: Uint32Array[],
  valid: Uint32Array[],
  fromWord?: number,
) => void;

export function compileConditions(detectors: readonly SlotConditions[]): ConditionKernel {
  const slots = [...new Set(detectors.flatMap((d) => d.conditions.map((c) => c.slot)))];
  const v = (slot: number): string => `v${slots.indexOf(slot)}`;
  const lines: string[] = [];
  detectors.forEach((d, k) => {
    const test = d.conditions.map((c) => `${v(c.slot)} ${c.op} ${Math.fround(c.value).toString()}`).join(' && ');
    const finite = [...new Set(d.conditions.map((c) => v(c.slot)))].map((x) => `${x} === ${x}`).join(' && ');
    lines.push(`if (${test}) r${k} |= bit; if (${finite}) f${k} |= bit;`);
  });
  const D = detectors.length;
  const source = `
    return function conditionKernel(outs, rows, cols, raw, valid, fromWord = 0) {
      const words = (cols + 31) >>> 5;
      ${slots.map((s, i) => `const o${i} = outs[${s}];`).join(' ')}
      ${Array.from({ length: D }, (_, k) => `const R${k} = raw[${k}], F${k} = valid[${k}];`).join(' ')}
      for (let y = 0; y < rows; y++) {
        for (let j = fromWord; j < words; j++) {
          ${Array.from({ length: D }, (_, k) => `let r${k} = 0, f${k} = 0;`).join(' ')}
          const x0 = j << 5;
          const end = Math.min(32, cols - x0);
          let i = y * cols + x0;
          for (let b = 0; b < end; b++, i++) {
            const bit = 1 << b;
            ${slots.map((_, n) => `const v${n} = o${n}[i];`).join(' ')}
            ${lines.join('\n')}
          }
          ${Array.from({ length: D }, (_, k) => `R${k}[y * words + j] = r${k}; F${k}[y * words + j] = f${k};`).join(' ')}
        }
      }
    };`;
  return new Function(source)() as ConditionKernel;
}
