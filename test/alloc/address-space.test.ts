import fc from 'fast-check';
import t from 'tap';
import { AddressSpace } from '../../src/alloc/address-space.js';
import { formatIP, formatIPv6Plus, ipv6Groups, parseRange, type IPRange } from '../../src/net/index.js';

const r = (text: string): IPRange => {
  const p = parseRange(text);
  if (!p.ok) throw new Error(p.message);
  return p.range;
};
const NEAR = Number.MAX_SAFE_INTEGER; // first BigInt ordinal

t.test('ordinals count the ranges in address order, gaps take no room', async (t) => {
  const s = new AddressSpace(4, [r('203.0.113.0/30'), r('198.51.100.254-198.51.101.1'), r('192.0.2.7/32')], false);
  const texts = Array.from({ length: 9 }, (_, o) => s.textOf(o));
  t.same(texts, ['192.0.2.7', '198.51.100.254', '198.51.100.255', '198.51.101.0', '198.51.101.1', '203.0.113.0', '203.0.113.1', '203.0.113.2', '203.0.113.3']);
  for (let o = 0; o < 9; o++) {
    const v = s.addressOf(o);
    t.equal(formatIP({ family: 4, value: v }), texts[o]);
    t.equal(s.ordinalOf(v), o, `round trip ${texts[o]}`);
  }
  t.equal(s.ordinalOf(0xc0000208n), undefined, '192.0.2.8 lies in a gap');
});

t.test('avoid-buggy-ips: the search steps over .0 and .255 across range boundaries', async (t) => {
  const s = new AddressSpace(4, [r('198.51.100.254-198.51.101.1')], true);
  t.equal(s.total, 2n);
  const got: string[] = [];
  for (let o = s.lowestFreeOrdinal(); o !== undefined; o = s.lowestFreeOrdinal()) {
    got.push(s.textOf(o));
    s.takeOrdinal(o);
  }
  t.same(got, ['198.51.100.254', '198.51.101.1']);
  t.throws(() => s.takeOrdinal(1), /not a usable address/, 'the .255 ordinal is refused');
  t.same([s.assigned, s.available], [2n, 0n]);
});

t.test('a /64: addresses past 2^53 have BigInt ordinals and behave like the others', async (t) => {
  const s = new AddressSpace(6, [r('2001:db8:5::/64')], false);
  const base = 0x20010db800050000n << 64n;
  const top = base + (1n << 64n) - 1n;
  const edge = base + BigInt(NEAR) - 1n; // the last number ordinal
  t.equal(s.ordinalOf(base), 0);
  t.equal(s.ordinalOf(edge), NEAR - 1);
  t.equal(s.ordinalOf(edge + 1n), BigInt(NEAR), 'one form per value: BigInt from NEAR on');
  t.equal(s.ordinalOf(top), (1n << 64n) - 1n);
  t.equal(s.textOf(NEAR - 1), formatIP({ family: 6, value: edge }));
  t.equal(s.textOf((1n << 64n) - 1n), '2001:db8:5:0:ffff:ffff:ffff:ffff');
  for (const v of [top, edge, edge + 1n]) s.take(v);
  t.equal(s.lowestFree(), base, 'far holdings do not move the lowest free address');
  t.throws(() => s.take(top), 'a far address cannot be taken twice');
  t.throws(() => s.takeOrdinal(NEAR), 'near ordinals stop below NEAR');
  t.throws(() => s.takeOrdinal(1n), 'a small value must be a number ordinal');
  s.give(top);
  t.same([s.assigned, s.available], [2n, (1n << 64n) - 2n]);
  s.take(top);
  s.give(edge);
  s.give(edge + 1n);
  t.equal(s.assigned, 1n);
});

t.test('formatting a first address plus an offset matches formatIP', async (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: NEAR - 1 }), (first, offset) => {
      const value = first + BigInt(offset);
      if (value >= 1n << 128n) return true;
      return formatIPv6Plus(ipv6Groups(first), offset) === formatIP({ family: 6, value });
    }),
  );
  t.equal(formatIPv6Plus(ipv6Groups(0xffffn), 1), '::1:0', 'carries into the next group');
  t.equal(formatIPv6Plus(ipv6Groups(0x20010db8_0000_0000_ffff_ffff_ffff_ffffn), 1), '2001:db8:0:1::', 'carries across four groups');
});

t.test('an address space answers for a /64 and a /0 as fast as for a /28', async (t) => {
  const v6 = new AddressSpace(6, [r('2001:db8::/64')], false);
  t.equal(v6.total, 1n << 64n);
  const first = 0x20010db8n << 96n;
  t.equal(v6.lowestFree(), first);
  v6.take(first);
  v6.take(first + 1n);
  t.equal(v6.lowestFree(), first + 2n);
  v6.give(first);
  t.equal(v6.lowestFree(), first);
  t.same([v6.assigned, v6.available], [1n, (1n << 64n) - 1n]);

  const all = new AddressSpace(6, [r('::/0')], false);
  const top = (1n << 128n) - 1n;
  all.take(0n);
  t.equal(all.lowestFree(), 1n);
  t.equal(all.usable(top), true);

  const tiny = new AddressSpace(6, [r('2001:db8::ffff/128')], false);
  tiny.take(first + 0xffffn);
  t.equal(tiny.lowestFree(), undefined, 'a full space says so');
  t.throws(() => tiny.take(first + 0xffffn));
  t.throws(() => tiny.take(first), 'outside the pool');
});

t.test('avoid-buggy-ips skips .0 and .255 lazily, even in an IPv4 /0', async (t) => {
  const s = new AddressSpace(4, [r('0.0.0.0/0')], true);
  t.equal(s.total, (1n << 32n) - (1n << 25n));
  t.equal(s.lowestFree(), 1n, '0.0.0.0 is skipped');
  for (let v = 1n; v <= 254n; v++) s.take(v);
  t.equal(s.lowestFree(), 257n, '.255 and .0 of the next /24 are skipped');
  t.equal(s.usable(255n), false);
  t.throws(() => s.take(256n));
  const noAvoid = new AddressSpace(6, [r('2001:db8::/120')], true);
  t.equal(noAvoid.avoidBuggyIPs, false, 'IPv6 spaces never avoid');
  t.equal(noAvoid.lowestFree(), 0x20010db8n << 96n);
});
