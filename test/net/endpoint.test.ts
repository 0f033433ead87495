import t from 'tap';

import { formatAddress, parseAddress, sameAddress } from '../../src/net/index.js';

t.test('parseAddress reads both families, names and the default port', async (t) => {
  t.same(parseAddress('192.0.2.1:7000', 7946), { host: '192.0.2.1', port: 7000 });
  t.same(parseAddress('192.0.2.1', 7946), { host: '192.0.2.1', port: 7946 });
  t.same(parseAddress('[2001:db8::1]:7000', 7946), { host: '2001:db8::1', port: 7000 });
  t.same(parseAddress('[2001:db8::1]', 7946), { host: '2001:db8::1', port: 7946 });
  t.same(parseAddress('2001:db8::1', 7946), { host: '2001:db8::1', port: 7946 }, 'bare IPv6 takes the default port');
  t.same(parseAddress(' speaker-0.example:7000 ', 7946), { host: 'speaker-0.example', port: 7000 }, 'names are kept for the caller to resolve');
});

t.test('parseAddress says what is wrong', async (t) => {
  t.throws(() => parseAddress('', 7946), /empty address/);
  t.throws(() => parseAddress('[2001:db8::1:7000', 7946), /missing "]"/);
  t.throws(() => parseAddress('[2001:db8::1]7000', 7946), /expected ":port"/);
  t.throws(() => parseAddress('[192.0.2.1]:7000', 7946), /not an IPv6 address/);
  t.throws(() => parseAddress(':7000', 7946), /empty host/);
  t.throws(() => parseAddress('192.0.2.1:http', 7946), /not a port number/);
  t.throws(() => parseAddress('192.0.2.1:70000', 7946), /out of range/);
});

t.test('formatAddress brackets IPv6 and round-trips', async (t) => {
  t.equal(formatAddress({ host: '192.0.2.1', port: 7946 }), '192.0.2.1:7946');
  t.equal(formatAddress({ host: '2001:db8::1', port: 7946 }), '[2001:db8::1]:7946');
  t.equal(formatAddress({ host: 'speaker-0.example', port: 7946 }), 'speaker-0.example:7946');
  for (const a of [{ host: '192.0.2.1', port: 1 }, { host: '2001:db8::1', port: 65535 }]) t.ok(sameAddress(parseAddress(formatAddress(a), 7946), a));
});
