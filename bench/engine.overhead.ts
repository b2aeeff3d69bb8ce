/**
 * Child of bench/engine.bench.ts: the fixed cost of one strip task on a device engine — a task of 32
 * pixels (upload, the default indices and the three default detectors' bits, download) — and the cost of
 * a full 512 x 2048 task, medians of repeated calls after a warm-up (pipelines compiled). Prints JSON.
 */
import { indexByName, defaultIndexNames } from '../src/compute/indices.js';
import { defaultParams } from '../src/compute/detect/params.js';
import { compileIndexKernel } from '../src/engine/cpu/compile.js';
import { selectEngine } from '../src/engine/select.js';
import type { BackendChoice } from '../src/engine/engine.js';

const sel = await selectEngine((process.argv[2] ?? 'webgpu') as BackendChoice);
const engine = sel.engine!;
// The default indices, then those the default detectors read (as a scan computes them).
const names = [...defaultIndexNames];
// the spectral kind's conditions (the earthworks kind reads its index's values, computed above)
const spectral = Object.values(defaultParams.detectors).filter((d) => d.kind === 'spectral');
for (const d of spectral) for (const c of d.conditions) if (!names.includes(c.index)) names.push(c.index);
const defs = names.map((n) => indexByName(n)!);
const bands = compileIndexKernel(defs).bands;
const slot = (name: string): number => defs.findIndex((d) => d.name === name);
const detect = spectral.map((d) => ({
  conditions: d.conditions.map((c) => ({ slot: slot(c.index), op: c.op, value: c.value })),
}));
const kernels = engine.compile(defs, bands, detect);

async function median(rows: number, cols: number, times: number): Promise<number> {
  const planes = bands.map(() => Float32Array.from({ length: rows * cols }, (_, i) => 0.05 + (i % 100) / 400));
  const masked = new Uint8Array(rows * cols);
  await kernels.strip(planes, masked, rows, cols);
  const t: number[] = [];
  for (let i = 0; i < times; i++) t.push((await kernels.strip(planes, masked, rows, cols)).seconds);
  t.sort((a, b) => a - b);
  return t[t.length >> 1]! * 1000;
}

const tiny = await median(1, 32, 20);
const full = await median(512, 2048, 3);
process.stdout.write(
  `${JSON.stringify({
    device: sel.device.description,
    tiny_ms: tiny,
    full_ms: full,
    per_mpx_ms: (full - tiny) / ((512 * 2048) / 1e6),
  })}\n`,
);
await engine.close();
