/**
 * Writes HDF5 files in MintPy's layout (reference/mintpy.md §1.1, `writefile.layout_hdf5`): datasets at
 * the root with h5py's automatic chunks and no compression, 3D datasets resizable along the first axis,
 * a `UNIT` attribute per dataset, every root attribute a variable-length UTF-8 string. The datasets are
 * laid out first and filled block by block; the file lives under a temporary name until `commit`.
 */
import { rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { tempNameFor, tempPaths } from '../../core/cleanup.js';
import { InputError, OutputError, outputErrorOf } from '../../core/errors.js';
import { guessChunks } from './chunks.js';
import { h5SystemFault } from './h5.errors.js';
import { closeH5, h5Error, loadH5, type H5Dataset, type H5File } from './h5.js';

export interface DatasetLayout {
  name: string;
  /** float32 rasters: (length, width) or (n, length, width); strings: (n,) with `strings`. */
  shape: number[];
  unit?: string;
  /** Fixed-length byte strings (`S<len>`), written at layout time (e.g. `date`). */
  strings?: string[];
  /** Small float32 values written at layout time (e.g. `bperp`), shaped `shape`. */
  values?: Float32Array;
}

export class MintpyWriter {
  private readonly datasets = new Map<string, H5Dataset>();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly file: H5File,
    /** The name errors give (the final name of a staged file). */
    readonly shownAs: string,
  ) {}

  /**
   * Creates `path` (under a temporary name) with its attributes and empty datasets; errors name `shownAs`
   * (default `path`): a staged output is named by its final name.
   */
  static async create(
    path: string,
    attrs: Record<string, string>,
    layout: DatasetLayout[],
    shownAs = path,
  ): Promise<MintpyWriter> {
    const { lib } = await loadH5();
    const tmp = tempNameFor(dirname(path), basename(path));
    tempPaths.add(tmp);
    let file: H5File;
    try {
      file = new lib.File(tmp, 'w');
    } catch (err) {
      tempPaths.delete(tmp);
      throw writeError(shownAs, err, `cannot create (${h5Error(err)})`);
    }
    const writer = new MintpyWriter(path, tmp, file, shownAs);
    try {
      for (const spec of layout) writer.layOut(spec);
      for (const [key, value] of Object.entries(attrs)) file.create_attribute(key, value);
    } catch (err) {
      await writer.abort();
      throw writeError(shownAs, err, `cannot lay out (${h5Error(err)})`);
    }
    return writer;
  }

  private layOut(spec: DatasetLayout): void {
    if (spec.strings) {
      const size = Math.max(1, ...spec.strings.map((s) => s.length));
      this.file.create_dataset({
        name: spec.name,
        data: spec.strings,
        shape: [spec.strings.length],
        dtype: `S${size}`,
        chunks: guessChunks([spec.strings.length], size),
      });
    } else if (spec.values) {
      this.file.create_dataset({
        name: spec.name,
        data: spec.values,
        shape: spec.shape,
        dtype: '<f4',
        chunks: guessChunks(spec.shape, 4),
      });
    } else {
      // Created empty along the rows (so no zeros are written first), then sized: the final shape and
      // maxshape are MintPy's — (length, width) fixed for 2D, (None, length, width) for 3D.
      const is3d = spec.shape.length === 3;
      const empty = is3d ? [spec.shape[0]!, 0, spec.shape[2]!] : [0, spec.shape[1]!];
      const maxshape = is3d ? [null, spec.shape[1]!, spec.shape[2]!] : spec.shape;
      const ds = this.file.create_dataset({
        name: spec.name,
        data: new Float32Array(0),
        shape: empty,
        maxshape,
        dtype: '<f4',
        chunks: guessChunks(spec.shape, 4),
      });
      ds.resize(spec.shape);
      this.datasets.set(spec.name, ds);
    }
    if (spec.unit !== undefined) (this.file.get(spec.name) as H5Dataset).create_attribute('UNIT', spec.unit);
  }

  /** Writes rows [y0, y0 + rows) of a 2D dataset, or of every leading index of a 3D one. */
  writeRows(name: string, y0: number, rows: number, data: Float32Array): void {
    const ds = this.datasets.get(name);
    if (!ds) throw new Error(`MintpyWriter: no dataset '${name}' in ${this.path}`);
    const ranges = (ds.shape ?? []).length === 3 ? [[], [y0, y0 + rows], []] : [[y0, y0 + rows], []];
    try {
      ds.write_slice(ranges as [][], data);
    } catch (err) {
      throw writeError(this.shownAs, err, `writing '${name}' rows ${y0}-${y0 + rows - 1} failed: ${h5Error(err)}`);
    }
  }

  /** Closes the file and gives it its final name. */
  async commit(): Promise<void> {
    try {
      this.file.close();
    } catch (err) {
      this.closed = true;
      await this.abort();
      throw writeError(this.shownAs, err, `cannot finish (${h5Error(err)})`);
    }
    this.closed = true;
    try {
      await rename(this.tmp, this.path);
    } catch (err) {
      throw outputErrorOf(this.shownAs, err) ?? err;
    }
    tempPaths.delete(this.tmp);
  }

  /** Closes and deletes the temporary file (after an error). */
  async abort(): Promise<void> {
    if (!this.closed) closeH5(this.file);
    this.closed = true;
    await rm(this.tmp, { force: true });
    tempPaths.delete(this.tmp);
  }
}

/** A failed HDF5 write: an OutputError when the file system said why (no space, read-only, …), else `fault`. */
function writeError(path: string, err: unknown, fault: string): Error {
  const said = h5SystemFault(err);
  // The errno behind HDF5's words: it tells a transient fault (no space, quota: exit 75) from a permanent one.
  const code = said && (/space/.test(said) ? 'ENOSPC' : /quota/.test(said) ? 'EDQUOT' : undefined);
  return said ? new OutputError(path, said, code) : new InputError(path, fault);
}
