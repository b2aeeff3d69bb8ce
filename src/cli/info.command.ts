/** `archeo info <path>`: print what archeo sees in a scene. */
import { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { CommonOptions } from './options.js';

export function infoCommand(): Command {
  return new Command('info')
    .description(
      'Show what archeo finds in a scene (bands, resolution, size, CRS, offsets, date, id) or an HDF5 file (datasets, dates, every attribute)',
    )
    .argument('[path]', 'a COG folder, a .SAFE product, a STAC item (URL or .json), or a MintPy HDF5 file')
    .option(
      '--engines',
      'list the compute engines (cpu, webgpu, tensorflow): available here or not and why, device, limits',
    )
    .option('--json', 'print as JSON on stdout')
    .option('-q, --quiet', 'print warnings and errors only')
    .option('-v, --verbose', 'print debug events')
    .addHelpText(
      'after',
      '\nExamples:\n  archeo info samples/S2A_29RKH_20200219_0_L2A\n  archeo info product.SAFE --json\n  archeo info velocity.h5\n  archeo info --engines',
    )
    .action(async (path: string | undefined, flags: CommonOptions & { engines?: boolean }) => {
      if (flags.engines) {
        const { describeEngines, formatEngines } = await import('../pipeline/info.engines.js');
        const d = await describeEngines();
        process.stdout.write(flags.json ? `${JSON.stringify(d, null, 2)}\n` : formatEngines(d));
        return;
      }
      if (path === undefined) throw new UsageError('archeo info: give a scene or an HDF5 file (or --engines)');
      const { describeScene, formatScene, describeHdf5, formatHdf5, isHdf5Path } = await import('../pipeline/info.js');
      if (isHdf5Path(path)) {
        const d = await describeHdf5(path);
        process.stdout.write(flags.json ? `${JSON.stringify(d, null, 2)}\n` : formatHdf5(d));
        return;
      }
      const d = await describeScene(path);
      process.stdout.write(flags.json ? `${JSON.stringify(d, null, 2)}\n` : formatScene(d));
    });
}
