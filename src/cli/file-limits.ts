// The limits of file mode (src/speaker/file-config.ts) as flags, shared by
// `shoal speaker --config` and `shoal validate` so both judge a file alike.
import { Option } from 'commander';
import { DEFAULT_FILE_LIMITS, type FileLimits } from '../speaker/file-limits.js';

export interface FileLimitFlags {
  maxVips: string;
  maxNameLength: string;
  maxFileSize: string;
}

/** --max-vips, --max-name-length and --max-file-size, each with its default; `prefix` starts their help. */
export function fileLimitOptions(prefix = ''): [Option, Option, Option] {
  return [
    new Option('--max-vips <n>', `${prefix}most VIP entries a speaker file may list`).default(String(DEFAULT_FILE_LIMITS.maxVips)),
    new Option('--max-name-length <bytes>', `${prefix}longest VIP name`).default(String(DEFAULT_FILE_LIMITS.maxNameBytes)),
    new Option('--max-file-size <bytes>', `${prefix}largest speaker file`).default(String(DEFAULT_FILE_LIMITS.maxFileBytes)),
  ];
}

/** The flags as limits; throws naming a flag that is not a positive integer. */
export function fileLimits(flags: FileLimitFlags): FileLimits {
  const num = (flag: string, text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new Error(`${flag} ${JSON.stringify(text)}: expected a positive whole number`);
    return n;
  };
  return {
    maxVips: num('--max-vips', flags.maxVips),
    maxNameBytes: num('--max-name-length', flags.maxNameLength),
    maxFileBytes: num('--max-file-size', flags.maxFileSize),
  };
}
