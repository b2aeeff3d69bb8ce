/**
 * The index table, the detectors' thresholds and binary morphology as TF.js ops. Each formula node is
 * one op whose result is a float32 tensor, so every operation rounds to float32 as numpy and the CPU
 * engine do (WGSL allows division and sqrt within a few ulps; the parity tests measure it).
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { Expr } from '../../compute/expr.js';
import type { MorphStep } from '../../compute/morphology.js';
import type { BandId } from '../../core/bands.js';
import type { SlotConditions } from '../engine.js';

type Tensor = TF.Tensor;

/** One formula tree as TF.js ops over band tensors (float32 constants, as the CPU kernels use). */
export function evaluate(tf: typeof TF, e: Expr, bands: ReadonlyMap<BandId, Tensor>): Tensor {
  switch (e.op) {
    case 'band':
      return bands.get(e.band)!;
    case 'const':
      return tf.scalar(Math.fround(e.value), 'float32');
    case 'sqrt':
      return tf.sqrt(evaluate(tf, e.a, bands));
    case 'add':
      return tf.add(evaluate(tf, e.a, bands), evaluate(tf, e.b, bands));
    case 'sub':
      return tf.sub(evaluate(tf, e.a, bands), evaluate(tf, e.b, bands));
    case 'mul':
      return tf.mul(evaluate(tf, e.a, bands), evaluate(tf, e.b, bands));
    case 'div':
      return tf.div(evaluate(tf, e.a, bands), evaluate(tf, e.b, bands));
  }
}

/**
 * NaN where the CPU engine gives NaN: a cloud-masked pixel, or a pixel where a band the formula reads is
 * nodata (NaN). Said explicitly rather than left to NaN propagation, which WGSL does not promise.
 */
export function withNodata(tf: typeof TF, value: Tensor, reads: readonly Tensor[], masked: Tensor | undefined): Tensor {
  let invalid: Tensor | undefined = masked;
  for (const b of reads) invalid = invalid ? tf.logicalOr(invalid, tf.isNaN(b)) : tf.isNaN(b);
  return invalid ? tf.where(invalid, tf.scalar(NaN, 'float32'), value) : value;
}

/**
 * The detectors' bits of every pixel in one int32 per pixel: bit 2d = every condition of detector d holds,
 * bit 2d + 1 = every index it reads is a number (as the CPU ConditionKernel; comparisons in float32).
 */
export function conditionCodes(tf: typeof TF, outs: readonly Tensor[], detectors: readonly SlotConditions[]): Tensor {
  let code: Tensor = tf.zeros(outs[0]!.shape, 'int32');
  detectors.forEach((d, k) => {
    let valid: Tensor | undefined;
    let raw: Tensor | undefined;
    for (const slot of new Set(d.conditions.map((c) => c.slot))) {
      const ok = tf.logicalNot(tf.isNaN(outs[slot]!));
      valid = valid ? tf.logicalAnd(valid, ok) : ok;
    }
    for (const c of d.conditions) {
      const t = tf.scalar(Math.fround(c.value), 'float32');
      const v = outs[c.slot]!;
      const hold =
        c.op === '>'
          ? tf.greater(v, t)
          : c.op === '>='
            ? tf.greaterEqual(v, t)
            : c.op === '<'
              ? tf.less(v, t)
              : tf.lessEqual(v, t);
      raw = raw ? tf.logicalAnd(raw, hold) : hold;
    }
    // NaN never satisfies a comparison on the CPU; a GPU may answer anything for NaN, so raw needs valid.
    raw = tf.logicalAnd(raw!, valid!);
    code = tf.add(
      code,
      tf.add(tf.mul(tf.cast(raw, 'int32'), 1 << (2 * k)), tf.mul(tf.cast(valid!, 'int32'), 1 << (2 * k + 1))),
    );
  });
  return code;
}

/** Packs one detector's bit (at `bit`) of rows x cols codes into rows of ceil(cols / 32) words. */
export function packBits(
  codes: Int32Array,
  rows: number,
  cols: number,
  bit: number,
  out: Uint32Array,
  rowOffset = 0,
): void {
  const words = (cols + 31) >>> 5;
  for (let y = 0; y < rows; y++) {
    const o = (y + rowOffset) * words;
    for (let j = 0; j < words; j++) {
      let w = 0;
      const x0 = j << 5;
      const end = Math.min(32, cols - x0);
      const base = y * cols + x0;
      for (let b = 0; b < end; b++) w |= ((codes[base + b]! >>> bit) & 1) << b;
      out[o + j] = w >>> 0;
    }
  }
}

/**
 * Erosions and dilations of a 0/1 float mask [rows, cols] with OpenCV's rule: dst(x, y) = min (erode) or
 * max (dilate) of src(x + dx, y + dy) over the element's offsets, outside the image 1 for erosion and 0
 * for dilation. Each offset is one slice of the padded mask.
 */
export function morphology(tf: typeof TF, mask: Tensor, steps: readonly MorphStep[]): Tensor {
  let x = mask;
  const [rows, cols] = mask.shape as [number, number];
  for (const step of steps) {
    const erode = step.op === 'erode';
    const offsets = step.groups.flatMap((g) => g.dys.flatMap((dy) => g.dxs.map((dx) => [dy, dx] as const)));
    const ry = Math.max(...offsets.map(([dy]) => Math.abs(dy)));
    const rx = Math.max(...offsets.map(([, dx]) => Math.abs(dx)));
    const padded = tf.pad(
      x,
      [
        [ry, ry],
        [rx, rx],
      ],
      erode ? 1 : 0,
    );
    let acc: Tensor | undefined;
    for (const [dy, dx] of offsets) {
      const s = tf.slice(padded, [ry + dy, rx + dx], [rows, cols]);
      acc = acc ? (erode ? tf.minimum(acc, s) : tf.maximum(acc, s)) : s;
    }
    x = acc!;
  }
  return x;
}
