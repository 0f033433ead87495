// Decoder results in tests: the value of one that must succeed.
import type { Decoded } from '../../src/util/decoded.js';

/** The decoded value; throws (failing the test) with the decoder's error when there is none. */
export function unwrap<T>(d: Decoded<T, unknown>): T {
  if (d.ok) return d.value;
  const e = d.error as { message?: unknown; reason?: unknown };
  throw new Error(`expected a decoded value, got an error: ${String(e.message ?? e.reason ?? JSON.stringify(d.error))}`);
}
