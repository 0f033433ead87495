// The ARP half of the responder as pure functions: frame in, verdict (and the
// reply frame) out; the gratuitous frames for a takeover. No sockets here.

import { BROADCAST_MAC, type MacAddress } from './mac.js';
import { decodeArp, encodeArp, gratuitousArp } from './arp.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP } from './ethernet.js';
import { contested, type L2Decision, type OwnershipLookup, type ResponderInterface } from './verdict.js';

const UNSPECIFIED_IPV4 = '0.0.0.0';

export function decideArp(frame: Buffer, iface: ResponderInterface, owned: OwnershipLookup): L2Decision {
  const decodedEth = decodeEthernet(frame);
  if (!decodedEth.ok) return { verdict: 'malformed', detail: decodedEth.error.message };
  const eth = decodedEth.value;
  if (eth.ethertype !== ETHERTYPE_ARP) return { verdict: 'malformed', detail: `EtherType 0x${eth.ethertype.toString(16)} is not ARP` };
  const decodedArp = decodeArp(eth.payload);
  if (!decodedArp.ok) return { verdict: decodedArp.error.code === 'unsupported-operation' ? 'not-request' : 'malformed', detail: decodedArp.error.message };
  const arp = decodedArp.value;

  if (eth.src === iface.mac) return { verdict: 'from-self', ip: arp.targetIp };
  // Our MAC as the ARP sender from another source: a spoof (or a loop) of us.
  if (arp.senderMac === iface.mac) return { verdict: 'inconsistent', ip: arp.senderIp, detail: `ARP sender is our MAC, Ethernet source ${eth.src}` };

  // Anyone else speaking for an address we announce here, in any operation
  // (gratuitous request or reply, a request or reply from it), means two
  // owners. The decision here only reports who; fencing decides what to do.
  if (arp.senderIp !== UNSPECIFIED_IPV4 && contested(owned(arp.senderIp, iface.name))) {
    // A sender hardware address other than the frame's source cannot be
    // trusted to name the claimant: counted apart, never attributed.
    if (arp.senderMac !== eth.src) return { verdict: 'inconsistent', ip: arp.senderIp, detail: `ARP sender ${arp.senderMac}, Ethernet source ${eth.src}` };
    return { verdict: 'conflict', ip: arp.senderIp, claim: { mac: eth.src, probe: false } };
  }
  if (arp.op !== 'request') return { verdict: 'not-request', ip: arp.targetIp };
  if (arp.senderIp === arp.targetIp) return { verdict: 'gratuitous', ip: arp.targetIp };
  // Broadcast, or unicast to us (a client re-validating a cache entry). Anything
  // else is another host's conversation, visible only in promiscuous mode.
  if (eth.dst !== BROADCAST_MAC && eth.dst !== iface.mac) return { verdict: 'wrong-destination', ip: arp.targetIp };

  const where = owned(arp.targetIp, iface.name);
  if (where === 'not-owned') return { verdict: 'not-owned', ip: arp.targetIp };
  if (where === 'other-interface') return { verdict: 'wrong-interface', ip: arp.targetIp };
  if (where === 'yielded') return { verdict: 'yielded', ip: arp.targetIp };

  // An RFC 5227 probe (sender IP 0.0.0.0) is answered the same way: the
  // prober learns the address is taken, which is how Linux defends its own.
  // The prober is reported: a host about to take an address we announce.
  const reply = encodeArp({
    op: 'reply',
    senderMac: iface.mac,
    senderIp: arp.targetIp,
    targetMac: arp.senderMac,
    targetIp: arp.senderIp,
  });
  const probe = arp.senderIp === UNSPECIFIED_IPV4 && arp.senderMac === eth.src;
  return {
    verdict: 'answered',
    ip: arp.targetIp,
    ...(probe ? { claim: { mac: eth.src, probe: true } } : {}),
    reply: encodeEthernet({ dst: arp.senderMac, src: iface.mac, ethertype: ETHERTYPE_ARP, payload: reply }),
  };
}

/**
 * The frames of one gratuitous round for ip on an interface: the request
 * form, then the reply form, both broadcast. Linux accepts either; other
 * stacks and some switches only act on one of them, so a round has both (as
 * MetalLB does; keepalived sends the request form only).
 */
export function gratuitousArpFrames(mac: MacAddress, ip: string): Buffer[] {
  return (['request', 'reply'] as const).map((op) =>
    encodeEthernet({ dst: BROADCAST_MAC, src: mac, ethertype: ETHERTYPE_ARP, payload: encodeArp(gratuitousArp(op, mac, ip)) }),
  );
}
