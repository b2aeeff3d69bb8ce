#!/usr/bin/env node
// Import-layer check for src/ (plain Node, no dependencies; run by `npm run lint`).
//
// Reads every relative `import … from '…'`, `export … from '…'`, side-effect `import '…'` and `import('…')`
// of src/**/*.ts (type-only imports count too: a type is still a dependency of the design) and fails on
//   (a) an import cycle between files (each cycle is reported with its files), and
//   (b) an import from a lower floor to a higher one.
// Floors (docs/reviews/house-2026-12.md §1): core 1 < io 2 < compute 3 < engine 4 < pipeline 5 < cli 6; a file may
// import from its own floor or lower ones. src/types holds ambient declarations and is not checked; a file in any
// other folder is reported, so that a new top-level folder gets a floor on purpose.
//
// Usage: node scripts/check-layers.mjs [project root, default: the current folder]
// Exit status: 0 clean (one summary line on stdout), 1 violations (one line each on stderr), 2 usage/IO errors.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const FLOORS = ['core', 'io', 'compute', 'engine', 'pipeline', 'cli']; // index + 1 = floor
const IGNORED = ['types'];
// Downward but still refused: the numbers never touch files. compute and engine work on arrays handed to
// them; reading and writing is io's, wiring the two together the pipeline's.
const FORBIDDEN = [
  ['compute', 'io'],
  ['engine', 'io'],
];

const root = resolve(process.argv[2] ?? '.');
const srcDir = join(root, 'src');
if (!existsSync(srcDir) || !statSync(srcDir).isDirectory()) {
  process.stderr.write(`check-layers: no src/ folder under ${root}\n`);
  process.exit(2);
}

/** Project-relative path with forward slashes (the form every message uses). */
const rel = (abs) => relative(root, abs).split(sep).join('/');

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile() && /\.(c|m)?ts$/.test(entry.name) && !/\.d\.(c|m)?ts$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** Top-level folder under src/ ('' for a file directly in src/). */
function topFolder(abs) {
  const parts = relative(srcDir, abs).split(sep);
  return parts.length > 1 ? parts[0] : '';
}

/**
 * The source's code skeleton: comments and the contents of strings, template literals (outside their `${…}`) and
 * regular-expression literals blanked, delimiters and newlines kept, so that positions match the source and an
 * import mentioned in a comment or a string does not count.
 */
function skeleton(src) {
  let out = '';
  let i = 0;
  const n = src.length;
  const braces = []; // for each open `${`: the brace depth inside it
  let lastSignificant = ''; // last non-space character emitted in code (regex-vs-division heuristic)
  let lastWord = '';
  const blank = (s) => s.replace(/[^\n]/g, ' ');
  const readString = (q) => {
    let j = i + 1;
    while (j < n && src[j] !== q && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
    out += q + blank(src.slice(i + 1, j)) + (j < n ? src[j] : '');
    i = j + 1;
  };
  // Reads template text from i (just after ` or }) to the closing ` (returns false) or to a `${` (returns true).
  const readTemplate = () => {
    let j = i;
    while (j < n && src[j] !== '`' && !(src[j] === '$' && src[j + 1] === '{')) j += src[j] === '\\' ? 2 : 1;
    out += blank(src.slice(i, Math.min(j, n)));
    if (j >= n || src[j] === '`') {
      if (j < n) out += '`';
      i = j + 1;
      return false;
    }
    out += '${';
    i = j + 2;
    return true;
  };
  const regexAllowed = () =>
    lastSignificant === '' ||
    '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant) ||
    /^(return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await|instanceof)$/.test(lastWord);
  while (i < n) {
    const c = src[i];
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      const j = src.indexOf('\n', i);
      const end = j < 0 ? n : j;
      out += blank(src.slice(i, end));
      i = end;
    } else if (c === '/' && d === '*') {
      const j = src.indexOf('*/', i + 2);
      const end = j < 0 ? n : j + 2;
      out += blank(src.slice(i, end));
      i = end;
    } else if (c === '"' || c === "'") {
      readString(c);
      lastSignificant = c;
      lastWord = '';
    } else if (c === '`') {
      i++;
      out += '`';
      if (readTemplate()) braces.push(0);
      lastSignificant = '`';
      lastWord = '';
    } else if (c === '{') {
      if (braces.length) braces[braces.length - 1]++;
      out += c;
      i++;
      lastSignificant = c;
      lastWord = '';
    } else if (c === '}' && braces.length && braces[braces.length - 1] === 0) {
      braces.pop();
      out += c;
      i++;
      if (readTemplate()) braces.push(0);
      lastSignificant = '`';
      lastWord = '';
    } else if (c === '/' && regexAllowed()) {
      let j = i + 1;
      let inClass = false;
      while (j < n && src[j] !== '\n' && (inClass || src[j] !== '/')) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        j++;
      }
      out += `/${blank(src.slice(i + 1, j))}${j < n ? src[j] : ''}`;
      i = j + 1;
      lastSignificant = '/';
      lastWord = '';
    } else {
      if (c === '}' && braces.length) braces[braces.length - 1]--;
      out += c;
      i++;
      if (/[A-Za-z0-9_$]/.test(c)) {
        lastWord = /[A-Za-z0-9_$]/.test(lastSignificant) ? lastWord + c : c;
        lastSignificant = c;
      } else if (!/\s/.test(c)) {
        lastSignificant = c;
        lastWord = '';
      }
    }
  }
  return out;
}

const IMPORT_PATTERNS = [
  // import x from '…', import { a, type B } from '…', import type { T } from '…',
  // export { a } from '…', export * from '…'
  /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*(['"])([^'"\n]+)\1/dg,
  // import '…' (side effects only)
  /\bimport\s*(['"])([^'"\n]+)\1/dg,
  // import('…'), also inside types: typeof import('…')
  /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/dg,
];

/** Relative module specifiers of one file, with the line each one is on. */
function importsOf(text) {
  const code = skeleton(text);
  const found = new Map(); // specifier -> line
  for (const re of IMPORT_PATTERNS) {
    // Matched on the skeleton (string contents are blanks there), the specifier read from the source.
    for (const m of code.matchAll(re)) {
      const [at, end] = m.indices[2];
      const spec = text.slice(at, end).trim();
      if (!spec.startsWith('./') && !spec.startsWith('../')) continue;
      if (!found.has(spec)) found.set(spec, code.slice(0, at).split('\n').length);
    }
  }
  return found;
}

/** The .ts file a relative specifier names (NodeNext style: './x.js' is ./x.ts), or undefined. */
function resolveSpecifier(fromFile, spec, known) {
  const base = resolve(dirname(fromFile), spec);
  const candidates = [];
  if (/\.js$/.test(base)) candidates.push(base.replace(/\.js$/, '.ts'));
  if (/\.mjs$/.test(base)) candidates.push(base.replace(/\.mjs$/, '.mts'));
  if (/\.cjs$/.test(base)) candidates.push(base.replace(/\.cjs$/, '.cts'));
  candidates.push(base, `${base}.ts`, join(base, 'index.ts'));
  return candidates.find((c) => known.has(c));
}

// ---- the graph -------------------------------------------------------------------------------------------------

const files = walk(srcDir, []).filter((f) => !IGNORED.includes(topFolder(f)));
const known = new Set(files);
const edges = new Map(files.map((f) => [f, new Map()])); // file -> (imported file -> line)
let importCount = 0;
for (const file of files) {
  for (const [spec, line] of importsOf(readFileSync(file, 'utf8'))) {
    const target = resolveSpecifier(file, spec, known);
    if (target === undefined) continue; // outside src/, ambient, or missing (tsc reports a missing module)
    importCount++;
    if (!edges.get(file).has(target)) edges.get(file).set(target, line);
  }
}

const violations = [];

// (b) floors
const floorOf = (f) => FLOORS.indexOf(topFolder(f)) + 1; // 0: not on a floor
const floorName = (f) => `${topFolder(f) || 'src'}, floor ${floorOf(f) || '?'}`;
const unplaced = files.filter((f) => floorOf(f) === 0);
for (const f of unplaced) {
  violations.push(
    `no floor: ${rel(f)} is outside ${FLOORS.map((x) => `src/${x}`).join(', ')} (give its folder a floor)`,
  );
}
let upward = 0;
for (const [from, tos] of edges) {
  for (const [to, line] of tos) {
    if (FORBIDDEN.some(([a, b]) => topFolder(from) === a && topFolder(to) === b)) {
      upward++;
      violations.push(
        `forbidden import: ${rel(from)}:${line} (${topFolder(from)}) imports ${rel(to)} (${topFolder(to)})`,
      );
      continue;
    }
    if (floorOf(from) === 0 || floorOf(to) === 0 || floorOf(to) <= floorOf(from)) continue;
    upward++;
    violations.push(`upward import: ${rel(from)}:${line} (${floorName(from)}) imports ${rel(to)} (${floorName(to)})`);
  }
}

// (a) cycles: strongly connected components (Tarjan, iterative), then one shortest cycle through each component.
function components() {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const result = [];
  for (const start of files) {
    if (idx.has(start)) continue;
    const work = [[start, [...edges.get(start).keys()], 0]];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, next] = frame;
      if (frame[2] < next.length) {
        const w = next[frame[2]++];
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push([w, [...edges.get(w).keys()], 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(v)));
      }
      if (low.get(v) === idx.get(v)) {
        const comp = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || edges.get(v).has(v)) result.push(comp.sort());
      }
    }
  }
  return result;
}

/** A shortest cycle from `start` back to it, inside the component (breadth first). */
function shortestCycle(start, members) {
  const prev = new Map();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    for (const w of edges.get(v).keys()) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0]));
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const cycles = components();
for (const comp of cycles) {
  const cycle = shortestCycle(comp[0], new Set(comp));
  const extra =
    comp.length > cycle.length - 1 ? ` (one loop of ${comp.length} files: ${comp.map(rel).join(', ')})` : '';
  violations.push(`cycle: ${cycle.map(rel).join(' -> ')}${extra}`);
}

const floorsText = FLOORS.map((f, k) => `${f} ${k + 1}`).join(' < ');
if (violations.length) {
  for (const v of violations) process.stderr.write(`check-layers: ${v}\n`);
  process.stderr.write(
    `check-layers: FAILED: ${cycles.length} cycle(s), ${upward} upward or forbidden import(s)` +
      `${unplaced.length ? `, ${unplaced.length} file(s) on no floor` : ''} ` +
      `(${files.length} files, ${importCount} imports, floors ${floorsText})\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `check-layers: ok: ${files.length} files, ${importCount} imports, floors ${floorsText}: ` +
    'no cycles, no upward or forbidden imports\n',
);
