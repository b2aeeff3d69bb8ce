/**
 * Formulas as small expression trees over bands, evaluated in float32 like numpy does: every
 * operation's result is rounded to float32. Engines compile a tree their own way (a fused typed-array
 * loop on the CPU, TF.js ops on the GPU); nothing about a formula is written twice.
 */
import type { BandId } from '../core/bands.js';

export type Expr =
  | { op: 'band'; band: BandId }
  | { op: 'const'; value: number }
  | { op: 'add' | 'sub' | 'mul' | 'div'; a: Expr; b: Expr }
  | { op: 'sqrt'; a: Expr };

export const band = (id: BandId): Expr => ({ op: 'band', band: id });
export const num = (value: number): Expr => ({ op: 'const', value });
export const add = (a: Expr, b: Expr): Expr => ({ op: 'add', a, b });
export const sub = (a: Expr, b: Expr): Expr => ({ op: 'sub', a, b });
export const mul = (a: Expr, b: Expr): Expr => ({ op: 'mul', a, b });
export const div = (a: Expr, b: Expr): Expr => ({ op: 'div', a, b });
export const sqrt = (a: Expr): Expr => ({ op: 'sqrt', a });

/** Added to every denominator (product.md), as float32. */
export const EPSILON = 1e-8;

/** Normalised difference ND(a, b) = (a − b) / (a + b + 1e-8). */
export const nd = (a: Expr, b: Expr): Expr => div(sub(a, b), add(add(a, b), num(EPSILON)));

/** Bands an expression reads, in first-use order. */
export function bandsOf(e: Expr, into: BandId[] = []): BandId[] {
  switch (e.op) {
    case 'band':
      if (!into.includes(e.band)) into.push(e.band);
      break;
    case 'const':
      break;
    case 'sqrt':
      bandsOf(e.a, into);
      break;
    default:
      bandsOf(e.a, into);
      bandsOf(e.b, into);
  }
  return into;
}

/** Human-readable formula, for `--help`, docs and the report. */
export function formulaText(e: Expr): string {
  switch (e.op) {
    case 'band':
      return e.band;
    case 'const':
      return String(e.value);
    case 'sqrt':
      return `sqrt(${formulaText(e.a)})`;
    default: {
      const sym = { add: '+', sub: '-', mul: '*', div: '/' }[e.op];
      return `(${formulaText(e.a)} ${sym} ${formulaText(e.b)})`;
    }
  }
}
