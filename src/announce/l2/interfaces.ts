// Which interfaces an address is announced on: a pure function of the
// interface snapshot and the address's target.
//
// Named interfaces (an L2Advertisement's `interfaces`) are used as given, as
// long as they can carry ARP/ND at all. With none named, the default follows
// MetalLB: every interface that is up, not loopback, not NOARP, not enslaved
// to a bridge or bond (the master carries the traffic), and whose name is not
// on the exclusion list MetalLB ships (docker, cni, veth, ...); ARP also needs
// a broadcast-capable link and NDP an IPv6 link-local address (IPv6 enabled).
// There is deliberately no "same subnet as the address" rule: a pool outside
// every node subnet is a normal MetalLB layer-2 setup, and answering on an
// extra interface is harmless (nobody asks there unless the address is on-link
// for them). Unlike MetalLB we also require carrier (RUNNING): an address
// whose link comes back gets announced again, which refreshes neighbours
// after a flap.

import type { Family } from '../../net/index.js';
import type { MacAddress } from './mac.js';

export interface SystemInterface {
  name: string;
  index: number;
  /** undefined for links without an Ethernet address (tun, loopback, ip6gre...). */
  mac: MacAddress | undefined;
  mtu: number;
  up: boolean;
  running: boolean;
  loopback: boolean;
  broadcast: boolean;
  noarp: boolean;
  /** Enslaved to a bridge, bond or VRF (/sys/class/net/NAME/master exists). */
  hasMaster: boolean;
  /** Has an fe80::/10 address, i.e. IPv6 is enabled on it. */
  ipv6LinkLocal: boolean;
}

/** MetalLB's announcedInterfacesToExclude from its shipped manifests (lxc: Cilium's pod interfaces). */
export const DEFAULT_EXCLUDED_INTERFACES: readonly RegExp[] = [
  /^docker.*/,
  /^cbr.*/,
  /^dummy.*/,
  /^virbr.*/,
  /^lxcbr.*/,
  /^veth.*/,
  /^lo$/,
  /^cali.*/,
  /^tunl.*/,
  /^flannel.*/,
  /^kube-ipvs.*/,
  /^cni.*/,
  /^nodelocaldns.*/,
  /^lxc.*/,
];

/** Can this link carry ARP (family 4) or NDP (family 6) at all? */
export function canCarry(i: SystemInterface): boolean {
  return i.mac !== undefined && i.up && i.running && !i.loopback && !i.noarp;
}

export function eligibleByDefault(i: SystemInterface, family: Family, exclude: readonly RegExp[]): boolean {
  if (!canCarry(i) || i.hasMaster) return false;
  if (exclude.some((re) => re.test(i.name))) return false;
  return family === 4 ? i.broadcast : i.ipv6LinkLocal;
}

/**
 * Could layer 2 announce on this interface, carrier aside? Named interfaces
 * (`named`: every name the desired state gives), and whatever the default
 * selection would take once up. The announcer watches these for links that
 * go and come back.
 */
export function announceable(i: SystemInterface, named: ReadonlySet<string>, exclude: readonly RegExp[]): boolean {
  if (i.mac === undefined || i.loopback || i.noarp) return false;
  return named.has(i.name) || (!i.hasMaster && !exclude.some((re) => re.test(i.name)));
}

/** Names of the interfaces to announce on, in snapshot order. */
export function selectInterfaces(
  family: Family,
  named: ReadonlySet<string> | undefined,
  snapshot: readonly SystemInterface[],
  exclude: readonly RegExp[],
): string[] {
  if (named && named.size > 0) return snapshot.filter((i) => named.has(i.name) && canCarry(i)).map((i) => i.name);
  return snapshot.filter((i) => eligibleByDefault(i, family, exclude)).map((i) => i.name);
}
