/**
 * The webgpu engine (TF.js on Dawn) against the CPU engine, on whatever Vulkan device answers — in CI,
 * SwiftShader from Debian's chromium package. Indices within 1e-6 of the CPU's (observed: equal to the
 * bit on SwiftShader) with the same NaN pattern; detector bits and every mask after morphology
 * bit-identical; the same candidates from `archeo scan --backend webgpu` as from `--backend cpu`; device
 * memory back to where it started after a scene of many strips.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { archeo, errorLines } from '../helpers/cli.js';
import { outputEntries, rkhSample, root, tempDir, unuSample } from '../helpers/paths.js';
import { readRaster } from '../helpers/rasters.js';
import { webgpuTest } from '../helpers/webgpu.js';

const peerScene = join(root, 'test', 'fixtures', 'peer', 'scene');

interface Parity {
  indices: Record<string, { worst: number; nanMismatch: number; compared: number }>;
  chunked: { indices: Record<string, { worst: number; nanMismatch: number; compared: number }>; bits: boolean };
  bits: { raw: boolean; valid: boolean; set: number[] };
  morphology: { name: string; equal: boolean; ones: number }[];
  tensors: { before: number; after: number; peakBytes: number };
}

describe('webgpu engine = cpu engine (kernels)', () => {
  let parity: Parity;
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(root, 'build', 'test', 'engine', 'webgpu.parity.js')], {
      encoding: 'utf8',
      timeout: 240000,
    });
    if (r.status !== 0) throw new Error(`webgpu.parity.js failed (${r.status}): ${r.stderr.slice(-2000)}`);
    parity = JSON.parse(r.stdout.trim().split('\n').pop()!);
  });

  webgpuTest('every index within 1e-6 with the same NaN pattern, in one piece and in row chunks', () => {
    for (const result of [parity.indices, parity.chunked.indices]) {
      expect(Object.keys(result)).toHaveLength(11);
      for (const [name, r] of Object.entries(result)) {
        expect({ name, nanMismatch: r.nanMismatch, ok: r.worst <= 1e-6 }).toEqual({ name, nanMismatch: 0, ok: true });
        expect(r.compared).toBeGreaterThan(60000); // most pixels are numbers: the comparison is not empty
      }
    }
  });

  webgpuTest("detector condition and validity bits are the CPU kernel's", () => {
    expect([parity.bits.raw, parity.bits.valid, parity.chunked.bits]).toEqual([true, true, true]);
    for (const words of parity.bits.set) expect(words).toBeGreaterThan(100);
  });

  webgpuTest('morphology is bit-identical for every element and operation (3x3 built-in, 5x5, 7x7, explicit)', () => {
    expect(parity.morphology).toHaveLength(80);
    expect(parity.morphology.filter((m) => !m.equal).map((m) => m.name)).toEqual([]);
    // Neither all-empty nor all-full results: the cases test something.
    expect(parity.morphology.some((m) => m.ones > 0 && m.ones < 45 * 67)).toBe(true);
  });

  webgpuTest('tf.memory().numTensors is back at its start value', () => {
    expect(parity.tensors.after).toBe(parity.tensors.before);
    expect(parity.tensors.peakBytes).toBeGreaterThan(0);
  });
});

function scan(scene: string, args: string[]): { dir: string; report: any } {
  const out = tempDir('archeo-engine-');
  const r = archeo(['scan', scene, '--out', out, '-q', ...args]);
  expect(errorLines(r.stderr)).toEqual([]);
  expect(r.code).toBe(0);
  const dir = join(out, outputEntries(out)[0]!);
  return { dir, report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) };
}

async function compareScenes(a: string, b: string): Promise<void> {
  for (const f of readdirSync(join(a, 'indices'))) {
    const x = (await readRaster(join(a, 'indices', f))).data as Float32Array;
    const y = (await readRaster(join(b, 'indices', f))).data as Float32Array;
    let worst = 0;
    let nanMismatch = 0;
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i]!) || Number.isNaN(y[i]!))
        nanMismatch += Number.isNaN(x[i]!) === Number.isNaN(y[i]!) ? 0 : 1;
      else worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / Math.max(1, Math.abs(x[i]!)));
    }
    expect({ f, nanMismatch, ok: worst <= 1e-6 }).toEqual({ f, nanMismatch: 0, ok: true });
  }
  if (readdirSync(a).includes('masks')) {
    for (const f of readdirSync(join(a, 'masks')))
      expect(readFileSync(join(b, 'masks', f)).equals(readFileSync(join(a, 'masks', f)))).toBe(true);
  }
  // (The SAFE sample has no B08: its detectors are skipped, and there is no candidates.geojson.)
  expect(readdirSync(b).sort()).toEqual(readdirSync(a).sort());
  if (!readdirSync(a).includes('candidates.geojson')) return;
  const features = (d: string): unknown => JSON.parse(readFileSync(join(d, 'candidates.geojson'), 'utf8')).features;
  expect(features(b)).toEqual(features(a));
}

describe('archeo scan --backend webgpu = --backend cpu', () => {
  webgpuTest(
    'the peer crop in 10 strips (morphology across strip borders on the device): same indices, masks and candidates',
    async () => {
      const args = [
        '--params',
        join(root, 'test', 'fixtures', 'peer', 'peer_rule.json'),
        '--resample',
        'nearest',
        '--indices',
        'all',
        '--block',
        '64',
      ];
      const cpu = scan(peerScene, [...args, '--backend', 'cpu']);
      const gpu = scan(peerScene, [...args, '--backend', 'webgpu']);
      expect(cpu.report.detection.candidates).toBeGreaterThanOrEqual(5);
      expect(gpu.report.detection.candidates).toBe(cpu.report.detection.candidates);
      await compareScenes(cpu.dir, gpu.dir);
      expect(gpu.report.engine).toMatchObject({ name: 'webgpu', requested: 'webgpu', kernels: 'tfjs' });
      expect(cpu.report.engine).toMatchObject({ name: 'cpu', requested: 'cpu' });
    },
  );

  for (const [name, sample] of [
    ['COG sample', rkhSample],
    ['SAFE/JP2 sample (offset −1000)', unuSample],
  ] as const) {
    webgpuTest(`${name}: same indices, masks and candidates`, async () => {
      const cpu = scan(sample, ['--backend', 'cpu']);
      const gpu = scan(sample, ['--backend', 'webgpu']);
      await compareScenes(cpu.dir, gpu.dir);
    });
  }

  webgpuTest('memory: a scene of 8 strips on the device leaves no tensor behind; the report names the device', () => {
    const { report } = scan(rkhSample, ['--backend', 'webgpu', '--block', '32']);
    expect(report.stages.indices.count).toBeGreaterThanOrEqual(8);
    expect(report.engine.gpu_memory.tensors).toBe(0);
    expect(report.engine.gpu_memory.bytes).toBe(0);
    expect(report.engine.gpu_memory.peak_bytes).toBeGreaterThan(0);
    expect(report.engine.adapter).toHaveProperty('fallback');
    if (report.engine.adapter.fallback)
      expect(report.recommendations.join(' ')).toMatch(/software GPU: --backend cpu is faster/);
  });
});

describe('engine selection', () => {
  // No software device: what a machine without chromium (and without a GPU) sees.
  const noSwiftShader = { ARCHEO_SWIFTSHADER_ICD: '/nonexistent/vk_swiftshader_icd.json', VK_ICD_FILENAMES: '' };

  test('--backend webgpu without a GPU or SwiftShader: one line, exit 2, nothing written', () => {
    const out = join(tempDir('archeo-engine-'), 'out');
    const r = archeo(['scan', rkhSample, '--out', out, '--backend', 'webgpu'], noSwiftShader);
    expect(r.code).toBe(2);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^archeo: --backend webgpu: (no Vulkan GPU driver answered and no software device is installed|the Vulkan loader libvulkan\.so\.1 is missing).*chromium/,
    );
    expect(() => readdirSync(out)).toThrow();
  });

  test('--backend tensorflow without tfjs-node-gpu: one line naming the package, exit 2', () => {
    const r = archeo(['scan', rkhSample, '--out', join(tempDir(), 'out'), '--backend', 'tensorflow']);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(/^archeo: --backend tensorflow: @tensorflow\/tfjs-node-gpu is not installed/),
    ]);
  });

  test('auto without a hardware GPU runs on the CPU and says so in the report', () => {
    const { report } = scan(rkhSample, []);
    expect(report.engine.requested).toBe('auto');
    expect(report.engine.name).toBe('cpu');
    expect(report.engine.note).toMatch(/^auto: .*running on the CPU$/);
  });

  test('archeo info --engines: cpu, webgpu, tensorflow with availability and reasons', () => {
    const r = archeo(['info', '--engines', '--json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.engines.map((e: { engine: string }) => e.engine)).toEqual(['cpu', 'webgpu', 'tensorflow']);
    expect(d.engines[0].available).toBe(true);
    for (const e of d.engines) if (!e.available) expect(e.reason).toMatch(/\w/);
    expect(d.auto.engine).toBe('cpu');
    const text = archeo(['info', '--engines'], noSwiftShader).stdout;
    expect(text).toMatch(/^webgpu +not available\n.*\n {2}why: .*chromium/m);
  });
});
