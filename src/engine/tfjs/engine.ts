/**
 * The TF.js device engine (webgpu or tensorflow): per scene, the index table and the detectors'
 * conditions compiled to TF.js ops; per task of a strip, the band planes go up, the indices and the
 * detectors' bits come back. Tasks run one at a time on the device, in row chunks that fit its largest
 * buffer (maxStorageBufferBindingSize), each inside tf.tidy so nothing stays on the device between
 * tasks; the peak of device memory is recorded for the report.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { IndexDef } from '../../compute/indices.js';
import type { MorphStep } from '../../compute/morphology.js';
import type { BandId } from '../../core/bands.js';
import type { SlotConditions } from '../engine.js';
import type { DeviceEngine, DeviceInfo, DeviceKernels, DeviceMemory, DeviceStripResult } from '../engine.js';
import type { TfjsRuntime } from './backend.js';
import { conditionCodes, evaluate, morphology, packBits, withNodata } from './kernels.js';

export class TfjsEngine implements DeviceEngine {
  readonly name: DeviceEngine['name'];
  readonly device: DeviceInfo;
  private readonly tf: typeof TF;
  private queue: Promise<unknown> = Promise.resolve();
  private peak = 0;

  constructor(private readonly runtime: TfjsRuntime) {
    this.tf = runtime.tf;
    this.name = runtime.engine;
    this.device = runtime.device;
  }

  /** Largest float32 plane one op may bind (bytes), from the device's limits. */
  get maxPlaneBytes(): number {
    const l = this.device.limits;
    return l ? Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize) : 2 ** 30;
  }

  /** Runs `work` after every earlier task: one task holds the device at a time. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private notePeak(): void {
    const m = this.tf.memory() as TF.MemoryInfo & { numBytesInGPU?: number };
    this.peak = Math.max(this.peak, m.numBytesInGPU ?? m.numBytes);
  }

  compile(
    defs: readonly IndexDef[],
    bands: readonly BandId[],
    detect: readonly SlotConditions[] | undefined,
  ): DeviceKernels {
    const tf = this.tf;
    return {
      strip: (planes, masked, rows, cols) =>
        this.exclusive(async () => {
          const t0 = performance.now();
          const n = rows * cols;
          const outs = defs.map(() => new Float32Array(n));
          const words = (cols + 31) >>> 5;
          const bits = detect?.length
            ? {
                raw: detect.map(() => new Uint32Array(rows * words)),
                valid: detect.map(() => new Uint32Array(rows * words)),
              }
            : undefined;
          // Row chunks whose planes each fit one binding (a 10980-wide strip of 512 rows is 22 MB).
          const chunk = Math.max(1, Math.min(rows, Math.floor(this.maxPlaneBytes / (cols * 4))));
          for (let y0 = 0; y0 < rows; y0 += chunk) {
            const r = Math.min(chunk, rows - y0);
            const at = y0 * cols;
            const [values, codes] = tf.tidy(() => {
              const t = new Map<BandId, TF.Tensor>(
                bands.map((b, i) => [b, tf.tensor2d(planes[i]!.subarray(at, at + r * cols), [r, cols], 'float32')]),
              );
              const m = masked
                ? tf.notEqual(tf.tensor2d(masked.subarray(at, at + r * cols), [r, cols], 'int32'), 0)
                : undefined;
              const v = defs.map((d) =>
                withNodata(
                  tf,
                  evaluate(tf, d.expr, t),
                  d.bands.map((b) => t.get(b)!),
                  m,
                ),
              );
              const c = detect?.length ? conditionCodes(tf, v, detect) : undefined;
              this.notePeak();
              return [v, c] as const;
            });
            try {
              const host = await Promise.all(values.map((v) => v.data() as Promise<Float32Array>));
              host.forEach((h, i) => outs[i]!.set(h, at));
              if (codes && bits) {
                const c = (await codes.data()) as Int32Array;
                detect!.forEach((_, k) => {
                  packBits(c, r, cols, 2 * k, bits.raw[k]!, y0);
                  packBits(c, r, cols, 2 * k + 1, bits.valid[k]!, y0);
                });
              }
            } finally {
              tf.dispose([...values, ...(codes ? [codes] : [])]);
            }
          }
          return { outs, bits, seconds: (performance.now() - t0) / 1000 } satisfies DeviceStripResult;
        }),
    };
  }

  morphology(mask: Uint8Array, rows: number, cols: number, steps: readonly MorphStep[]): Promise<Uint8Array> {
    const tf = this.tf;
    return this.exclusive(async () => {
      const out = tf.tidy(() => {
        const m = tf.tensor2d(Float32Array.from(mask), [rows, cols], 'float32');
        const r = tf.cast(morphology(tf, m, steps), 'int32');
        this.notePeak();
        return r;
      });
      try {
        return Uint8Array.from((await out.data()) as Int32Array);
      } finally {
        out.dispose();
      }
    });
  }

  memory(): DeviceMemory {
    const m = this.tf.memory() as TF.MemoryInfo & { numBytesInGPU?: number };
    return { tensors: m.numTensors, bytes: m.numBytesInGPU ?? m.numBytes, peakBytes: this.peak };
  }

  async close(): Promise<void> {
    await this.queue;
    await this.runtime.close();
  }
}
