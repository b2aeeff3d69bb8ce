/**
 * Digital numbers to surface reflectance: (DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE, in float32
 * as numpy computes it (the sum is exact, the division rounded once). DN 0 is nodata and becomes NaN.
 * No clipping: with the −1000 offset, dark pixels have small negative reflectance, as ESA defines.
 */
import type { TypedArray } from '../core/types.js';

export interface Radiometry {
  /** BOA_ADD_OFFSET in DN (0, or −1000 from processing baseline 04.00). */
  offset: number;
  /** BOA_QUANTIFICATION_VALUE (10000). */
  quantification: number;
}

export function toReflectance(dn: TypedArray, r: Radiometry, out: Float32Array, n = dn.length): Float32Array {
  const f = Math.fround;
  const off = f(r.offset);
  const q = f(r.quantification);
  for (let i = 0; i < n; i++) {
    const v = dn[i]!;
    out[i] = v === 0 ? NaN : f(f(v + off) / q);
  }
  return out;
}

/** A 256-entry table: 1 for SCL classes to mask, 0 for the others. */
export function maskLut(classes: readonly number[]): Uint8Array {
  const lut = new Uint8Array(256);
  for (const c of classes) lut[c] = 1;
  return lut;
}
