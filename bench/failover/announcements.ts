// Gratuitous ARP and unsolicited Neighbor Advertisements in a capture, read
// with the responders' own codecs: which MAC claimed which address, in which
// form, when. Pure: frames in, announcements out.
import { decodeArp } from '../../src/announce/l2/arp.js';
import { decodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../src/announce/l2/ethernet.js';
import { decodeIpv6, NEXT_HEADER_ICMPV6 } from '../../src/announce/l2/ipv6.js';
import { decodeNdp } from '../../src/announce/l2/ndp.js';
import { ipFamily, ipKey } from '../../src/net/index.js';
import type { PcapRecord } from '../../test/support/pcap.js';

/**
 * The frames of one gratuitous round: ARP sends a request and a reply for
 * the address (gratuitousArpFrames), NDP one unsolicited NA.
 */
export type AnnouncementForm = 'arp-request' | 'arp-reply' | 'na';

export interface Announcement {
  /** Capture time, ms since the epoch. */
  at: number;
  /** Frame source MAC, lower case. */
  mac: string;
  /** The claimed address, canonical text. */
  ip: string;
  form: AnnouncementForm;
}

/** The forms one gratuitous round of an address is made of. */
export function roundForms(ip: string): readonly AnnouncementForm[] {
  return ipFamily(ip) === 6 ? ['na'] : ['arp-request', 'arp-reply'];
}

/**
 * A gratuitous announcement, or undefined for any other frame: an ARP request
 * or reply whose sender and target address are the same, or a Neighbor
 * Advertisement with the solicited flag clear (RFC 4861 7.2.6).
 */
export function announcementOf(frame: Buffer, at: number): Announcement | undefined {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return undefined;
  const mac = eth.value.src;
  if (eth.value.ethertype === ETHERTYPE_ARP) {
    const arp = decodeArp(eth.value.payload);
    if (!arp.ok || arp.value.senderIp !== arp.value.targetIp) return undefined;
    return { at, mac, ip: arp.value.senderIp, form: arp.value.op === 'request' ? 'arp-request' : 'arp-reply' };
  }
  if (eth.value.ethertype !== ETHERTYPE_IPV6) return undefined;
  const ip6 = decodeIpv6(eth.value.payload);
  if (!ip6.ok || ip6.value.nextHeader !== NEXT_HEADER_ICMPV6) return undefined;
  const nd = decodeNdp(ip6.value.payload);
  if (!nd.ok || nd.value.type !== 'neighbor-advertisement' || nd.value.solicited) return undefined;
  return { at, mac, ip: ipKey(nd.value.target), form: 'na' };
}

/** Every gratuitous announcement of a capture, in capture order. */
export function announcementsIn(records: readonly PcapRecord[]): Announcement[] {
  const out: Announcement[] = [];
  for (const r of records) {
    const a = announcementOf(r.frame, r.at);
    if (a) out.push(a);
  }
  return out;
}
