// Turns Adj-RIB-Out changes into as few UPDATE messages as fit: routes with
// identical attributes share a message, each message is filled up to the
// 4096-octet limit. IPv4 goes in the classic fields, IPv6 in
// MP_REACH_NLRI / MP_UNREACH_NLRI, which RFC 7606 5.1 wants first in the list.

import type { Prefix } from '../../net/index.js';
import { Afi, HEADER_LENGTH, MAX_MESSAGE_LENGTH, Safi } from '../messages/constants.js';
import { encodeAttribute, type AttributeContext, type PathAttribute } from '../messages/attributes.js';
import { nlriSize } from '../messages/nlri.js';
import { encodeUpdate } from '../messages/update.js';
import type { OutRoute } from './out-route.js';
import type { RibChanges } from './rib-out.js';

/** UPDATE body bytes before any attribute: the two length fields. */
const FIXED = 4;

/** Fills batches of prefixes so that each batch's NLRI encoding stays within room bytes. */
function pack(prefixes: readonly Prefix[], room: number): Prefix[][] {
  const out: Prefix[][] = [];
  let batch: Prefix[] = [];
  let used = 0;
  for (const p of prefixes) {
    const n = nlriSize(p.length);
    if (used + n > room && batch.length > 0) {
      out.push(batch);
      batch = [];
      used = 0;
    }
    batch.push(p);
    used += n;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

function attrsSize(attrs: readonly PathAttribute[], ctx: AttributeContext): number {
  return attrs.reduce((s, a) => s + encodeAttribute(a, ctx).length, 0);
}

export function buildWithdraws(prefixes: readonly Prefix[], ctx: AttributeContext, maxLength = MAX_MESSAGE_LENGTH): Buffer[] {
  const body = maxLength - HEADER_LENGTH - FIXED;
  const out: Buffer[] = [];
  const v4 = prefixes.filter((p) => p.family === 4);
  const v6 = prefixes.filter((p) => p.family === 6);
  for (const batch of pack(v4, body)) out.push(encodeUpdate({ type: 'update', withdrawn: batch, attributes: [], nlri: [] }, ctx));
  // MP_UNREACH_NLRI: 4-octet attribute header (extended length) + AFI/SAFI.
  for (const batch of pack(v6, body - 4 - 3)) {
    out.push(encodeUpdate({ type: 'update', withdrawn: [], attributes: [{ kind: 'mp-unreach', afi: Afi.IPV6, safi: Safi.UNICAST, withdrawn: batch }], nlri: [] }, ctx));
  }
  return out;
}

export function buildAnnouncements(routes: readonly OutRoute[], ctx: AttributeContext, maxLength = MAX_MESSAGE_LENGTH): Buffer[] {
  const groups = new Map<string, { first: OutRoute; prefixes: Prefix[] }>();
  for (const r of routes) {
    const g = groups.get(r.groupKey);
    if (g) g.prefixes.push(r.prefix);
    else groups.set(r.groupKey, { first: r, prefixes: [r.prefix] });
  }
  const body = maxLength - HEADER_LENGTH - FIXED;
  const out: Buffer[] = [];
  for (const { first, prefixes } of groups.values()) {
    if (first.prefix.family === 4) {
      const attrs: PathAttribute[] = [...first.attributes, { kind: 'next-hop', nextHop: first.nextHops[0]! }];
      for (const batch of pack(prefixes, body - attrsSize(attrs, ctx))) out.push(encodeUpdate({ type: 'update', withdrawn: [], attributes: attrs, nlri: batch }, ctx));
    } else {
      // MP_REACH_NLRI: 4-octet header, AFI/SAFI/next hop length (4), the next hops, the reserved octet.
      const mpOverhead = 4 + 4 + 16 * first.nextHops.length + 1;
      const room = body - attrsSize(first.attributes, ctx) - mpOverhead;
      for (const batch of pack(prefixes, room)) {
        const mp: PathAttribute = { kind: 'mp-reach', afi: Afi.IPV6, safi: Safi.UNICAST, nextHops: first.nextHops, nlri: batch };
        out.push(encodeUpdate({ type: 'update', withdrawn: [], attributes: [mp, ...first.attributes], nlri: [] }, ctx));
      }
    }
  }
  return out;
}

/** Withdrawals first, then announcements. */
export function buildUpdates(changes: RibChanges, ctx: AttributeContext, maxLength = MAX_MESSAGE_LENGTH): Buffer[] {
  return [...buildWithdraws(changes.withdraw, ctx, maxLength), ...buildAnnouncements(changes.announce, ctx, maxLength)];
}
