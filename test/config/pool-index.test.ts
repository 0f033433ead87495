import t from 'tap';
import { buildPoolIndex, parseResources, type Config } from '../../src/config/index.js';
import { parseIP, type IP } from '../../src/net/index.js';

function config(pools: Record<string, string[]>): Config {
  const r = parseResources({ ipAddressPools: Object.entries(pools).map(([name, addresses]) => ({ metadata: { name, namespace: 'metallb-system' }, spec: { addresses } })) });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.config;
}

const ip = (s: string): IP => parseIP(s) as IP;

t.test('an address maps to the pool whose ranges hold it, in either family', async (t) => {
  const c = config({
    a: ['198.51.100.0/28', '203.0.113.10-203.0.113.20'],
    b: ['198.51.100.16/28', '2001:db8::/120'],
    c: ['2001:db8:1::/64'],
  });
  const pool = (s: string): string | undefined => c.poolIndex.poolOf(ip(s))?.name;
  t.same(
    ['198.51.100.0', '198.51.100.15', '198.51.100.16', '198.51.100.31', '198.51.100.32', '203.0.113.9', '203.0.113.10', '203.0.113.20', '203.0.113.21'].map(pool),
    ['a', 'a', 'b', 'b', undefined, undefined, 'a', 'a', undefined],
  );
  t.same(['2001:db8::', '2001:db8::ff', '2001:db8::100', '2001:db8:1::1', '2001:db8:1:0:ffff:ffff:ffff:ffff', '::'].map(pool), ['b', 'b', undefined, 'c', 'c', undefined]);
  t.equal(pool('0.0.0.10'), undefined, 'an IPv4 value inside an IPv6 range is not in it');
});

t.test('a pool listing overlapping entries is merged; pools overlapping each other are refused', async (t) => {
  const base = config({ p: ['198.51.100.0/24'] }).pools[0]!;
  const merged = buildPoolIndex([{ ...base, ranges: [...base.ranges, ...base.ranges] }]);
  t.equal(merged.poolOf(ip('198.51.100.7'))?.name, 'p');
  t.throws(() => buildPoolIndex([base, { ...base, name: 'q' }]), /pools p and q overlap/);
  t.equal(buildPoolIndex([]).poolOf(ip('198.51.100.7')), undefined);
});
