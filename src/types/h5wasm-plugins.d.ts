/** h5wasm-plugins ships no types; archeo uses one function. */
declare module 'h5wasm-plugins' {
  /** Adds the package's plugin folder (lzf, bitshuffle, lz4, blosc, zstd, …) to HDF5's plugin search path. */
  export function install_local_plugins(module: unknown): void;
}
