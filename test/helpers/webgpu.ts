/**
 * The webgpu engine in tests: available when Dawn finds a Vulkan device — a GPU, or SwiftShader from
 * Debian's chromium package. Tests using it run when it is available; with ARCHEO_REQUIRE_WEBGPU=1 (set
 * by .ci/run, which installs chromium) a missing engine fails instead of skipping.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { testIf } from './skip.js';
import { root } from './paths.js';

function probe(): { available: boolean; reason?: string } {
  const r = spawnSync(
    process.execPath,
    [join(root, 'build', 'src', 'engine', 'tfjs', 'probe.main.js'), 'webgpu', '--software'],
    { encoding: 'utf8', timeout: 60000 },
  );
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    return { available: false, reason: r.stderr.slice(-300) };
  }
}

const found = probe();
export const webgpuAvailable = found.available;
if (!webgpuAvailable && process.env['ARCHEO_REQUIRE_WEBGPU'] === '1') {
  throw new Error(
    `ARCHEO_REQUIRE_WEBGPU=1 but the webgpu engine is not available: ${found.reason} (apt-get install chromium libvulkan1)`,
  );
}

/** `test` when the webgpu engine is available; otherwise skipped with the probe's reason (helpers/skip.ts). */
export const webgpuTest = testIf(
  webgpuAvailable,
  `no Vulkan device answered for the webgpu engine (${(found.reason ?? 'no reason given').split('\n')[0]}; apt-get install chromium libvulkan1 for SwiftShader)`,
);
