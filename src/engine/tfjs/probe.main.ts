/**
 * Child-process probe of the GPU engines (run by engine/tfjs/probe.ts as `node probe.main.js KIND
 * [--software]`): loads the engine's native layer, asks for an adapter and prints one JSON line. It runs
 * apart from archeo's process because a GPU driver may print to stderr, hang, or crash at load time, and
 * because Dawn keeps a process alive while an instance exists.
 */
import { existsSync } from 'node:fs';
import { isSoftwareAdapter, SWIFTSHADER_ICD, tfjsNodeInstalled } from './adapter.js';

const [kind, ...flags] = process.argv.slice(2);
const software = flags.includes('--software');

function print(result: Record<string, unknown>): never {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

async function probeWebgpu(): Promise<never> {
  let mod: { create: (o: string[]) => GPU; globals: object };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (err) {
    print({
      available: false,
      reason: `the webgpu package (Dawn) does not load here: ${(err as Error).message.split('\n')[0]}`,
    });
  }
  Object.assign(globalThis, mod.globals);
  const ask = async (): Promise<GPUAdapter | null> =>
    mod.create([]).requestAdapter({ powerPreference: 'high-performance' });
  let adapter = await ask();
  let icd: string | undefined;
  const soft = (a: GPUAdapter | null): boolean => a !== null && isSoftwareAdapter(a.info as never);
  if (
    (adapter === null || soft(adapter)) &&
    software &&
    !process.env['VK_ICD_FILENAMES'] &&
    existsSync(SWIFTSHADER_ICD)
  ) {
    // The Vulkan loader reads VK_ICD_FILENAMES when an instance is created: a new instance sees SwiftShader.
    process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
    icd = SWIFTSHADER_ICD;
    const sw = await ask();
    if (sw) adapter = sw;
  }
  if (adapter === null) {
    print({
      available: false,
      reason: 'no WebGPU adapter (no Vulkan GPU driver answered)',
      swiftshader: existsSync(SWIFTSHADER_ICD) ? SWIFTSHADER_ICD : null,
    });
  }
  const info = adapter.info;
  print({
    available: true,
    icd: icd ?? process.env['VK_ICD_FILENAMES'] ?? null,
    device: {
      vendor: info.vendor,
      architecture: info.architecture,
      description: `${info.vendor} ${info.architecture}${info.description ? ` (${info.description})` : ''}`.trim(),
      software: isSoftwareAdapter(info as never),
      limits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    },
  });
}

async function probeTensorflow(): Promise<never> {
  if (!tfjsNodeInstalled()) {
    print({
      available: false,
      reason:
        '@tensorflow/tfjs-node-gpu is not installed (an optional dependency: it needs CUDA and a libtensorflow download, see docs/gpu.md)',
    });
  }
  try {
    const tf = (await import('@tensorflow/tfjs-node-gpu' as string)) as {
      getBackend(): string;
      ready(): Promise<void>;
    };
    await tf.ready();
    print({
      available: true,
      device: {
        vendor: 'tensorflow',
        architecture: tf.getBackend(),
        description: 'libtensorflow (CUDA when it finds a GPU)',
        software: false,
      },
    });
  } catch (err) {
    print({
      available: false,
      reason: `@tensorflow/tfjs-node-gpu does not load: ${(err as Error).message.split('\n')[0]}`,
    });
  }
}

if (kind === 'webgpu') await probeWebgpu();
else if (kind === 'tensorflow') await probeTensorflow();
else print({ available: false, reason: `unknown engine ${kind}` });
