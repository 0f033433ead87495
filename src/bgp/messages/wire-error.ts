// A decode error carries what goes on the wire: the NOTIFICATION's code,
// subcode and data, plus how RFC 7606 says the session should react. The
// reason is for logs and status, never sent.

import { refused, type Decoded } from '../../util/decoded.js';
import { describeError } from './notification-codes.js';

/**
 * RFC 7606 section 2 approaches, most severe first. Errors outside UPDATE
 * messages (header, OPEN, NOTIFICATION framing) are always session resets.
 */
export type ErrorHandling = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

const severity: Record<ErrorHandling, number> = {
  'session-reset': 3,
  'treat-as-withdraw': 2,
  'attribute-discard': 1,
};

export function handlingSeverity(h: ErrorHandling): number {
  return severity[h];
}

export interface WireError {
  readonly code: number;
  readonly subcode: number;
  /** The NOTIFICATION's data field, exactly as RFC 4271 6.x prescribes for this error. */
  readonly data: Buffer;
  readonly handling: ErrorHandling;
  /** What was wrong and where, for humans. */
  readonly reason: string;
}

export function wireError(
  code: number,
  subcode: number,
  reason: string,
  data: Buffer = Buffer.alloc(0),
  handling: ErrorHandling = 'session-reset',
): WireError {
  return { code, subcode, data, handling, reason };
}

/** What a BGP decoder returns: the value, or the error to answer with a NOTIFICATION. */
export type WireDecoded<T> = Decoded<T, WireError>;

export function wireRefusal(...args: Parameters<typeof wireError>): { readonly ok: false; readonly error: WireError } {
  return refused(wireError(...args));
}

export function formatWireError(e: WireError): string {
  return `${describeError(e.code, e.subcode)} (${e.handling}): ${e.reason}`;
}

/** A 2-octet big-endian value, the data of several header and OPEN errors. */
export function u16Data(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}
