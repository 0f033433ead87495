// `shoal validate FILE...`: checks MetalLB configuration files offline with
// the code the controller and the speakers run. Exit status: 0 valid,
// 1 invalid (each error on stdout with file, document and path), 2 when the
// command line itself is wrong or a file cannot be read.
import { access, constants } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatValidationReport, validateFiles } from '../config/index.js';

export const EXIT_VALID = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** Validates `files`, writes the report (or why a file cannot be read), returns the exit status. */
export async function runValidate(files: readonly string[], out: (text: string) => void): Promise<number> {
  for (const f of files) {
    try {
      await access(f, constants.R_OK);
    } catch (e) {
      out(`cannot read ${f}: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT_USAGE;
    }
  }
  const report = await validateFiles(files);
  out(formatValidationReport(report) + '\n');
  return report.ok ? EXIT_VALID : EXIT_INVALID;
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check MetalLB configuration files (metallb.io objects, the legacy ConfigMap or its config text) without a cluster')
    .argument('<file...>', 'YAML files; all metallb.io objects of all files are checked together, as one configuration')
    .addHelpText('after', '\nExit status: 0 when valid, 1 when not, 2 on a usage error or an unreadable file.')
    // Usage errors exit 2 (commander's default is 1, which here means "invalid").
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
    })
    .action(async (files: string[]) => {
      process.exitCode = await runValidate(files, (text) => process.stdout.write(text));
    });
}
