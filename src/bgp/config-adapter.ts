// From the MetalLB configuration model (src/config) to the BGP side's plain
// inputs: PeerOptions for the peers that select this node, and the routes
// each of them should carry for the service addresses this node announces.
// What is not supported is reported as a problem, never silently dropped.

import type { BFDProfile, BGPAdvertisement, BGPPeer, Config } from '../config/index.js';
import { anySelectorMatches, type Labels } from '../config/index.js';
import { familyName, formatPrefix, ipFamily, parseIP, prefixContaining, type Family } from '../net/index.js';
import { formatCommunity, formatLargeCommunity, type Route } from './advertise/route.js';
import type { BfdProfileOptions, PeerOptions } from './options.js';
import { namespacedKey } from '../kube/object-key.js';

export interface NodeContext {
  readonly name: string;
  readonly labels: Labels;
  /** The node's IPv4 address: default router ID, and next hop of IPv4 routes sent over IPv6 sessions. */
  readonly ipv4?: string;
  /** The node's IPv6 address: next hop of IPv6 routes sent over IPv4 sessions. */
  readonly ipv6?: string;
  /** Passwords read from passwordSecret references, keyed "namespace/name". */
  readonly secrets?: ReadonlyMap<string, string>;
}

/** A service address this node announces in BGP mode, as the speaker decided. */
export interface AnnouncedAddress {
  readonly ip: string;
  /** The pool the address came from. */
  readonly pool: string;
  readonly serviceLabels: Labels;
}

export interface Adapted<T> {
  readonly value: T;
  readonly problems: readonly string[];
}

/** MetalLB's enableGracefulRestart; FRR's and MetalLB's restart time. */
const GRACEFUL_RESTART_SECONDS = 120;

function bfdOptions(p: BFDProfile, peer: BGPPeer, problems: string[]): BfdProfileOptions {
  if (p.echoMode) problems.push(`peer ${peer.name}: BFD profile ${p.name} asks for echo mode, which shoal does not implement; BFD runs without it`);
  if (peer.ebgpMultiHop) problems.push(`peer ${peer.name}: multi-hop BFD (RFC 5883, minimumTtl) is not implemented; the session runs single-hop BFD`);
  return { receiveIntervalMs: p.receiveInterval, transmitIntervalMs: p.transmitInterval, detectMultiplier: p.detectMultiplier, passiveMode: p.passiveMode };
}

function peerOptions(config: Config, peer: BGPPeer, node: NodeContext, problems: string[]): PeerOptions | undefined {
  const at = `peer ${peer.name}`;
  if (peer.interface !== undefined || peer.peerAddress === undefined) {
    problems.push(`${at}: unnumbered BGP over interface ${peer.interface ?? '?'} is not supported`);
    return undefined;
  }
  if (peer.vrf !== undefined && peer.vrf !== '') {
    problems.push(`${at}: VRF ${peer.vrf} is not supported`);
    return undefined;
  }
  const routerId = peer.routerID ?? node.ipv4;
  if (!routerId) {
    problems.push(`${at}: no router ID (set routerID or give the node an IPv4 address)`);
    return undefined;
  }
  let password = peer.password;
  if (password === undefined && peer.passwordSecret) {
    const secret = namespacedKey(peer.passwordSecret.namespace, peer.passwordSecret.name);
    password = node.secrets?.get(secret);
    if (password === undefined) {
      problems.push(`${at}: password secret ${secret} is not available`);
      return undefined;
    }
  }
  // The model holds canonical text: the family is always known.
  const family: Family = ipFamily(peer.peerAddress) ?? 4;
  let bfd: BfdProfileOptions | undefined;
  if (peer.bfdProfile !== undefined) {
    const p = config.bfdProfiles.find((x) => x.name === peer.bfdProfile);
    if (p) bfd = bfdOptions(p, peer, problems);
    else problems.push(`${at}: BFD profile ${peer.bfdProfile} does not exist; running without BFD`);
  }
  const holdSeconds = Math.round(peer.holdTime / 1000);
  const keepaliveSeconds = Math.round(peer.keepaliveTime / 1000);
  return {
    name: peer.name,
    peerAddress: peer.peerAddress,
    peerPort: peer.peerPort,
    ...(peer.peerASN !== undefined ? { peerAsn: peer.peerASN } : {}),
    ...(peer.dynamicASN !== undefined ? { dynamicAsn: peer.dynamicASN } : {}),
    // BGPPeer.localASN is FRR's "local-as": the session speaks as that AS.
    localAsn: peer.localASN ?? peer.myASN,
    routerId,
    ...(peer.sourceAddress !== undefined ? { sourceAddress: peer.sourceAddress } : {}),
    holdTimeSeconds: holdSeconds,
    ...(holdSeconds > 0 && keepaliveSeconds >= 1 && keepaliveSeconds < holdSeconds ? { keepaliveTimeSeconds: keepaliveSeconds } : {}),
    // MetalLB's connectTime is the wait between connection attempts: the first step of the backoff.
    ...(peer.connectTime !== undefined ? { connectRetry: { minMs: peer.connectTime, maxMs: Math.max(peer.connectTime, 60_000) } } : {}),
    ...(password !== undefined ? { password } : {}),
    ebgpMultiHop: peer.ebgpMultiHop,
    // An IPv4 session carries IPv4 routes unless dualStackAddressFamily asks for both (MetalLB's FRR mode).
    families: peer.dualStackAddressFamily && !peer.disableMP ? [4, 6] : [family],
    ...(peer.enableGracefulRestart ? { gracefulRestart: { restartTimeSeconds: GRACEFUL_RESTART_SECONDS } } : {}),
    ...(bfd ? { bfd } : {}),
  };
}

/** The peers whose nodeSelectors select this node. */
export function peersForNode(config: Config, node: NodeContext): Adapted<PeerOptions[]> {
  const problems: string[] = [];
  const peers: PeerOptions[] = [];
  for (const p of config.peers) {
    if (!anySelectorMatches(p.nodeSelectors, node.labels)) continue;
    const o = peerOptions(config, p, node, problems);
    if (o) peers.push(o);
  }
  return { value: peers, problems };
}

function advertises(adv: BGPAdvertisement, a: AnnouncedAddress, node: NodeContext): boolean {
  return adv.pools.includes(a.pool) && anySelectorMatches(adv.nodeSelectors, node.labels) && anySelectorMatches(adv.serviceSelectors, a.serviceLabels);
}

/**
 * Routes per peer name for the addresses this node announces: each
 * matching BGPAdvertisement contributes the address aggregated to its
 * aggregationLength, with its local preference and communities, to its
 * peers (all when it names none). Two advertisements giving one prefix to
 * one peer merge: communities are united, the first local preference set wins.
 */
export function routesForNode(config: Config, node: NodeContext, peers: readonly PeerOptions[], announced: readonly AnnouncedAddress[]): Adapted<Record<string, Route[]>> {
  const problems: string[] = [];
  const byPeer = new Map<string, Map<string, { prefix: string; localPref?: number; communities: Set<string>; large: Set<string>; nextHop?: string }>>();
  for (const a of announced) {
    for (const adv of config.bgpAdvertisements) {
      if (!advertises(adv, a, node)) continue;
      const ip = parseIP(a.ip);
      if (!ip) {
        problems.push(`advertisement ${adv.name}: ${a.ip} is not an IP address`);
        continue;
      }
      const length = ip.family === 6 ? adv.aggregationLengthV6 : adv.aggregationLength;
      const prefix = prefixContaining(ip, length);
      if (!prefix) {
        problems.push(`advertisement ${adv.name}: aggregation length ${length} does not fit ${a.ip}`);
        continue;
      }
      const key = formatPrefix(prefix);
      for (const peer of peers) {
        if (adv.peers.length > 0 && !adv.peers.includes(peer.name)) continue;
        if (!(peer.families ?? [4, 6]).includes(prefix.family)) continue;
        // Across families the session's own address cannot be the next hop: use the node's.
        const crossFamily = ipFamily(peer.peerAddress) !== ip.family;
        const nextHop = !crossFamily ? undefined : ip.family === 6 ? node.ipv6 : node.ipv4;
        if (crossFamily && !nextHop) {
          problems.push(`peer ${peer.name}: ${key} needs the node's ${familyName(ip.family)} address as next hop`);
          continue;
        }
        let routes = byPeer.get(peer.name);
        if (!routes) byPeer.set(peer.name, (routes = new Map()));
        let r = routes.get(key);
        if (!r) routes.set(key, (r = { prefix: key, communities: new Set(), large: new Set(), ...(nextHop ? { nextHop } : {}) }));
        if (r.localPref === undefined && adv.localPref !== undefined) r.localPref = adv.localPref;
        for (const c of adv.communities) {
          if (c.kind === 'standard') r.communities.add(formatCommunity(c.value));
          else r.large.add(formatLargeCommunity(c));
        }
      }
    }
  }
  const value: Record<string, Route[]> = {};
  for (const [peer, routes] of byPeer) {
    value[peer] = [...routes.values()].map((r) => ({
      prefix: r.prefix,
      ...(r.nextHop ? { nextHop: r.nextHop } : {}),
      ...(r.localPref !== undefined ? { localPref: r.localPref } : {}),
      ...(r.communities.size > 0 ? { communities: [...r.communities] } : {}),
      ...(r.large.size > 0 ? { largeCommunities: [...r.large] } : {}),
    }));
  }
  return { value, problems };
}
