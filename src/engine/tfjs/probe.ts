/**
 * Which engines this machine has: each GPU engine is probed in a child process (probe.main.ts) so that a
 * driver's messages, hangs or crashes stay out of archeo's own process. A probe takes about 0.1-0.3 s.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DeviceInfo, EngineName } from '../engine.js';

export interface ProbeResult {
  engine: Exclude<EngineName, 'cpu'>;
  available: boolean;
  /** Why not, in words that say what to install. */
  reason?: string;
  device?: DeviceInfo;
  /** The Vulkan driver file the engine must be opened with (VK_ICD_FILENAMES), when the probe chose one. */
  icd?: string | null;
}

const PROBE = fileURLToPath(new URL('./probe.main.js', import.meta.url));

/**
 * Probes one engine. `software`: a software adapter is acceptable (asked for by name, or for tests); then
 * SwiftShader is used when no hardware adapter answers.
 */
export function probeEngine(
  engine: Exclude<EngineName, 'cpu'>,
  software: boolean,
  timeoutMs = 30000,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PROBE, engine, ...(software ? ['--software'] : [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const r = JSON.parse(line) as Omit<ProbeResult, 'engine'>;
        if (!r.available && engine === 'webgpu')
          r.reason = explainVulkan(
            r.reason ?? 'not available',
            err,
            (r as { swiftshader?: string | null }).swiftshader,
          );
        resolve({ engine, ...r });
      } catch {
        const why =
          signal === 'SIGKILL'
            ? `no answer in ${timeoutMs / 1000} s`
            : `the probe ended with ${signal ?? `exit ${code}`}`;
        resolve({ engine, available: false, reason: `${why}: ${err.trim().split('\n').slice(-1)[0] ?? ''}`.trim() });
      }
    });
  });
}

/** Turns Dawn's Vulkan messages into what to install. */
function explainVulkan(reason: string, stderr: string, swiftshader: string | null | undefined): string {
  if (/libvulkan\.so\.1/.test(stderr))
    return 'the Vulkan loader libvulkan.so.1 is missing (Debian: apt-get install libvulkan1, plus a GPU driver or chromium for SwiftShader)';
  if (/Found no drivers|INCOMPATIBLE_DRIVER/.test(stderr) || /no WebGPU adapter/.test(reason)) {
    return swiftshader
      ? `no hardware GPU answered (a software device is available: --backend webgpu uses SwiftShader from ${swiftshader})`
      : 'no Vulkan GPU driver answered and no software device is installed (a GPU driver: NVIDIA, AMD or Intel Vulkan ICD; or Debian: apt-get install chromium for SwiftShader)';
  }
  return reason;
}
