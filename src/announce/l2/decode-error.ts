// The one error type of the layer-2 decoders, which return it in a
// Decoded (src/util/decoded.ts) and never throw on bad input. `code` is
// stable (tests and the responders' `malformed` accounting key on it); the
// message says what was wrong and at which byte offset.

import { refused, type Decoded } from '../../util/decoded.js';

/** Append-only: codes are matched by callers and tests. */
export type L2DecodeErrorCode =
  | 'truncated'
  | 'not-ethernet-ii'
  | 'unsupported-hardware'
  | 'unsupported-protocol'
  | 'bad-address-length'
  | 'unsupported-operation'
  | 'bad-version'
  | 'bad-payload-length'
  | 'unsupported-next-header'
  | 'unsupported-icmp-type'
  | 'bad-icmp-code'
  | 'bad-option-length'
  | 'bad-checksum'
  | 'bad-address';

export class L2DecodeError extends Error {
  readonly code: L2DecodeErrorCode;
  /** Byte offset in the decoder's input where the problem was found. */
  readonly offset: number;

  constructor(code: L2DecodeErrorCode, offset: number, message: string) {
    super(`${message} (at byte ${offset})`);
    this.name = 'L2DecodeError';
    this.code = code;
    this.offset = offset;
  }
}

export type L2Decoded<T> = Decoded<T, L2DecodeError>;

export type L2Refusal = { readonly ok: false; readonly error: L2DecodeError };

export function l2Refusal(code: L2DecodeErrorCode, offset: number, message: string): L2Refusal {
  return refused(new L2DecodeError(code, offset, message));
}

/** A `truncated` refusal unless buf holds `need` bytes from `offset`. */
export function shortOf(buf: Buffer, offset: number, need: number, what: string): L2Refusal | undefined {
  if (buf.length >= offset + need) return undefined;
  return l2Refusal('truncated', offset, `${what} needs ${need} bytes, only ${Math.max(0, buf.length - offset)} left`);
}
