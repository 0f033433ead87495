// The one error type every layer-2 decoder throws. `code` is stable (tests
// and the responders' `malformed` accounting key on it); the message says
// what was wrong and at which byte offset.

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

/** Throws `truncated` unless buf holds `need` bytes from `offset`. */
export function requireBytes(buf: Buffer, offset: number, need: number, what: string): void {
  if (buf.length < offset + need) {
    throw new L2DecodeError('truncated', offset, `${what} needs ${need} bytes, only ${Math.max(0, buf.length - offset)} left`);
  }
}
