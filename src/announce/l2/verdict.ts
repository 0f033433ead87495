// What a responder decided about one received frame. Tests assert these and
// the metrics count them by label, so the list is append-only.

import type { MacAddress } from './mac.js';

export type L2Protocol = 'arp' | 'ndp';

export type L2Verdict =
  /** A reply was built for an address announced on this interface. */
  | 'answered'
  /** The asked-for address is not one we announce. */
  | 'not-owned'
  /** We announce the address, but not on the interface the question came in on. */
  | 'wrong-interface'
  /** An ARP reply or other ARP operation, or an ICMPv6 message other than NS. */
  | 'not-request'
  /** A gratuitous ARP from another host for an address we do not announce: news, not a question. */
  | 'gratuitous'
  /** Link-layer or IPv6 destination is neither ours nor the right broadcast/multicast (seen in promiscuous mode). */
  | 'wrong-destination'
  /** Sent by this interface itself. */
  | 'from-self'
  /**
   * Another host claims an address we announce (or yielded) on this interface:
   * an ARP packet with it as sender address, an NA for it, an NS with it as
   * source. Split brain or misconfiguration; `claim` says which MAC.
   */
  | 'conflict'
  /** NS whose IPv6 hop limit is not 255: it may have crossed a router (RFC 4861 7.1.1). */
  | 'bad-hop-limit'
  /** NS whose ICMPv6 checksum does not verify. */
  | 'bad-checksum'
  /** Could not be decoded, or breaks a validity rule of RFC 826 / RFC 4861 7.1.1. */
  | 'malformed'
  /**
   * A claim on one of our addresses whose link-layer sender (ARP sender
   * hardware address, NDP link-layer address option) is not the Ethernet
   * source, or that carries our own MAC from elsewhere: spoofed or relayed.
   * Counted and never attributed to a member.
   */
  | 'inconsistent'
  /** A question for an address we yielded to another member (split-brain fencing): not answered. */
  | 'yielded';

/** Where an address stands for a given interface; `yielded`: ours, but left to another claimant for now. */
export type Ownership = 'announce' | 'yielded' | 'other-interface' | 'not-owned';

/** Whether a claim by another host on an address in this state is a conflict for us. */
export const contested = (o: Ownership): boolean => o === 'announce' || o === 'yielded';

/** Another host's claim on an address we announce, as seen in one frame. */
export interface L2Claim {
  /** The claimant's MAC (the Ethernet source, checked against the link-layer sender). */
  mac: MacAddress;
  /** A duplicate-address probe (sender 0.0.0.0 / ::) for the address rather than a claim already made. */
  probe: boolean;
}

/** Answers "do we announce ip on iface?" from the announcer's current state. */
export type OwnershipLookup = (ip: string, iface: string) => Ownership;

/** The interface a responder speaks for. */
export interface ResponderInterface {
  name: string;
  mac: MacAddress;
}

export interface L2Decision {
  verdict: L2Verdict;
  /** The address the frame was about (target, or the claimed address for a conflict), when decoded. */
  ip?: string;
  /** The frame to send back, for `answered`. */
  reply?: Buffer;
  /** Why the frame was malformed or inconsistent, for logs. */
  detail?: string;
  /** For `conflict`, and for an answered probe: who claims the address. */
  claim?: L2Claim;
}
