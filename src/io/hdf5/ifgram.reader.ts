/**
 * MintPy's ifgramStack.h5 (reference/mintpy.md §1.4): `date` (pairs x 2, S8), `dropIfgram` (bool, True =
 * keep), `bperp`, and (pairs, length, width) datasets — unwrapPhase, coherence, connectComponent, …
 * Checked here: the pair list is consistent with the cubes, every pair names two different dates.
 */
import { InputError } from '../../core/errors.js';
import { H5Cube } from './cube.js';
import { mintpyRootAttributes, closeH5, h5Guard, isDataset, openH5, type H5File } from './h5.js';

export interface IfgramStack {
  path: string;
  /** Root attributes as strings (MintPy's stack metadata). */
  attrs: Record<string, string>;
  /** Every pair [date1, date2], in file order. */
  pairs: [string, string][];
  /** dropIfgram: true = the pair is used. */
  keep: boolean[];
  /** Perpendicular baseline of every pair (m), or zeros when the file has none. */
  bperp: Float32Array;
  length: number;
  width: number;
  /** Names of the (pairs, length, width) datasets. */
  cubes: string[];
  cube(name: string, integers?: boolean): Promise<H5Cube>;
  close(): void;
}

export async function openIfgramStack(path: string, obsName: string): Promise<IfgramStack> {
  const file = await openH5(path);
  try {
    const names = h5Guard(path, undefined, () => file.keys());
    const obs = names.includes(obsName) ? h5Guard(path, obsName, () => file.get(obsName)) : null;
    if (!isDataset(obs)) {
      throw new InputError(
        path,
        `no '${obsName}' dataset (found: ${names.join(', ') || 'nothing'}); is this a MintPy ifgramStack.h5?`,
      );
    }
    const shape = h5Guard(path, obsName, () => (obs.shape ?? []).map(Number));
    if (shape.length !== 3)
      throw new InputError(path, `'${obsName}' has shape (${shape.join(', ')}); expected (pairs, length, width)`);
    const [m, length, width] = shape as [number, number, number];
    if (m === 0) throw new InputError(path, `'${obsName}' has no interferograms (shape (${shape.join(', ')}))`);
    if (length === 0 || width === 0)
      throw new InputError(path, `'${obsName}' has no pixels (shape (${shape.join(', ')}))`);
    const pairs = readPairs(path, file, m);
    const keep = readKeep(path, file, m);
    const bperp = h5Guard(path, 'bperp', () => {
      const ds = names.includes('bperp') ? file.get('bperp') : null;
      return isDataset(ds) ? Float32Array.from(ds.value as ArrayLike<number>) : new Float32Array(m);
    });
    if (bperp.length !== m) throw new InputError(path, `'bperp' lists ${bperp.length} pairs but '${obsName}' has ${m}`);
    const cubes: string[] = [];
    for (const n of names) {
      const s = h5Guard(path, n, () => {
        const d = file.get(n);
        return isDataset(d) ? (d.shape ?? []).map(Number) : [];
      });
      if (s.length !== 3 || s[1] !== length || s[2] !== width) continue;
      if (s[0] !== m) throw new InputError(path, `'${n}' has ${s[0]} pairs but '${obsName}' has ${m}`);
      cubes.push(n);
    }
    const attrs = mintpyRootAttributes(path, file);
    return {
      path,
      attrs,
      pairs,
      keep,
      bperp,
      length,
      width,
      cubes,
      cube: (name, integers = false) => H5Cube.of(path, file, name, integers),
      close: () => closeH5(file),
    };
  } catch (err) {
    closeH5(file);
    throw err;
  }
}

function readPairs(path: string, file: H5File, m: number): [string, string][] {
  const ds = h5Guard(path, 'date', () => (file.keys().includes('date') ? file.get('date') : null));
  if (!isDataset(ds)) throw new InputError(path, `no 'date' dataset (the date pairs of the interferograms)`);
  const shape = h5Guard(path, 'date', () => (ds.shape ?? []).map(Number));
  if (shape.length !== 2 || shape[1] !== 2)
    throw new InputError(path, `'date' has shape (${shape.join(', ')}); expected (pairs, 2)`);
  if (shape[0] !== m) throw new InputError(path, `'date' lists ${shape[0]} pairs but the interferogram cube has ${m}`);
  const flat = h5Guard(path, 'date', () => ds.value as unknown[]).map((d) =>
    (d instanceof Uint8Array ? Buffer.from(d).toString('latin1') : String(d)).replace(/\0+$/, '').trim(),
  );
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  for (let k = 0; k < m; k++) {
    const a = flat[2 * k]!;
    const b = flat[2 * k + 1]!;
    for (const d of [a, b])
      if (!/^\d{8}(T\d{4})?$/.test(d)) throw new InputError(path, `pair ${k}: '${d}' is not a date (YYYYMMDD)`);
    if (a === b) throw new InputError(path, `pair ${k} (${a}_${b}) joins a date to itself`);
    if (seen.has(`${a}_${b}`)) throw new InputError(path, `pair ${k} (${a}_${b}) is listed twice`);
    seen.add(`${a}_${b}`);
    pairs.push([a, b]);
  }
  return pairs;
}

function readKeep(path: string, file: H5File, m: number): boolean[] {
  const v = h5Guard(path, 'dropIfgram', () => {
    const ds = file.keys().includes('dropIfgram') ? file.get('dropIfgram') : null;
    return isDataset(ds) ? Array.from(ds.value as ArrayLike<number | boolean>, (x) => x === true || x === 1) : null;
  });
  if (!v) return new Array<boolean>(m).fill(true);
  if (v.length !== m) throw new InputError(path, `'dropIfgram' has ${v.length} entries for ${m} pairs`);
  return v;
}
