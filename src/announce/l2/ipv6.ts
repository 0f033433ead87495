// The IPv6 fixed header (RFC 8200 section 3), the Internet checksum
// (RFC 1071) and the two multicast mappings Neighbor Discovery relies on.
//
//  0   4       12              32              48      56      64
//  +---+-------+---------------+---------------+-------+-------+
//  |ver| class |  flow label   | payload length| next  | hops  |
//  +---+-------+---------------+---------------+-------+-------+
//  | source address (16)  | destination address (16)  | payload ...
//
// Extension headers are not walked: Neighbor Discovery messages are never
// fragmented (RFC 6980) and carry none in practice, so a packet whose next
// header is not the one a caller wants is simply not that caller's.

import { formatIPv6, parseIPv6, writeIPv6 } from '../../net/index.js';
import { formatMac, type MacAddress } from './mac.js';
import { decoded } from '../../util/decoded.js';
import { l2Refusal, shortOf, type L2Decoded } from './decode-error.js';

export const IPV6_HEADER_BYTES = 40;
export const NEXT_HEADER_ICMPV6 = 58;

export interface Ipv6Packet {
  trafficClass: number;
  flowLabel: number;
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
  /** Exactly payload-length bytes; link-layer padding after them is dropped. */
  payload: Buffer;
}

export function decodeIpv6(buf: Buffer): L2Decoded<Ipv6Packet> {
  const short = shortOf(buf, 0, IPV6_HEADER_BYTES, 'IPv6 header');
  if (short) return short;
  const word = buf.readUInt32BE(0);
  const version = word >>> 28;
  if (version !== 6) return l2Refusal('bad-version', 0, `IP version ${version} is not 6`);
  const payloadLength = buf.readUInt16BE(4);
  if (buf.length < IPV6_HEADER_BYTES + payloadLength) {
    return l2Refusal('bad-payload-length', 4, `payload length ${payloadLength} exceeds the ${buf.length - IPV6_HEADER_BYTES} bytes present`);
  }
  return decoded({
    trafficClass: (word >>> 20) & 0xff,
    flowLabel: word & 0xfffff,
    nextHeader: buf[6]!,
    hopLimit: buf[7]!,
    src: formatIPv6(buf, 8),
    dst: formatIPv6(buf, 24),
    payload: buf.subarray(IPV6_HEADER_BYTES, IPV6_HEADER_BYTES + payloadLength),
  });
}

export function encodeIpv6(p: Ipv6Packet): Buffer {
  if (p.payload.length > 0xffff) throw new RangeError(`IPv6 payload of ${p.payload.length} bytes needs a jumbogram, which is not supported`);
  const out = Buffer.alloc(IPV6_HEADER_BYTES + p.payload.length);
  out.writeUInt32BE(((6 << 28) | ((p.trafficClass & 0xff) << 20) | (p.flowLabel & 0xfffff)) >>> 0, 0);
  out.writeUInt16BE(p.payload.length, 4);
  out[6] = p.nextHeader;
  out[7] = p.hopLimit;
  writeIPv6(p.src, out, 8);
  writeIPv6(p.dst, out, 24);
  p.payload.copy(out, IPV6_HEADER_BYTES);
  return out;
}

/**
 * One's complement of the one's complement sum of the parts taken as one
 * byte string (RFC 1071), so a part may end on an odd byte.
 */
export function internetChecksum(parts: readonly Buffer[]): number {
  let sum = 0;
  let pending = -1; // high byte waiting for its partner across a part boundary
  for (const part of parts) {
    let i = 0;
    if (pending >= 0 && part.length > 0) {
      sum += (pending << 8) | part[0]!;
      pending = -1;
      i = 1;
    }
    for (; i + 1 < part.length; i += 2) sum += (part[i]! << 8) | part[i + 1]!;
    if (i < part.length) pending = part[i]!;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (pending >= 0) sum += pending << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Fills in the checksum of the ICMPv6 message carried by the IPv6 packet at
 * buf[offset] (fixed header, then the message), from the addresses and
 * payload length in its header: what icmpv6Checksum gives, computed in
 * place, for frames rewritten address after address without a buffer each.
 */
export function fillIcmpv6Checksum(buf: Buffer, offset: number): void {
  const length = buf.readUInt16BE(offset + 4);
  const message = offset + IPV6_HEADER_BYTES;
  buf.writeUInt16BE(0, message + 2);
  // Pseudo-header: source and destination, the 32-bit length, the next header.
  let sum = length + NEXT_HEADER_ICMPV6;
  for (let i = offset + 8; i < message; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  const end = message + length;
  let i = message;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  buf.writeUInt16BE(~sum & 0xffff, message + 2);
}

/** The RFC 8200 section 8.1 pseudo-header for an upper-layer packet of `length` bytes. */
export function pseudoHeader(src: string, dst: string, length: number, nextHeader: number): Buffer {
  const out = Buffer.alloc(40);
  writeIPv6(src, out, 0);
  writeIPv6(dst, out, 16);
  out.writeUInt32BE(length, 32);
  out[39] = nextHeader;
  return out;
}

/** ff02::1:ffXX:XXXX from the low 24 bits of the address (RFC 4291 section 2.7.1). */
export function solicitedNodeMulticast(ip: string): string {
  return solicitedNodeGroup(solicitedNodeKey(ip));
}

/** The low 24 bits of ip, which name its solicited-node group: a number, so a table of groups holds no strings. */
export function solicitedNodeKey(ip: string): number {
  const b = parseIPv6(ip);
  return (b[13]! << 16) | (b[14]! << 8) | b[15]!;
}

/** The solicited-node group of a solicitedNodeKey. */
export function solicitedNodeGroup(key: number): string {
  const out = parseIPv6('ff02::1:ff00:0');
  out[13] = (key >> 16) & 0xff;
  out[14] = (key >> 8) & 0xff;
  out[15] = key & 0xff;
  return formatIPv6(out);
}

/** 33:33 followed by the low 32 bits of a multicast address (RFC 2464 section 7). */
export function ipv6MulticastMac(group: string): MacAddress {
  const b = parseIPv6(group);
  const mac = Buffer.from([0x33, 0x33, b[12]!, b[13]!, b[14]!, b[15]!]);
  return formatMac(mac);
}

export const ALL_NODES = 'ff02::1';
export const UNSPECIFIED = '::';
