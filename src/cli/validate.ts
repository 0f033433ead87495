// `shoal validate FILE...`: checks configuration files offline with the code
// the controller and the speakers run: MetalLB configuration (metallb.io
// objects, the legacy ConfigMap or its config text) and speaker files of
// file mode, told apart by their content. Exit status: 0 valid, 1 invalid
// (each error on stdout with file, document and path), 2 when the command
// line itself is wrong or a name does not lead to a readable file (missing,
// unreadable, a directory).
import type { Command } from 'commander';
import { fileLimitOptions, fileLimits, type FileLimitFlags } from './file-limits.js';
import type { FileLimits } from '../speaker/file-limits.js';

export const EXIT_VALID = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

export function registerValidateCommand(program: Command): void {
  const [maxVips, maxNameLength, maxFileSize] = fileLimitOptions('speaker files: ');
  program
    .command('validate')
    .description('check configuration files without a cluster: MetalLB configuration (metallb.io objects, the legacy ConfigMap or its config text) and speaker files (file mode)')
    .argument('<file...>', 'YAML files; all metallb.io objects of all files are checked together, as one configuration; each speaker file on its own')
    .addOption(maxVips)
    .addOption(maxNameLength)
    .addOption(maxFileSize)
    .addHelpText('after', '\nExit status: 0 when valid, 1 when not, 2 on a usage error or a name that is not a readable file (missing, unreadable, a directory).')
    // Usage errors exit 2 (commander's default is 1, which here means "invalid").
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
    })
    .action(async (files: string[], flags: FileLimitFlags) => {
      let limits: FileLimits;
      try {
        limits = fileLimits(flags);
      } catch (err) {
        process.stderr.write(`shoal validate: ${(err as Error).message}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const { runValidate } = await import('./validate-run.js');
      process.exitCode = await runValidate(files, (text) => process.stdout.write(text), limits);
    });
}
