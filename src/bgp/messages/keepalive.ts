// KEEPALIVE (RFC 4271 4.4): the header alone.

import { MessageType } from './constants.js';
import { frame } from './header.js';

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

const KEEPALIVE = frame(MessageType.KEEPALIVE);

export function encodeKeepalive(): Buffer {
  return Buffer.from(KEEPALIVE);
}
