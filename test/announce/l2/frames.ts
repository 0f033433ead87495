// Builders for the question frames tests send or feed to the responders:
// Neighbor Solicitations with any hop limit, destination and options, and
// ARP requests. (The answers are built by the code under test.)

import type { MacAddress } from '../../../src/announce/l2/mac.js';
import { encodeArp } from '../../../src/announce/l2/arp.js';
import { encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../../src/announce/l2/ethernet.js';
import { encodeIpv6, ipv6MulticastMac, NEXT_HEADER_ICMPV6, solicitedNodeMulticast } from '../../../src/announce/l2/ipv6.js';
import { encodeNdp, type NdpOption } from '../../../src/announce/l2/ndp.js';

export interface NsSpec {
  srcMac: MacAddress;
  src: string;
  target: string;
  /** Default: the target's solicited-node group, at its multicast MAC. */
  dst?: string;
  dstMac?: MacAddress;
  hopLimit?: number;
  /** Default: a source link-layer option with srcMac, except from ::. */
  options?: NdpOption[];
}

export function nsFrame(spec: NsSpec): Buffer {
  const dst = spec.dst ?? solicitedNodeMulticast(spec.target);
  const dstMac = spec.dstMac ?? ipv6MulticastMac(dst);
  const options = spec.options ?? (spec.src === '::' ? [] : [{ kind: 'source-lla' as const, mac: spec.srcMac }]);
  const icmp = encodeNdp({ type: 'neighbor-solicitation', target: spec.target, options }, { src: spec.src, dst });
  const ip = encodeIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: NEXT_HEADER_ICMPV6, hopLimit: spec.hopLimit ?? 255, src: spec.src, dst, payload: icmp });
  return encodeEthernet({ dst: dstMac, src: spec.srcMac, ethertype: ETHERTYPE_IPV6, payload: ip });
}

export function arpRequestFrame(spec: { srcMac: MacAddress; senderIp: string; targetIp: string; dstMac?: MacAddress }): Buffer {
  const payload = encodeArp({ op: 'request', senderMac: spec.srcMac, senderIp: spec.senderIp, targetMac: '00:00:00:00:00:00', targetIp: spec.targetIp });
  return encodeEthernet({ dst: spec.dstMac ?? 'ff:ff:ff:ff:ff:ff', src: spec.srcMac, ethertype: ETHERTYPE_ARP, payload });
}
