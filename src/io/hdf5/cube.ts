/**
 * Row-block reads of a float32 dataset shaped (..., length, width): a time-series cube (n, l, w), a
 * variance cube (n, l, w) or a covariance cube (n, n, l, w). HDF5 decodes straight into one buffer in
 * the WebAssembly heap that is reused for every block, and the caller gets a Float32Array view of it,
 * laid out (...leading, rows, width) — no copy, and no heap growth after the first block.
 */
import { InputError } from '../../core/errors.js';
import {
  checkFilters,
  dtypeName,
  h5Guard,
  isDataset,
  loadH5,
  type H5Dataset,
  type H5File,
  type H5Module,
} from './h5.js';

/** Sample types a cube may hold: float32 time series and phases; integer masks (connectComponent). */
export type CubeType = 'float32' | 'int16' | 'uint16' | 'int8' | 'uint8' | 'int32';
export type CubeArray = Float32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | Int32Array;

/** The typed array of each sample type (its BYTES_PER_ELEMENT is the sample size). */
const arrayOf = {
  float32: Float32Array,
  int32: Int32Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
} as const;

export class H5Cube {
  /** Leading dimensions (dates; or dates x dates), then length, width. */
  readonly shape: number[];
  readonly length: number;
  readonly width: number;
  /** Values per pixel (the product of the leading dimensions). */
  readonly depth: number;
  readonly chunks: number[] | null;
  private ptr = 0;
  private capacity = 0;
  private last = 0;

  private constructor(
    readonly path: string,
    readonly name: string,
    private readonly file: H5File,
    private readonly ds: H5Dataset,
    private readonly module: H5Module,
    readonly type: CubeType,
  ) {
    this.shape = (ds.shape ?? []).map(Number);
    this.length = this.shape[this.shape.length - 2]!;
    this.width = this.shape[this.shape.length - 1]!;
    this.depth = this.shape.slice(0, -2).reduce((a, b) => a * b, 1);
    this.chunks = ds.metadata.chunks ? ds.metadata.chunks.map(Number) : null;
  }

  /**
   * Wraps dataset `name` of an open file: at least 3 dimensions, float32 — or, with `integers`, one of the
   * integer types of masks.
   */
  static async of(path: string, file: H5File, name: string, integers = false): Promise<H5Cube> {
    const { module } = await loadH5();
    return h5Guard(path, name, () => {
      const dataset = file.get(name);
      if (!isDataset(dataset)) throw new InputError(path, `no '${name}' dataset`);
      const shape = dataset.shape ?? [];
      if (shape.length < 3)
        throw new InputError(path, `dataset '${name}' has ${shape.length} dimensions; expected (dates, length, width)`);
      const m = dataset.metadata;
      const type = dtypeName(m, module) === 'bool' ? 'uint8' : (dtypeName(m, module) as CubeType);
      const ok = type === 'float32' || (integers && type in arrayOf);
      if (!ok)
        throw new InputError(
          path,
          `dataset '${name}' is ${dtypeName(m, module)}; expected float32${integers ? ' or an integer type' : ''}`,
        );
      checkFilters(path, name, dataset);
      return new H5Cube(path, name, file, dataset, module, type);
    });
  }

  get sampleBytes(): number {
    return arrayOf[this.type].BYTES_PER_ELEMENT;
  }

  /** Bytes of one row across all leading dimensions. */
  get rowBytes(): number {
    return this.depth * this.width * this.sampleBytes;
  }

  /**
   * Rows [y0, y1) of every leading index, as a view into the heap buffer: element
   * [lead][row - y0][col] at `(lead * rows + row - y0) * width + col`. Valid until the next read.
   */
  readRows(y0: number, y1: number): Float32Array {
    return this.readRowsAny(y0, y1) as Float32Array;
  }

  /** readRows for any cube type: the view's type follows the dataset's. */
  readRowsAny(y0: number, y1: number): CubeArray {
    const rows = y1 - y0;
    const n = this.depth * rows * this.width;
    this.reserve(n * this.sampleBytes);
    const lead = this.shape.slice(0, -2);
    const count = [...lead, rows, this.width].map(BigInt);
    const offset = [...lead.map(() => 0), y0, 0].map(BigInt);
    const strides = count.map(() => 1n);
    h5Guard(
      this.path,
      this.name,
      () => this.module.get_dataset_data(this.file.file_id, this.ds.path, count, offset, strides, BigInt(this.ptr)),
      `reading rows ${y0}-${y1 - 1} of '${this.name}' failed`,
    );
    this.last = n;
    return this.viewAny();
  }

  /**
   * A fresh view of the last block read. Any allocation in the heap (another read, an HDF5 write) may
   * grow WebAssembly memory and detach earlier views: take views after the last heap operation.
   */
  view(): Float32Array {
    return this.viewAny() as Float32Array;
  }

  viewAny(): CubeArray {
    return new arrayOf[this.type](this.module.HEAPU8.buffer as ArrayBuffer, this.ptr, this.last);
  }

  /** The values of one pixel on every leading index (a fresh array). */
  readPixel(y: number, x: number): Float32Array {
    if (y < 0 || y >= this.length || x < 0 || x >= this.width) {
      throw new InputError(this.path, `pixel (y=${y}, x=${x}) is outside the ${this.length} x ${this.width} grid`);
    }
    const lead = this.shape.slice(0, -2);
    return h5Guard(this.path, this.name, () => {
      const out = this.ds.slice([...lead.map(() => [] as []), [y, y + 1], [x, x + 1]]);
      return Float32Array.from(out as Float32Array);
    });
  }

  private reserve(bytes: number): void {
    if (bytes <= this.capacity) return;
    if (this.ptr) this.module._free(this.ptr);
    this.ptr = this.module._malloc(bytes);
    if (!this.ptr)
      throw new InputError(
        this.path,
        `cannot allocate ${(bytes / 2 ** 20).toFixed(0)} MB for a block of '${this.name}' (lower --ram)`,
      );
    this.capacity = bytes;
  }

  /** Frees the heap buffer (the file stays open). */
  release(): void {
    if (this.ptr) this.module._free(this.ptr);
    this.ptr = 0;
    this.capacity = 0;
  }
}
