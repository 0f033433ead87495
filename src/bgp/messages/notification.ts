// NOTIFICATION (RFC 4271 4.5): error code, subcode, data. For Cease /
// Administrative Shutdown and Reset the data may be a shutdown
// communication (RFC 9003): one length octet, then that many octets of UTF-8.

import { MessageType } from './constants.js';
import { frame } from './header.js';
import { CeaseSubcode, describeError, ErrorCode } from './notification-codes.js';
import { decoded } from '../../util/decoded.js';
import { wireRefusal, type WireDecoded } from './wire-error.js';

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Buffer;
}

export function encodeNotification(m: Pick<NotificationMessage, 'code' | 'subcode' | 'data'>): Buffer {
  return frame(MessageType.NOTIFICATION, Buffer.concat([Buffer.from([m.code, m.subcode]), m.data]));
}

export function decodeNotificationBody(body: Buffer): WireDecoded<NotificationMessage> {
  // The header check already guarantees 2 bytes; this keeps the codec safe on its own.
  if (body.length < 2) return wireRefusal(ErrorCode.MESSAGE_HEADER, 2, `NOTIFICATION body is ${body.length} bytes, needs 2`);
  return decoded({ type: 'notification', code: body[0]!, subcode: body[1]!, data: Buffer.from(body.subarray(2)) });
}

/** RFC 9003: at most 255 octets of UTF-8, cut on a character boundary. */
export function shutdownCommunication(text: string): Buffer {
  let bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 255) {
    let cut = 255;
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
    bytes = bytes.subarray(0, cut);
  }
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** The shutdown communication of a Cease 2 or 4, when the data carries a well-formed one. */
export function decodeShutdownCommunication(m: Pick<NotificationMessage, 'code' | 'subcode' | 'data'>): string | undefined {
  if (m.code !== ErrorCode.CEASE) return undefined;
  if (m.subcode !== CeaseSubcode.ADMINISTRATIVE_SHUTDOWN && m.subcode !== CeaseSubcode.ADMINISTRATIVE_RESET) return undefined;
  const len = m.data[0];
  if (len === undefined || len === 0 || m.data.length !== 1 + len) return undefined;
  const text = m.data.subarray(1).toString('utf8');
  return text.includes('\ufffd') ? undefined : text;
}

/** "Cease / Administrative Shutdown: maintenance" */
export function describeNotification(m: Pick<NotificationMessage, 'code' | 'subcode' | 'data'>): string {
  const text = decodeShutdownCommunication(m);
  return text === undefined ? describeError(m.code, m.subcode) : `${describeError(m.code, m.subcode)}: ${text}`;
}
