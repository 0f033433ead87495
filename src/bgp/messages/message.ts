// The five BGP messages as one tagged union, with whole-message encode and
// decode. decodeMessage takes one complete framed message (header included).

import { HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from './constants.js';
import type { AttributeContext } from './attributes.js';
import { decodeHeader, isWireError } from './header.js';
import { encodeKeepalive, type KeepaliveMessage } from './keepalive.js';
import { decodeNotificationBody, encodeNotification, type NotificationMessage } from './notification.js';
import { decodeOpenBody, encodeOpen, type OpenMessage } from './open.js';
import { decodeRouteRefreshBody, encodeRouteRefresh, type RouteRefreshMessage } from './route-refresh.js';
import { decodeUpdateBody, encodeUpdate, type UpdateMessage } from './update.js';
import { ErrorCode, HeaderSubcode } from './notification-codes.js';
import { u16Data, wireError, type ErrorHandling, type WireError } from './wire-error.js';

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
 * What one framed message turned out to be. A message that decodes carries
 * 'ok', or the RFC 7606 approach for an UPDATE whose errors do not reset
 * the session; 'error' means send error as a NOTIFICATION and close
 * (unless the message was itself a NOTIFICATION: RFC 4271 never answers one).
 */
export type MessageVerdict =
  | { readonly kind: 'message'; readonly message: BgpMessage; readonly handling: 'ok' | Exclude<ErrorHandling, 'session-reset'>; readonly errors: readonly WireError[] }
  | { readonly kind: 'error'; readonly error: WireError; readonly messageType?: number };

export function decodeMessage(buf: Buffer, ctx: DecodeContext = defaultDecodeContext): MessageVerdict {
  const header = decodeHeader(buf, ctx.maxLength);
  if (isWireError(header)) return { kind: 'error', error: header };
  if (header.length !== buf.length) {
    return {
      kind: 'error',
      error: wireError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `header says ${header.length} bytes, ${buf.length} given`, u16Data(header.length)),
      messageType: header.type,
    };
  }
  const body = buf.subarray(HEADER_LENGTH);
  const fail = (error: WireError): MessageVerdict => ({ kind: 'error', error, messageType: header.type });
  const ok = (message: BgpMessage): MessageVerdict => ({ kind: 'message', message, handling: 'ok', errors: [] });
  switch (header.type) {
    case MessageType.OPEN: {
      const m = decodeOpenBody(body);
      return isWireError(m) ? fail(m) : ok(m);
    }
    case MessageType.UPDATE: {
      const r = decodeUpdateBody(body, ctx);
      if (r.handling === 'session-reset' || !r.message) return fail(r.error!);
      return { kind: 'message', message: r.message, handling: r.handling, errors: r.errors };
    }
    case MessageType.NOTIFICATION: {
      const m = decodeNotificationBody(body);
      return isWireError(m) ? fail(m) : ok(m);
    }
    case MessageType.KEEPALIVE:
      return ok({ type: 'keepalive' });
    case MessageType.ROUTE_REFRESH: {
      const m = decodeRouteRefreshBody(body, buf);
      return isWireError(m) ? fail(m) : ok(m);
    }
    default:
      // decodeHeader rejects unknown types; kept so the switch stays total.
      return fail(wireError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, `unknown message type ${header.type}`, Buffer.from([header.type])));
  }
}
