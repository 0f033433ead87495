// Capabilities advertised in OPEN (RFC 5492): TLVs of code, length, value.
// The ones shoal negotiates are decoded; every other one is kept as raw
// bytes and re-encoded unchanged, so nothing a peer says is lost.
//
//   +------------------------------+
//   | Capability Code (1 octet)    |
//   | Capability Length (1 octet)  |
//   | Capability Value (variable)  |
//   +------------------------------+

import { CapabilityCode } from './constants.js';
import { ErrorCode } from './notification-codes.js';
import { decoded } from '../../util/decoded.js';
import { wireRefusal, type WireDecoded } from './wire-error.js';

/** RFC 4760 8: AFI (2), reserved (1), SAFI (1). */
export interface MultiprotocolCapability {
  readonly kind: 'multiprotocol';
  readonly afi: number;
  readonly safi: number;
}

/** RFC 2918: no value. */
export interface RouteRefreshCapability {
  readonly kind: 'route-refresh';
}

/** RFC 6793: the speaker's real AS number. */
export interface FourOctetAsCapability {
  readonly kind: 'four-octet-as';
  readonly asn: number;
}

export interface GracefulRestartFamily {
  readonly afi: number;
  readonly safi: number;
  /** The "Flags for Address Family" octet; 0x80 is F (forwarding state preserved). */
  readonly flags: number;
}

/**
 * RFC 4724 3: 4 bits of restart flags (0x8 R: restarting, 0x4 N: RFC 8538
 * notification support), 12 bits of restart time in seconds, then one tuple
 * per address family.
 */
export interface GracefulRestartCapability {
  readonly kind: 'graceful-restart';
  readonly flags: number;
  readonly restartTime: number;
  readonly families: readonly GracefulRestartFamily[];
}

export interface UnknownCapability {
  readonly kind: 'unknown';
  readonly code: number;
  readonly value: Buffer;
}

export type Capability =
  | MultiprotocolCapability
  | RouteRefreshCapability
  | FourOctetAsCapability
  | GracefulRestartCapability
  | UnknownCapability;

export const GR_RESTARTING = 0x8;
export const GR_NOTIFICATION = 0x4;
export const GR_FORWARDING_PRESERVED = 0x80;

function valueOf(c: Capability): { code: number; value: Buffer } {
  switch (c.kind) {
    case 'multiprotocol': {
      const v = Buffer.alloc(4);
      v.writeUInt16BE(c.afi);
      v[3] = c.safi;
      return { code: CapabilityCode.MULTIPROTOCOL, value: v };
    }
    case 'route-refresh':
      return { code: CapabilityCode.ROUTE_REFRESH, value: Buffer.alloc(0) };
    case 'four-octet-as': {
      const v = Buffer.alloc(4);
      v.writeUInt32BE(c.asn >>> 0);
      return { code: CapabilityCode.FOUR_OCTET_AS, value: v };
    }
    case 'graceful-restart': {
      const v = Buffer.alloc(2 + 4 * c.families.length);
      v.writeUInt16BE(((c.flags & 0xf) << 12) | (c.restartTime & 0xfff));
      c.families.forEach((f, i) => {
        v.writeUInt16BE(f.afi, 2 + i * 4);
        v[4 + i * 4] = f.safi;
        v[5 + i * 4] = f.flags;
      });
      return { code: CapabilityCode.GRACEFUL_RESTART, value: v };
    }
    case 'unknown':
      return { code: c.code, value: c.value };
  }
}

export function encodeCapability(c: Capability): Buffer {
  const { code, value } = valueOf(c);
  if (value.length > 255) throw new RangeError(`capability ${code} value of ${value.length} bytes does not fit`);
  return Buffer.concat([Buffer.from([code, value.length]), value]);
}

function malformed(code: number, value: Buffer, why: string): WireDecoded<never> {
  // RFC 5492 gives no subcode for a malformed capability; "OPEN Message
  // Error / Unspecific" carrying the TLV is what peers log most usefully.
  return wireRefusal(ErrorCode.OPEN_MESSAGE, 0, `capability ${code}: ${why}`, Buffer.concat([Buffer.from([code, value.length]), value]));
}

function decodeOne(code: number, value: Buffer): WireDecoded<Capability> {
  switch (code) {
    case CapabilityCode.MULTIPROTOCOL:
      if (value.length !== 4) return malformed(code, value, `multiprotocol value is ${value.length} bytes, must be 4`);
      return decoded({ kind: 'multiprotocol', afi: value.readUInt16BE(0), safi: value[3]! });
    case CapabilityCode.ROUTE_REFRESH:
      if (value.length !== 0) return malformed(code, value, `route refresh value is ${value.length} bytes, must be empty`);
      return decoded({ kind: 'route-refresh' });
    case CapabilityCode.FOUR_OCTET_AS:
      if (value.length !== 4) return malformed(code, value, `four-octet AS value is ${value.length} bytes, must be 4`);
      return decoded({ kind: 'four-octet-as', asn: value.readUInt32BE(0) });
    case CapabilityCode.GRACEFUL_RESTART: {
      if (value.length < 2 || (value.length - 2) % 4 !== 0) {
        return malformed(code, value, `graceful restart value is ${value.length} bytes, must be 2 + 4n`);
      }
      const head = value.readUInt16BE(0);
      const families: GracefulRestartFamily[] = [];
      for (let off = 2; off < value.length; off += 4) {
        families.push({ afi: value.readUInt16BE(off), safi: value[off + 2]!, flags: value[off + 3]! });
      }
      return decoded({ kind: 'graceful-restart', flags: head >> 12, restartTime: head & 0xfff, families });
    }
    default:
      return decoded({ kind: 'unknown', code, value: Buffer.from(value) });
  }
}

/** Decodes the value of one Capabilities optional parameter: a run of TLVs filling it exactly. */
export function decodeCapabilities(buf: Buffer): WireDecoded<Capability[]> {
  const out: Capability[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 2 > buf.length) {
      return wireRefusal(ErrorCode.OPEN_MESSAGE, 0, `capability header at offset ${off} needs 2 bytes, ${buf.length - off} left`);
    }
    const code = buf[off]!;
    const len = buf[off + 1]!;
    if (off + 2 + len > buf.length) {
      return wireRefusal(ErrorCode.OPEN_MESSAGE, 0, `capability ${code} at offset ${off} claims ${len} bytes, ${buf.length - off - 2} left`);
    }
    const c = decodeOne(code, buf.subarray(off + 2, off + 2 + len));
    if (!c.ok) return c;
    out.push(c.value);
    off += 2 + len;
  }
  return decoded(out);
}
