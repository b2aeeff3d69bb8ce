/**
 * Seeded mutators of the fuzz campaign (docs/reliability.md, "The fuzz campaign"). Each works on a copy
 * of a sample input, changes one thing in it, and returns a description of what it changed; the same
 * (seed, case index) always gives the same mutation, so every case can be replayed.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The input families a case can mutate. */
export const FUZZ_CLASSES = ['tiff', 'mtd', 'jp2', 'hdf5', 'params'] as const;
export type FuzzClass = (typeof FUZZ_CLASSES)[number];

/** What was changed, in words, and what the contract then expects of the run. */
export interface Mutation {
  /** The file changed, relative to the case's work folder (`input/...` or `params.json`). */
  file: string;
  /** One line: the mutator and its arguments (offsets, values, lengths). */
  what: string;
  /** The run must not succeed: the mutated file is invalid by construction (exit 0 is then a silent change). */
  mustRefuse?: boolean;
  /** The only acceptable exit codes, when narrower than the command's usual set. */
  expectExit?: number[];
}

// ---------------------------------------------------------------------------------------------------------------
// PRNG

/** mulberry32: a 32-bit state, good enough to spread cases, and the same sequence on every machine. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** The PRNG of one case: (seed, case index) mixed so that neighbouring cases do not share a stream. */
export function caseRng(seed: number, index: number): Rng {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return new Rng(h ^ (h >>> 16));
}

/** Values that break parsers: zero, one, small, odd, byte and word limits, int32 and uint32 limits. */
export const INTERESTING = [0, 1, 2, 115, 255, 65535, 2 ** 31 - 1, 2 ** 32 - 1] as const;

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Every regular file under `dir`, sorted, as paths relative to `dir`. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// GeoTIFF header and IFDs (classic little-endian TIFF, as GDAL writes COGs)

interface IfdEntry {
  /** Byte offset of the 12-byte entry. */
  at: number;
  tag: number;
  type: number;
  count: number;
  value: number;
}

interface Ifd {
  at: number;
  entries: IfdEntry[];
  /** Byte offset of the 4-byte next-IFD pointer. */
  nextAt: number;
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };
const TAG_NAMES: Record<number, string> = {
  254: 'NewSubfileType',
  256: 'ImageWidth',
  257: 'ImageLength',
  258: 'BitsPerSample',
  259: 'Compression',
  262: 'Photometric',
  277: 'SamplesPerPixel',
  284: 'PlanarConfig',
  317: 'Predictor',
  322: 'TileWidth',
  323: 'TileLength',
  324: 'TileOffsets',
  325: 'TileByteCounts',
  339: 'SampleFormat',
  33550: 'ModelPixelScale',
  33922: 'ModelTiepoint',
  34735: 'GeoKeyDirectory',
  34737: 'GeoAsciiParams',
  42112: 'GDAL_METADATA',
  42113: 'GDAL_NODATA',
};
const tagName = (tag: number): string => TAG_NAMES[tag] ?? `tag ${tag}`;

/** The IFD chain of a classic little-endian TIFF (stops at a loop or an offset outside the file). */
export function readIfds(b: Buffer): Ifd[] {
  if (b.toString('latin1', 0, 2) !== 'II' || b.readUInt16LE(2) !== 42) throw new Error('not a classic LE TIFF');
  const ifds: Ifd[] = [];
  const seen = new Set<number>();
  let at = b.readUInt32LE(4);
  while (at !== 0 && !seen.has(at) && at + 2 <= b.length) {
    seen.add(at);
    const n = b.readUInt16LE(at);
    const entries: IfdEntry[] = [];
    for (let i = 0; i < n; i++) {
      const e = at + 2 + i * 12;
      entries.push({
        at: e,
        tag: b.readUInt16LE(e),
        type: b.readUInt16LE(e + 2),
        count: b.readUInt32LE(e + 4),
        value: b.readUInt32LE(e + 8),
      });
    }
    const nextAt = at + 2 + n * 12;
    ifds.push({ at, entries, nextAt });
    at = b.readUInt32LE(nextAt);
  }
  return ifds;
}

/** Offset and element size of an entry's value array (inline in the entry when it fits in 4 bytes). */
function valueArray(e: IfdEntry): { at: number; size: number; count: number } {
  const size = TYPE_SIZE[e.type] ?? 1;
  return { at: size * e.count <= 4 ? e.at + 8 : e.value, size, count: e.count };
}

/** The header region: everything before the first tile's data (GDAL's COGs put every IFD and array there). */
export function tiffHeaderEnd(b: Buffer, ifds: Ifd[]): number {
  let end = b.length;
  for (const ifd of ifds)
    for (const e of ifd.entries) {
      if (e.tag !== 324 && e.tag !== 273) continue;
      const a = valueArray(e);
      for (let i = 0; i < a.count; i++) {
        const p = a.at + i * a.size;
        if (p + a.size > b.length) break;
        const off = a.size === 2 ? b.readUInt16LE(p) : b.readUInt32LE(p);
        if (off > 0) end = Math.min(end, off);
      }
    }
  return end;
}

function writeUnsigned(b: Buffer, at: number, size: number, value: number): void {
  if (size === 1) b.writeUInt8(value & 0xff, at);
  else if (size === 2) b.writeUInt16LE(value & 0xffff, at);
  else b.writeUInt32LE(value >>> 0, at);
}

/** One mutation of a GeoTIFF's header or IFDs, in place; the band file is chosen by the caller. */
export function mutateTiff(rng: Rng, path: string, file: string): Mutation {
  const b = readFileSync(path);
  const ifds = readIfds(b);
  const headerEnd = tiffHeaderEnd(b, ifds);
  const kind = rng.pick(['flip', 'flip', 'count', 'value', 'value', 'array', 'array', 'loop'] as const);
  let what: string;
  if (kind === 'flip') {
    const at = rng.int(0, headerEnd - 1);
    const mask = rng.int(1, 255);
    const was = b[at]!;
    b[at] = was ^ mask;
    what = `flip byte ${at} of the header (${headerEnd} bytes): ${hex(was)} -> ${hex(b[at]!)}`;
  } else if (kind === 'count' || kind === 'value') {
    const i = rng.int(0, ifds.length - 1);
    const ifd = ifds[i]!;
    const e = rng.pick(ifd.entries);
    const v = rng.pick(INTERESTING);
    if (kind === 'count') {
      b.writeUInt32LE(v, e.at + 4);
      what = `IFD ${i} ${tagName(e.tag)}: count ${e.count} -> ${v}`;
    } else {
      // An inline SHORT value is 2 bytes wide: write it at that width (the rest of the field is padding).
      const inlineShort = e.type === 3 && e.count <= 2;
      writeUnsigned(b, e.at + 8, inlineShort ? 2 : 4, v);
      what = `IFD ${i} ${tagName(e.tag)}: value/offset ${e.value} -> ${inlineShort ? v & 0xffff : v}`;
    }
  } else if (kind === 'array') {
    // An element of a tag's value array; TileOffsets and TileByteCounts half of the time.
    const all = ifds.flatMap((ifd, i) =>
      ifd.entries.filter((e) => [3, 4].includes(e.type) && e.count > 0).map((e) => ({ i, e })),
    );
    const tiles = all.filter(({ e }) => e.tag === 324 || e.tag === 325);
    const { i, e } = rng.pick(rng.next() < 0.5 && tiles.length ? tiles : all);
    const a = valueArray(e);
    const k = rng.int(0, a.count - 1);
    const at = a.at + k * a.size;
    const was = a.size === 2 ? b.readUInt16LE(at) : b.readUInt32LE(at);
    const v = rng.pick(INTERESTING);
    writeUnsigned(b, at, a.size, v);
    what = `IFD ${i} ${tagName(e.tag)}[${k}] (byte ${at}): ${was} -> ${a.size === 2 ? v & 0xffff : v}`;
  } else {
    const i = rng.int(0, ifds.length - 1);
    const ifd = ifds[i]!;
    const toSelf = rng.next() < 0.5;
    b.writeUInt32LE(toSelf ? ifd.at : ifds[0]!.at, ifd.nextAt);
    what = `IFD ${i} next pointer -> ${toSelf ? 'itself' : 'the first IFD'} (${toSelf ? ifd.at : ifds[0]!.at})`;
  }
  writeFileSync(path, b);
  return { file, what };
}

// ---------------------------------------------------------------------------------------------------------------
// MTD_MSIL2A.xml

/** Hostile PRODUCT_URI values: each must fail the scene (docs/reliability.md, scene ids). */
export const HOSTILE_IDS = ['../../victim', '.', 'a/b', ''] as const;

export function mutateMtd(rng: Rng, path: string, file: string): Mutation {
  const xml = readFileSync(path, 'utf8');
  const kind = rng.pick([
    'truncate',
    'close',
    'number',
    'number',
    'quotes',
    'spaces',
    'empty',
    'utf16',
    'id',
    'id',
  ] as const);
  let text: string | Buffer;
  let what: string;
  let expectExit: number[] | undefined;
  if (kind === 'truncate') {
    const n = rng.int(0, xml.length - 1);
    text = xml.slice(0, n);
    what = `truncate at char ${n} of ${xml.length}`;
  } else if (kind === 'close') {
    const closes = [...xml.matchAll(/<\/[A-Za-z_][\w.:-]*>/g)];
    const m = rng.pick(closes);
    text = xml.slice(0, m.index) + xml.slice(m.index + m[0].length);
    what = `delete closing tag ${m[0]} at char ${m.index}`;
  } else if (kind === 'number') {
    // A number that is the whole text of an element; the offsets and the quantification half of the time.
    const nums = [...xml.matchAll(/<([A-Za-z_][\w]*)([^>]*)>(\s*-?\d+(?:\.\d+)?\s*)<\//g)];
    const radiometric = nums.filter((m) => /OFFSET|QUANTIFICATION|BASELINE/.test(m[1]!));
    const m = rng.pick(rng.next() < 0.5 && radiometric.length ? radiometric : nums);
    const by = rng.pick(['abc', '-1e300', '-1000.5.3'] as const);
    const at = m.index + m[0].length - 2 - m[3]!.length;
    text = xml.slice(0, at) + by + xml.slice(at + m[3]!.length);
    what = `<${m[1]}${m[2]}> ${m[3]!.trim()} -> ${by} (char ${at})`;
  } else if (kind === 'quotes') {
    const attrs = [...xml.matchAll(/(\w+)="([^"<>]*)"/g)];
    if (rng.next() < 0.5 || attrs.length === 0) {
      text = xml.replace(/(\w+)="([^"<>]*)"/g, "$1='$2'");
      what = `every attribute "..." -> '...'`;
    } else {
      const m = rng.pick(attrs);
      const swapped = `${m[1]}="${m[2]}'`;
      text = xml.slice(0, m.index) + swapped + xml.slice(m.index + m[0].length);
      what = `attribute ${m[0]} at char ${m.index} -> ${swapped} (mismatched quotes)`;
    }
  } else if (kind === 'spaces') {
    const opens = [...xml.matchAll(/<[A-Za-z_][\w]*/g)];
    const m = rng.pick(opens);
    const n = rng.int(1000, 8000);
    text = `${xml.slice(0, m.index)}<${m[0].slice(1)}_UNCLOSED${' '.repeat(n)}${xml.slice(m.index)}`;
    what = `insert an unclosed ${m[0]}_UNCLOSED and ${n} spaces at char ${m.index}`;
  } else if (kind === 'empty') {
    text = '';
    what = 'empty file';
  } else if (kind === 'utf16') {
    const variant = rng.pick(['le-bom', 'be-bom', 'le-no-bom'] as const);
    const decl = xml.replace(/encoding="UTF-8"/i, 'encoding="UTF-16"');
    const le = Buffer.from(decl, 'utf16le');
    if (variant === 'be-bom') {
      const be = Buffer.from(le);
      be.swap16();
      text = Buffer.concat([Buffer.from([0xfe, 0xff]), be]);
    } else text = variant === 'le-bom' ? Buffer.concat([Buffer.from([0xff, 0xfe]), le]) : le;
    what = `UTF-16 re-encoding (${variant})`;
  } else {
    const id = rng.pick(HOSTILE_IDS);
    if (!/<PRODUCT_URI>[^<]*<\/PRODUCT_URI>/.test(xml)) throw new Error(`${path}: no PRODUCT_URI`);
    text = xml.replace(/<PRODUCT_URI>[^<]*<\/PRODUCT_URI>/, `<PRODUCT_URI>${id}</PRODUCT_URI>`);
    what = `PRODUCT_URI -> ${JSON.stringify(id)}`;
    expectExit = [1];
  }
  writeFileSync(path, text);
  return { file, what, ...(expectExit ? { expectExit, mustRefuse: true } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// JPEG 2000 codestream main header

interface Segment {
  marker: number;
  at: number;
  /** Bytes of the segment, marker included. */
  length: number;
}

/** The main-header marker segments of a JP2 file's codestream (SOC up to the first SOT). */
export function jp2MainHeader(b: Buffer): Segment[] {
  const jp2c = b.indexOf('jp2c', 0, 'latin1');
  let at = jp2c >= 0 ? jp2c + 4 : 0;
  if (b.readUInt16BE(at) !== 0xff4f) throw new Error('no SOC marker');
  const segs: Segment[] = [{ marker: 0xff4f, at, length: 2 }];
  at += 2;
  while (at + 4 <= b.length) {
    const marker = b.readUInt16BE(at);
    if (marker === 0xff90 || marker >>> 8 !== 0xff) break;
    const length = 2 + b.readUInt16BE(at + 2);
    segs.push({ marker, at, length });
    at += length;
  }
  return segs;
}

const MARKER_NAMES: Record<number, string> = { 65359: 'SOC', 65361: 'SIZ', 65362: 'COD', 65372: 'QCD' };
const markerName = (m: number): string => MARKER_NAMES[m] ?? hex(m);

export function mutateJp2(rng: Rng, path: string, file: string): Mutation {
  const b = readFileSync(path);
  const segs = jp2MainHeader(b);
  const kind = rng.pick(['flip', 'flip', 'levels', 'truncate'] as const);
  let what: string;
  let out: Buffer = b;
  if (kind === 'flip') {
    const main = segs.filter((s) => [0xff51, 0xff52, 0xff5c].includes(s.marker));
    const s = rng.pick(main.length ? main : segs);
    const at = s.at + rng.int(0, s.length - 1);
    const was = b[at]!;
    b[at] = was ^ rng.int(1, 255);
    what = `flip byte ${at} (${markerName(s.marker)}+${at - s.at}): ${hex(was)} -> ${hex(b[at]!)}`;
  } else if (kind === 'levels') {
    const cod = segs.find((s) => s.marker === 0xff52);
    if (!cod) throw new Error(`${path}: no COD marker`);
    // COD: marker, Lcod (2), Scod (1), SGcod (progression 1, layers 2, MCT 1), then the decomposition levels.
    const at = cod.at + 9;
    const was = b[at]!;
    const v = rng.pick([0, 32] as const);
    b[at] = v;
    what = `COD decomposition levels (byte ${at}): ${was} -> ${v}`;
  } else {
    // Half the time inside the main header or just after it, else anywhere.
    const headerEnd = segs[segs.length - 1]!.at + segs[segs.length - 1]!.length;
    const n = rng.next() < 0.5 ? rng.int(0, Math.min(b.length - 1, headerEnd + 64)) : rng.int(0, b.length - 1);
    out = b.subarray(0, n);
    what = `truncate to ${n} of ${b.length} bytes (main header ends at ${headerEnd})`;
  }
  writeFileSync(path, out);
  return { file, what };
}

// ---------------------------------------------------------------------------------------------------------------
// HDF5

/** Signatures of HDF5's own structures (B-trees, heaps, symbol nodes, object headers...): not attributes. */
const HDF5_SIGNATURES = new Set(
  'TREE HEAP SNOD GCOL OHDR OCHK FRHP FHDB FHIB FSHD FSSE BTHD BTIN BTLF SMTB SMLI EAHD EAIB EADB EASB FAHD FADB'.split(
    ' ',
  ),
);

export function mutateHdf5(rng: Rng, path: string, file: string): Mutation {
  const b = readFileSync(path);
  const kind = rng.pick(['truncate', 'overwrite', 'overwrite', 'overwrite', 'attribute'] as const);
  let what: string;
  let out: Buffer = b;
  if (kind === 'truncate') {
    const n = rng.next() < 0.3 ? rng.int(0, 4096) : rng.int(0, b.length - 1);
    out = b.subarray(0, n);
    what = `truncate to ${n} of ${b.length} bytes`;
  } else if (kind === 'overwrite') {
    const region = rng.pick(['superblock', 'metadata', 'metadata', 'data'] as const);
    const [lo, hi] =
      region === 'superblock'
        ? [0, 95]
        : region === 'metadata'
          ? [96, Math.min(b.length, 16384) - 1]
          : [Math.floor(b.length / 2), b.length - 1];
    const at = rng.int(lo, hi);
    const n = Math.min(rng.int(1, 8), b.length - at);
    const fill = rng.pick(['random', 'zero', 'ff', 'interesting'] as const);
    const v = rng.pick(INTERESTING);
    for (let k = 0; k < n; k++) {
      b[at + k] =
        fill === 'random' ? rng.int(0, 255) : fill === 'zero' ? 0 : fill === 'ff' ? 0xff : (v >>> (8 * (k % 4))) & 0xff;
    }
    what = `overwrite ${n} byte(s) at ${at} (${region}) with ${fill === 'interesting' ? `${v} (LE)` : fill}`;
  } else {
    // An attribute's name and the bytes after it (its datatype, dataspace and value) zeroed. Names are the
    // upper-case words of the metadata (MintPy's attributes); HDF5's own 4-letter signatures are not names.
    const names = [...b.toString('latin1', 0, Math.min(b.length, 65536)).matchAll(/[A-Z][A-Z0-9_]{3,}/g)].filter(
      (m) => !HDF5_SIGNATURES.has(m[0]),
    );
    const m = rng.pick(names);
    const n = m[0].length + rng.int(8, 64);
    b.fill(0, m.index, Math.min(b.length, m.index + n));
    what = `zero ${n} bytes from the metadata name ${m[0]} at byte ${m.index} (an attribute's name, type, value)`;
  }
  writeFileSync(path, out);
  return { file, what };
}

// ---------------------------------------------------------------------------------------------------------------
// --params files

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Slot = { parent: Json[] | { [k: string]: Json }; key: string | number; path: string };

/** Every value of a JSON document with its parent and JSON path. */
function slots(doc: Json, path = '$', out: Slot[] = []): Slot[] {
  if (Array.isArray(doc))
    doc.forEach((v, i) => {
      out.push({ parent: doc, key: i, path: `${path}[${i}]` });
      slots(v, `${path}[${i}]`, out);
    });
  else if (doc !== null && typeof doc === 'object')
    for (const [k, v] of Object.entries(doc)) {
      out.push({ parent: doc, key: k, path: `${path}.${k}` });
      slots(v, `${path}.${k}`, out);
    }
  return out;
}

const get = (s: Slot): Json => (s.parent as Record<string | number, Json>)[s.key]!;
const set = (s: Slot, v: Json): void => {
  (s.parent as Record<string | number, Json>)[s.key] = v;
};

/** A value of another JSON type than `v`, never one the parameter format could also accept there. */
function wrongType(rng: Rng, v: Json): Json {
  if (typeof v === 'number') return rng.pick<Json>([String(v), true, [v], { value: v }]);
  if (typeof v === 'boolean') return rng.pick<Json>([v ? 1 : 0, String(v)]);
  if (typeof v === 'string') return rng.pick<Json>([7, false, [v]]);
  if (Array.isArray(v)) return rng.pick<Json>([{}, 'array', 3]);
  if (v === null) return rng.pick<Json>(['null', false]);
  return rng.pick<Json>([[], 'object', 0]);
}

/**
 * A mutation of the default parameter set (text of `archeo scan --print-params`), written to `path`: a
 * value of the wrong type, a key removed, an unknown key added, a number made NaN, infinite or huge.
 */
export function mutateParams(rng: Rng, defaults: string, path: string, file: string): Mutation {
  const doc = JSON.parse(defaults) as Json;
  const all = slots(doc);
  const kind = rng.pick(['type', 'type', 'missing', 'unknown', 'number', 'number'] as const);
  let what: string;
  let mustRefuse = false;
  let text: string | undefined;
  if (kind === 'type') {
    // Free-text fields (name, description) may hold anything a string can; every other value has one type.
    const s = rng.pick(all.filter((x) => !['name', 'description'].includes(String(x.key))));
    const was = get(s);
    const v = wrongType(rng, was);
    set(s, v);
    what = `${s.path}: ${JSON.stringify(was).slice(0, 40)} -> ${JSON.stringify(v)}`;
    mustRefuse = true;
  } else if (kind === 'missing') {
    const s = rng.pick(all.filter((x) => !Array.isArray(x.parent)));
    delete (s.parent as Record<string, Json>)[s.key as string];
    what = `${s.path}: removed`;
  } else if (kind === 'unknown') {
    const objects = [{ parent: { $: doc } as Record<string, Json>, key: '$', path: '$' } as Slot, ...all].filter(
      (x) => {
        const v = get(x);
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      },
    );
    const s = rng.pick(objects);
    const key = rng.pick(['threshold', 'min_area', '__proto__x', 'mask_class', 'Ring_px']);
    (get(s) as Record<string, Json>)[key] = rng.pick<Json>([1, 'x', null, [0]]);
    what = `${s.path}: unknown key ${JSON.stringify(key)} added`;
    mustRefuse = true;
  } else {
    const nums = all.filter((x) => typeof get(x) === 'number');
    const s = rng.pick(nums);
    const was = get(s) as number;
    const by = rng.pick(['NaN', 'Infinity', '1e309', '-1e309', '1e300', '-1e300', '9007199254740993'] as const);
    const token = `"__FUZZ_${rng.int(0, 1e9)}__"`;
    set(s, JSON.parse(token) as string);
    text = JSON.stringify(doc, null, 2).replace(token, by);
    what = `${s.path}: ${was} -> ${by}`;
    // NaN and Infinity are not JSON; 1e309 parses to Infinity: none is a number a threshold can hold.
    mustRefuse = ['NaN', 'Infinity', '1e309', '-1e309'].includes(by);
  }
  writeFileSync(path, text ?? JSON.stringify(doc, null, 2));
  return { file, what, ...(mustRefuse ? { mustRefuse } : {}) };
}
