// `shoal validate FILE...`: checks configuration files offline with the code
// the controller and the speakers run: MetalLB configuration (metallb.io
// objects, the legacy ConfigMap or its config text) and speaker files of
// file mode, told apart by their content. Exit status: 0 valid, 1 invalid
// (each error on stdout with file, document and path), 2 when the command
// line itself is wrong or a name does not lead to a readable file (missing,
// unreadable, a directory).
import type { Command } from 'commander';
import { formatValidationReport, validateDocuments, type FileError, type SourceFile } from '../config/index.js';
import { parseYamlDocuments } from '../config/yaml.js';
import { DEFAULT_FILE_LIMITS, looksLikeSpeakerConfig, parseFileConfigText, type FileLimits } from '../speaker/file-config.js';
import { readBounded } from '../util/read-bounded.js';
import { fileLimitOptions, fileLimits, type FileLimitFlags } from './file-limits.js';

export const EXIT_VALID = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** Whether the file's first YAML document is a speaker file. */
function isSpeakerFile(text: string): boolean {
  try {
    const first = parseYamlDocuments(text)[0];
    return first !== undefined && first.errors.length === 0 && looksLikeSpeakerConfig(first.toJS());
  } catch {
    return false;
  }
}

/** Validates `files`, writes the report (or why a file cannot be read), returns the exit status. */
export async function runValidate(files: readonly string[], out: (text: string) => void, limits: FileLimits = DEFAULT_FILE_LIMITS): Promise<number> {
  const sources: SourceFile[] = [];
  const speakerErrors: FileError[] = [];
  let speakerConfigs = 0;
  for (const f of files) {
    const read = await readBounded(f, limits.maxFileBytes, ' (raise it with --max-file-size)');
    if (!read.ok && read.problem === 'too-large') {
      speakerErrors.push({ file: f, document: 0, path: '', code: 'over-limit', message: read.message });
      continue;
    }
    if (!read.ok) {
      out(`cannot read ${f}: ${read.message}\n`);
      return EXIT_USAGE;
    }
    if (!isSpeakerFile(read.text)) {
      sources.push({ name: f, text: read.text });
      continue;
    }
    speakerConfigs++;
    const r = parseFileConfigText(read.text, limits);
    if (!r.ok) speakerErrors.push(...r.errors.map((e) => ({ ...e, file: f, document: 1 })));
  }
  const report = validateDocuments(sources);
  const errors = [...speakerErrors, ...report.errors];
  out(formatValidationReport({ ...report, ok: errors.length === 0, errors, files: files.length, speakerConfigs }) + '\n');
  return errors.length === 0 ? EXIT_VALID : EXIT_INVALID;
}

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
      process.exitCode = await runValidate(files, (text) => process.stdout.write(text), limits);
    });
}
