/**
 * Process entry. The only catch-all: a known error prints one line (`archeo: <file>: <fault>`) and sets
 * its exit code; SIGINT/SIGTERM remove temporary outputs and exit 130.
 */
import { Command, CommanderError } from 'commander';
import { tempPaths } from '../core/cleanup.js';
import { ExitCode, errorLine, exitCodeOf } from '../core/errors.js';
import { toolVersion } from '../core/version.js';
import { rewriteArgs } from './argv.js';
import { infoCommand } from './info.command.js';
import { scanCommand } from './scan.command.js';
import { searchCommand } from './search.command.js';
import { invertCommand, invertFlags } from './invert.command.js';
import { rmsCommand, rmsFlags } from './rms.command.js';
import { velocityCommand, velocityFlags } from './velocity.command.js';

let exitCode: number = ExitCode.Ok;
const setExit = (code: number): void => {
  exitCode = code;
};

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    tempPaths.removeAll();
    process.stderr.write(`\narcheo: interrupted (${signal}); temporary files removed\n`);
    process.exit(ExitCode.Interrupted);
  });
}

// A reader that stops early (`archeo scan … --list | head`) is not an error: stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(exitCode);
  throw err;
});

/** Commander's own usage errors, in archeo's one-line form. */
const output = {
  outputError: (str: string, write: (s: string) => void) => write(`archeo: ${str.replace(/^error: /, '')}`),
};
const program = new Command('archeo')
  .description('Batch processor for Sentinel-2 L2A archives (spectral indices) and MintPy InSAR time series')
  .version(toolVersion)
  .exitOverride()
  .configureOutput(output);
for (const command of [
  scanCommand(setExit),
  searchCommand(),
  velocityCommand(),
  rmsCommand(),
  invertCommand(),
  infoCommand(),
])
  program.addCommand(command.exitOverride().configureOutput(output));

try {
  // MintPy's flag aliases and multi-value options (argv.ts), for the commands that mirror MintPy tools.
  const args = process.argv.slice(2);
  const command = args.find((a) => !a.startsWith('-'));
  const flags = { velocity: velocityFlags, rms: rmsFlags, invert: invertFlags }[command ?? ''];
  const rewritten = flags ? rewriteArgs(args, flags) : args;
  await program.parseAsync(rewritten, { from: 'user' });
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; commander already printed its one-line message for usage errors.
    exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  } else {
    process.stderr.write(`archeo: ${errorLine(err)}\n`);
    if (process.env['ARCHEO_DEBUG'] && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    exitCode = exitCodeOf(err);
  }
}
tempPaths.removeAll();
process.exitCode = exitCode;
