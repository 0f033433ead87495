// The gratuitous frames of one address, written into buffers reused frame
// after frame. They are byte for byte what gratuitousArpFrames and
// unsolicitedNaFrame build (the tests compare them), but only the address
// (and the NA's checksum) is rewritten: a takeover, and the periodic
// re-assertion of thousands of addresses after it, allocate no buffers,
// arrays or strings per frame. That garbage, a few kilobytes an address,
// was most of what a speaker announcing 10,000 addresses allocated once it
// had taken them, and what grew its heap between collections.
//
// A frame written here is valid until the next one is: the sockets copy it
// into the kernel as they send it (L2Port.send).

import { writeIPv4, writeIPv6 } from '../../net/index.js';
import { gratuitousArpFrames } from './arp-responder.js';
import { ETHERNET_HEADER_BYTES } from './ethernet.js';
import { fillIcmpv6Checksum, IPV6_HEADER_BYTES } from './ipv6.js';
import type { MacAddress } from './mac.js';
import { unsolicitedNaFrame } from './ndp-responder.js';
import type { L2Protocol } from './verdict.js';

/** Frames in one gratuitous round: ARP's request and reply forms; one unsolicited NA. */
export const ROUND_FRAMES: Readonly<Record<L2Protocol, number>> = { arp: 2, ndp: 1 };

/**
 * The protocol that announces an address given as canonical text (the
 * announcer's keys): only IPv6 text has a colon. No parse, where ipFamily
 * would build a BigInt for every round.
 */
export function protocolOfCanonical(ip: string): L2Protocol {
  return ip.includes(':') ? 'ndp' : 'arp';
}

// Where the address goes in each frame (RFC 826; RFC 8200 section 3; RFC 4861 section 4.4).
const ARP_SENDER_IP = ETHERNET_HEADER_BYTES + 14;
const ARP_TARGET_IP = ETHERNET_HEADER_BYTES + 24;
const NA_SOURCE = ETHERNET_HEADER_BYTES + 8;
const NA_TARGET = ETHERNET_HEADER_BYTES + IPV6_HEADER_BYTES + 8;

/** More MACs than this (interfaces come and go) and the templates start over. */
const MAX_MACS = 64;

interface Templates {
  readonly arp: readonly Buffer[];
  readonly ndp: readonly Buffer[];
}

/** A copy in a buffer of its own: a small Buffer may be a slice of a shared pool, which a template would keep alive. */
function own(frame: Buffer): Buffer {
  const out = Buffer.alloc(frame.length);
  frame.copy(out);
  return out;
}

export class GratuitousFrames {
  private readonly byMac = new Map<MacAddress, Templates>();

  /** Frame `index` (0 .. ROUND_FRAMES[protocol] - 1) of ip's gratuitous round from mac; valid until the next call. */
  write(protocol: L2Protocol, mac: MacAddress, ip: string, index: number): Buffer {
    const frame = this.templates(mac)[protocol][index];
    if (!frame) throw new RangeError(`a gratuitous ${protocol} round has no frame ${index}`);
    if (protocol === 'arp') {
      writeIPv4(ip, frame, ARP_SENDER_IP);
      frame.copyWithin(ARP_TARGET_IP, ARP_SENDER_IP, ARP_SENDER_IP + 4);
    } else {
      // The source is the target itself, as in unsolicitedNaFrame.
      writeIPv6(ip, frame, NA_SOURCE);
      frame.copyWithin(NA_TARGET, NA_SOURCE, NA_SOURCE + 16);
      fillIcmpv6Checksum(frame, ETHERNET_HEADER_BYTES);
    }
    return frame;
  }

  private templates(mac: MacAddress): Templates {
    let t = this.byMac.get(mac);
    if (!t) {
      if (this.byMac.size >= MAX_MACS) this.byMac.clear();
      t = { arp: gratuitousArpFrames(mac, '0.0.0.0').map(own), ndp: [own(unsolicitedNaFrame(mac, '::'))] };
      this.byMac.set(mac, t);
    }
    return t;
  }
}
