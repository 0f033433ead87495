// A route as it goes to one particular session: the attributes depend on
// whether the peer is internal, what it negotiated and which local address
// the connection uses.

import { Origin, SegmentType } from '../messages/constants.js';
import type { PathAttribute } from '../messages/attributes.js';
import type { Family, Prefix } from '../messages/ip.js';
import type { NormalizedRoute } from './route.js';

export interface SessionView {
  readonly ibgp: boolean;
  readonly localAsn: number;
  readonly fourOctetAs: boolean;
  readonly families: readonly Family[];
  /** This end's address of the BGP connection. */
  readonly localAddress: string;
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

/** RFC 4291 2.5.6 link-local unicast, fe80::/10. */
const isLinkLocal = (a: string): boolean => /^fe[89ab][0-9a-f]?:/i.test(a);

const DEFAULT_LOCAL_PREF = 100;

function nextHopsFor(r: NormalizedRoute, view: SessionView): string[] | { skip: string } {
  const family = r.prefix.family;
  const localIsFamily = view.localAddress.includes(':') === (family === 'ipv6');
  if (family === 'ipv4') {
    const nh = r.nextHop ?? (localIsFamily ? view.localAddress : undefined);
    if (!nh) return { skip: 'no IPv4 next hop: set nextHop on routes sent over an IPv6 session' };
    if (nh.includes(':')) return { skip: `next hop ${nh} is not IPv4` };
    return [nh];
  }
  const local = localIsFamily ? view.localAddress : undefined;
  const global = r.nextHop ?? (local && !isLinkLocal(local) ? local : undefined);
  if (!global) return { skip: 'no global IPv6 next hop: set nextHop on routes sent over an IPv4 or link-local session' };
  if (!global.includes(':')) return { skip: `next hop ${global} is not IPv6` };
  // RFC 2545 3: the link-local address goes along when the session runs over one.
  return local && isLinkLocal(local) && local !== global ? [global, local] : [global];
}

export function outRoute(r: NormalizedRoute, view: SessionView): OutRoute | { skip: string } {
  if (!view.families.includes(r.prefix.family)) return { skip: `the peer did not negotiate ${r.prefix.family} unicast` };
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

