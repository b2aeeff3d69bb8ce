/**
 * Reads HDF5 files in tests with h5wasm itself (not archeo's io layer), so outputs are checked by an
 * independent reader: every root dataset with its values, shape, chunks and attributes.
 */
import { expect } from '@jest/globals';
import h5wasm from 'h5wasm/node';
import { install_local_plugins } from 'h5wasm-plugins';

export interface H5Dataset {
  shape: number[];
  chunks: number[] | null;
  maxshape: number[] | null;
  values: Float32Array | string[];
  attrs: Record<string, string>;
}

export interface H5Contents {
  attrs: Record<string, string>;
  datasets: Record<string, H5Dataset>;
}

let ready: Promise<unknown> | undefined;

export async function readH5(path: string): Promise<H5Contents> {
  ready ??= h5wasm.ready.then((m) => install_local_plugins(m));
  await ready;
  const f = new h5wasm.File(path, 'r');
  try {
    const attrs: Record<string, string> = {};
    for (const [k, a] of Object.entries(f.attrs)) attrs[k] = String(a.value);
    const datasets: Record<string, H5Dataset> = {};
    for (const name of f.keys()) {
      const ds = f.get(name) as InstanceType<typeof h5wasm.Dataset>;
      const dattrs: Record<string, string> = {};
      for (const [k, a] of Object.entries(ds.attrs)) dattrs[k] = String(a.value);
      const v = ds.value;
      datasets[name] = {
        shape: (ds.shape ?? []).map(Number),
        chunks: ds.metadata.chunks ? ds.metadata.chunks.map(Number) : null,
        maxshape: ds.metadata.maxshape ? ds.metadata.maxshape.map(Number) : null,
        values:
          v instanceof Float32Array ? v : Array.isArray(v) ? v.map(String) : Float32Array.from(v as ArrayLike<number>),
        attrs: dattrs,
      };
    }
    return { attrs, datasets };
  } finally {
    f.close();
  }
}

/** The same datasets, each with the same shape, chunks, maxshape and attributes (MintPy's layout). */
export function expectSameLayout(ours: H5Contents, theirs: H5Contents): void {
  expect(Object.keys(ours.datasets).sort()).toEqual(Object.keys(theirs.datasets).sort());
  for (const [name, ref] of Object.entries(theirs.datasets)) {
    const got = ours.datasets[name]!;
    expect({ name, shape: got.shape, chunks: got.chunks, maxshape: got.maxshape, attrs: got.attrs }).toEqual({
      name,
      shape: ref.shape,
      chunks: ref.chunks,
      maxshape: ref.maxshape,
      attrs: ref.attrs,
    });
  }
}
