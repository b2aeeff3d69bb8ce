/**
 * Worker thread that reads every attribute of an HDF5 file (root, groups and datasets, bounded), so
 * that a metadata structure which sends the HDF5 library into an endless loop does it here, where the
 * main thread can terminate it (h5.probe.ts), and not on the main thread, where nothing can.
 * Message in (workerData): the file's path. Message out: { ok: true } or { error } (the reason is left to
 * the main thread's own open, which says it the usual way).
 */
import { parentPort, workerData } from 'node:worker_threads';

/** Objects visited at most: MintPy files hold a handful; a damaged link table may claim millions. */
const maxObjects = 10_000;
/** Group depth followed at most (MintPy's deepest is 1). */
const maxDepth = 16;

interface Node {
  attrs: Record<string, { value: unknown }>;
  type?: string;
  keys?: () => string[];
  get?: (name: string) => Node | null | undefined;
}

async function probe(path: string): Promise<void> {
  const h5 = (await import('h5wasm/node')).default;
  const module = await h5.ready;
  module.activate_throwing_error_handler();
  const file = new h5.File(path, 'r') as unknown as Node & { close(): void };
  let visited = 0;
  const visit = (node: Node, depth: number): void => {
    if (++visited > maxObjects) return;
    for (const name of Object.keys(node.attrs)) void node.attrs[name]!.value;
    if (depth >= maxDepth || !node.keys || !node.get) return;
    for (const name of node.keys()) {
      const child = node.get(name);
      if (child) visit(child, depth + 1);
    }
  };
  try {
    visit(file, 0);
  } finally {
    file.close();
  }
}

// What the library prints while failing is the main thread's to say (or not): keep this one quiet.
console.log = () => {};
console.warn = () => {};
console.error = () => {};
probe(workerData as string).then(
  () => parentPort?.postMessage({ ok: true }),
  (err: unknown) => parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) }),
);
