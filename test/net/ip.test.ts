import { isIPv4, isIPv6, SocketAddress } from 'node:net';

import fc from 'fast-check';
import t from 'tap';

import {
  canonicalIP,
  compareIP,
  formatIP,
  formatIPv4,
  formatIPv6,
  ipBytes,
  ipFamily,
  ipFromBytes,
  ipKey,
  isLinkLocalIPv6,
  isMulticastIPv6,
  parseIP,
  parseIPDetailed,
  parseIPv4,
  parseIPv6,
  unmapIPv4,
  writeIP,
  type IP,
} from '../../src/net/index.js';

t.test('IPv4 parsing is strict', async (t) => {
  t.same(parseIP('198.51.100.7'), { family: 4, value: 3325256711n });
  t.same(parseIP('0.0.0.0'), { family: 4, value: 0n });
  t.same(parseIP('255.255.255.255'), { family: 4, value: 4294967295n });
  for (const bad of ['198.51.100', '198.51.100.7.1', '256.0.0.1', '010.0.0.1', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4 ', '', '0x1.2.3.4', '1..2.3']) {
    t.equal(parseIP(bad), undefined, JSON.stringify(bad));
  }
});

t.test('IPv6 parsing: RFC 4291 forms, no zones, no IPv4-mapped', async (t) => {
  const v = (s: string): bigint | undefined => parseIP(s)?.value;
  t.equal(v('::'), 0n);
  t.equal(v('::1'), 1n);
  t.equal(v('2001:db8::'), 0x20010db8n << 96n);
  t.equal(v('2001:DB8:0:0:0:0:0:1'), (0x20010db8n << 96n) | 1n);
  t.equal(v('1:2:3:4:5:6:7::'), 0x00010002000300040005000600070000n, ':: may stand for one group');
  t.equal(v('::192.0.2.1'), 0xc0000201n, 'IPv4-compatible form is still IPv6');
  t.equal(v('64:ff9b::192.0.2.1'), (0x64ff9bn << 96n) | 0xc0000201n);
  t.equal(v('1:2:3:4:5:6:192.0.2.1'), 0x000100020003000400050006c0000201n);
  t.equal(parseIP('::1')?.family, 6);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', ':1:2:3:4:5:6:7', '12345::', 'g::', '1.2.3.4::', '::1.2.3', '1:2:3:4:5:6:7::8', ':', ':::', '1:::2', '::1.2.3.4:5', '1:2:3:4:5:6:7:']) {
    t.equal(parseIP(bad), undefined, bad);
  }
  t.same(parseIPDetailed('fe80::1%eth0'), { ok: false, reason: 'zone identifiers are not allowed' });
  t.same(parseIPDetailed('::ffff:192.0.2.1'), { ok: false, reason: 'IPv4-mapped IPv6 addresses are not allowed, write the IPv4 address' });
  t.same(parseIPDetailed('::ffff:c000:201'), { ok: false, reason: 'IPv4-mapped IPv6 addresses are not allowed, write the IPv4 address' });
  t.same(parseIPDetailed('192.0.2.256'), { ok: false, reason: 'not an IP address' });
});

t.test('IPv4-mapped addresses are kept as IPv6 when asked: what wires and sockets carry', async (t) => {
  t.same(parseIP('::ffff:192.0.2.1', { mapped: 'keep' }), { family: 6, value: 0xffffc0000201n });
  t.equal(parseIP('fe80::1%eth0', { mapped: 'keep' }), undefined, 'zones are refused either way');
  t.equal(ipFamily('::ffff:192.0.2.1'), 6);
  t.equal(canonicalIP('::ffff:192.0.2.1'), undefined);
  t.equal(canonicalIP('::FFFF:192.0.2.1', { mapped: 'keep' }), '::ffff:c000:201');
  t.equal(unmapIPv4('::ffff:192.0.2.7'), '192.0.2.7');
  t.equal(unmapIPv4('::FFFF:c000:207'), '192.0.2.7');
  t.equal(unmapIPv4('2001:db8::7'), '2001:db8::7');
  t.equal(unmapIPv4('192.0.2.7'), '192.0.2.7');
  t.equal(unmapIPv4('not an address'), 'not an address');
});

t.test('RFC 5952 text', async (t) => {
  const cases: [string, string][] = [
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:1:1:1:1:1:0', '2001:db8:1:1:1:1:1:0'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8::1:0', '2001:db8::1:0'],
    ['2001:db8::0:1', '2001:db8::1'],
    ['2001:DB8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['fe80::', 'fe80::'],
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ];
  for (const [input, want] of cases) {
    t.equal(formatIP(parseIP(input) ?? { family: 6, value: -1n }), want, input);
    t.equal(canonicalIP(input), want, `canonicalIP ${input}`);
  }
  for (const bad of ['2001:db8::1::1', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', '::ffff:192.0.2.1', ':', '1.2.3', '01.2.3.4', '256.1.1.1', 'g::1']) {
    t.equal(canonicalIP(bad), undefined, `rejects ${bad}`);
  }
  t.equal(ipKey('2001:DB8:0::0100'), '2001:db8::100');
  t.equal(ipKey('node-1.example'), 'node-1.example', 'text that is no address keys as itself');
});

t.test('format then parse round-trips every address', async (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
      if (value >> 32n === 0xffffn) return; // IPv4-mapped: refused on purpose
      const back = parseIP(formatIP({ family: 6, value }));
      return back?.family === 6 && back.value === value;
    }),
  );
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (value) => parseIP(formatIP({ family: 4, value }))?.value === value),
  );
  t.pass('round trips hold');
});

t.test('IPv4 text to bytes and back; accepts exactly what net.isIPv4 accepts', async (t) => {
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
      return ok === isIPv4(text) && ok === (parseIP(text)?.family === 4);
    }),
    { numRuns: 3000 },
  );
});

t.test('IPv6 text to bytes covers compression and embedded IPv4 forms', async (t) => {
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
  // The same text as net.isIPv6, zones aside (a zone is not part of an address).
  const v6ish = fc.stringMatching(/^[0-9a-fA-F:.]{0,41}$/);
  const dotted = fc.tuple(fc.ipV6(), fc.ipV4()).map(([v6, v4]) => v6.replace(/:[^:]*$/, `:${v4}`));
  fc.assert(
    fc.property(fc.oneof(v6ish, fc.ipV6(), dotted), (text) => {
      let ok = true;
      try {
        parseIPv6(text);
      } catch {
        ok = false;
      }
      return ok === isIPv6(text) && ok === (parseIP(text, { mapped: 'keep' })?.family === 6);
    }),
    { numRuns: 5000 },
  );
});

t.test('IPv6 bytes to text is RFC 5952 canonical (checked against the platform inet_ntop)', async (t) => {
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

t.test('any 16 bytes survive text and back, and values survive bytes and back', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const b = Buffer.from(bytes);
      return parseIPv6(formatIPv6(b)).equals(b) && ipBytes(ipFromBytes(6, b)).equals(b) && formatIP(ipFromBytes(6, b)) === formatIPv6(b);
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
      const b = Buffer.from(bytes);
      return ipBytes(ipFromBytes(4, b)).equals(b) && formatIP(ipFromBytes(4, b)) === formatIPv4(b);
    }),
  );
});

t.test('values are written at an offset, big-endian', async (t) => {
  const out = Buffer.alloc(26, 0xee);
  writeIP({ family: 6, value: (0x20010db8n << 96n) | 0x10n }, out, 3);
  writeIP({ family: 4, value: 0xc0000201n }, out, 21);
  t.equal(out.toString('hex'), 'eeeeee' + '20010db8000000000000000000000010' + 'eeee' + 'c0000201' + 'ee');
  t.same(ipFromBytes(6, out, 3), { family: 6, value: (0x20010db8n << 96n) | 0x10n });
  t.same(ipFromBytes(4, out, 21), { family: 4, value: 0xc0000201n });
});

t.test('order, family, link-local and multicast', async (t) => {
  const ips = ['2001:db8::1', '198.51.100.7', '::', '192.0.2.1'].map((s) => parseIP(s) as IP);
  t.same([...ips].sort(compareIP).map(formatIP), ['192.0.2.1', '198.51.100.7', '::', '2001:db8::1'], 'IPv4 first, then by value');
  t.equal(ipFamily('192.0.2.1'), 4);
  t.equal(ipFamily('2001:db8::1'), 6);
  t.equal(ipFamily('fe80::1%eth0'), undefined, 'zones are not plain addresses');
  t.equal(ipFamily('example.com'), undefined);
  const ll = (s: string): boolean => isLinkLocalIPv6(parseIP(s) as IP);
  t.ok(ll('fe80::1'));
  t.ok(ll('febf::1'));
  t.notOk(ll('fec0::1'));
  t.notOk(ll('2001:db8::1'));
  t.notOk(ll('192.0.2.1'));
  t.ok(isMulticastIPv6(parseIPv6('ff02::1:ff00:1')));
  t.notOk(isMulticastIPv6(parseIPv6('fe80::1')));
});
