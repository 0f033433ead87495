// BFD Control packets (RFC 5880 4.1):
//
//    0                   1                   2                   3
//   |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
//   |                       My Discriminator                        |
//   |                      Your Discriminator                       |
//   |                    Desired Min TX Interval                    |
//   |                   Required Min RX Interval                    |
//   |                 Required Min Echo RX Interval                 |
//   optional authentication section: Auth Type (1), Auth Len (1), ...
//
// Intervals are in microseconds on the wire. The authentication section is
// parsed so its lengths are checked; shoal does not authenticate (packets
// with the A bit are dropped by the session, see state.ts).

import { decoded, refused, type Decoded } from '../../util/decoded.js';

export const BFD_VERSION = 1;
export const BFD_HEADER_LENGTH = 24;

/** Session states (RFC 5880 4.1), wire order. */
export const bfdStates = ['AdminDown', 'Down', 'Init', 'Up'] as const;
export type BfdState = (typeof bfdStates)[number];

/** Diagnostic codes (RFC 5880 4.1). Append-only. */
export const BfdDiag = {
  NONE: 0,
  CONTROL_DETECTION_TIME_EXPIRED: 1,
  ECHO_FUNCTION_FAILED: 2,
  NEIGHBOR_SIGNALED_DOWN: 3,
  FORWARDING_PLANE_RESET: 4,
  PATH_DOWN: 5,
  CONCATENATED_PATH_DOWN: 6,
  ADMINISTRATIVELY_DOWN: 7,
  REVERSE_CONCATENATED_PATH_DOWN: 8,
} as const;

const diagNames = [
  'No Diagnostic',
  'Control Detection Time Expired',
  'Echo Function Failed',
  'Neighbor Signaled Session Down',
  'Forwarding Plane Reset',
  'Path Down',
  'Concatenated Path Down',
  'Administratively Down',
  'Reverse Concatenated Path Down',
];

export function diagName(d: number): string {
  return diagNames[d] ?? `Reserved (${d})`;
}

export type BfdAuth =
  | { readonly type: 1; readonly keyId: number; readonly password: Buffer }
  | { readonly type: 2 | 3 | 4 | 5; readonly keyId: number; readonly sequence: number; readonly digest: Buffer }
  | { readonly type: number; readonly raw: Buffer };

export interface BfdControlPacket {
  readonly version: number;
  readonly diag: number;
  readonly state: BfdState;
  readonly poll: boolean;
  readonly final: boolean;
  readonly controlPlaneIndependent: boolean;
  readonly demand: boolean;
  readonly multipoint: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
  readonly auth?: BfdAuth;
}

/** Digest lengths of the keyed MD5 (2, 3) and SHA1 (4, 5) types, RFC 5880 4.3 and 4.4. */
const digestLength: Record<number, number> = { 2: 16, 3: 16, 4: 20, 5: 20 };

function encodeAuth(a: BfdAuth): Buffer {
  if ('raw' in a) return Buffer.concat([Buffer.from([a.type, 2 + a.raw.length]), a.raw]);
  if (a.type === 1) return Buffer.concat([Buffer.from([1, 3 + a.password.length, a.keyId]), a.password]);
  const b = Buffer.alloc(8 + a.digest.length);
  b[0] = a.type;
  b[1] = b.length;
  b[2] = a.keyId;
  b.writeUInt32BE(a.sequence >>> 0, 4);
  a.digest.copy(b, 8);
  return b;
}

export function encodeBfd(p: BfdControlPacket): Buffer {
  const auth = p.auth ? encodeAuth(p.auth) : Buffer.alloc(0);
  const b = Buffer.alloc(BFD_HEADER_LENGTH + auth.length);
  b[0] = ((p.version & 0x7) << 5) | (p.diag & 0x1f);
  b[1] =
    (bfdStates.indexOf(p.state) << 6) |
    (p.poll ? 0x20 : 0) |
    (p.final ? 0x10 : 0) |
    (p.controlPlaneIndependent ? 0x08 : 0) |
    (p.auth ? 0x04 : 0) |
    (p.demand ? 0x02 : 0) |
    (p.multipoint ? 0x01 : 0);
  b[2] = p.detectMult;
  b[3] = b.length;
  b.writeUInt32BE(p.myDiscriminator >>> 0, 4);
  b.writeUInt32BE(p.yourDiscriminator >>> 0, 8);
  b.writeUInt32BE(p.desiredMinTxUs >>> 0, 12);
  b.writeUInt32BE(p.requiredMinRxUs >>> 0, 16);
  b.writeUInt32BE(p.requiredMinEchoRxUs >>> 0, 20);
  auth.copy(b, BFD_HEADER_LENGTH);
  return b;
}

/** Append-only: tests and logs key on the code. */
export type BfdDecodeCode = 'truncated' | 'bad-version' | 'bad-length' | 'bad-auth';

export interface BfdDecodeError {
  readonly code: BfdDecodeCode;
  /** What was wrong, for logs. */
  readonly message: string;
}

const bad = (code: BfdDecodeCode, message: string): { readonly ok: false; readonly error: BfdDecodeError } => refused({ code, message });

function decodeAuth(b: Buffer): Decoded<BfdAuth, BfdDecodeError> {
  if (b.length < 2) return bad('truncated', `authentication section of ${b.length} bytes, needs at least 2`);
  const type = b[0]!;
  const len = b[1]!;
  if (len !== b.length) return bad('bad-auth', `Auth Len ${len} disagrees with the ${b.length} bytes after the header`);
  if (type === 1) {
    // Simple password: type, length, key id, 1 to 16 bytes of password (RFC 5880 4.2).
    if (len < 4 || len > 19) return bad('bad-auth', `simple password Auth Len ${len}, must be 4..19`);
    return decoded({ type: 1, keyId: b[2]!, password: Buffer.from(b.subarray(3)) });
  }
  const d = digestLength[type];
  if (d !== undefined) {
    if (len !== 8 + d) return bad('bad-auth', `auth type ${type} Auth Len ${len}, must be ${8 + d}`);
    return decoded({ type: type as 2 | 3 | 4 | 5, keyId: b[2]!, sequence: b.readUInt32BE(4), digest: Buffer.from(b.subarray(8)) });
  }
  return decoded({ type, raw: Buffer.from(b.subarray(2)) });
}

/**
 * Decodes the packet at the start of buf. The Length field rules (RFC 5880
 * 6.8.6): at least 24 (26 with the A bit), no more than what was received;
 * bytes beyond it are ignored.
 */
export function decodeBfd(buf: Buffer): Decoded<BfdControlPacket, BfdDecodeError> {
  if (buf.length < BFD_HEADER_LENGTH) return bad('truncated', `packet of ${buf.length} bytes, needs at least 24`);
  const version = buf[0]! >> 5;
  if (version !== BFD_VERSION) return bad('bad-version', `version ${version}, expected 1`);
  const flags = buf[1]!;
  const authPresent = (flags & 0x04) !== 0;
  const length = buf[3]!;
  const min = authPresent ? 26 : BFD_HEADER_LENGTH;
  if (length < min) return bad('bad-length', `Length ${length} under ${min}`);
  if (length > buf.length) return bad('bad-length', `Length ${length} over the ${buf.length} bytes received`);
  if (!authPresent && length !== BFD_HEADER_LENGTH) return bad('bad-length', `Length ${length} without authentication, must be 24`);
  let auth: BfdAuth | undefined;
  if (authPresent) {
    const a = decodeAuth(buf.subarray(BFD_HEADER_LENGTH, length));
    if (!a.ok) return a;
    auth = a.value;
  }
  return decoded({
    version,
    diag: buf[0]! & 0x1f,
    state: bfdStates[flags >> 6]!,
    poll: (flags & 0x20) !== 0,
    final: (flags & 0x10) !== 0,
    controlPlaneIndependent: (flags & 0x08) !== 0,
    demand: (flags & 0x02) !== 0,
    multipoint: (flags & 0x01) !== 0,
    detectMult: buf[2]!,
    myDiscriminator: buf.readUInt32BE(4),
    yourDiscriminator: buf.readUInt32BE(8),
    desiredMinTxUs: buf.readUInt32BE(12),
    requiredMinRxUs: buf.readUInt32BE(16),
    requiredMinEchoRxUs: buf.readUInt32BE(20),
    ...(auth ? { auth } : {}),
  });
}

/** The remaining RFC 5880 6.8.6 discard rules that need no session state. */
export function receptionProblem(p: BfdControlPacket): string | undefined {
  if (p.detectMult === 0) return 'Detect Mult is zero';
  if (p.multipoint) return 'Multipoint bit set';
  if (p.myDiscriminator === 0) return 'My Discriminator is zero';
  if (p.yourDiscriminator === 0 && p.state !== 'Down' && p.state !== 'AdminDown') return `Your Discriminator is zero in state ${p.state}`;
  return undefined;
}
