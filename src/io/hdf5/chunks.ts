/**
 * h5py's automatic chunk shape (`chunks=True`, h5py/_hl/filters.py `guess_chunk`), which MintPy's writers
 * use for every dataset: archeo's outputs get the same layout, so readers tuned to MintPy files see
 * nothing unusual. Checked against h5py 3.7: (100,1000,1000) → (7,63,63), (1000,1000) → (63,125).
 */
const CHUNK_BASE = 16 * 1024;
const CHUNK_MIN = 8 * 1024;
const CHUNK_MAX = 1024 * 1024;

export function guessChunks(shape: readonly number[], typeSize: number): number[] {
  if (shape.length === 0) throw new Error('guessChunks: scalar datasets have no chunks');
  // Unlimited (0-length) dimensions count as 1024, as in h5py.
  const chunks = shape.map((x) => (x !== 0 ? x : 1024));
  const product = (): number => chunks.reduce((a, b) => a * b, 1);
  const datasetBytes = product() * typeSize;
  let target = CHUNK_BASE * 2 ** Math.log10(datasetBytes / (1024 * 1024));
  if (target > CHUNK_MAX) target = CHUNK_MAX;
  else if (target < CHUNK_MIN) target = CHUNK_MIN;
  for (let idx = 0; ; idx++) {
    const bytes = product() * typeSize;
    if ((bytes < target || Math.abs(bytes - target) / target < 0.5) && bytes < CHUNK_MAX) break;
    if (product() === 1) break;
    const axis = idx % chunks.length;
    chunks[axis] = Math.ceil(chunks[axis]! / 2);
  }
  return chunks;
}
