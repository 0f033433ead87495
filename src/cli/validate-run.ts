// The work behind `shoal validate` (loaded only when that command runs):
// reads the files and checks them with the code the controller and the
// speakers run.
import { formatValidationReport, validateDocuments, type FileError, type SourceFile } from '../config/index.js';
import { parseYamlDocuments } from '../config/yaml.js';
import { looksLikeSpeakerConfig, parseFileConfigText } from '../speaker/file-config.js';
import { DEFAULT_FILE_LIMITS, type FileLimits } from '../speaker/file-limits.js';
import { readBounded } from '../util/read-bounded.js';
import { EXIT_INVALID, EXIT_USAGE, EXIT_VALID } from './validate.js';

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
