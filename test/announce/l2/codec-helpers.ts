// Generators and helpers shared by the layer-2 codec tests.

import fc from 'fast-check';

import { formatMac } from '../../../src/announce/l2/mac.js';
import { L2DecodeError, type L2Decoded } from '../../../src/announce/l2/decode-error.js';
import { formatIPv6 } from '../../../src/net/index.js';

/** Plain-prototype records, so decoded values compare deep-equal to generated ones. */
export const record = <T extends Record<string, unknown>>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

export const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMac(Buffer.from(b)));
export const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(Buffer.from(b)));

/**
 * The code of the L2DecodeError fn's decoder returns, undefined when it
 * decodes; a throw escapes (and fails the test), as does an error of any
 * other type.
 */
export function decodeCode(fn: () => L2Decoded<unknown>): string | undefined {
  const d = fn();
  if (d.ok) return undefined;
  if (!(d.error instanceof L2DecodeError)) throw new Error(`decoder returned ${String(d.error)}, not an L2DecodeError`);
  return d.error.code;
}
