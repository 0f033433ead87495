// Messages FRR, BIRD and GoBGP sent to shoal, captured with tcpdump in a
// namespace by test/bgp/fixtures/capture.ts: each must decode cleanly, say
// what the router was told to say, and re-encode to the very same bytes.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { BgpStreamReader } from '../../../src/bgp/messages/reader.js';
import { encodeMessage, type BgpMessage } from '../../../src/bgp/messages/message.js';
import { capabilitiesOf, type OpenMessage } from '../../../src/bgp/messages/open.js';
import { decodeShutdownCommunication, type NotificationMessage } from '../../../src/bgp/messages/notification.js';
import { prefixesOf, type UpdateMessage } from '../../../src/bgp/messages/update.js';
import { formatPrefix } from '../../../src/net/index.js';
import { addressText } from '../support/prefix.js';

interface Fixture {
  source: string;
  messages: Array<{ type: number; hex: string }>;
}

const expected: Record<string, { minMessages: number; routeRefresh: boolean; ipv6: boolean }> = {
  frr: { minMessages: 8, routeRefresh: true, ipv6: true },
  bird: { minMessages: 9, routeRefresh: true, ipv6: true },
  gobgp: { minMessages: 6, routeRefresh: false, ipv6: false },
};

for (const [name, want] of Object.entries(expected)) {
  t.test(`${name} capture`, async (t) => {
    const fx = JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as Fixture;
    t.ok(fx.messages.length >= want.minMessages, `fixture loaded: ${fx.messages.length} messages from ${fx.source}`);
    const reader = new BgpStreamReader();
    const msgs: BgpMessage[] = [];
    for (const m of fx.messages) {
      const wire = Buffer.from(m.hex, 'hex');
      reader.push(wire);
      const v = reader.next();
      if (v?.kind !== 'message') {
        t.fail(`message of type ${m.type} did not decode: ${JSON.stringify(v)}`);
        continue;
      }
      t.equal(v.handling, 'ok', `type ${m.type} decodes without errors`);
      if (v.message.type === 'open') reader.context = { fourOctetAs: true, ibgp: false, maxLength: 4096 };
      t.same(encodeMessage(v.message, reader.context), wire, `type ${m.type} re-encodes byte for byte`);
      msgs.push(v.message);
    }

    const open = msgs.find((m) => m.type === 'open') as OpenMessage;
    t.match(open, { version: 4, myAs: 65000, bgpId: '192.0.2.1' });
    const caps = capabilitiesOf(open);
    t.ok(caps.some((c) => c.kind === 'four-octet-as' && c.asn === 65000), 'four-octet AS capability');
    t.ok(caps.some((c) => c.kind === 'multiprotocol' && c.afi === 1 && c.safi === 1), 'IPv4 unicast');
    t.ok(caps.some((c) => c.kind === 'multiprotocol' && c.afi === 2 && c.safi === 1), 'IPv6 unicast');
    t.ok(caps.some((c) => c.kind === 'route-refresh'), 'route refresh');
    t.ok(caps.some((c) => c.kind === 'unknown'), `unknown capabilities kept raw: ${caps.filter((c) => c.kind === 'unknown').map((c) => (c as { code: number }).code).join(', ')}`);

    const updates = msgs.filter((m): m is UpdateMessage => m.type === 'update');
    const announce = updates.find((u) => u.nlri.some((p) => formatPrefix(p) === '203.0.113.0/24'));
    t.ok(announce, 'the IPv4 route');
    const kinds = announce?.attributes.map((a) => a.kind) ?? [];
    for (const k of ['origin', 'as-path', 'next-hop', 'communities', 'large-communities']) t.ok(kinds.includes(k as never), `carries ${k}`);
    const comm = announce?.attributes.find((a) => a.kind === 'communities');
    t.same(comm && 'communities' in comm ? comm.communities : [], [65000 * 65536 + 100, 65000 * 65536 + 200]);
    const large = announce?.attributes.find((a) => a.kind === 'large-communities');
    t.same(large && 'communities' in large ? large.communities : [], [{ global: 65000, local1: 1, local2: 2 }]);
    const hop = announce?.attributes.find((a) => a.kind === 'next-hop');
    t.match(hop, { nextHop: '192.0.2.1' });
    t.ok(updates.some((u) => u.withdrawn.some((p) => addressText(p) === '203.0.113.0')), 'the IPv4 withdraw');
    if (want.ipv6) {
      const v6 = updates.find((u) => prefixesOf(u).some((p) => formatPrefix(p) === '2001:db8:ff::/48'));
      t.match(v6?.attributes.find((a) => a.kind === 'mp-reach'), { afi: 2, safi: 1 }, 'the IPv6 route in MP_REACH_NLRI');
    }
    if (want.routeRefresh) t.match(msgs.find((m) => m.type === 'route-refresh'), { afi: 1, safi: 1 }, 'ROUTE-REFRESH');
    const n = msgs.find((m) => m.type === 'notification') as NotificationMessage;
    t.match(n, { code: 6, subcode: 2 }, 'Cease / Administrative Shutdown');
    t.equal(decodeShutdownCommunication(n), 'capture done', 'with the shutdown communication');
  });
}
