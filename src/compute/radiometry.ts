/**
 * Digital numbers to surface reflectance: (DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE, in float32
 * as numpy computes it (the sum is exact, the division rounded once). DN 0 is nodata and becomes NaN.
 * No clipping by default: with the −1000 offset, dark pixels (DN 1 to 999) have negative reflectance, as
 * ESA defines, and normalised differences of such pixels leave [−1, 1]. `clip` sets negative reflectance
 * to 0 (`--clip-reflectance`; docs/scan.md, "Out-of-range reflectance").
 */
import type { TypedArray } from '../core/types.js';

export interface Radiometry {
  /** BOA_ADD_OFFSET in DN (0, or −1000 from processing baseline 04.00). */
  offset: number;
  /** BOA_QUANTIFICATION_VALUE (10000). */
  quantification: number;
  /**
   * 'divide' (product.md): (DN + offset) / quantification, one correctly rounded division.
   * 'multiply': (DN + offset) * float32(1 / quantification), as pipelines that scale by a factor compute
   * it (GDAL scale, peer_numpy.py); it rounds twice, so 1 in ~10 values differs by one float32 ulp.
   */
  mode?: 'divide' | 'multiply';
  /** Negative reflectance (DN below −offset) becomes 0, so normalised differences stay in [−1, 1]. */
  clip?: boolean;
}

/** Reflectance of one DN, exactly as numpy's float32 `(dn + offset) / quantification`; DN 0 is NaN. */
export function reflectanceOf(dn: number, r: Radiometry): number {
  const f = Math.fround;
  if (dn === 0) return NaN;
  const v = f(dn + f(r.offset));
  if (r.clip && v < 0) return 0;
  return r.mode === 'multiply' ? f(v * f(1 / r.quantification)) : f(v / f(r.quantification));
}

/**
 * The DN below which reflectance is negative (DN 1 up to this, exclusive): −offset, or 0 when the offset
 * is 0 and no DN is negative.
 */
export function negativeBelowDn(r: Radiometry): number {
  return Math.max(0, -r.offset);
}

/**
 * Every reflectance a band can take, indexed by DN (uint16 or uint8): a table lookup per pixel instead
 * of a division, with identical values.
 */
export function reflectanceTable(r: Radiometry, bits: 8 | 16): Float32Array {
  const lut = new Float32Array(bits === 8 ? 256 : 65536);
  for (let dn = 0; dn < lut.length; dn++) lut[dn] = reflectanceOf(dn, r);
  return lut;
}

export function toReflectance(dn: TypedArray, r: Radiometry, out: Float32Array, n = dn.length): Float32Array {
  for (let i = 0; i < n; i++) out[i] = reflectanceOf(dn[i]!, r);
  return out;
}

/** A 256-entry table: 1 for SCL classes to mask, 0 for the others. */
export function maskLut(classes: readonly number[]): Uint8Array {
  const lut = new Uint8Array(256);
  for (const c of classes) lut[c] = 1;
  return lut;
}
