import t from 'tap';
import fc from 'fast-check';
import { canonicalAddress, decodeNlri, encodeNlri, formatIPv6, parseIPv6, parsePrefix, unmapIPv4, type Prefix } from '../../../src/bgp/messages/ip.js';

t.test('IPv6 text is canonical per RFC 5952', async (t) => {
  const cases: Array<[string, string]> = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::0:1', '2001:db8::1'],
    ['2001:DB8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ];
  for (const [input, want] of cases) t.equal(canonicalAddress(input), want, input);
  for (const bad of ['2001:db8::1::1', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', '::ffff:192.0.2.1', ':', '1.2.3', '01.2.3.4', '256.1.1.1', 'g::1']) {
    t.equal(canonicalAddress(bad), undefined, `rejects ${bad}`);
  }
  t.equal(unmapIPv4('::ffff:192.0.2.7'), '192.0.2.7');
  t.equal(unmapIPv4('2001:db8::7'), '2001:db8::7');
});

t.test('formatting then parsing any 16 bytes gives them back', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const b = Buffer.from(bytes);
      return parseIPv6(formatIPv6(b))!.equals(b);
    }),
  );
});

t.test('prefixes parse strictly', async (t) => {
  t.same(parsePrefix('198.51.100.10/32'), { family: 'ipv4', address: '198.51.100.10', length: 32 });
  t.same(parsePrefix('198.51.100.10'), { family: 'ipv4', address: '198.51.100.10', length: 32 });
  t.same(parsePrefix('2001:DB8::/32'), { family: 'ipv6', address: '2001:db8::', length: 32 });
  t.match(parsePrefix('198.51.100.10/24'), { error: /host bits/ });
  t.match(parsePrefix('198.51.100.0/33'), { error: /length outside 0..32/ });
  t.match(parsePrefix('nonsense/8'), { error: /not an IPv4 or IPv6 prefix/ });
});

t.test('NLRI encoding: RFC 4271 4.3 <length, prefix> with the fewest octets', async (t) => {
  const ps: Prefix[] = [
    { family: 'ipv4', address: '198.51.100.0', length: 24 },
    { family: 'ipv4', address: '0.0.0.0', length: 0 },
    { family: 'ipv4', address: '203.0.113.128', length: 25 },
  ];
  const wire = encodeNlri(ps);
  t.equal(wire.toString('hex'), '18c63364' + '00' + '19cb007180');
  t.same(decodeNlri('ipv4', wire), ps);
  t.match(decodeNlri('ipv4', Buffer.from('21c0000201', 'hex')), { error: /prefix length 33 over 32/ });
  t.match(decodeNlri('ipv4', Buffer.from('18c000', 'hex')), { error: /runs past the end/ });
  t.same(decodeNlri('ipv4', Buffer.from('17c00003', 'hex')), [{ family: 'ipv4', address: '192.0.2.0', length: 23 }], 'host bits beyond the length are ignored');
  const v6: Prefix = { family: 'ipv6', address: '2001:db8:1::', length: 48 };
  t.equal(encodeNlri([v6]).toString('hex'), '3020010db80001');
  t.same(decodeNlri('ipv6', encodeNlri([v6])), [v6]);
});
