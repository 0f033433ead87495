import t from 'tap';
import { formatRange, normalizeRanges, parseRange, rangeSize, summarizeRange, type IPRange } from '../../src/net/index.js';

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

t.test('normalize merges overlapping and adjacent ranges per family', async (t) => {
  const out = normalizeRanges([r('198.51.100.128/25'), r('2001:db8::/64'), r('198.51.100.0/25'), r('203.0.113.0/24'), r('198.51.100.10/32')]);
  t.same(out.map(formatRange), ['198.51.100.0/24', '203.0.113.0/24', '2001:db8::/64']);
});
