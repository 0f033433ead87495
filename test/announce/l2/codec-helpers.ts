// Generators and helpers shared by the layer-2 codec tests.

import fc from 'fast-check';

import { formatMac } from '../../../src/announce/l2/mac.js';
import { formatIPv6 } from '../../../src/net/index.js';
import { L2DecodeError } from '../../../src/announce/l2/decode-error.js';

/** Plain-prototype records, so decoded values compare deep-equal to generated ones. */
export const record = <T extends Record<string, unknown>>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

export const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMac(Buffer.from(b)));
export const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(Buffer.from(b)));

/** The L2DecodeError code fn throws, undefined when it returns; any other throw escapes (and fails the test). */
export function decodeCode(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof L2DecodeError) return err.code;
    throw err;
  }
}
