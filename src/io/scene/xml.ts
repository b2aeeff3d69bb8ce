/**
 * A small, strict XML reader for product metadata (`MTD_MSIL2A.xml`). Strict: a file that is empty, cut
 * short, not XML, or whose tags do not close is refused with the reason, never half-read. Linear: every
 * step advances through the text with `indexOf` or one character at a time — no regular expression is
 * applied to the file, so no input can make it backtrack (a tag left open before 100 000 spaces parses
 * in the same time as any other 100 kB). No DTD, no external entities: only the five predefined
 * entities and character references are decoded.
 */

export interface XmlElement {
  /** Qualified name as written (`n1:General_Info`). */
  name: string;
  /** Local name (`General_Info`). */
  local: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  /** Character data directly inside the element (not its children's), entities decoded. */
  text: string;
}

export class XmlError extends Error {}

/** Decodes a metadata file's bytes: UTF-8 (optional BOM) or UTF-16 with its BOM. Invalid UTF-8 is refused. */
export function decodeXml(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe)
    return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = new Uint8Array(bytes.length - 2);
    for (let i = 2; i + 1 < bytes.length; i += 2) {
      swapped[i - 2] = bytes[i + 1]!;
      swapped[i - 1] = bytes[i]!;
    }
    if ((bytes.length - 2) % 2) throw new XmlError('UTF-16 text with an odd number of bytes');
    return new TextDecoder('utf-16le', { fatal: true }).decode(swapped);
  }
  // UTF-16 without a BOM ('<' then NUL): decoded as such rather than read as text full of NULs.
  if (bytes.length >= 2 && bytes[0] === 0x3c && bytes[1] === 0)
    return new TextDecoder('utf-16le', { fatal: true }).decode(bytes);
  if (bytes.length >= 2 && bytes[0] === 0 && bytes[1] === 0x3c) return decodeXml(Uint8Array.of(0xfe, 0xff, ...bytes));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new XmlError('not UTF-8 text');
  }
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
/** Name characters: letters, digits, `_ : . -` and anything beyond ASCII (checked loosely, linearly). */
const isNameChar = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x30 && c <= 0x39) ||
  c === 0x5f ||
  c === 0x3a ||
  c === 0x2e ||
  c === 0x2d ||
  c > 0x7f;
const isNameStart = (c: number): boolean => isNameChar(c) && !(c >= 0x30 && c <= 0x39) && c !== 0x2e && c !== 0x2d;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes entities in text or an attribute value (linear: one pass, `indexOf` for each `;`). */
function decodeEntities(s: string, at: () => string): string {
  if (!s.includes('&')) return s;
  let out = '';
  let i = 0;
  for (;;) {
    const amp = s.indexOf('&', i);
    if (amp < 0) return out + s.slice(i);
    out += s.slice(i, amp);
    const semi = s.indexOf(';', amp);
    if (semi < 0 || semi - amp > 12) throw new XmlError(`unterminated entity reference ${at()}`);
    const ref = s.slice(amp + 1, semi);
    if (ref in ENTITIES) out += ENTITIES[ref];
    else if (/^#[0-9]{1,7}$/.test(ref) || /^#x[0-9a-fA-F]{1,6}$/.test(ref)) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (code > 0x10ffff) throw new XmlError(`invalid character reference &${ref}; ${at()}`);
      out += String.fromCodePoint(code);
    } else throw new XmlError(`unknown entity &${ref}; ${at()}`);
    i = semi + 1;
  }
}

/** Parses a whole document; throws XmlError naming the first fault and its line. */
export function parseXml(text: string): XmlElement {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const lineAt = (pos: number): string => {
    let line = 1;
    for (let k = text.indexOf('\n'); k >= 0 && k < pos; k = text.indexOf('\n', k + 1)) line++;
    return `at line ${line}`;
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const skipTo = (token: string, from: number, what: string): number => {
    const end = text.indexOf(token, from);
    if (end < 0) throw new XmlError(`unterminated ${what} ${lineAt(from)}`);
    return end + token.length;
  };
  const readName = (): string => {
    const start = i;
    if (i >= n || !isNameStart(text.charCodeAt(i))) throw new XmlError(`expected a name ${lineAt(i)}`);
    while (i < n && isNameChar(text.charCodeAt(i))) i++;
    return text.slice(start, i);
  };
  const skipSpace = (): void => {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
  };
  while (i < n) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? n : lt);
    if (chunk.length) {
      const top = stack[stack.length - 1];
      if (top) {
        const pos = i;
        top.text += decodeEntities(chunk, () => lineAt(pos));
      } else if (chunk.trim().length) throw new XmlError(`text outside the root element ${lineAt(i)}`);
    }
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      i = skipTo('?>', i + 2, 'processing instruction');
    } else if (text.startsWith('<!--', i)) {
      i = skipTo('-->', i + 4, 'comment');
    } else if (text.startsWith('<![CDATA[', i)) {
      if (!stack.length) throw new XmlError(`CDATA outside the root element ${lineAt(i)}`);
      const end = skipTo(']]>', i + 9, 'CDATA section');
      stack[stack.length - 1]!.text += text.slice(i + 9, end - 3);
      i = end;
    } else if (text.startsWith('<!', i)) {
      // <!DOCTYPE …>: an internal subset (entity declarations) is not accepted.
      const end = skipTo('>', i + 2, 'declaration');
      if (text.slice(i, end).includes('['))
        throw new XmlError(`DOCTYPE with an internal subset is not accepted ${lineAt(i)}`);
      if (root || stack.length) throw new XmlError(`declaration inside the document ${lineAt(i)}`);
      i = end;
    } else if (text.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (text.charCodeAt(i) !== 0x3e) throw new XmlError(`malformed closing tag </${name} ${lineAt(i)}`);
      i++;
      const top = stack.pop();
      if (!top) throw new XmlError(`closing tag </${name}> without an opening tag ${lineAt(i)}`);
      if (top.name !== name) throw new XmlError(`closing tag </${name}> does not match <${top.name}> ${lineAt(i)}`);
    } else {
      i++;
      const name = readName();
      const colon = name.indexOf(':');
      const el: XmlElement = {
        name,
        local: colon >= 0 ? name.slice(colon + 1) : name,
        attrs: new Map(),
        children: [],
        text: '',
      };
      let selfClosing = false;
      for (;;) {
        const before = i;
        skipSpace();
        if (i >= n) throw new XmlError(`tag <${name}> is not closed (end of file) ${lineAt(before)}`);
        const c = text.charCodeAt(i);
        if (c === 0x3e) {
          i++;
          break;
        }
        if (c === 0x2f) {
          if (text.charCodeAt(i + 1) !== 0x3e) throw new XmlError(`malformed tag <${name}> ${lineAt(i)}`);
          i += 2;
          selfClosing = true;
          break;
        }
        if (i === before) throw new XmlError(`malformed tag <${name}> ${lineAt(i)}`);
        const attr = readName();
        skipSpace();
        if (text.charCodeAt(i) !== 0x3d) throw new XmlError(`attribute ${attr} of <${name}> has no value ${lineAt(i)}`);
        i++;
        skipSpace();
        const q = text.charCodeAt(i);
        if (q !== 0x22 && q !== 0x27) throw new XmlError(`attribute ${attr} of <${name}> is not quoted ${lineAt(i)}`);
        const end = text.indexOf(q === 0x22 ? '"' : "'", i + 1);
        if (end < 0) throw new XmlError(`attribute ${attr} of <${name}> is not closed ${lineAt(i)}`);
        const raw = text.slice(i + 1, end);
        if (raw.includes('<')) throw new XmlError(`'<' in attribute ${attr} of <${name}> ${lineAt(i)}`);
        if (el.attrs.has(attr)) throw new XmlError(`attribute ${attr} repeated in <${name}> ${lineAt(i)}`);
        const pos = i;
        el.attrs.set(
          attr,
          decodeEntities(raw, () => lineAt(pos)),
        );
        i = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) throw new XmlError(`a second root element <${name}> ${lineAt(i)}`);
      else root = el;
      if (!selfClosing) stack.push(el);
    }
  }
  if (stack.length) throw new XmlError(`<${stack[stack.length - 1]!.name}> is not closed (the file ends inside it)`);
  if (!root) throw new XmlError(n === 0 || !text.trim() ? 'the file is empty' : 'no root element');
  return root;
}

/** Elements with local name `local` below `el` (document order, iterative). */
export function findAll(el: XmlElement, local: string): XmlElement[] {
  const found: XmlElement[] = [];
  const stack = [el];
  while (stack.length) {
    const e = stack.pop()!;
    if (e.local === local) found.push(e);
    for (let k = e.children.length - 1; k >= 0; k--) stack.push(e.children[k]!);
  }
  return found;
}
