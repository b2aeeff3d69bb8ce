/**
 * h5wasm, loaded once: the HDF5 C library compiled to WebAssembly, reading and writing the real file
 * system in place (NODERAWFS), chunk by chunk. Two traps are closed here:
 *  - a dataset whose filter is not available reads as zeros or stale heap bytes, without an error:
 *    `checkFilters` refuses such a dataset first, naming the filter;
 *  - HDF5 errors print a diagnostic stack to stderr and return a status: the throwing error handler
 *    turns them into exceptions, which the error layer (h5.errors.ts: `h5Guard`) turns into one line
 *    naming the file and dataset — WebAssembly aborts on corrupt files included.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { InputError } from '../../core/errors.js';
import { h5Guard } from './h5.errors.js';
import { probeMetadata } from './h5.probe.js';

export { closeH5, h5Error, h5Fault, h5Guard } from './h5.errors.js';

type H5wasm = typeof import('h5wasm/node');
export type H5File = InstanceType<H5wasm['File']>;
export type H5Dataset = InstanceType<H5wasm['Dataset']>;
export type H5Module = Awaited<H5wasm['ready']>;

export interface H5 {
  lib: H5wasm['default'];
  module: H5Module;
}

let loading: Promise<H5> | undefined;

/** The h5wasm library with the compression plugins installed (lzf, bitshuffle, lz4, blosc, zstd, …). */
export function loadH5(): Promise<H5> {
  loading ??= (async () => {
    const h5 = await import('h5wasm/node');
    const plugins = await import('h5wasm-plugins');
    const module = await h5.default.ready;
    // install_local_plugins adds node_modules/h5wasm-plugins/plugins to the search path (install_plugins
    // would fetch them over HTTP, which Node cannot do for file: URLs).
    plugins.install_local_plugins(module);
    module.activate_throwing_error_handler();
    return { lib: h5.default, module };
  })();
  return loading;
}

/** True when an entry of a file is a dataset (h5wasm tags each entity with its object type). */
export function isDataset(entity: unknown): entity is H5Dataset {
  return entity !== null && typeof entity === 'object' && (entity as { type?: unknown }).type === 'Dataset';
}

/** Filters built into h5wasm's HDF5 (deflate, shuffle, fletcher32, szip, nbit, scaleoffset). */
const builtinFilters: Record<number, string> = {
  1: 'deflate',
  2: 'shuffle',
  3: 'fletcher32',
  4: 'szip',
  5: 'nbit',
  6: 'scaleoffset',
};
/** Registered ids of the plugins h5wasm-plugins ships (The HDF Group's filter registry). */
const pluginFilters: Record<number, string> = {
  307: 'bzip2',
  32000: 'lzf',
  32001: 'blosc',
  32004: 'lz4',
  32008: 'bitshuffle',
  32013: 'zfp',
  32015: 'zstd',
  32019: 'jpeg',
  32022: 'bitgroom',
  32023: 'bitround',
  32026: 'blosc2',
};

export function filterAvailable(id: number): boolean {
  return id in builtinFilters || id in pluginFilters;
}

/** Refuses a dataset whose filter archeo cannot decode (h5wasm would read zeros). */
export function checkFilters(path: string, name: string, ds: H5Dataset): void {
  for (const f of ds.filters) {
    if (!filterAvailable(f.id)) {
      const named = f.name ? ` (named '${f.name}' in the file)` : '';
      throw new InputError(
        path,
        `dataset '${name}' is compressed with HDF5 filter ${f.id}${named}, which archeo cannot decode`,
      );
    }
  }
}

const signature = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** True when the file starts with the HDF5 signature (at offset 0; user blocks are not looked into). */
export function hasHdf5Signature(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      path,
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a folder, not an HDF5 file'
          : `cannot be read (${code})`,
    );
  }
  try {
    const head = Buffer.alloc(8);
    const n = readSync(fd, head, 0, 8, 0);
    return n === 8 && head.equals(signature);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens an existing HDF5 file for reading; a missing or non-HDF5 file is an InputError, and so is one
 * whose metadata the library cannot read in bounded time (h5.probe.ts).
 */
export async function openH5(path: string): Promise<H5File> {
  if (!hasHdf5Signature(path)) throw new InputError(path, 'not an HDF5 file');
  await probeMetadata(path);
  const { lib } = await loadH5();
  return h5Guard(path, undefined, () => new lib.File(path, 'r'), 'cannot open as HDF5');
}

/**
 * The root attributes of a MintPy product (velocity, rms and invert inputs), as strings. MintPy writes
 * FILE_TYPE, LENGTH, WIDTH, REF_Y/REF_X… into every file it makes, so a root with none is refused: a
 * damaged attribute table (its name or header zeroed) reads in HDF5 as no attributes at all, without an
 * error, and a run on it would silently drop the reference point (fuzz cases hdf5:1:1708, hdf5:1:1758).
 */
export function mintpyRootAttributes(
  path: string,
  file: { attrs: Record<string, { value: unknown }> },
): Record<string, string> {
  const attrs = h5Guard(
    path,
    undefined,
    () => attributeStrings(file),
    "the file's attributes are corrupt or unreadable",
  );
  if (Object.keys(attrs).length === 0)
    throw new InputError(
      path,
      'the root has no attributes (MintPy writes FILE_TYPE, LENGTH, WIDTH, REF_Y/REF_X… into every file): not a MintPy product, or its attribute table is damaged',
    );
  return attrs;
}

/**
 * Attribute values as MintPy sees them: strings stay strings (MintPy writes `str(value)` for every
 * attribute); numbers and arrays from other writers are stringified the way Python would print them.
 */
export function attributeStrings(obj: { attrs: Record<string, { value: unknown }> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, attr] of Object.entries(obj.attrs)) out[name] = valueString(attr.value);
  return out;
}

function valueString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number>).join(', ')}]`;
  if (Array.isArray(v)) return v.length === 1 ? valueString(v[0]) : `[${v.map(valueString).join(', ')}]`;
  return String(v);
}

/** numpy's name for a dataset's type (float32, int16, S8, …), as MintPy and h5py users know them. */
export function dtypeName(m: { type: number; size: number; signed: boolean; vlen: boolean }, module: H5Module): string {
  const c = module.H5T_class_t;
  if (m.type === c.H5T_FLOAT.value) return `float${m.size * 8}`;
  if (m.type === c.H5T_INTEGER.value) return `${m.signed ? 'int' : 'uint'}${m.size * 8}`;
  if (m.type === c.H5T_STRING.value) return m.vlen ? 'str' : `S${m.size}`;
  if (m.type === c.H5T_ENUM.value && m.size === 1) return 'bool';
  return 'other';
}
