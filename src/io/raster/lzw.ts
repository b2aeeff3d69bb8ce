/**
 * TIFF LZW (compression 5): MSB-first codes of 9 to 12 bits, ClearCode 256, EndOfInformation 257,
 * and TIFF's "early change" (the code width grows one entry before the table needs it).
 */

const CLEAR = 256;
const EOI = 257;
const FIRST = 258;
const MAX_BITS = 12;

/** Decodes `src` into exactly `outLength` bytes; stops early at EOI. Throws on a corrupt stream. */
export function lzwDecode(src: Uint8Array, outLength: number): Uint8Array {
  const out = new Uint8Array(outLength);
  // Table entries as (prefix code, last byte, length); strings are rebuilt backwards into `out`.
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Int32Array(4096);
  const first = new Uint8Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    length[i] = 1;
    first[i] = i;
  }
  let bits = 9;
  let next = FIRST;
  let bitPos = 0;
  const totalBits = src.length * 8;
  let o = 0;
  let old = -1;

  const read = (): number => {
    if (bitPos + bits > totalBits) return EOI; // a stream may end without EOI
    let code = 0;
    for (let b = 0; b < bits; b++) {
      const p = bitPos + b;
      code = (code << 1) | ((src[p >>> 3]! >>> (7 - (p & 7))) & 1);
    }
    bitPos += bits;
    return code;
  };
  const emit = (code: number): void => {
    const len = length[code]!;
    if (o + len > outLength) throw new Error('LZW data longer than the tile');
    let c = code;
    for (let i = o + len - 1; i >= o; i--) {
      out[i] = suffix[c]!;
      c = prefix[c]!;
    }
    o += len;
  };

  for (;;) {
    const code = read();
    if (code === EOI) break;
    if (code === CLEAR) {
      bits = 9;
      next = FIRST;
      old = -1;
      continue;
    }
    if (old === -1) {
      if (code > 255) throw new Error(`LZW code ${code} after a clear`);
      emit(code);
      old = code;
      continue;
    }
    if (code < next) {
      emit(code);
      if (next < 4096) {
        prefix[next] = old;
        suffix[next] = first[code]!;
        length[next] = length[old]! + 1;
        first[next] = first[old]!;
        next++;
      }
    } else if (code === next) {
      if (next >= 4096) throw new Error('LZW table overflow');
      prefix[next] = old;
      suffix[next] = first[old]!;
      length[next] = length[old]! + 1;
      first[next] = first[old]!;
      next++;
      emit(code);
    } else {
      throw new Error(`LZW code ${code} beyond the table (${next})`);
    }
    old = code;
    if (next + 1 >= 1 << bits && bits < MAX_BITS) bits++;
    if (o === outLength) break;
  }
  if (o !== outLength) throw new Error(`LZW data ends after ${o} of ${outLength} bytes`);
  return out;
}

/** Encodes `src` as TIFF LZW. */
export function lzwEncode(src: Uint8Array): Uint8Array {
  // Dictionary: (prefix code << 8 | byte) -> code, valid when stamp matches the current table generation.
  const codes = new Int32Array(4096 * 256);
  const stamp = new Uint16Array(4096 * 256);
  let generation = 1;
  let out = new Uint8Array(Math.max(64, (src.length * 3) >>> 1));
  let o = 0;
  let acc = 0; // pending bits, MSB first
  let accBits = 0;
  let bits = 9;
  let next = FIRST;

  const put = (code: number): void => {
    acc = (acc << bits) | code;
    accBits += bits;
    while (accBits >= 8) {
      if (o >= out.length) {
        const grown = new Uint8Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      accBits -= 8;
      out[o++] = (acc >>> accBits) & 0xff;
    }
    acc &= (1 << accBits) - 1;
  };

  put(CLEAR);
  if (src.length === 0) {
    put(EOI);
  } else {
    let w = src[0]!;
    for (let i = 1; i < src.length; i++) {
      const c = src[i]!;
      const key = (w << 8) | c;
      if (stamp[key] === generation) {
        w = codes[key]!;
        continue;
      }
      put(w);
      codes[key] = next;
      stamp[key] = generation;
      next++;
      if (next > (1 << bits) - 1 && bits < MAX_BITS) bits++;
      if (next === 4094) {
        // Table full: clear, as libtiff does, before any code needs 13 bits.
        put(CLEAR);
        generation++;
        if (generation === 65536) {
          stamp.fill(0);
          generation = 1;
        }
        bits = 9;
        next = FIRST;
      }
      w = c;
    }
    put(w);
    // The decoder adds one more entry after reading w; its width may grow before it reads EOI.
    if (next + 1 > (1 << bits) - 1 && bits < MAX_BITS) bits++;
    put(EOI);
  }
  if (accBits > 0) {
    if (o >= out.length) {
      const grown = new Uint8Array(out.length + 8);
      grown.set(out);
      out = grown;
    }
    out[o++] = (acc << (8 - accBits)) & 0xff;
  }
  return out.subarray(0, o);
}
