// The Neighbor Discovery half of the responder as pure functions: an
// Ethernet frame carrying a Neighbor Solicitation in, verdict and the
// Neighbor Advertisement frame out; the unsolicited NA for a takeover.
//
// Whole frames, not ICMPv6 payloads: the responder reads NS through AF_PACKET
// because an ICMPv6 raw socket never sees a unicast NS for an address the
// kernel does not own (it is dropped before raw delivery), and because the
// hop limit and destination that RFC 4861 7.1.1 asks us to check are in the
// IPv6 header raw sockets strip. See docs/l2.md.

import { formatIPv6, isMulticastIPv6, parseIPv6 } from '../../net/index.js';
import type { MacAddress } from './mac.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_IPV6 } from './ethernet.js';
import { ALL_NODES, decodeIpv6, encodeIpv6, ipv6MulticastMac, NEXT_HEADER_ICMPV6, solicitedNodeMulticast, UNSPECIFIED } from './ipv6.js';
import { decodeNdp, encodeNdp, findLinkLayerOption, ICMPV6_NEIGHBOR_ADVERTISEMENT, ICMPV6_NEIGHBOR_SOLICITATION, verifyIcmpv6Checksum } from './ndp.js';
import { contested, type L2Decision, type OwnershipLookup, type ResponderInterface } from './verdict.js';

/** RFC 4861: every ND message is sent, and must arrive, with hop limit 255. */
export const ND_HOP_LIMIT = 255;

export function decideNdp(frame: Buffer, iface: ResponderInterface, owned: OwnershipLookup): L2Decision {
  const decodedEth = decodeEthernet(frame);
  if (!decodedEth.ok) return { verdict: 'malformed', detail: decodedEth.error.message };
  const eth = decodedEth.value;
  if (eth.ethertype !== ETHERTYPE_IPV6) return { verdict: 'malformed', detail: `EtherType 0x${eth.ethertype.toString(16)} is not IPv6` };
  const decodedIp = decodeIpv6(eth.payload);
  if (!decodedIp.ok) return { verdict: 'malformed', detail: decodedIp.error.message };
  const ip = decodedIp.value;
  const icmpType = ip.payload[0];
  if (ip.nextHeader !== NEXT_HEADER_ICMPV6 || (icmpType !== ICMPV6_NEIGHBOR_SOLICITATION && icmpType !== ICMPV6_NEIGHBOR_ADVERTISEMENT)) return { verdict: 'not-request' };
  if (eth.src === iface.mac) return { verdict: 'from-self' };
  // RFC 4861 7.1.1 (NS) and 7.1.2 (NA), in their order: hop limit, checksum, then the message itself.
  if (ip.hopLimit !== ND_HOP_LIMIT) return { verdict: 'bad-hop-limit', detail: `hop limit ${ip.hopLimit}` };
  if (!verifyIcmpv6Checksum(ip.src, ip.dst, ip.payload)) return { verdict: 'bad-checksum' };

  const decodedNd = decodeNdp(ip.payload);
  if (!decodedNd.ok) return { verdict: 'malformed', detail: decodedNd.error.message };
  const nd = decodedNd.value;
  if (nd.type === 'neighbor-advertisement') {
    // Solicited or not, an NA for an address we announce says another host
    // answers for it. Anything else is other hosts' business.
    if (!contested(owned(nd.target, iface.name))) return { verdict: 'not-request', ip: nd.target };
    return claimFrom(nd.target, eth.src, findLinkLayerOption(nd.options, 'target-lla'), iface.mac, 'target link-layer address');
  }
  const ns = nd;
  const target = ns.target;
  const sourceLla = findLinkLayerOption(ns.options, 'source-lla');
  // Another host using an address we announce here as its own source: two owners.
  if (ip.src !== UNSPECIFIED && contested(owned(ip.src, iface.name))) return claimFrom(ip.src, eth.src, sourceLla, iface.mac, 'source link-layer address');
  if (isMulticastIPv6(parseIPv6(target))) return { verdict: 'malformed', ip: target, detail: 'NS target is a multicast address' };
  const dad = ip.src === UNSPECIFIED;
  if (dad) {
    if (ip.dst !== solicitedNodeMulticast(target)) return { verdict: 'malformed', ip: target, detail: 'NS from :: not sent to the solicited-node group' };
    if (sourceLla !== undefined) return { verdict: 'malformed', ip: target, detail: 'NS from :: carries a source link-layer address' };
  }

  // Multicast to the target's solicited-node group, or unicast to the target
  // itself at our MAC (a client re-validating its cache entry, RFC 4861 7.3.3).
  const toGroup = ip.dst === solicitedNodeMulticast(target) && eth.dst === ipv6MulticastMac(ip.dst);
  const toUs = ip.dst === target && eth.dst === iface.mac;
  if (!toGroup && !toUs) return { verdict: 'wrong-destination', ip: target };

  const where = owned(target, iface.name);
  if (where === 'not-owned') return { verdict: 'not-owned', ip: target };
  if (where === 'other-interface') return { verdict: 'wrong-interface', ip: target };
  if (where === 'yielded') return { verdict: 'yielded', ip: target };

  // RFC 4861 7.2.4: a DAD probe is answered to all-nodes with S clear;
  // anything else unicast to the asker with S set. We always set O: we are the
  // only owner, and a cache still pointing at the previous owner must move.
  const reply = dad
    ? neighborAdvertisementFrame(iface.mac, target, ALL_NODES, ipv6MulticastMac(ALL_NODES), false)
    : neighborAdvertisementFrame(iface.mac, target, ip.src, sourceLla ?? eth.src, true);
  // A DAD probe for our address is a host about to take it: answered (the
  // defence RFC 4862 5.4.3 expects) and reported.
  return { verdict: 'answered', ip: target, reply, ...(dad ? { claim: { mac: eth.src, probe: true } } : {}) };
}

/**
 * A claim on `address` by the frame's Ethernet source, unless the
 * link-layer address the message carries names someone else (or us): then
 * the frame is spoofed or relayed and cannot say who claims.
 */
function claimFrom(address: string, ethSrc: MacAddress, lla: MacAddress | undefined, ours: MacAddress, option: string): L2Decision {
  if (lla === ours) return { verdict: 'inconsistent', ip: address, detail: `${option} is our MAC, Ethernet source ${ethSrc}` };
  if (lla !== undefined && lla !== ethSrc) return { verdict: 'inconsistent', ip: address, detail: `${option} ${lla}, Ethernet source ${ethSrc}` };
  return { verdict: 'conflict', ip: address, claim: { mac: ethSrc, probe: false } };
}

/** The unsolicited NA of RFC 4861 7.2.6 announcing that target is now at mac. */
export function unsolicitedNaFrame(mac: MacAddress, target: string): Buffer {
  return neighborAdvertisementFrame(mac, target, ALL_NODES, ipv6MulticastMac(ALL_NODES), false);
}

/**
 * The IPv6 source is the target address itself, as Linux sends its own NAs
 * for an address it owns (ndisc_send_na): receivers already accept exactly
 * this form, and it needs no link-local address or route on the node.
 */
function neighborAdvertisementFrame(mac: MacAddress, target: string, dstIp: string, dstMac: MacAddress, solicited: boolean): Buffer {
  const src = formatIPv6(parseIPv6(target));
  const icmp = encodeNdp(
    { type: 'neighbor-advertisement', router: false, solicited, override: true, target: src, options: [{ kind: 'target-lla', mac }] },
    { src, dst: dstIp },
  );
  const ip = encodeIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: NEXT_HEADER_ICMPV6, hopLimit: ND_HOP_LIMIT, src, dst: dstIp, payload: icmp });
  return encodeEthernet({ dst: dstMac, src: mac, ethertype: ETHERTYPE_IPV6, payload: ip });
}
