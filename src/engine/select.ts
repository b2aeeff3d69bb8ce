/**
 * `--backend auto|cpu|webgpu|tensorflow` → the engine a run uses. `auto` takes a hardware GPU when one
 * answers (WebGPU first, then tfjs-node-gpu when installed) and the CPU otherwise — never a software
 * adapter by itself. Asking for an engine by name that is not available is a usage error that says what
 * is missing; asking for webgpu on a machine without a GPU uses SwiftShader when it is installed.
 */
import os from 'node:os';
import { UsageError } from '../core/errors.js';
import type { BackendChoice, DeviceEngine, DeviceInfo, EngineName } from './engine.js';
import { tfjsNodeInstalled } from './tfjs/adapter.js';
import { probeEngine, type ProbeResult } from './tfjs/probe.js';

export interface EngineSelection {
  name: EngineName;
  /** The device engine, when not the CPU (close it when done). */
  engine: DeviceEngine | undefined;
  device: DeviceInfo;
  /** What was asked for. */
  requested: BackendChoice;
  /** Why `auto` stayed on the CPU, or that a software adapter is in use. */
  note?: string;
}

export function cpuDevice(): DeviceInfo {
  return { description: `${os.cpus()[0]?.model.trim() ?? 'CPU'} x${os.availableParallelism()}`, software: false };
}

export async function selectEngine(choice: BackendChoice): Promise<EngineSelection> {
  if (choice === 'cpu') return { name: 'cpu', engine: undefined, device: cpuDevice(), requested: choice };
  if (choice === 'auto') {
    const webgpu = await probeEngine('webgpu', false);
    const tensorflow =
      webgpu.available && !webgpu.device?.software
        ? undefined
        : tfjsNodeInstalled()
          ? await probeEngine('tensorflow', false)
          : undefined;
    const pick = autoPick(webgpu, tensorflow);
    if (pick.probe) return open(pick.probe, choice);
    return {
      name: 'cpu',
      engine: undefined,
      device: cpuDevice(),
      requested: choice,
      note: `auto: ${pick.why}; running on the CPU`,
    };
  }
  const probe = await probeEngine(choice, true);
  if (!probe.available) throw new UsageError(`--backend ${choice}: ${probe.reason ?? 'not available'}`);
  return open(probe, choice);
}

/**
 * What `auto` takes from the probes: a hardware WebGPU adapter, else tfjs-node-gpu, else the CPU — with
 * the reason in words. (`tensorflow` undefined: not probed.)
 */
export function autoPick(
  webgpu: ProbeResult,
  tensorflow: ProbeResult | undefined,
): { probe?: ProbeResult; why: string } {
  if (webgpu.available && !webgpu.device?.software)
    return { probe: webgpu, why: `hardware GPU: ${webgpu.device?.description}` };
  if (tensorflow?.available) return { probe: tensorflow, why: 'tfjs-node-gpu is installed' };
  return {
    why: webgpu.available
      ? `only a software adapter answered (${webgpu.device?.description}); auto never picks one`
      : (webgpu.reason ?? 'no GPU engine is available'),
  };
}

async function open(probe: ProbeResult, requested: BackendChoice): Promise<EngineSelection> {
  const { openTfjs } = await import('./tfjs/backend.js');
  const { TfjsEngine } = await import('./tfjs/engine.js');
  const engine = new TfjsEngine(await openTfjs(probe));
  const note = engine.device.software
    ? `${engine.device.description} is a software device (the CPU pretending to be a GPU): --backend cpu is faster; install a GPU driver for a real speed-up (docs/gpu.md)`
    : undefined;
  return { name: engine.name, engine, device: engine.device, requested, note };
}
