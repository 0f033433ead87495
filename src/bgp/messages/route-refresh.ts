// ROUTE-REFRESH (RFC 2918 3): AFI (2), a reserved octet that RFC 7313
// turned into a message subtype (0 normal request, 1 BoRR, 2 EoRR), SAFI (1).

import { MessageType } from './constants.js';
import { frame } from './header.js';
import { ErrorCode, RouteRefreshSubcode } from './notification-codes.js';
import { decoded } from '../../util/decoded.js';
import { wireRefusal, type WireDecoded } from './wire-error.js';

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  readonly subtype: number;
}

export function encodeRouteRefresh(m: Pick<RouteRefreshMessage, 'afi' | 'safi'> & { subtype?: number }): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt16BE(m.afi);
  body[2] = m.subtype ?? 0;
  body[3] = m.safi;
  return frame(MessageType.ROUTE_REFRESH, body);
}

/** RFC 7313 5: a body other than 4 octets is "Invalid Message Length", carrying the whole message. */
export function decodeRouteRefreshBody(body: Buffer, whole: Buffer): WireDecoded<RouteRefreshMessage> {
  if (body.length !== 4) {
    return wireRefusal(ErrorCode.ROUTE_REFRESH, RouteRefreshSubcode.INVALID_MESSAGE_LENGTH, `ROUTE-REFRESH body is ${body.length} bytes, must be 4`, Buffer.from(whole));
  }
  return decoded({ type: 'route-refresh', afi: body.readUInt16BE(0), subtype: body[2]!, safi: body[3]! });
}
