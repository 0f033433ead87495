// MP_REACH_NLRI and MP_UNREACH_NLRI values (RFC 4760 3 and 4), for the
// families shoal speaks: IPv4 and IPv6 unicast. Other families are kept as
// raw attributes by the caller.
//
//   MP_REACH:   AFI (2) | SAFI (1) | next hop length (1) | next hop | reserved (1) | NLRI
//   MP_UNREACH: AFI (2) | SAFI (1) | withdrawn routes
//
// IPv6 next hops (RFC 2545 3) are 16 octets (global) or 32 (global, then
// link-local). An IPv4 family with a 16/32-octet next hop is RFC 8950's
// IPv6 next hop for IPv4 routes, decoded the same way.

import { formatIPv4, formatIPv6, ipBytes, parseIP, type Family, type Prefix } from '../../net/index.js';
import { decoded, refused, type Decoded } from '../../util/decoded.js';
import { Afi } from './constants.js';
import { decodeNlri, encodeNlri } from './nlri.js';

/** The family of an AFI/SAFI pair shoal speaks (unicast), else undefined. */
export function familyOfAfi(afi: number, safi: number): Family | undefined {
  if (safi !== 1) return undefined;
  if (afi === Afi.IPV4) return 4;
  if (afi === Afi.IPV6) return 6;
  return undefined;
}

export function afiOf(family: Family): number {
  return family === 4 ? Afi.IPV4 : Afi.IPV6;
}

/** A family as BGP implementations name it (FRR's "address-family ipv4", GoBGP's "-a ipv6"): in status and messages. */
export type AfiName = 'ipv4' | 'ipv6';

export function afiName(family: Family): AfiName {
  return family === 4 ? 'ipv4' : 'ipv6';
}

export interface MpReachValue {
  readonly afi: number;
  readonly safi: number;
  /** One IPv4 address, or an IPv6 global address optionally followed by a link-local one. */
  readonly nextHops: readonly string[];
  readonly nlri: readonly Prefix[];
}

export interface MpUnreachValue {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly Prefix[];
}

function encodeNextHops(nextHops: readonly string[]): Buffer {
  const parts = nextHops.map((a) => {
    const ip = parseIP(a);
    if (!ip) throw new RangeError(`next hop "${a}" is not an IP address`);
    return ipBytes(ip);
  });
  return Buffer.concat(parts);
}

export function encodeMpReachValue(v: MpReachValue): Buffer {
  const nh = encodeNextHops(v.nextHops);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(v.afi);
  head[2] = v.safi;
  head[3] = nh.length;
  return Buffer.concat([head, nh, Buffer.from([0]), encodeNlri(v.nlri)]);
}

export function encodeMpUnreachValue(v: MpUnreachValue): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt16BE(v.afi);
  head[2] = v.safi;
  return Buffer.concat([head, encodeNlri(v.withdrawn)]);
}

function decodeNextHops(family: Family, nh: Buffer): string[] | undefined {
  if (family === 4 && nh.length === 4) return [formatIPv4(nh)];
  if (nh.length === 16) return [formatIPv6(nh)];
  if (nh.length === 32) return [formatIPv6(nh), formatIPv6(nh, 16)];
  return undefined;
}

/** The caller has checked the family is a known one; errors here mean session reset (RFC 7606 7.11). */
export function decodeMpReachValue(value: Buffer): Decoded<MpReachValue, string> {
  if (value.length < 5) return refused(`MP_REACH_NLRI is ${value.length} bytes, needs at least 5`);
  const afi = value.readUInt16BE(0);
  const safi = value[2]!;
  const family = familyOfAfi(afi, safi);
  if (!family) return refused(`MP_REACH_NLRI family ${afi}/${safi} is not IPv4 or IPv6 unicast`);
  const nhLen = value[3]!;
  if (4 + nhLen + 1 > value.length) return refused(`MP_REACH_NLRI next hop of ${nhLen} bytes runs past the attribute (${value.length} bytes)`);
  const nextHops = decodeNextHops(family, value.subarray(4, 4 + nhLen));
  if (!nextHops) return refused(`MP_REACH_NLRI next hop length ${nhLen} is wrong for ${afiName(family)}`);
  const nlri = decodeNlri(family, value.subarray(4 + nhLen + 1));
  if (!nlri.ok) return refused(`MP_REACH_NLRI: ${nlri.error}`);
  return decoded({ afi, safi, nextHops, nlri: nlri.value });
}

export function decodeMpUnreachValue(value: Buffer): Decoded<MpUnreachValue, string> {
  if (value.length < 3) return refused(`MP_UNREACH_NLRI is ${value.length} bytes, needs at least 3`);
  const afi = value.readUInt16BE(0);
  const safi = value[2]!;
  const family = familyOfAfi(afi, safi);
  if (!family) return refused(`MP_UNREACH_NLRI family ${afi}/${safi} is not IPv4 or IPv6 unicast`);
  const withdrawn = decodeNlri(family, value.subarray(3));
  if (!withdrawn.ok) return refused(`MP_UNREACH_NLRI: ${withdrawn.error}`);
  return decoded({ afi, safi, withdrawn: withdrawn.value });
}
