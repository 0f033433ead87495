// A route as it goes to one particular session: the attributes depend on
// whether the peer is internal, what it negotiated and which local address
// the connection uses.

import { formatIP, isLinkLocalIPv6, type Family, type IP, type Prefix } from '../../net/index.js';
import { Origin, SegmentType } from '../messages/constants.js';
import type { PathAttribute } from '../messages/attributes.js';
import { afiName } from '../messages/mp-nlri.js';
import type { NormalizedRoute } from './route.js';

export interface SessionView {
  readonly ibgp: boolean;
  readonly localAsn: number;
  readonly fourOctetAs: boolean;
  readonly families: readonly Family[];
  /** This end's address of the BGP connection, when the socket knows it. */
  readonly localAddress: IP | undefined;
}

export interface OutRoute {
  readonly prefix: Prefix;
  /** One IPv4 address, or an IPv6 global address optionally followed by a link-local one. */
  readonly nextHops: readonly string[];
  /** Everything but NEXT_HOP / MP_REACH_NLRI, in the order they are sent. */
  readonly attributes: readonly PathAttribute[];
  /** Routes with equal keys share one UPDATE. */
  readonly groupKey: string;
}

const DEFAULT_LOCAL_PREF = 100;

function nextHopsFor(r: NormalizedRoute, view: SessionView): string[] | { skip: string } {
  const family = r.prefix.family;
  const local = view.localAddress?.family === family ? view.localAddress : undefined;
  if (family === 4) {
    const nh = r.nextHop ?? local;
    if (!nh) return { skip: 'no IPv4 next hop: set nextHop on routes sent over an IPv6 session' };
    if (nh.family !== 4) return { skip: `next hop ${formatIP(nh)} is not IPv4` };
    return [formatIP(nh)];
  }
  const localLinkLocal = local !== undefined && isLinkLocalIPv6(local);
  const global = r.nextHop ?? (local && !localLinkLocal ? local : undefined);
  if (!global) return { skip: 'no global IPv6 next hop: set nextHop on routes sent over an IPv4 or link-local session' };
  if (global.family !== 6) return { skip: `next hop ${formatIP(global)} is not IPv6` };
  // RFC 2545 3: the link-local address goes along when the session runs over one.
  return local && localLinkLocal && local.value !== global.value ? [formatIP(global), formatIP(local)] : [formatIP(global)];
}

export function outRoute(r: NormalizedRoute, view: SessionView): OutRoute | { skip: string } {
  if (!view.families.includes(r.prefix.family)) return { skip: `the peer did not negotiate ${afiName(r.prefix.family)} unicast` };
  const nextHops = nextHopsFor(r, view);
  if ('skip' in nextHops) return nextHops;
  const attributes: PathAttribute[] = [{ kind: 'origin', origin: Origin.IGP }];
  if (view.ibgp) {
    attributes.push({ kind: 'as-path', segments: [] });
  } else {
    attributes.push({ kind: 'as-path', segments: [{ type: SegmentType.AS_SEQUENCE, asns: [view.localAsn] }] });
    // RFC 6793 4.2.2: a peer without four-octet AS support sees AS_TRANS and gets the real path in AS4_PATH.
    if (!view.fourOctetAs && view.localAsn > 0xffff) {
      attributes.push({ kind: 'as4-path', segments: [{ type: SegmentType.AS_SEQUENCE, asns: [view.localAsn] }] });
    }
  }
  if (r.med !== undefined) attributes.push({ kind: 'med', med: r.med });
  const localPref = view.ibgp ? (r.localPref ?? DEFAULT_LOCAL_PREF) : undefined;
  if (localPref !== undefined) attributes.push({ kind: 'local-pref', localPref });
  if (r.communities.length > 0) attributes.push({ kind: 'communities', communities: r.communities });
  if (r.largeCommunities.length > 0) attributes.push({ kind: 'large-communities', communities: r.largeCommunities });
  const groupKey = [
    r.prefix.family,
    nextHops.join(','),
    r.med ?? '',
    localPref ?? '',
    r.communities.join(','),
    r.largeCommunities.map((c) => `${c.global}:${c.local1}:${c.local2}`).join(','),
  ].join('|');
  return { prefix: r.prefix, nextHops, attributes, groupKey };
}

