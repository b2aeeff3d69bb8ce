/** What both the probe (a child process) and the run need to know about the GPU engines: is tfjs-node-gpu there, is an adapter software, where SwiftShader is. */
import { createRequire } from 'node:module';

/** Whether the optional @tensorflow/tfjs-node-gpu is installed (resolvable; loading it is the probe's job). */
export function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
}

/** What tells a software rasteriser answering as a GPU (SwiftShader, llvmpipe) from a hardware device. */
export interface AdapterFacts {
  vendor?: string;
  architecture?: string;
  description?: string;
  device?: string;
  isFallbackAdapter?: boolean;
}

export function isSoftwareAdapter(info: AdapterFacts): boolean {
  return (
    info.isFallbackAdapter === true ||
    /swiftshader|llvmpipe|lavapipe|softpipe|software/i.test(
      `${info.vendor} ${info.architecture} ${info.description} ${info.device}`,
    )
  );
}

/** Chromium's SwiftShader (Debian's chromium package): a Vulkan device on the CPU. */
export const SWIFTSHADER_ICD = process.env['ARCHEO_SWIFTSHADER_ICD'] ?? '/usr/lib/chromium/vk_swiftshader_icd.json';
