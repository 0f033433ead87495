// The probe's two frames, built with shoal's own layer-2 codecs: a broadcast
// ARP request and a Neighbor Solicitation to the solicited-node group, both
// from the probe identity (topology.ts).
import { encodeArp } from '../../src/announce/l2/arp.js';
import { encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../src/announce/l2/ethernet.js';
import { encodeIpv6, ipv6MulticastMac, NEXT_HEADER_ICMPV6, solicitedNodeMulticast } from '../../src/announce/l2/ipv6.js';
import { BROADCAST_MAC, ZERO_MAC } from '../../src/announce/l2/mac.js';
import { encodeNdp } from '../../src/announce/l2/ndp.js';
import { PROBE_IP, PROBE_IP6, PROBE_MAC } from './topology.js';

export function arpRequestFrame(vip: string): Buffer {
  const arp = encodeArp({ op: 'request', senderMac: PROBE_MAC, senderIp: PROBE_IP, targetMac: ZERO_MAC, targetIp: vip });
  return encodeEthernet({ dst: BROADCAST_MAC, src: PROBE_MAC, ethertype: ETHERTYPE_ARP, payload: arp });
}

export function neighborSolicitationFrame(vip: string): Buffer {
  const group = solicitedNodeMulticast(vip);
  const ns = encodeNdp({ type: 'neighbor-solicitation', target: vip, options: [{ kind: 'source-lla', mac: PROBE_MAC }] }, { src: PROBE_IP6, dst: group });
  const ip = encodeIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: NEXT_HEADER_ICMPV6, hopLimit: 255, src: PROBE_IP6, dst: group, payload: ns });
  return encodeEthernet({ dst: ipv6MulticastMac(group), src: PROBE_MAC, ethertype: ETHERTYPE_IPV6, payload: ip });
}
