import t from 'tap';
import { decodeNlri, encodeNlri } from '../../../src/bgp/messages/nlri.js';
import type { Prefix } from '../../../src/net/index.js';
import { prefix as p } from '../support/prefix.js';

t.test('NLRI encoding: RFC 4271 4.3 <length, prefix> with the fewest octets', async (t) => {
  const ps: Prefix[] = [p('198.51.100.0/24'), p('0.0.0.0/0'), p('203.0.113.128/25')];
  const wire = encodeNlri(ps);
  t.equal(wire.toString('hex'), '18c63364' + '00' + '19cb007180');
  t.same(decodeNlri(4, wire), { ok: true, value: ps });
  t.match(decodeNlri(4, Buffer.from('21c0000201', 'hex')), { ok: false, error: /prefix length 33 over 32/ });
  t.match(decodeNlri(4, Buffer.from('18c000', 'hex')), { ok: false, error: /runs past the end/ });
  t.same(decodeNlri(4, Buffer.from('17c00003', 'hex')), { ok: true, value: [p('192.0.2.0/23')] }, 'host bits beyond the length are ignored');
  const v6 = p('2001:db8:1::/48');
  t.equal(encodeNlri([v6]).toString('hex'), '3020010db80001');
  t.same(decodeNlri(6, encodeNlri([v6])), { ok: true, value: [v6] });
});
