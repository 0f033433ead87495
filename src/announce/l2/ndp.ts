// ICMPv6 Neighbor Solicitation and Neighbor Advertisement (RFC 4861 sections
// 4.3, 4.4, 4.6), the two Neighbor Discovery messages an address owner needs.
//
//  NS:  type 135 | code 0 | checksum | reserved (4)           | target (16) | options
//  NA:  type 136 | code 0 | checksum | R S O + reserved (4)   | target (16) | options
//
// Options are (type, length in units of 8 bytes, body). Link-layer address
// options on Ethernet (length 1, a 6-byte MAC) are decoded; every other
// option, and an address option of another length, is kept raw and re-encodes
// to the same bytes. A zero length is an error: RFC 4861 4.6 says to discard
// the whole packet.
//
// The checksum covers an IPv6 pseudo-header, so the codec only computes or
// verifies it when given the packet's source and destination.

import { formatIPv6, writeIPv6 } from '../../net/index.js';
import { formatMac, writeMac, type MacAddress } from './mac.js';
import { decoded } from '../../util/decoded.js';
import { l2Refusal, shortOf, type L2Decoded } from './decode-error.js';
import { internetChecksum, NEXT_HEADER_ICMPV6, pseudoHeader } from './ipv6.js';

export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
export const OPTION_SOURCE_LLA = 1;
export const OPTION_TARGET_LLA = 2;
/** Type, code, checksum, flags/reserved and target: the bytes before the options. */
export const NDP_FIXED_BYTES = 24;

const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

export type NdpOption =
  | { kind: 'source-lla'; mac: MacAddress }
  | { kind: 'target-lla'; mac: MacAddress }
  /** Any other option; body is everything after the type and length bytes. */
  | { kind: 'raw'; type: number; body: Buffer };

export type NdpMessage =
  | { type: 'neighbor-solicitation'; target: string; options: NdpOption[] }
  | { type: 'neighbor-advertisement'; router: boolean; solicited: boolean; override: boolean; target: string; options: NdpOption[] };

/** Decodes an ICMPv6 message (no IP header) that must be an NS or an NA. */
export function decodeNdp(buf: Buffer): L2Decoded<NdpMessage> {
  const short = shortOf(buf, 0, 4, 'ICMPv6 header');
  if (short) return short;
  const type = buf[0]!;
  if (type !== ICMPV6_NEIGHBOR_SOLICITATION && type !== ICMPV6_NEIGHBOR_ADVERTISEMENT) {
    return l2Refusal('unsupported-icmp-type', 0, `ICMPv6 type ${type} is neither NS (135) nor NA (136)`);
  }
  if (buf[1] !== 0) return l2Refusal('bad-icmp-code', 1, `ICMPv6 code ${buf[1]} is not 0 (RFC 4861 7.1)`);
  const fixed = shortOf(buf, 0, NDP_FIXED_BYTES, type === ICMPV6_NEIGHBOR_SOLICITATION ? 'Neighbor Solicitation' : 'Neighbor Advertisement');
  if (fixed) return fixed;
  const target = formatIPv6(buf, 8);
  const options = decodeOptions(buf, NDP_FIXED_BYTES);
  if (!options.ok) return options;
  if (type === ICMPV6_NEIGHBOR_SOLICITATION) return decoded({ type: 'neighbor-solicitation', target, options: options.value });
  const flags = buf[4]!;
  return decoded({
    type: 'neighbor-advertisement',
    router: (flags & FLAG_ROUTER) !== 0,
    solicited: (flags & FLAG_SOLICITED) !== 0,
    override: (flags & FLAG_OVERRIDE) !== 0,
    target,
    options: options.value,
  });
}

function decodeOptions(buf: Buffer, start: number): L2Decoded<NdpOption[]> {
  const options: NdpOption[] = [];
  for (let at = start; at < buf.length; ) {
    const header = shortOf(buf, at, 2, 'ND option header');
    if (header) return header;
    const type = buf[at]!;
    const units = buf[at + 1]!;
    if (units === 0) return l2Refusal('bad-option-length', at + 1, `ND option type ${type} has length 0`);
    const bytes = units * 8;
    const body = shortOf(buf, at, bytes, `ND option type ${type}`);
    if (body) return body;
    if ((type === OPTION_SOURCE_LLA || type === OPTION_TARGET_LLA) && units === 1) {
      options.push({ kind: type === OPTION_SOURCE_LLA ? 'source-lla' : 'target-lla', mac: formatMac(buf, at + 2) });
    } else {
      options.push({ kind: 'raw', type, body: Buffer.from(buf.subarray(at + 2, at + bytes)) });
    }
    at += bytes;
  }
  return decoded(options);
}

function encodeOption(o: NdpOption): Buffer {
  if (o.kind === 'raw') {
    if ((o.body.length + 2) % 8 !== 0) throw new RangeError(`raw ND option type ${o.type}: body of ${o.body.length} bytes does not fill whole 8-byte units`);
    const units = (o.body.length + 2) / 8;
    if (units > 255) throw new RangeError(`raw ND option type ${o.type} is longer than 255 units`);
    return Buffer.concat([Buffer.from([o.type, units]), o.body]);
  }
  const out = Buffer.alloc(8);
  out[0] = o.kind === 'source-lla' ? OPTION_SOURCE_LLA : OPTION_TARGET_LLA;
  out[1] = 1;
  writeMac(o.mac, out, 2);
  return out;
}

/**
 * Encodes the ICMPv6 message. With `addresses`, the checksum is filled in for
 * that source and destination; without, it is left zero for a sender whose
 * kernel computes it (an ICMPv6 raw socket always does).
 */
export function encodeNdp(msg: NdpMessage, addresses?: { src: string; dst: string }): Buffer {
  const head = Buffer.alloc(NDP_FIXED_BYTES);
  if (msg.type === 'neighbor-solicitation') {
    head[0] = ICMPV6_NEIGHBOR_SOLICITATION;
  } else {
    head[0] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
    head[4] = (msg.router ? FLAG_ROUTER : 0) | (msg.solicited ? FLAG_SOLICITED : 0) | (msg.override ? FLAG_OVERRIDE : 0);
  }
  writeIPv6(msg.target, head, 8);
  const out = Buffer.concat([head, ...msg.options.map(encodeOption)]);
  if (addresses) out.writeUInt16BE(icmpv6Checksum(addresses.src, addresses.dst, out), 2);
  return out;
}

/** The checksum an ICMPv6 message must carry, computed with its checksum field taken as zero. */
export function icmpv6Checksum(src: string, dst: string, message: Buffer): number {
  if (message.length < 4) throw new RangeError(`an ICMPv6 message of ${message.length} bytes has no checksum field`);
  const zeroed = Buffer.from(message);
  zeroed.writeUInt16BE(0, 2);
  return internetChecksum([pseudoHeader(src, dst, message.length, NEXT_HEADER_ICMPV6), zeroed]);
}

/** False also for a message too short to carry a checksum. */
export function verifyIcmpv6Checksum(src: string, dst: string, message: Buffer): boolean {
  if (message.length < 4) return false;
  return internetChecksum([pseudoHeader(src, dst, message.length, NEXT_HEADER_ICMPV6), message]) === 0;
}

export function findLinkLayerOption(options: readonly NdpOption[], kind: 'source-lla' | 'target-lla'): MacAddress | undefined {
  for (const o of options) if (o.kind === kind) return o.mac;
  return undefined;
}
