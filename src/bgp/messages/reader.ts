// Frames BGP messages out of a TCP byte stream. Chunks arrive cut anywhere;
// a message is decoded once all of it is here. Every outcome is a verdict:
// nothing thrown ever leaves next(). After a verdict that resets the session
// the stream cannot be trusted (framing may be lost), so the reader stops.
//
// next() hands out one verdict at a time so that the session can change the
// decode context (AS number width, iBGP) after the OPEN, before the UPDATEs
// that arrived in the same chunk are decoded.

import { HEADER_LENGTH, MessageType } from './constants.js';
import { decodeHeader } from './header.js';
import { decodeMessage, defaultDecodeContext, type DecodeContext, type MessageVerdict } from './message.js';
import { ErrorCode } from './notification-codes.js';
import { wireError } from './wire-error.js';

/** The error code a message type's own decoding errors belong to (RFC 4271 6, RFC 7313). */
const codeForType: Record<number, number> = {
  [MessageType.OPEN]: ErrorCode.OPEN_MESSAGE,
  [MessageType.UPDATE]: ErrorCode.UPDATE_MESSAGE,
  [MessageType.ROUTE_REFRESH]: ErrorCode.ROUTE_REFRESH,
};

export class BgpStreamReader {
  context: DecodeContext;
  private buf: Buffer = Buffer.alloc(0);
  private stopped = false;

  constructor(context: DecodeContext = defaultDecodeContext) {
    this.context = context;
  }

  /** Bytes received and not yet handed out as a message. */
  get buffered(): number {
    return this.buf.length;
  }

  /** True once a verdict reset the session; later input is ignored. */
  get isStopped(): boolean {
    return this.stopped;
  }

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next complete message's verdict, or undefined until more bytes arrive. */
  next(): MessageVerdict | undefined {
    if (this.stopped || this.buf.length < HEADER_LENGTH) return undefined;
    const decoded = decodeHeader(this.buf, this.context.maxLength);
    if (!decoded.ok) return this.stop({ kind: 'error', error: decoded.error, messageType: this.buf[HEADER_LENGTH - 1]! });
    const header = decoded.value;
    if (this.buf.length < header.length) return undefined;
    const whole = this.buf.subarray(0, header.length);
    this.buf = this.buf.subarray(header.length);
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    let verdict: MessageVerdict;
    try {
      verdict = decodeMessage(whole, this.context);
    } catch (err) {
      // A decoder bug must not take the process down: the peer gets an unspecific error of the message's class.
      const code = codeForType[header.type] ?? ErrorCode.MESSAGE_HEADER;
      verdict = { kind: 'error', error: wireError(code, 0, `internal decoder error: ${(err as Error).message}`), messageType: header.type };
    }
    return verdict.kind === 'error' ? this.stop(verdict) : verdict;
  }

  private stop(v: MessageVerdict): MessageVerdict {
    this.stopped = true;
    this.buf = Buffer.alloc(0);
    return v;
  }
}
