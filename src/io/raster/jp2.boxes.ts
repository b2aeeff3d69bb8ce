/**
 * JPEG 2000 (JP2) container parsing: the boxes archeo needs are the image header, the codestream
 * (`jp2c`) the decoder takes, and the georeferencing, read from GMLJP2 (the XML ESA writes; GDAL writes
 * it too). GMLJP2 gives the centre of the first pixel and one offset vector per axis.
 */
import type { GeoTransform } from '../../core/types.js';

export interface Jp2Parts {
  width: number;
  height: number;
  components: number;
  /** Bits per component, as in the image header (e.g. 15 for Sentinel-2 L2A bands). */
  bits: number;
  signed: boolean;
  /** Wavelet decomposition levels (from COD): reduced resolutions available. */
  levels: number;
  codestream: Uint8Array;
  transform: GeoTransform | undefined;
  epsg: number | undefined;
}

interface Box {
  type: string;
  body: Uint8Array;
}

/** Splits a run of boxes; throws with the box name when a box runs past the end (a truncated file). */
function boxes(buf: Uint8Array): Box[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Box[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    let len = view.getUint32(off);
    const type = String.fromCharCode(buf[off + 4]!, buf[off + 5]!, buf[off + 6]!, buf[off + 7]!);
    let header = 8;
    if (len === 1) {
      if (off + 16 > buf.length) throw new Error(`box '${type}' header cut short`);
      len = Number(view.getBigUint64(off + 8));
      header = 16;
    } else if (len === 0) {
      len = buf.length - off;
    }
    if (len < header) throw new Error(`box '${type}' has an invalid length ${len}`);
    if (off + len > buf.length) throw new Error(`file is truncated inside the '${type}' box`);
    out.push({ type, body: buf.subarray(off + header, off + len) });
    off += len;
  }
  return out;
}

const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];

export function parseJp2(buf: Uint8Array): Jp2Parts {
  if (JP2_SIGNATURE.some((b, i) => buf[i] !== b)) {
    // A raw J2K codestream starts with SOC (FF4F) then SIZ (FF51).
    if (buf[0] === 0xff && buf[1] === 0x4f)
      return { ...parseSiz(buf), levels: checkCodestream(buf), codestream: buf, transform: undefined, epsg: undefined };
    throw new Error('not a JPEG 2000 file (no JP2 signature)');
  }
  const top = boxes(buf);
  const jp2c = top.find((b) => b.type === 'jp2c');
  if (!jp2c) throw new Error("no codestream ('jp2c' box)");
  const cs = jp2c.body;
  if (cs.length < 4 || cs[cs.length - 2] !== 0xff || cs[cs.length - 1] !== 0xd9) {
    throw new Error('codestream is truncated (no end-of-codestream marker)');
  }
  const header = parseSiz(cs);
  const levels = checkCodestream(cs);
  const xml = gmlText(top);
  const geo = xml ? parseGml(xml) : undefined;
  return { ...header, levels, codestream: cs, transform: geo?.transform, epsg: geo?.epsg };
}

/** Image size and sample format from the codestream's SIZ marker segment. */
function parseSiz(cs: Uint8Array): Omit<Jp2Parts, 'codestream' | 'transform' | 'epsg' | 'levels'> {
  if (cs[0] !== 0xff || cs[1] !== 0x4f || cs[2] !== 0xff || cs[3] !== 0x51)
    throw new Error('codestream does not start with SOC/SIZ');
  const v = new DataView(cs.buffer, cs.byteOffset, cs.byteLength);
  const xsiz = v.getUint32(8);
  const ysiz = v.getUint32(12);
  const xo = v.getUint32(16);
  const yo = v.getUint32(20);
  const components = v.getUint16(40);
  // Lsiz = 38 + 3 per component (Ssiz, XRsiz, YRsiz): a count that does not fit it is a damaged SIZ.
  if (components < 1 || v.getUint16(4) !== 38 + 3 * components || cs.length < 42 + 3 * components)
    throw new Error(`codestream SIZ marker is corrupt (${components} components in ${v.getUint16(4)} bytes)`);
  for (let c = 0; c < components; c++) {
    const [dx, dy] = [cs[43 + 3 * c]!, cs[44 + 3 * c]!];
    // Sentinel-2 bands are never subsampled; OpenJPEG decodes a subsampled component to fewer pixels,
    // which would be read as the full grid (silently wrong), and 0 is not a valid separation at all.
    if (dx !== 1 || dy !== 1)
      throw new Error(`codestream SIZ marker subsamples component ${c} by ${dx}x${dy} (archeo reads 1x1)`);
  }
  const ssiz = cs[42]!;
  return { width: xsiz - xo, height: ysiz - yo, components, bits: (ssiz & 0x7f) + 1, signed: (ssiz & 0x80) !== 0 };
}

/** The GMLJP2 XML: an `xml ` box inside an `asoc` labelled `gml.root-instance`, or any `xml ` box holding GML. */
function gmlText(top: Box[]): string | undefined {
  const decoder = new TextDecoder();
  const stack = [...top];
  while (stack.length) {
    const box = stack.shift()!;
    if (box.type === 'asoc') {
      stack.push(...boxes(box.body));
    } else if (box.type === 'xml ') {
      const text = decoder.decode(box.body);
      if (text.includes('RectifiedGrid')) return text;
    }
  }
  return undefined;
}

/**
 * The GML of a GMLJP2 box, read with `indexOf` only (no regular expression over the box's text, which
 * comes from the file: a crafted box cannot make the search backtrack).
 */
export function parseGml(xml: string): { transform: GeoTransform; epsg: number | undefined } | undefined {
  const originAt = xml.indexOf('<gml:origin>');
  const pos = originAt < 0 ? undefined : elementAfter(xml, 'gml:pos', originAt);
  const origin = pos && numberPair(pos.text);
  const vectors: [number, number][] = [];
  for (
    let at = 0, v = elementAfter(xml, 'gml:offsetVector', 0);
    v && vectors.length < 2;
    at = v.end, v = elementAfter(xml, 'gml:offsetVector', at)
  ) {
    const pair = numberPair(v.text);
    if (pair) vectors.push(pair);
  }
  if (!origin || vectors.length < 2) return undefined;
  const [ox, oy] = origin;
  const [ax, ay] = vectors[0]!;
  const [bx, by] = vectors[1]!;
  const srs =
    (originAt >= 0 ? attributeAfter(xml, 'srsName', originAt) : undefined) ?? attributeAfter(xml, 'srsName', 0) ?? '';
  const code = srs.length <= 256 ? /EPSG(?:::|:|\/\d+\/)(\d+)/i.exec(srs)?.[1] : undefined;
  // The origin is the centre of pixel (0, 0): the corner is half a step back along both vectors.
  const transform: GeoTransform = [ox - 0.5 * ax - 0.5 * bx, ax, bx, oy - 0.5 * ay - 0.5 * by, ay, by];
  return { transform, epsg: code ? Number(code) : undefined };
}

/** The first element `<name …>text</name>` at or after `from` (not `<namesuffix`), with where it ends. */
function elementAfter(xml: string, name: string, from: number): { text: string; end: number } | undefined {
  for (let at = from; ; ) {
    const open = xml.indexOf(`<${name}`, at);
    if (open < 0) return undefined;
    const next = xml[open + name.length + 1];
    if (next !== '>' && next !== '/' && next !== ' ' && next !== '\t' && next !== '\n' && next !== '\r') {
      at = open + 1;
      continue;
    }
    const gt = xml.indexOf('>', open);
    if (gt < 0) return undefined;
    if (xml[gt - 1] === '/') {
      at = gt + 1; // <name/>: empty
      continue;
    }
    const close = xml.indexOf(`</${name}>`, gt);
    if (close < 0) return undefined;
    return { text: xml.slice(gt + 1, close), end: close + name.length + 3 };
  }
}

/** The value of the first `attr="…"` at or after `from`. */
function attributeAfter(xml: string, attr: string, from: number): string | undefined {
  const at = xml.indexOf(`${attr}="`, from);
  if (at < 0) return undefined;
  const end = xml.indexOf('"', at + attr.length + 2);
  return end < 0 ? undefined : xml.slice(at + attr.length + 2, end);
}

/** Two finite numbers separated by white space ("399960 5800020"), else undefined. */
function numberPair(text: string): [number, number] | undefined {
  const parts = text.trim().split(/[ \t\r\n]+/);
  if (parts.length !== 2 || parts.some((p) => p.length > 40)) return undefined;
  const [a, b] = parts.map(Number) as [number, number];
  return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : undefined;
}

/** Most wavelet decomposition levels a JPEG 2000 codestream may declare (ISO 15444-1, COD/COC SPcod). */
export const maxLevels = 32;

/** Csiz, the component count, from the SIZ marker segment that follows SOC. */
function components(v: DataView): number {
  return v.byteLength >= 42 ? v.getUint16(40) : 1;
}

/**
 * Walks the codestream's marker segments: the main header (SIZ, COD and QCD required) and the chain of
 * tile-parts (SOT lengths) up to EOC. A corrupt or cut codestream is refused here, before the decoder
 * sees it: OpenJPEG can loop for minutes on garbage instead of failing. Returns the number of wavelet
 * decomposition levels (COD).
 */
export function checkCodestream(cs: Uint8Array): number {
  const v = new DataView(cs.buffer, cs.byteOffset, cs.byteLength);
  const hex = (m: number): string => m.toString(16).toUpperCase();
  let off = 2; // after SOC
  const seen = new Set<number>();
  let levels = 0;
  for (;;) {
    if (off + 4 > cs.length) throw new Error('codestream is truncated in its main header');
    const marker = v.getUint16(off);
    if (marker === 0xff90) break; // first SOT: the main header is over
    if (marker >>> 8 !== 0xff || marker < 0xff30)
      throw new Error(`codestream main header is corrupt (0x${hex(marker)} at byte ${off})`);
    const len = v.getUint16(off + 2);
    if (len < 2 || off + 2 + len > cs.length)
      throw new Error(`codestream marker 0x${hex(marker)} has an invalid length`);
    seen.add(marker);
    if (marker === 0xff52 && len >= 12) levels = cs[off + 2 + 2 + 5]!; // COD: Lcod, Scod, SGcod(4), SPcod[0] = levels
    // COC: Lcoc, Ccoc (1 byte below 257 components, else 2), Scoc, SPcoc[0] = levels of that component.
    const cocLevels = marker === 0xff53 && len >= 6 ? cs[off + 2 + 2 + (components(v) < 257 ? 1 : 2) + 1] : undefined;
    for (const [name, n] of [
      ['COD', marker === 0xff52 ? levels : undefined],
      ['COC', cocLevels],
    ] as const) {
      if (n !== undefined && n > maxLevels) {
        throw new Error(
          `codestream ${name} marker declares ${n} wavelet decomposition levels (JPEG 2000 allows 0 to ${maxLevels})`,
        );
      }
    }
    off += 2 + len;
  }
  for (const [marker, name] of [
    [0xff51, 'SIZ'],
    [0xff52, 'COD'],
    [0xff5c, 'QCD'],
  ] as const) {
    if (!seen.has(marker)) throw new Error(`codestream has no ${name} marker`);
  }
  // Tile-parts: SOT (Lsot = 10, Isot, Psot = tile-part length from SOT, 0 = up to EOC), then EOC.
  let parts = 0;
  for (;;) {
    if (off + 2 > cs.length) throw new Error('codestream is truncated (no end-of-codestream marker)');
    const marker = v.getUint16(off);
    if (marker === 0xffd9) break;
    if (marker !== 0xff90 || off + 12 > cs.length)
      throw new Error(`codestream tile-part ${parts} is corrupt (0x${hex(marker)} at byte ${off})`);
    const psot = v.getUint32(off + 6);
    if (psot === 0) {
      off = cs.length - 2; // the last tile-part runs up to EOC
      continue;
    }
    if (psot < 14 || off + psot > cs.length)
      throw new Error(`codestream tile-part ${parts} has an invalid length ${psot}`);
    off += psot;
    parts++;
  }
  if (parts === 0 && off !== cs.length - 2) throw new Error('codestream holds no tile-part');
  return levels;
}
