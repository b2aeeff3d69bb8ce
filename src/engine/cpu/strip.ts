/**
 * The CPU engine's work on one strip task, in the worker thread that runs it: every band resampled onto
 * the task's grid window (reflectance by table lookup, OpenCV-exact plans), the SCL cloud mask, every
 * index by the compiled kernel, the detectors' condition bits, the float predictor of full output tiles
 * and level 1 of the outputs' overviews. With SIMD (every current Node) the planes, outputs and bits live
 * in one WebAssembly arena and the WebAssembly kernels run over them; otherwise plain typed arrays and
 * the generated JavaScript kernels do the same arithmetic (bit-identical). Candidate statistics recompute
 * the indices at the candidates' pixels only.
 *
 * The pipeline's worker (pipeline/scan/scan.worker.ts) owns the message protocol and the tile encoding;
 * this file owns the per-pixel work, with the same shape as a device engine: compiled once per scene
 * (`compileCpuScene`), then called per task.
 */
import { bandsOfIndices, indexByName, type IndexDef } from '../../compute/indices.js';
import { maskLut, reflectanceTable } from '../../compute/radiometry.js';
import { planAxis, resampleClasses, type AxisPlan, type GridWindow, type PlanSpec } from '../../compute/resample.js';
import type { CpuSceneKernels, CpuSceneSpec, CpuStrip, IndexKernel, StripBits, StripInput } from '../engine.js';
import { compileConditions, compileIndexKernel, type ConditionKernel } from './compile.js';
import { compileWasmKernels, conditionSlots, WasmArena, type WasmKernels } from './wasm.kernels.js';
import { bandPlaneJs, bandPlaneWasm, bandScratchBytes } from './band.plane.js';
import { sumsOverRuns } from './strip.stats.js';

type Plans = { x: AxisPlan; y: AxisPlan };

function plansOf(spec: PlanSpec): Plans {
  return {
    x: planAxis(spec.gridWidth, spec.srcWidth, spec.method, 'x'),
    y: planAxis(spec.gridHeight, spec.srcHeight, spec.method, 'y'),
  };
}

/**
 * Buffers reused from task to task: a worker runs one task at a time, and zeroing fresh megabytes for
 * every plane of every task costs as much as the arithmetic. One per worker thread (module state).
 */
class Scratch {
  private readonly free = new Map<string, Float32Array[]>();
  private readonly used: [string, Float32Array][] = [];
  private mask = new Uint8Array(0);
  take(name: string, n: number): Float32Array {
    const list = this.free.get(name) ?? [];
    let buf = list.pop();
    if (!buf || buf.length < n) buf = new Float32Array(n);
    this.used.push([name, buf]);
    return buf.length === n ? buf : buf.subarray(0, n);
  }
  takeMask(n: number): Uint8Array {
    if (this.mask.length < n) this.mask = new Uint8Array(n);
    return this.mask.subarray(0, n);
  }
  release(): void {
    for (const [name, buf] of this.used) {
      const full = new Float32Array(buf.buffer); // whole allocation, whatever view was handed out
      const list = this.free.get(name) ?? [];
      list.push(full);
      this.free.set(name, list);
    }
    this.used.length = 0;
  }
}
const scratch = new Scratch();
const take = (name: string, n: number): Float32Array => scratch.take(name, n);

function countNumbers(a: Float32Array, from = 0): number {
  let c = 0;
  for (let i = from; i < a.length; i++) if (a[i] === a[i]) c++;
  return c;
}

/** Pixels of a plane that are not NaN (valid, unmasked): the JavaScript count. */
export function countValidPixels(plane: Float32Array | undefined): number {
  return plane ? countNumbers(plane) : 0;
}

const gridOf = (input: StripInput): GridWindow => ({
  x0: input.gridX0,
  y0: input.gridY0,
  width: input.cols,
  height: input.rows,
});

/** The CPU engine's kernels for one scene: compiled once per scene in each worker. */
class CpuScene implements CpuSceneKernels {
  private readonly kernel: IndexKernel;
  private readonly plans: Plans[];
  /** Reflectance of every DN, per band (a lookup instead of a division per pixel). */
  private readonly luts: Float32Array[];
  /** The WebAssembly SIMD kernels, when asked for (Node 16.4+ has SIMD). */
  private readonly wasm: WasmKernels | undefined;
  /** The reflectance tables in the kernels' memory (addresses), per band. */
  private readonly wasmLuts: number[];
  private readonly conditions: ConditionKernel | undefined;
  /** Single-index kernels for ring statistics, by slot. */
  private readonly single = new Map<number, IndexKernel>();
  private readonly sclPlan: Plans | undefined;
  private readonly sclLut: Uint8Array | undefined;

  constructor(private readonly spec: CpuSceneSpec) {
    const defs = spec.indexNames.map((n) => indexByName(n)).filter((d): d is IndexDef => d !== undefined);
    this.kernel = compileIndexKernel(defs);
    this.luts = spec.bands.map((b) => reflectanceTable(b.radiometry, 16));
    const wasm = spec.simd ? compileWasmKernels(defs, bandsOfIndices(defs), spec.detect ?? []) : undefined;
    this.wasm = wasm;
    this.wasmLuts = wasm
      ? this.luts.map((lut) => {
          const ptr = wasm.arena.allocStatic(lut.byteLength);
          wasm.arena.f32(ptr, lut.length).set(lut);
          return ptr;
        })
      : [];
    this.conditions = spec.detect ? compileConditions(spec.detect) : undefined;
    this.plans = spec.bands.map((b) => plansOf(b.plan));
    this.sclPlan = spec.scl ? plansOf(spec.scl.plan) : undefined;
    this.sclLut = spec.scl ? maskLut(spec.scl.maskClasses) : undefined;
  }

  get indexNames(): readonly string[] {
    return this.kernel.names;
  }

  strip(input: StripInput, tileSize: number): CpuStrip {
    const grid = gridOf(input);
    return this.wasm ? this.wasmStrip(this.wasm, input, grid, tileSize) : this.jsStrip(input, grid);
  }

  planes(input: StripInput): { planes: Float32Array[]; masked: Uint8Array | undefined } {
    const grid = gridOf(input);
    const n = input.rows * input.cols;
    // Fresh arrays: they are transferred to the main thread, not copied. The scratch rows go back to the
    // pool at once (before, a device engine's scene kept every task's scratch referenced until its end).
    try {
      const planes = input.bands.map((win, i) => {
        const plane = new Float32Array(n);
        bandPlaneJs(win, this.luts[i]!, this.plans[i]!, this.spec.bands[i]!.plan.srcWidth, grid, plane, take);
        return plane;
      });
      const masked = input.scl ? new Uint8Array(n) : undefined;
      if (masked) this.fillMask(input, grid, masked);
      return { planes, masked };
    } finally {
      scratch.release();
    }
  }

  /**
   * Sums of the indices over runs of pixels, computing the bands at those pixels only (sampleRuns: the
   * same arithmetic as the plane kernels) and the indices over the compact planes with the compiled
   * kernel: the cost follows the candidates' pixels, not the region around them. `runs` holds 4 integers
   * per run: slot (-1 = every index, over a candidate's pixels; else that index only, over ring pixels),
   * full-grid row, first and last+1 full-grid column. Per run: the sums then the counts of finite values
   * of every index (2 x indices numbers per run).
   */
  stats(input: StripInput, runs: Int32Array): Float64Array {
    const M = this.kernel.names.length;
    const nRuns = runs.length / 4;
    const out = new Float64Array(nRuns * 2 * M);
    // Candidate pixels need every index; ring pixels only their detector's: one group per slot.
    const groups = new Map<number, number[]>();
    for (let r = 0; r < nRuns; r++) {
      const slot = runs[4 * r]!;
      const list = groups.get(slot) ?? [];
      groups.set(slot, list);
      list.push(r);
    }
    for (const [slot, list] of groups) {
      const sub = new Int32Array(list.length * 4);
      list.forEach((r, k) => sub.set(runs.subarray(4 * r, 4 * r + 4), 4 * k));
      const kernel = slot < 0 ? this.kernel : this.kernelFor(slot);
      const bands = kernel.bands.map((band) => this.kernel.bands.indexOf(band));
      const sources = bands.map((b) => ({ win: input.bands[b]!, lut: this.luts[b]!, plan: this.plans[b]! }));
      const scl =
        input.scl && this.sclPlan && this.sclLut ? { win: input.scl, lut: this.sclLut, plan: this.sclPlan } : undefined;
      const sums = sumsOverRuns(kernel, sources, scl, sub);
      const slots = slot < 0 ? Array.from({ length: M }, (_, m) => m) : [slot];
      list.forEach((r, k) => {
        slots.forEach((m, j) => {
          out[r * 2 * M + m] = sums[k * 2 * slots.length + j]!;
          out[r * 2 * M + M + m] = sums[k * 2 * slots.length + slots.length + j]!;
        });
      });
    }
    return out;
  }

  release(): void {
    scratch.release();
  }

  predictTile(src: Float32Array, stride: number, x0: number, size: number, into: Uint8Array): boolean {
    const wk = this.wasm;
    if (!wk) return false;
    // Between tasks the arena's task area is free: the tile's rows go in, its predicted bytes come out
    // (copies cost a fifth of what the JavaScript predictor takes for the same tile).
    const bytes = size * size * 4;
    wk.arena.reset(2 * WasmArena.size(bytes));
    const from = wk.arena.alloc(bytes);
    const to = wk.arena.alloc(bytes);
    const tile = wk.arena.f32(from, size * size);
    for (let y = 0; y < size; y++) tile.set(src.subarray(x0 + y * stride, x0 + y * stride + size), y * size);
    wk.fpredict(from, to, size, size, size * 4);
    into.set(wk.arena.u8(to, bytes));
    return true;
  }

  averageRow2x2(a: Float32Array, b: Float32Array, out: Float32Array): number {
    const wk = this.wasm;
    const quads = out.length >> 2;
    if (!wk || quads === 0) return 0;
    // Between tasks, as predictTile: the two rows in (a's 8·quads values, then b's), the averages out.
    const n = 4 * quads;
    wk.arena.reset(WasmArena.size(16 * n) + WasmArena.size(4 * n));
    const from = wk.arena.alloc(16 * n);
    const to = wk.arena.alloc(4 * n);
    const rows = wk.arena.f32(from, 4 * n);
    rows.set(a.subarray(0, 2 * n));
    rows.set(b.subarray(0, 2 * n), 2 * n);
    wk.favg2(from, to, 1, quads, 8 * n, 0);
    out.set(wk.arena.f32(to, n));
    return n;
  }

  /** A kernel for one index slot (ring pixels), compiled once per scene. */
  private kernelFor(slot: number): IndexKernel {
    let k = this.single.get(slot);
    if (!k) {
      k = compileIndexKernel([indexByName(this.kernel.names[slot]!)!]);
      this.single.set(slot, k);
    }
    return k;
  }

  private fillMask(input: StripInput, grid: GridWindow, masked: Uint8Array): void {
    if (!input.scl || !this.sclPlan || !this.sclLut) return;
    const win = input.scl;
    resampleClasses(
      { ...win, data: win.data as Uint8Array },
      this.sclPlan.x,
      this.sclPlan.y,
      grid,
      this.sclLut,
      masked,
    );
  }

  /**
   * The task in WebAssembly memory: planes, mask, outputs, predictor tiles and bits reserved up front
   * (growing the memory would detach views made earlier), SIMD kernels over them.
   */
  private wasmStrip(wk: WasmKernels, input: StripInput, grid: GridWindow, size: number): CpuStrip {
    const n = grid.width * grid.height;
    const arena = wk.arena;
    const tilesAcross = Math.ceil(input.cols / size);
    const M = this.kernel.names.length;
    const detect = this.spec.detect;
    const D = detect ? detect.length : 0;
    const words = Math.ceil(input.cols / 32) * input.rows;
    let bytes =
      (input.bands.length + M) * WasmArena.size(n * 4) +
      WasmArena.size(n) +
      M * tilesAcross * WasmArena.size(size * size * 4) +
      2 * D * WasmArena.size(words * 4) +
      WasmArena.size(n); // level 1 of one index: a quarter of its n float32 values
    input.bands.forEach((win, i) => {
      bytes += bandScratchBytes(win, this.plans[i]!, this.spec.bands[i]!.plan.srcWidth, grid);
    });
    arena.reset(bytes);
    const planePtrs = input.bands.map(() => arena.alloc(n * 4));
    const maskPtr = input.scl ? arena.alloc(n) : 0;
    const outPtrs = this.kernel.names.map(() => arena.alloc(n * 4));
    const predPtrs = outPtrs.map(() => Array.from({ length: tilesAcross }, () => arena.alloc(size * size * 4)));
    const rawPtrs = Array.from({ length: D }, () => arena.alloc(words * 4));
    const validPtrs = Array.from({ length: D }, () => arena.alloc(words * 4));
    const level1Ptr = arena.alloc(n);
    const outs = outPtrs.map((p) => arena.f32(p, n));
    return {
      outs,
      fillPlanes: () => {
        input.bands.forEach((win, i) => {
          const srcWidth = this.spec.bands[i]!.plan.srcWidth;
          bandPlaneWasm(wk, win, this.wasmLuts[i]!, this.plans[i]!, srcWidth, grid, planePtrs[i]!);
        });
        if (maskPtr) this.fillMask(input, grid, arena.u8(maskPtr, n));
      },
      runIndices: () => wk.indices(n, maskPtr, planePtrs, outPtrs),
      countValid: () => {
        if (!outPtrs.length) return 0;
        const quads = n >> 2;
        return wk.countValid(outPtrs[0]!, quads) + countNumbers(outs[0]!, quads * 4);
      },
      conditions: (): StripBits | undefined => {
        if (!D || !wk.conditions || !this.conditions) return undefined;
        const stride = Math.ceil(input.cols / 32);
        const groups = input.cols >>> 5;
        const slots = conditionSlots(detect!);
        for (let y = 0; y < input.rows; y++) {
          wk.conditions(
            slots.map((m) => outPtrs[m]! + y * input.cols * 4),
            groups,
            rawPtrs.map((p) => p + y * stride * 4),
            validPtrs.map((p) => p + y * stride * 4),
          );
        }
        const raw = rawPtrs.map((p) => arena.u32(p, words));
        const valid = validPtrs.map((p) => arena.u32(p, words));
        // The last partial word of each row (cols not a multiple of 32), by the JavaScript kernel.
        if (groups < stride) this.conditions(outs, input.rows, input.cols, raw, valid, groups);
        return { raw: raw.map((a) => a.slice()), valid: valid.map((a) => a.slice()) };
      },
      predictedTile: (i, k) => {
        const x0 = k * size;
        if (input.rows !== size || x0 + size > input.cols) return undefined;
        const dst = predPtrs[i]![k]!;
        wk.fpredict(outPtrs[i]! + x0 * 4, dst, size, size, input.cols * 4);
        // A view of the arena: valid until the next strip resets it, so the worker compresses every tile
        // of a task before it takes the next task.
        return arena.u8(dst, size * size * 4);
      },
      level1: (i) => {
        const rows = input.rows >> 1;
        const quads = input.cols >> 3; // 8 source columns make 4 outputs
        wk.favg2(outPtrs[i]!, level1Ptr, rows, quads, input.cols * 4, quads * 16);
        return { samples: arena.f32(level1Ptr, rows * quads * 4), rows, cols: quads * 4, stride: quads * 4 };
      },
    };
  }

  /** The task in plain typed arrays with the generated JavaScript kernels (`--no-simd`). */
  private jsStrip(input: StripInput, grid: GridWindow): CpuStrip {
    const { kernel } = this;
    const n = grid.width * grid.height;
    const planes = input.bands.map((_, i) => scratch.take(`plane${i}`, n));
    const masked = input.scl ? scratch.takeMask(n) : undefined;
    const outs = kernel.names.map((_, i) => scratch.take(`out${i}`, n));
    return {
      outs,
      fillPlanes: () => {
        input.bands.forEach((win, i) => {
          bandPlaneJs(win, this.luts[i]!, this.plans[i]!, this.spec.bands[i]!.plan.srcWidth, grid, planes[i]!, take);
        });
        if (masked) this.fillMask(input, grid, masked);
      },
      runIndices: () => kernel.run(planes, masked, outs, n),
      countValid: () => countValidPixels(outs[0]),
      conditions: () => {
        if (!this.conditions || !this.spec.detect) return undefined;
        const words = Math.ceil(input.cols / 32) * input.rows;
        const D = this.spec.detect.length;
        const bits = {
          raw: Array.from({ length: D }, () => new Uint32Array(words)),
          valid: Array.from({ length: D }, () => new Uint32Array(words)),
        };
        this.conditions(outs, input.rows, input.cols, bits.raw, bits.valid);
        return bits;
      },
      predictedTile: () => undefined,
    };
  }
}

/** The CPU engine's kernels for one scene (indices, conditions, resampling plans, reflectance tables). */
export function compileCpuScene(spec: CpuSceneSpec): CpuSceneKernels {
  return new CpuScene(spec);
}
