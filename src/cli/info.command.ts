/** `archeo info <path>`: print what archeo sees in a scene. */
import { Command } from 'commander';
import type { CommonOptions } from './options.js';

export function infoCommand(): Command {
  return new Command('info')
    .description('Show what archeo finds in a scene: bands, resolution, size, CRS, offsets, date, id')
    .argument('<path>', 'a COG folder or a .SAFE product')
    .option('--json', 'print as JSON on stdout')
    .option('-q, --quiet', 'print warnings and errors only')
    .option('-v, --verbose', 'print debug events')
    .addHelpText('after', '\nExamples:\n  archeo info samples/S2A_29RKH_20200219_0_L2A\n  archeo info product.SAFE --json')
    .action(async (path: string, flags: CommonOptions) => {
      const { describeScene, formatScene } = await import('../pipeline/info.js');
      const d = await describeScene(path);
      process.stdout.write(flags.json ? JSON.stringify(d, null, 2) + '\n' : formatScene(d));
    });
}
