/**
 * Child process of test/engine/webgpu.test.ts: the webgpu engine against the CPU engine on the same
 * inputs, printed as one JSON line for the test to judge. (Dawn's native module runs in a plain Node
 * process; jest's module sandbox is no place for it.)
 *
 * - indices: every index of the table on a synthetic strip with NaN (nodata) bands, cloud-masked pixels,
 *   negative reflectances (BOA offset) and a width that is not a multiple of 32 — once in one piece and
 *   once in row chunks forced by a small binding limit (strip borders inside the engine);
 * - the detectors' condition and validity bits against the CPU ConditionKernel;
 * - morphology: erode, dilate, open, close with squares, crosses and disks of 3, 5, 7 and an explicit
 *   element, on random masks with borders, against the bit-packed CPU morphology;
 * - tf.memory().numTensors before and after all of it.
 */
import { indexTable } from '../../src/compute/indices.js';
import {
  BitMask,
  explicitElement,
  morph,
  stepsOf,
  structuringElement,
  type KernelShape,
} from '../../src/compute/morphology.js';
import { compileConditions, compileIndexKernel } from '../../src/engine/cpu/compile.js';
import type { SlotConditions } from '../../src/engine/engine.js';
import { selectEngine } from '../../src/engine/select.js';
import type { TfjsEngine } from '../../src/engine/tfjs/engine.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const sel = await selectEngine('webgpu');
const engine = sel.engine as TfjsEngine;
const tensorsBefore = engine.memory().tensors;
const out: Record<string, unknown> = { device: sel.device };

// Indices and bits.
const rows = 300;
const cols = 257;
const n = rows * cols;
const kernel = compileIndexKernel(indexTable);
const r = rng(7);
const planes = kernel.bands.map(() =>
  Float32Array.from({ length: n }, () => (r() < 0.01 ? NaN : Math.fround(r() * 0.6 - 0.05))),
);
const masked = Uint8Array.from({ length: n }, () => (r() < 0.05 ? 1 : 0));
const cpuOuts = indexTable.map(() => new Float32Array(n));
kernel.run(planes, masked, cpuOuts, n);
const slot = (name: string): number => indexTable.findIndex((d) => d.name === name);
const detect: SlotConditions[] = [
  {
    conditions: [
      { slot: slot('terra_preta_enhanced'), op: '>', value: 0.12 },
      { slot: slot('ndvi'), op: '>', value: 0.3 },
    ],
  },
  {
    conditions: [
      { slot: slot('crop_mark'), op: '>=', value: 0.0 },
      { slot: slot('brightness'), op: '<', value: 0.25 },
      { slot: slot('clay_minerals'), op: '<=', value: 1.1 },
    ],
  },
];
const words = Math.ceil(cols / 32) * rows;
const cpuBits = { raw: detect.map(() => new Uint32Array(words)), valid: detect.map(() => new Uint32Array(words)) };
compileConditions(detect)(cpuOuts, rows, cols, cpuBits.raw, cpuBits.valid);

function compare(
  outs: Float32Array[],
): Record<string, { worst: number; nanMismatch: number; exact: number; compared: number }> {
  const res: Record<string, { worst: number; nanMismatch: number; exact: number; compared: number }> = {};
  indexTable.forEach((d, i) => {
    let worst = 0;
    let nanMismatch = 0;
    let exact = 0;
    let compared = 0;
    for (let p = 0; p < n; p++) {
      const a = outs[i]![p]!;
      const b = cpuOuts[i]![p]!;
      if (Number.isNaN(a) || Number.isNaN(b)) {
        if (Number.isNaN(a) !== Number.isNaN(b)) nanMismatch++;
        continue;
      }
      compared++;
      if (a === b) exact++;
      worst = Math.max(worst, Math.abs(a - b) / Math.max(1, Math.abs(b)));
    }
    res[d.name] = { worst, nanMismatch, exact, compared };
  });
  return res;
}

const sameWords = (a: Uint32Array[], b: Uint32Array[]): boolean => a.every((x, k) => x.every((w, i) => w === b[k]![i]));
const whole = await engine.compile(indexTable, kernel.bands, detect).strip(planes, masked, rows, cols);
out['indices'] = compare(whole.outs);
out['bits'] = {
  raw: sameWords(whole.bits!.raw, cpuBits.raw),
  valid: sameWords(whole.bits!.valid, cpuBits.valid),
  set: cpuBits.raw.map((w) => w.reduce((a, x) => a + (x ? 1 : 0), 0)),
};
// The same strip in row chunks: a binding limit of 7 rows makes 43 chunks, the last one shorter.
const chunked = Object.create(engine) as TfjsEngine;
Object.defineProperty(chunked, 'device', {
  value: { ...engine.device, limits: { maxStorageBufferBindingSize: cols * 4 * 7, maxBufferSize: cols * 4 * 7 } },
});
const inChunks = await chunked.compile(indexTable, kernel.bands, detect).strip(planes, masked, rows, cols);
out['chunked'] = {
  indices: compare(inChunks.outs),
  bits: sameWords(inChunks.bits!.raw, cpuBits.raw) && sameWords(inChunks.bits!.valid, cpuBits.valid),
};

// Morphology.
const elements: [string, ReturnType<typeof structuringElement>][] = [];
for (const shape of ['square', 'cross', 'disk'] as KernelShape[])
  for (const size of [3, 5, 7]) elements.push([`${shape}${size}`, structuringElement(shape, size)]);
elements.push([
  'explicit3x5',
  explicitElement([
    [0, 1, 1, 0, 0],
    [1, 1, 1, 1, 0],
    [0, 0, 1, 0, 1],
  ]),
]);
const morphology: { name: string; equal: boolean; ones: number }[] = [];
const mr = rng(11);
for (const [density, label] of [
  [0.5, 'noise'],
  [0.85, 'dense'],
] as const) {
  const [h, w] = [45, 67];
  const mask = Uint8Array.from({ length: h * w }, () => (mr() < density ? 1 : 0));
  for (const [name, se] of elements) {
    for (const op of ['erode', 'dilate', 'open', 'close'] as const) {
      const steps = stepsOf(op, se);
      const cpu = morph(BitMask.fromBytes(mask, w, h), steps).toBytes();
      const gpu = await engine.morphology(mask, h, w, steps);
      morphology.push({
        name: `${label} ${op} ${name}`,
        equal: cpu.every((v, i) => v === gpu[i]),
        ones: cpu.reduce((a, v) => a + v, 0),
      });
    }
  }
}
out['morphology'] = morphology;
out['tensors'] = { before: tensorsBefore, after: engine.memory().tensors, peakBytes: engine.memory().peakBytes };
await engine.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
