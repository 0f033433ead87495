// OPEN (RFC 4271 4.2) with capability optional parameters (RFC 5492) and
// the extended optional parameters length of RFC 9072.
//
//   version (1) | my AS (2) | hold time (2) | BGP identifier (4)
//   | opt parm len (1) | optional parameters (type 1, length 1, value)
//
// Semantic checks (version, AS, hold time, identifier) belong to the
// session, which knows what it expects; this codec checks structure only.

import { formatIPv4, writeIPv4 } from '../../net/index.js';
import { MessageType, OptParamType } from './constants.js';
import { decodeCapabilities, encodeCapability, type Capability } from './capabilities.js';
import { frame } from './header.js';
import { ErrorCode, OpenSubcode } from './notification-codes.js';
import { decoded } from '../../util/decoded.js';
import { wireRefusal, type WireDecoded } from './wire-error.js';

export interface CapabilityParameter {
  readonly capabilities: readonly Capability[];
}

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The two-octet My Autonomous System field; AS_TRANS when the real AS is four octets. */
  readonly myAs: number;
  readonly holdTime: number;
  /** BGP identifier in dotted-quad form. */
  readonly bgpId: string;
  /**
   * Capabilities grouped as the sender grouped them into optional
   * parameters (some put each in its own, some all in one): kept so that a
   * decoded OPEN re-encodes to the same bytes.
   */
  readonly parameters: readonly CapabilityParameter[];
  /** RFC 9072 encoding of the optional parameters; chosen automatically when they exceed 255 bytes. */
  readonly extendedParameters?: boolean;
}

/** All capabilities, in order, whichever parameter carried them. */
export function capabilitiesOf(open: OpenMessage): Capability[] {
  return open.parameters.flatMap((p) => p.capabilities);
}

export function encodeOpenBody(m: OpenMessage): Buffer {
  const params = m.parameters.map((p) => Buffer.concat(p.capabilities.map(encodeCapability)));
  const fixed = Buffer.alloc(10);
  fixed[0] = m.version;
  fixed.writeUInt16BE(m.myAs & 0xffff, 1);
  fixed.writeUInt16BE(m.holdTime & 0xffff, 3);
  writeIPv4(m.bgpId, fixed, 5);
  const short = params.every((p) => p.length <= 255) && params.reduce((s, p) => s + 2 + p.length, 0) <= 255;
  if (short && !m.extendedParameters) {
    const body = Buffer.concat(params.map((p) => Buffer.concat([Buffer.from([OptParamType.CAPABILITIES, p.length]), p])));
    fixed[9] = body.length;
    return Buffer.concat([fixed, body]);
  }
  const body = Buffer.concat(
    params.map((p) => {
      const h = Buffer.alloc(3);
      h[0] = OptParamType.CAPABILITIES;
      h.writeUInt16BE(p.length, 1);
      return Buffer.concat([h, p]);
    }),
  );
  const ext = Buffer.alloc(3);
  ext[0] = OptParamType.EXTENDED_LENGTH;
  ext.writeUInt16BE(body.length, 1);
  fixed[9] = 255;
  return Buffer.concat([fixed, ext, body]);
}

export function encodeOpen(m: OpenMessage): Buffer {
  return frame(MessageType.OPEN, encodeOpenBody(m));
}

function paramError(reason: string): WireDecoded<never> {
  return wireRefusal(ErrorCode.OPEN_MESSAGE, 0, reason);
}

/** Decodes an OPEN body (the bytes after the 19-octet header). */
export function decodeOpenBody(body: Buffer): WireDecoded<OpenMessage> {
  if (body.length < 10) return paramError(`OPEN body is ${body.length} bytes, needs at least 10`);
  const version = body[0]!;
  const myAs = body.readUInt16BE(1);
  const holdTime = body.readUInt16BE(3);
  const bgpId = formatIPv4(body, 5);
  const optLen = body[9]!;
  let extended = false;
  let off = 10;
  let end = 10 + optLen;
  // RFC 9072: a non-extended length of 255 followed by parameter type 255 announces 2-octet lengths.
  if (optLen === 255 && body.length > 10 && body[10] === OptParamType.EXTENDED_LENGTH) {
    if (body.length < 13) return paramError(`extended optional parameters length needs 3 bytes, ${body.length - 10} left`);
    extended = true;
    off = 13;
    end = 13 + body.readUInt16BE(11);
  }
  if (end !== body.length) {
    return paramError(`optional parameters claim ${end - off} bytes, the message holds ${body.length - off}`);
  }
  const headerSize = extended ? 3 : 2;
  const parameters: CapabilityParameter[] = [];
  while (off < end) {
    if (off + headerSize > end) return paramError(`optional parameter header at offset ${off} runs past the end`);
    const type = body[off]!;
    const len = extended ? body.readUInt16BE(off + 1) : body[off + 1]!;
    const start = off + headerSize;
    if (start + len > end) return paramError(`optional parameter ${type} at offset ${off} claims ${len} bytes, ${end - start} left`);
    if (type !== OptParamType.CAPABILITIES) {
      return wireRefusal(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, `optional parameter type ${type} is not supported`);
    }
    const caps = decodeCapabilities(body.subarray(start, start + len));
    if (!caps.ok) return caps;
    parameters.push({ capabilities: caps.value });
    off = start + len;
  }
  return decoded({ type: 'open', version, myAs, holdTime, bgpId, parameters, ...(extended ? { extendedParameters: true } : {}) });
}
