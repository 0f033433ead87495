// The 19-octet message header (RFC 4271 4.1): a marker of all ones, the
// total length, the type. Framing checks here follow RFC 4271 6.1.

import { HEADER_LENGTH, MARKER_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from './constants.js';
import { ErrorCode, HeaderSubcode } from './notification-codes.js';
import { decoded } from '../../util/decoded.js';
import { u16Data, wireRefusal, type WireDecoded } from './wire-error.js';

export interface Header {
  readonly length: number;
  readonly type: number;
}

/** Smallest legal total length per type; KEEPALIVE is exactly 19 (RFC 4271 6.1). */
const minLength: Record<number, number> = {
  [MessageType.OPEN]: 29,
  [MessageType.UPDATE]: 23,
  [MessageType.NOTIFICATION]: 21,
  [MessageType.KEEPALIVE]: 19,
  [MessageType.ROUTE_REFRESH]: 19,
};

/** Builds a whole message from its type and body. */
export function frame(type: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const length = HEADER_LENGTH + body.length;
  if (length > 0xffff) throw new RangeError(`BGP message of ${length} bytes cannot be framed`);
  const out = Buffer.alloc(length);
  out.fill(0xff, 0, MARKER_LENGTH);
  out.writeUInt16BE(length, MARKER_LENGTH);
  out[MARKER_LENGTH + 2] = type;
  body.copy(out, HEADER_LENGTH);
  return out;
}

/**
 * Checks the header at buf[0..19). buf must hold at least 19 bytes; the body
 * need not have arrived yet. maxLength is 4096 unless extended messages were
 * negotiated.
 */
export function decodeHeader(buf: Buffer, maxLength = MAX_MESSAGE_LENGTH): WireDecoded<Header> {
  if (buf.length < HEADER_LENGTH) {
    return wireRefusal(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `header needs ${HEADER_LENGTH} bytes, have ${buf.length}`);
  }
  for (let i = 0; i < MARKER_LENGTH; i++) {
    if (buf[i] !== 0xff) {
      return wireRefusal(ErrorCode.MESSAGE_HEADER, HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED, `marker byte ${i} is 0x${buf[i]!.toString(16)}, not 0xff`);
    }
  }
  const length = buf.readUInt16BE(MARKER_LENGTH);
  const type = buf[MARKER_LENGTH + 2]!;
  if (length < HEADER_LENGTH || length > maxLength) {
    return wireRefusal(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `length ${length} outside ${HEADER_LENGTH}..${maxLength}`, u16Data(length));
  }
  const min = minLength[type];
  if (min === undefined) {
    return wireRefusal(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, `unknown message type ${type}`, Buffer.from([type]));
  }
  if (length < min || (type === MessageType.KEEPALIVE && length !== HEADER_LENGTH)) {
    const bound = type === MessageType.KEEPALIVE ? 'exactly 19' : `at least ${min}`;
    return wireRefusal(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `length ${length} for message type ${type}, must be ${bound}`, u16Data(length));
  }
  return decoded({ length, type });
}
