/**
 * The TF.js engine's kernels on TF.js's reference backend (tfjs-backend-cpu, plain JavaScript): the
 * engine's code path without any GPU layer — what the `tensorflow` engine (tfjs-node-gpu, which cannot be
 * installed here) runs through the same ops. Indices equal to the CPU engine's with the same NaN pattern,
 * detector bits equal, morphology equal, no tensor left. Runs everywhere (no Vulkan needed).
 */
import { describe, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { indexTable } from '../../src/compute/indices.js';
import { BitMask, morph, stepsOf, structuringElement } from '../../src/compute/morphology.js';
import { compileConditions, compileIndexKernel } from '../../src/engine/cpu/compile.js';
import { TfjsEngine } from '../../src/engine/tfjs/engine.js';

describe('TF.js kernels on tfjs-backend-cpu = the CPU engine', () => {
  const engine = (): TfjsEngine =>
    new TfjsEngine({
      tf,
      engine: 'tensorflow',
      device: { description: 'tfjs-backend-cpu', software: true },
      close: async () => undefined,
    });
  const rows = 50;
  const cols = 70;
  const n = rows * cols;
  const kernel = compileIndexKernel(indexTable);
  const planes = kernel.bands.map((_, b) =>
    Float32Array.from({ length: n }, (_, i) =>
      i % 31 === b ? NaN : Math.fround(((i * 7 + b * 13) % 101) / 200 - 0.05),
    ),
  );
  const masked = Uint8Array.from({ length: n }, (_, i) => (i % 17 === 0 ? 1 : 0));

  test('indices and detector bits', async () => {
    await tf.setBackend('cpu');
    const e = engine();
    const before = e.memory().tensors;
    const cpu = indexTable.map(() => new Float32Array(n));
    kernel.run(planes, masked, cpu, n);
    const detect = [
      {
        conditions: [
          { slot: 0, op: '>' as const, value: 0.2 },
          { slot: 5, op: '<=' as const, value: 0.3 },
        ],
      },
    ];
    const words = Math.ceil(cols / 32) * rows;
    const bits = { raw: [new Uint32Array(words)], valid: [new Uint32Array(words)] };
    compileConditions(detect)(cpu, rows, cols, bits.raw, bits.valid);
    const r = await e.compile(indexTable, kernel.bands, detect).strip(planes, masked, rows, cols);
    indexTable.forEach((d, i) => {
      let differ = 0;
      for (let p = 0; p < n; p++)
        if (!Object.is(r.outs[i]![p], cpu[i]![p]) && !(Number.isNaN(r.outs[i]![p]) && Number.isNaN(cpu[i]![p])))
          differ++;
      expect({ index: d.name, differ }).toEqual({ index: d.name, differ: 0 });
    });
    expect(Array.from(r.bits!.raw[0]!)).toEqual(Array.from(bits.raw[0]!));
    expect(Array.from(r.bits!.valid[0]!)).toEqual(Array.from(bits.valid[0]!));
    expect(bits.raw[0]!.some((w) => w !== 0)).toBe(true);
    expect(e.memory().tensors).toBe(before);
  });

  test('morphology (open with a 5x5 disk, close with a 7x7 square)', async () => {
    await tf.setBackend('cpu');
    const e = engine();
    // A rectangle and a disc (which an opening keeps) in 3 % noise (which it removes).
    const mask = Uint8Array.from({ length: n }, (_, i) => {
      const [y, x] = [Math.floor(i / cols), i % cols];
      const blob = (x >= 10 && x < 30 && y >= 5 && y < 25) || (x - 50) ** 2 + (y - 30) ** 2 < 100;
      return blob || ((i * 2654435761) >>> 0) / 2 ** 32 < 0.03 ? 1 : 0;
    });
    for (const steps of [
      stepsOf('open', structuringElement('disk', 5)),
      stepsOf('close', structuringElement('square', 7)),
    ]) {
      const want = morph(BitMask.fromBytes(mask, cols, rows), steps).toBytes();
      expect(want.some((v) => v === 1) && want.some((v) => v === 0)).toBe(true);
      const got = await e.morphology(mask, rows, cols, steps);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });
});
