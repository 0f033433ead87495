import t from 'tap';
import { AddressSpace } from '../../src/alloc/address-space.js';
import { buggyCount, formatRange, normalizeRanges, parseRange, rangeSize, summarizeRange } from '../../src/alloc/range.js';
import type { IPRange } from '../../src/alloc/range.js';

const r = (text: string): IPRange => {
  const p = parseRange(text);
  if (!p.ok) throw new Error(p.message);
  return p.range;
};

t.test('CIDRs and ranges, both families, edge sizes', async (t) => {
  t.same(r('198.51.100.0/24'), { family: 4, first: 0xc6336400n, last: 0xc63364ffn });
  t.same(r('198.51.100.77/24'), r('198.51.100.0/24'), 'host bits are cleared');
  t.equal(rangeSize(r('0.0.0.0/0')), 1n << 32n);
  t.equal(rangeSize(r('198.51.100.7/32')), 1n);
  t.equal(rangeSize(r('2001:db8::/64')), 1n << 64n);
  t.equal(rangeSize(r('::/0')), 1n << 128n);
  t.same(r('::/0'), { family: 6, first: 0n, last: (1n << 128n) - 1n });
  t.equal(rangeSize(r('2001:db8::1/128')), 1n);
  t.same(r(' 198.51.100.10 - 198.51.100.20 '), { family: 4, first: 0xc633640an, last: 0xc6336414n });
  t.same(r('2001:db8::5-2001:db8::5'), { family: 6, first: (0x20010db8n << 96n) | 5n, last: (0x20010db8n << 96n) | 5n });
  const refusals: [string, string][] = [
    ['198.51.100.0/33', 'not-a-range'],
    ['2001:db8::/129', 'not-a-range'],
    ['198.51.100.0/024', 'not-a-range'],
    ['198.51.100.0', 'not-a-range'],
    ['198.51.100.0/', 'not-a-range'],
    ['198.51.100.20-198.51.100.10', 'reversed-range'],
    ['198.51.100.1-2001:db8::1', 'mixed-family-range'],
    ['::ffff:198.51.100.0/120', 'not-a-range'],
    ['fe80::%eth0/64', 'not-a-range'],
  ];
  for (const [text, code] of refusals) {
    const p = parseRange(text);
    t.equal(p.ok ? 'ok' : p.code, code, text);
  }
});

t.test('summarize and format', async (t) => {
  const s = (text: string): string[] => summarizeRange(r(text)).map((p) => `${p.address}/${p.length}`);
  t.same(s('0.0.0.0/0'), ['0/0']);
  t.same(s('::/0'), ['0/0']);
  t.equal(summarizeRange(r('198.51.100.100-198.51.100.110')).length, 4);
  t.same(summarizeRange(r('198.51.100.100-198.51.100.110')).map((p) => p.length), [30, 30, 31, 32]);
  t.equal(summarizeRange(r('0.0.0.1-255.255.255.254')).length, 62, 'at most 2 x 31 prefixes');
  t.equal(formatRange(r('2001:db8:0::/64')), '2001:db8::/64');
  t.equal(formatRange(r('198.51.100.0-198.51.100.127')), '198.51.100.0/25');
  t.equal(formatRange(r('198.51.100.1-198.51.100.2')), '198.51.100.1-198.51.100.2');
});

t.test('buggy .0/.255 counting is arithmetic', async (t) => {
  t.equal(buggyCount(r('198.51.100.0/24')), 2n);
  t.equal(buggyCount(r('198.51.100.1-198.51.100.254')), 0n);
  t.equal(buggyCount(r('198.51.100.255-198.51.101.0')), 2n);
  t.equal(buggyCount(r('10.0.0.0/8')), 2n * 65536n);
  t.equal(buggyCount(r('0.0.0.0/0')), 1n << 25n);
  t.equal(buggyCount(r('2001:db8::/120')), 0n, 'IPv6 has no buggy addresses');
});

t.test('normalize merges overlapping and adjacent ranges per family', async (t) => {
  const out = normalizeRanges([r('198.51.100.128/25'), r('2001:db8::/64'), r('198.51.100.0/25'), r('203.0.113.0/24'), r('198.51.100.10/32')]);
  t.same(out.map(formatRange), ['198.51.100.0/24', '203.0.113.0/24', '2001:db8::/64']);
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
