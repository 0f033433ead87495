import { isIPv4, SocketAddress } from 'node:net';

import fc from 'fast-check';
import t from 'tap';

import { canonicalIp, formatIPv4, formatIPv6, formatMac, ipFamily, isLinkLocalIPv6, parseIPv4, parseIPv6, parseMac } from '../../../src/announce/l2/addr.js';

t.test('MAC text round trip and refusal of malformed text', async (t) => {
  t.equal(formatMac(parseMac('02:AB:cd:00:00:ff')), '02:ab:cd:00:00:ff');
  for (const bad of ['02:ab:cd:00:00', '02-ab-cd-00-00-ff', '02:ab:cd:00:00:ff:00', 'zz:ab:cd:00:00:ff', '02:ab:cd:00:00:fg', '02:ab:cd:00:00f:f', '']) {
    t.throws(() => parseMac(bad), { name: 'TypeError', message: /not a MAC address/ }, bad);
  }
  fc.assert(fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => parseMac(formatMac(Buffer.from(b))).equals(Buffer.from(b))));
});

t.test('IPv4 text round trip; accepts exactly what net.isIPv4 accepts', async (t) => {
  t.equal(formatIPv4(parseIPv4('192.0.2.10')), '192.0.2.10');
  t.equal(formatIPv4(parseIPv4('0.0.0.0')), '0.0.0.0');
  for (const bad of ['192.0.2', '192.0.2.256', '01.2.3.4', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', '1000.2.3.4', '']) {
    t.throws(() => parseIPv4(bad), TypeError, bad);
  }
  const quadish = fc.stringMatching(/^[0-9.]{0,16}$/);
  fc.assert(
    fc.property(fc.oneof(quadish, fc.ipV4()), (text) => {
      let ok = true;
      try {
        parseIPv4(text);
      } catch {
        ok = false;
      }
      return ok === isIPv4(text);
    }),
    { numRuns: 3000 },
  );
});

t.test('IPv6 parsing covers compression and embedded IPv4 forms', async (t) => {
  const cases: [string, string][] = [
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['2001:db8::', '20010db8000000000000000000000000'],
    ['2001:DB8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['::192.0.2.1', '000000000000000000000000c0000201'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
    ['1:2:3:4:5:6:192.0.2.1', '000100020003000400050006c0000201'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
  ];
  for (const [text, hex] of cases) t.equal(parseIPv6(text).toString('hex'), hex, text);
  for (const bad of ['fe80::1%eth0', '1::2::3', '12345::', '192.0.2.1', '']) t.throws(() => parseIPv6(bad), TypeError, bad);
});

t.test('IPv6 formatting is RFC 5952 canonical (checked against the platform inet_ntop)', async (t) => {
  t.equal(formatIPv6(parseIPv6('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1', 'first of two equal runs');
  t.equal(formatIPv6(parseIPv6('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1', 'a single zero group is not compressed');
  t.equal(formatIPv6(parseIPv6('1:0:0:2:0:0:0:3')), '1:0:0:2::3', 'the longest run wins');
  // inet_ntop writes dotted quads for ::ffff:0:0/96 and ::/96; those
  // prefixes are left out of the comparison (never VIPs).
  const groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });
  fc.assert(
    fc.property(groups, (gs) => {
      const buf = Buffer.alloc(16);
      gs.forEach((g, i) => buf.writeUInt16BE(g, i * 2));
      fc.pre(!buf.subarray(0, 10).equals(Buffer.alloc(10)));
      const text = formatIPv6(buf);
      return text === new SocketAddress({ address: text, family: 'ipv6' }).address && parseIPv6(text).equals(buf);
    }),
    { numRuns: 2000 },
  );
});

t.test('family, canonical form and link-local test', async (t) => {
  t.equal(ipFamily('192.0.2.1'), 4);
  t.equal(ipFamily('2001:db8::1'), 6);
  t.equal(ipFamily('fe80::1%eth0'), undefined, 'zones are not plain addresses');
  t.equal(ipFamily('example.com'), undefined);
  t.equal(canonicalIp('2001:DB8:0::0100'), '2001:db8::100');
  t.equal(canonicalIp('192.0.2.7'), '192.0.2.7');
  t.throws(() => canonicalIp('nope'), TypeError);
  t.ok(isLinkLocalIPv6('fe80::1'));
  t.ok(isLinkLocalIPv6('febf::1'));
  t.notOk(isLinkLocalIPv6('fec0::1'));
  t.notOk(isLinkLocalIPv6('2001:db8::1'));
});
