import fc from 'fast-check';
import t from 'tap';

import { formatPrefix, parsePrefix, prefixContaining, type Prefix } from '../../src/net/index.js';

const p = (text: string): Prefix => {
  const r = parsePrefix(text);
  if (!r.ok) throw new Error(r.reason);
  return r.prefix;
};

t.test('prefixes parse strictly', async (t) => {
  t.same(p('198.51.100.10/32'), { family: 4, address: 0xc633640an, length: 32 });
  t.same(p('198.51.100.10'), { family: 4, address: 0xc633640an, length: 32 }, 'a bare address is a host prefix');
  t.same(p('2001:DB8::/32'), { family: 6, address: 0x20010db8n << 96n, length: 32 });
  t.same(p('0.0.0.0/0'), { family: 4, address: 0n, length: 0 });
  t.match(parsePrefix('198.51.100.10/24'), { ok: false, reason: /host bits set beyond \/24/ });
  t.match(parsePrefix('198.51.100.0/33'), { ok: false, reason: /length outside 0..32/ });
  t.match(parsePrefix('2001:db8::/129'), { ok: false, reason: /length outside 0..128/ });
  t.match(parsePrefix('198.51.100.0/024'), { ok: false, reason: /length outside/ }, 'no leading zeros in the length');
  t.match(parsePrefix('198.51.100.0/'), { ok: false, reason: /length outside/ });
  t.match(parsePrefix('nonsense/8'), { ok: false, reason: /not an IPv4 or IPv6 prefix/ });
  t.match(parsePrefix('::ffff:198.51.100.0/120'), { ok: false, reason: /not an IPv4 or IPv6 prefix/ });
});

t.test('the prefix containing an address (aggregation)', async (t) => {
  const ip = { family: 4 as const, value: 0xc633640an };
  t.same(prefixContaining(ip, 24), { family: 4, address: 0xc6336400n, length: 24 });
  t.same(prefixContaining(ip, 32), { family: 4, address: 0xc633640an, length: 32 });
  t.same(prefixContaining(ip, 0), { family: 4, address: 0n, length: 0 });
  t.equal(prefixContaining(ip, 33), undefined);
  t.equal(prefixContaining(ip, 1.5), undefined);
  t.equal(formatPrefix(prefixContaining({ family: 6, value: (0x20010db8n << 96n) | 0x10n }, 64)!), '2001:db8::/64');
});

t.test('canonical text round-trips', async () => {
  const v4 = fc.record({ value: fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), length: fc.integer({ min: 0, max: 32 }) });
  fc.assert(
    fc.property(v4, ({ value, length }) => {
      const pre = prefixContaining({ family: 4, value }, length)!;
      const back = parsePrefix(formatPrefix(pre));
      return back.ok && back.prefix.address === pre.address && back.prefix.length === length;
    }),
  );
});
