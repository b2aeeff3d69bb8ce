/**
 * `archeo info --engines`: every engine, whether it is available here, on which device with which
 * limits, and why an unavailable one is not (what to install). `auto` is resolved as a scan would.
 */
import { autoPick, cpuDevice } from '../engine/select.js';
import type { DeviceInfo, EngineName } from '../engine/engine.js';
import { probeEngine } from '../engine/tfjs/probe.js';
import { simdAvailable } from '../engine/cpu/wasm.kernels.js';

export interface EngineStatus {
  engine: EngineName;
  available: boolean;
  device?: DeviceInfo;
  /** Kernels and how they run. */
  detail: string;
  reason?: string;
}

export interface EnginesReport {
  engines: EngineStatus[];
  /** What `--backend auto` picks here, and why. */
  auto: { engine: EngineName; why: string };
}

export async function describeEngines(): Promise<EnginesReport> {
  const [webgpu, tensorflow] = await Promise.all([probeEngine('webgpu', true), probeEngine('tensorflow', false)]);
  const engines: EngineStatus[] = [
    {
      engine: 'cpu',
      available: true,
      device: cpuDevice(),
      detail: simdAvailable()
        ? 'typed-array kernels compiled to WebAssembly SIMD, worker threads'
        : 'JavaScript typed-array kernels, worker threads',
    },
    {
      engine: 'webgpu',
      available: webgpu.available,
      device: webgpu.device,
      detail: 'TF.js (tfjs-backend-webgpu) on Dawn (the webgpu package), Vulkan',
      reason: webgpu.reason,
    },
    {
      engine: 'tensorflow',
      available: tensorflow.available,
      device: tensorflow.device,
      detail: 'TF.js on libtensorflow (@tensorflow/tfjs-node-gpu, CUDA)',
      reason: tensorflow.reason,
    },
  ];
  const pick = autoPick(webgpu, tensorflow);
  return { engines, auto: { engine: pick.probe?.engine ?? 'cpu', why: pick.why } };
}

export function formatEngines(r: EnginesReport): string {
  const lines: string[] = [];
  for (const e of r.engines) {
    lines.push(`${e.engine.padEnd(11)}${e.available ? 'available' : 'not available'}`);
    lines.push(`  ${e.detail}`);
    if (e.device) {
      lines.push(
        `  device: ${e.device.description}${e.device.software ? ' — a software device (slower than the cpu engine)' : ''}`,
      );
      if (e.device.limits)
        lines.push(
          `  limits: max storage buffer binding ${mib(e.device.limits.maxStorageBufferBindingSize)}, max buffer ${mib(e.device.limits.maxBufferSize)}`,
        );
    }
    if (!e.available && e.reason) lines.push(`  why: ${e.reason}`);
  }
  lines.push(`--backend auto → ${r.auto.engine} (${r.auto.why})`);
  return `${lines.join('\n')}\n`;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
