// The five BGP messages as one tagged union, with whole-message encode and
// decode. decodeMessage takes one complete framed message (header included).

import { decoded } from '../../util/decoded.js';
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from './constants.js';
import type { AttributeContext } from './attributes.js';
import { decodeHeader } from './header.js';
import { encodeKeepalive, type KeepaliveMessage } from './keepalive.js';
import { decodeNotificationBody, encodeNotification, type NotificationMessage } from './notification.js';
import { decodeOpenBody, encodeOpen, type OpenMessage } from './open.js';
import { decodeRouteRefreshBody, encodeRouteRefresh, type RouteRefreshMessage } from './route-refresh.js';
import { decodeUpdateBody, encodeUpdate, type UpdateMessage } from './update.js';
import { ErrorCode, HeaderSubcode } from './notification-codes.js';
import { u16Data, wireError, type ErrorHandling, type WireDecoded, type WireError } from './wire-error.js';

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

/** Before OPEN is exchanged: two-octet AS numbers, and LOCAL_PREF treated as from outside. */
export const defaultDecodeContext: DecodeContext = { fourOctetAs: false, ibgp: false, maxLength: MAX_MESSAGE_LENGTH };

export interface DecodeContext extends AttributeContext {
  readonly maxLength: number;
}

export function encodeMessage(m: BgpMessage, ctx: AttributeContext = defaultDecodeContext): Buffer {
  switch (m.type) {
    case 'open':
      return encodeOpen(m);
    case 'update':
      return encodeUpdate(m, ctx);
    case 'notification':
      return encodeNotification(m);
    case 'keepalive':
      return encodeKeepalive();
    case 'route-refresh':
      return encodeRouteRefresh(m);
  }
}

/**
 * What one framed message turned out to be, the receive loop's verdict on
 * it (built from the message decoders' results). A message that decodes
 * carries 'ok', or the RFC 7606 approach for an UPDATE whose errors do not
 * reset the session; 'error' means send error as a NOTIFICATION and close
 * (unless the message was itself a NOTIFICATION: RFC 4271 never answers one).
 */
export type MessageVerdict =
  | { readonly kind: 'message'; readonly message: BgpMessage; readonly handling: 'ok' | Exclude<ErrorHandling, 'session-reset'>; readonly errors: readonly WireError[] }
  | { readonly kind: 'error'; readonly error: WireError; readonly messageType?: number };

export function decodeMessage(buf: Buffer, ctx: DecodeContext = defaultDecodeContext): MessageVerdict {
  const decodedHeader = decodeHeader(buf, ctx.maxLength);
  if (!decodedHeader.ok) return { kind: 'error', error: decodedHeader.error };
  const header = decodedHeader.value;
  if (header.length !== buf.length) {
    return {
      kind: 'error',
      error: wireError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `header says ${header.length} bytes, ${buf.length} given`, u16Data(header.length)),
      messageType: header.type,
    };
  }
  const body = buf.subarray(HEADER_LENGTH);
  const fail = (error: WireError): MessageVerdict => ({ kind: 'error', error, messageType: header.type });
  const verdict = (d: WireDecoded<BgpMessage>): MessageVerdict => (d.ok ? { kind: 'message', message: d.value, handling: 'ok', errors: [] } : fail(d.error));
  switch (header.type) {
    case MessageType.OPEN:
      return verdict(decodeOpenBody(body));
    case MessageType.UPDATE: {
      const r = decodeUpdateBody(body, ctx);
      if (!r.ok) return fail(r.error);
      return { kind: 'message', message: r.value.message, handling: r.value.handling, errors: r.value.errors };
    }
    case MessageType.NOTIFICATION:
      return verdict(decodeNotificationBody(body));
    case MessageType.KEEPALIVE:
      return verdict(decoded({ type: 'keepalive' }));
    case MessageType.ROUTE_REFRESH:
      return verdict(decodeRouteRefreshBody(body, buf));
    default:
      // decodeHeader rejects unknown types; kept so the switch stays total.
      return fail(wireError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, `unknown message type ${header.type}`, Buffer.from([header.type])));
  }
}
