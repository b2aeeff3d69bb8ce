/**
 * TF.js in archeo's own process, on the engine a probe found (probe.ts): `webgpu` — tfjs-core with
 * tfjs-backend-webgpu on Dawn (the `webgpu` npm package, Vulkan underneath; SwiftShader when the probe
 * chose it) — or `tensorflow` — @tensorflow/tfjs-node-gpu, when the user has installed it.
 *
 * Dawn keeps the process alive while its instance exists, and tfjs-backend-webgpu looks for
 * `navigator.gpu`: both are set here and removed by `close()`, which also destroys the device.
 */
import type * as TF from '@tensorflow/tfjs-core';
import { UsageError } from '../../core/errors.js';
import type { DeviceInfo, EngineName } from '../engine.js';
import type { ProbeResult } from './probe.js';

export interface TfjsRuntime {
  tf: typeof TF;
  engine: Exclude<EngineName, 'cpu'>;
  device: DeviceInfo;
  close(): Promise<void>;
}

/** Opens the engine a probe found available. */
export async function openTfjs(probe: ProbeResult): Promise<TfjsRuntime> {
  if (!probe.available || !probe.device)
    throw new UsageError(`--backend ${probe.engine}: ${probe.reason ?? 'not available'}`);
  return probe.engine === 'webgpu' ? openWebgpu(probe) : openTensorflow(probe);
}

async function openWebgpu(probe: ProbeResult): Promise<TfjsRuntime> {
  if (probe.icd) process.env['VK_ICD_FILENAMES'] = probe.icd;
  const dawn = (await import('webgpu')) as unknown as { create: (o: string[]) => GPU; globals: object };
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const g = globalThis as { navigator?: unknown };
  const hadNavigator = 'navigator' in g;
  if (!hadNavigator) g.navigator = { gpu };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new UsageError('--backend webgpu: the WebGPU adapter found by the probe did not answer again');
  const l = adapter.limits;
  // The largest buffers the adapter allows: the engine sizes its work from these limits.
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  const tf = (await import('@tensorflow/tfjs-core')) as typeof TF;
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  // The package registers a 'webgpu' backend that picks its own adapter; the kernels are registered
  // under that name, so ours replaces it with the device chosen here.
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info as never));
  if (!(await tf.setBackend('webgpu')))
    throw new UsageError('--backend webgpu: TF.js could not start its WebGPU backend on this device');
  await tf.ready();
  const info = adapter.info;
  const limits = {
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
  };
  return {
    tf,
    engine: 'webgpu',
    device: { ...probe.device!, vendor: info.vendor, architecture: info.architecture, limits },
    close: async () => {
      tf.engine().reset();
      device.destroy();
      if (!hadNavigator) delete g.navigator;
    },
  };
}

async function openTensorflow(probe: ProbeResult): Promise<TfjsRuntime> {
  const tf = (await import('@tensorflow/tfjs-node-gpu' as string)) as typeof TF;
  await tf.ready();
  return { tf, engine: 'tensorflow', device: probe.device!, close: async () => tf.engine().reset() };
}
