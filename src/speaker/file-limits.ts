// The bounds of a speaker file (file mode), apart from the parser
// (file-config.ts), so that the command line's flags read them without loading it.

/**
 * Bounds on what one file may ask for. A file is trusted input, but a
 * mistake (a generated list gone wrong) should be an error naming the
 * place, not a speaker using a gigabyte; the flags raise them.
 */
export interface FileLimits {
  /** VIP entries (--max-vips). */
  readonly maxVips: number;
  /** Bytes of a VIP name (--max-name-length): names appear in logs, /status and every election. */
  readonly maxNameBytes: number;
  /** Bytes of the file (--max-file-size). */
  readonly maxFileBytes: number;
}

export const DEFAULT_FILE_LIMITS: FileLimits = { maxVips: 10_000, maxNameBytes: 128, maxFileBytes: 4 * 1024 * 1024 };
