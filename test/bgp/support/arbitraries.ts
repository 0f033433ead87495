// fast-check generators of well-formed BGP messages, for round-trip and
// fuzz properties. Generated values respect what the decoder requires
// (mandatory attributes present, unique type codes, sizes under 4096).

import fc from 'fast-check';
import type { Capability } from '../../../src/bgp/messages/capabilities.js';
import { AttrFlag } from '../../../src/bgp/messages/constants.js';
import type { PathAttribute } from '../../../src/bgp/messages/attributes.js';
import { FAMILY_BITS, formatIPv6, networkOf, type Family, type Prefix } from '../../../src/net/index.js';
import type { BgpMessage, DecodeContext } from '../../../src/bgp/messages/message.js';
import type { OpenMessage } from '../../../src/bgp/messages/open.js';
import type { UpdateMessage } from '../../../src/bgp/messages/update.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });

export function prefixArb(family: Family): fc.Arbitrary<Prefix> {
  const bits = FAMILY_BITS[family];
  return fc
    .tuple(fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }), fc.integer({ min: 0, max: bits }))
    .map(([value, length]) => ({ family, address: networkOf(family, value, length), length }));
}

const hostV4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map((o) => o.join('.'));
const hostV6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(Buffer.from(b)));

export const capabilityArb: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ kind: fc.constant('multiprotocol' as const), afi: u16, safi: fc.integer({ min: 0, max: 255 }) }),
  fc.constant({ kind: 'route-refresh' as const }),
  fc.record({ kind: fc.constant('four-octet-as' as const), asn: u32 }),
  fc.record({
    kind: fc.constant('graceful-restart' as const),
    flags: fc.integer({ min: 0, max: 15 }),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: u16, safi: fc.integer({ min: 0, max: 255 }), flags: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('unknown' as const),
    code: fc.integer({ min: 0, max: 255 }).filter((c) => ![1, 2, 64, 65].includes(c)),
    value: fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
  }),
);

export const openArb: fc.Arbitrary<OpenMessage> = fc.record({
  type: fc.constant('open' as const),
  version: fc.constant(4),
  myAs: u16,
  holdTime: u16,
  bgpId: hostV4,
  parameters: fc.array(fc.record({ capabilities: fc.array(capabilityArb, { maxLength: 4 }) }), { maxLength: 3 }),
});

const segmentsArb = fc.array(
  fc.record({ type: fc.integer({ min: 1, max: 4 }), asns: fc.array(u32, { minLength: 1, maxLength: 6 }) }),
  { minLength: 0, maxLength: 3 },
);

/** Flags with the right O/T bits; Partial and Extended Length vary, as real speakers vary them. */
function flagsArb(ot: number): fc.Arbitrary<number | undefined> {
  return fc.option(
    fc.tuple(fc.boolean(), fc.boolean()).map(([p, e]) => ot | (p && ot & AttrFlag.TRANSITIVE ? AttrFlag.PARTIAL : 0) | (e ? AttrFlag.EXTENDED_LENGTH : 0)),
    { nil: undefined },
  );
}

function withFlags<A extends PathAttribute>(a: fc.Arbitrary<A>, ot: number): fc.Arbitrary<A> {
  return fc.tuple(a, flagsArb(ot)).map(([x, flags]) => (flags === undefined ? x : { ...x, flags }));
}

/** An UPDATE valid in ctx, with its attribute list in a random order. */
export function updateArb(ctx: DecodeContext): fc.Arbitrary<UpdateMessage> {
  const O = AttrFlag.OPTIONAL;
  const T = AttrFlag.TRANSITIVE;
  return fc
    .record({
      withdrawn: fc.array(prefixArb(4), { maxLength: 20 }),
      nlri: fc.array(prefixArb(4), { maxLength: 20 }),
      mpReach: fc.option(fc.record({ nextHops: fc.array(hostV6, { minLength: 1, maxLength: 2 }), nlri: fc.array(prefixArb(6), { minLength: 1, maxLength: 12 }) }), { nil: undefined }),
      mpUnreach: fc.option(fc.array(prefixArb(6), { maxLength: 12 }), { nil: undefined }),
      origin: withFlags(fc.record({ kind: fc.constant('origin' as const), origin: fc.integer({ min: 0, max: 2 }) }), T),
      asPath: withFlags(fc.record({ kind: fc.constant('as-path' as const), segments: segmentsArb }), T),
      nextHop: withFlags(fc.record({ kind: fc.constant('next-hop' as const), nextHop: hostV4 }), T),
      optional: fc.array(
        fc.oneof(
          withFlags(fc.record({ kind: fc.constant('med' as const), med: u32 }), O),
          withFlags(fc.constant({ kind: 'atomic-aggregate' as const }), T),
          withFlags(fc.record({ kind: fc.constant('aggregator' as const), asn: ctx.fourOctetAs ? u32 : u16, address: hostV4 }), O | T),
          withFlags(fc.record({ kind: fc.constant('communities' as const), communities: fc.array(u32, { minLength: 1, maxLength: 8 }) }), O | T),
          withFlags(fc.record({ kind: fc.constant('large-communities' as const), communities: fc.array(fc.record({ global: u32, local1: u32, local2: u32 }), { minLength: 1, maxLength: 4 }) }), O | T),
          ...(ctx.ibgp ? [withFlags(fc.record({ kind: fc.constant('local-pref' as const), localPref: u32 }), T)] : []),
          ...(ctx.fourOctetAs ? [] : [withFlags(fc.record({ kind: fc.constant('as4-path' as const), segments: segmentsArb.map((s) => s.filter((x) => x.type <= 2)) }), O | T)]),
          fc.record({
            kind: fc.constant('raw' as const),
            typeCode: fc.integer({ min: 19, max: 255 }).filter((c) => c !== 32),
            flags: fc.constantFrom(O, O | T, O | T | AttrFlag.PARTIAL),
            value: fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)),
          }),
        ),
        { maxLength: 6 },
      ),
      order: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
    })
    .map((r) => {
      const attrs: PathAttribute[] = [];
      const announces = r.nlri.length > 0 || r.mpReach !== undefined;
      if (r.mpReach) attrs.push({ kind: 'mp-reach', afi: 2, safi: 1, nextHops: r.mpReach.nextHops, nlri: r.mpReach.nlri });
      if (r.mpUnreach) attrs.push({ kind: 'mp-unreach', afi: 2, safi: 1, withdrawn: r.mpUnreach });
      if (announces) attrs.push(r.origin, r.asPath);
      if (r.nlri.length > 0) attrs.push(r.nextHop);
      const seen = new Set<string>(attrs.map((a) => (a.kind === 'raw' ? `raw${a.typeCode}` : a.kind)));
      for (const a of r.optional) {
        const key = a.kind === 'raw' ? `raw${a.typeCode}` : a.kind;
        if (!seen.has(key)) {
          seen.add(key);
          attrs.push(a);
        }
      }
      const shuffled = attrs.map((a, i) => ({ a, k: r.order[i % 12]! * 31 + i })).sort((x, y) => x.k - y.k).map((x) => x.a);
      return { type: 'update' as const, withdrawn: r.withdrawn, attributes: shuffled, nlri: r.nlri };
    });
}

export function messageArb(ctx: DecodeContext): fc.Arbitrary<BgpMessage> {
  return fc.oneof(
    openArb,
    updateArb(ctx),
    fc.record({ type: fc.constant('notification' as const), code: fc.integer({ min: 1, max: 7 }), subcode: fc.integer({ min: 0, max: 12 }), data: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) }),
    fc.constant({ type: 'keepalive' as const }),
    fc.record({ type: fc.constant('route-refresh' as const), afi: fc.constantFrom(1, 2), safi: fc.constant(1), subtype: fc.constantFrom(0, 1, 2) }),
  );
}

export const contextArb: fc.Arbitrary<DecodeContext> = fc.record({ fourOctetAs: fc.boolean(), ibgp: fc.boolean(), maxLength: fc.constant(4096) });

/** Cuts buf into pieces at random points (some empty), as TCP may deliver it. */
export function chunksArb(length: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: Math.max(0, length) }), { maxLength: 8 }).map((cuts) => [...cuts].sort((a, b) => a - b));
}

export function cut(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}
