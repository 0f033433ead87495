import t from 'tap';
import { parseObjects } from '../../src/config/index.js';
import { peersForNode, routesForNode, type NodeContext } from '../../src/bgp/config-adapter.js';
import { resolvePeerOptions } from '../../src/bgp/options.js';

const meta = (name: string) => ({ name, namespace: 'metallb-system' });
const obj = (kind: string, name: string, spec: Record<string, unknown>, apiVersion = 'metallb.io/v1beta1') => ({ apiVersion, kind, metadata: meta(name), spec });

const parsed = parseObjects([
  obj('IPAddressPool', 'public', { addresses: ['198.51.100.0/24', '2001:db8:5::/64'] }),
  obj('IPAddressPool', 'other', { addresses: ['203.0.113.0/24'] }),
  obj('BFDProfile', 'fast', { receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3 }),
  obj('Community', 'c', { communities: [{ name: 'no-export-alias', value: '65535:65281' }] }),
  obj('BGPPeer', 'tor-a', { myASN: 64500, peerASN: 64501, peerAddress: '192.0.2.1', holdTime: '9s', keepaliveTime: '3s', connectTime: '5s', bfdProfile: 'fast', password: 'pw', enableGracefulRestart: true }, 'metallb.io/v1beta2'),
  obj('BGPPeer', 'tor-b', { myASN: 64500, dynamicASN: 'internal', peerAddress: '2001:db8::1', dualStackAddressFamily: true, nodeSelectors: [{ matchLabels: { rack: 'b' } }] }, 'metallb.io/v1beta2'),
  obj('BGPPeer', 'elsewhere', { myASN: 64500, peerASN: 64502, peerAddress: '192.0.2.9', nodeSelectors: [{ matchLabels: { rack: 'z' } }] }, 'metallb.io/v1beta2'),
  obj('BGPAdvertisement', 'hosts', { ipAddressPools: ['public'], communities: ['no-export-alias', 'large:64500:1:2'], localPref: 150 }),
  obj('BGPAdvertisement', 'aggregate', { ipAddressPools: ['public'], aggregationLength: 24, aggregationLengthV6: 64, peers: ['tor-a'], communities: ['64500:24'] }),
]);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const config = parsed.config;
const node: NodeContext = { name: 'n1', labels: { rack: 'b' }, ipv4: '192.0.2.11', ipv6: '2001:db8::11' };

t.test('peers selecting the node become PeerOptions', async (t) => {
  const { value: peers, problems } = peersForNode(config, node);
  t.same(peers.map((p) => p.name), ['tor-a', 'tor-b'], 'the rack z peer does not select this node');
  t.match(peers[0], {
    peerAddress: '192.0.2.1',
    peerAsn: 64501,
    localAsn: 64500,
    routerId: '192.0.2.11',
    holdTimeSeconds: 9,
    keepaliveTimeSeconds: 3,
    connectRetry: { minMs: 5000, maxMs: 60000 },
    password: 'pw',
    families: [4],
    gracefulRestart: { restartTimeSeconds: 120 },
    bfd: { receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3, passiveMode: false },
  });
  t.match(peers[1], { dynamicAsn: 'internal', families: [4, 6], holdTimeSeconds: 90 });
  t.same(problems, []);
  for (const p of peers) t.doesNotThrow(() => resolvePeerOptions(p), `${p.name} passes the BGP side's own validation`);
  const bare = peersForNode(config, { name: 'n2', labels: { rack: 'b' } });
  t.match(bare.problems, [/tor-a: no router ID/, /tor-b: no router ID/]);
  const echo = parseObjects([
    obj('BFDProfile', 'echo', { echoMode: true }),
    obj('BGPPeer', 'p', { myASN: 64500, peerASN: 64501, peerAddress: '192.0.2.1', bfdProfile: 'echo', passwordSecret: { name: 's', namespace: 'metallb-system' } }, 'metallb.io/v1beta2'),
  ]);
  if (!echo.ok) throw new Error(JSON.stringify(echo.errors));
  t.match(peersForNode(echo.config, node).problems, [/password secret metallb-system\/s is not available/]);
  const withSecret = peersForNode(echo.config, { ...node, secrets: new Map([['metallb-system/s', 'from-secret']]) });
  t.match(withSecret.value, [{ password: 'from-secret', bfd: { receiveIntervalMs: 300 } }]);
  t.match(withSecret.problems, [/echo mode, which shoal does not implement/], 'echo mode reported, not silently dropped');
});

t.test('announced addresses become routes per peer, aggregated and with attributes', async (t) => {
  const { value: peers } = peersForNode(config, node);
  const { value: routes, problems } = routesForNode(config, node, peers, [
    { ip: '198.51.100.10', pool: 'public', serviceLabels: {} },
    { ip: '2001:db8:5::10', pool: 'public', serviceLabels: {} },
    { ip: '203.0.113.5', pool: 'other', serviceLabels: {} },
  ]);
  t.same(problems, []);
  t.same(routes['tor-a'], [
    { prefix: '198.51.100.0/24', communities: ['64500:24'] },
    { prefix: '198.51.100.10/32', localPref: 150, communities: ['65535:65281'], largeCommunities: ['64500:1:2'] },
  ], 'IPv4 only to the IPv4-only session; the aggregate goes only to its named peer');
  t.same(routes['tor-b'], [
    { prefix: '198.51.100.10/32', nextHop: '192.0.2.11', localPref: 150, communities: ['65535:65281'], largeCommunities: ['64500:1:2'] },
    { prefix: '2001:db8:5::10/128', localPref: 150, communities: ['65535:65281'], largeCommunities: ['64500:1:2'] },
  ], 'the dual-stack IPv6 session gets the IPv4 route with the node IPv4 next hop');
  t.notOk(Object.values(routes).flat().some((r) => r.prefix.startsWith('203.0.113')), 'a pool without BGPAdvertisement is not advertised');
});
