import t from 'tap';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../src/util/clock.js';
import { MemoryNetwork } from './support/memory-transport.js';
import { MemoryBfdNetwork } from './support/bfd-memory-transport.js';
import { BfdManager } from '../../src/bgp/bfd/manager.js';
import { BgpSpeaker, type ListenerFactory } from '../../src/bgp/speaker.js';
import type { PeerOptions } from '../../src/bgp/options.js';
import type { UpdateMessage } from '../../src/bgp/messages/update.js';
import { advance, FakePeer } from './support/fake-peer.js';

const NODE = '192.0.2.11';

function lab() {
  const clock = new VirtualClock(0);
  const net = new MemoryNetwork(clock, 1);
  const bfdNet = new MemoryBfdNetwork(clock, 1);
  const ttls: Array<[string, number]> = [];
  const passwords = new Map<string, string | undefined>();
  const listenerFactory: ListenerFactory = (_opts, onConnection) => {
    let handle: { close(): void } | undefined;
    return {
      start: async () => {
        handle = net.listen({ address: NODE, port: 179 }, (s) => onConnection(s, (ttl) => ttls.push([s.remote.address, ttl])));
      },
      setPassword: (a, k) => passwords.set(a, k),
      close: async () => handle?.close(),
    };
  };
  const registry = new Registry();
  const speaker = new BgpSpeaker({ clock, connector: net.connector(NODE), listenerFactory, registry, random: () => 1, bfdTransport: bfdNet.transport(NODE) });
  return { clock, net, bfdNet, speaker, registry, ttls, passwords };
}

const peerOpts = (name: string, address: string, extra: Partial<PeerOptions> = {}): PeerOptions => ({ name, peerAddress: address, peerAsn: 65000, localAsn: 65001, routerId: NODE, ...extra });

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value;
}

t.test('peers and routes in, status and metrics out', async (t) => {
  const { clock, net, speaker, registry, passwords } = lab();
  const r1 = new FakePeer(net, clock, { address: '192.0.2.1', asn: 65000, routerId: '192.0.2.1' }).listen();
  const r2 = new FakePeer(net, clock, { address: '192.0.2.2', asn: 65001, routerId: '192.0.2.2' }).listen();
  const problems = await speaker.setPeers([
    peerOpts('r1', '192.0.2.1', { password: 'secret' }),
    peerOpts('r2', '192.0.2.2', { peerAsn: 65001 }),
    peerOpts('bad', 'not-an-ip'),
  ]);
  t.match(problems, [/peerAddress "not-an-ip"/]);
  speaker.setRoutes({
    r1: [{ prefix: '198.51.100.10/32' }, { prefix: '198.51.100.11/32' }],
    r2: [{ prefix: '198.51.100.10/32', localPref: 200 }, { prefix: 'x' }],
  });
  await speaker.start();
  t.equal(passwords.get('192.0.2.1'), 'secret', 'the listener carries the MD5 key');
  await advance(clock, 10);
  const st = speaker.status();
  t.match(st, [
    { name: 'r1', state: 'Established', prefixesSent: 2, ibgp: false },
    { name: 'r2', state: 'Established', prefixesSent: 1, ibgp: true, routeProblems: [/not an IPv4 or IPv6 prefix/] },
  ]);
  t.match((r2.messages('update') as UpdateMessage[])[0]!.attributes, [{}, {}, { kind: 'local-pref', localPref: 200 }]);
  t.equal(await metric(registry, 'shoal_bgp_session_up', { peer: '192.0.2.1' }), 1);
  t.equal(await metric(registry, 'shoal_bgp_announced_prefixes_total', { peer: '192.0.2.1' }), 2);
  t.equal(await metric(registry, 'shoal_bgp_updates_total', { peer: '192.0.2.1' }), 3, 'one UPDATE and two End-of-RIB');
  t.equal(await metric(registry, 'shoal_bgp_pending_prefixes_total', { peer: '192.0.2.2' }), 1, 'the bad prefix is pending');

  speaker.setRoutes({ r1: [{ prefix: '198.51.100.10/32' }] });
  await advance(clock, 10);
  t.equal(await metric(registry, 'shoal_bgp_announced_prefixes_total', { peer: '192.0.2.1' }), 1);
  t.match(speaker.status(), [{ prefixesSent: 1 }, { prefixesSent: 0 }], 'r2 left out of the map: everything withdrawn');

  await Promise.all([speaker.setPeers([peerOpts('r1', '192.0.2.1', { password: 'secret', holdTimeSeconds: 30 })]), advance(clock, 10)]);
  t.match(r1.messages('notification'), [{ code: 6, subcode: 6 }], 'changed peer: Other Configuration Change');
  t.match(r2.messages('notification'), [{ code: 6, subcode: 3 }], 'removed peer: Peer De-configured');
  t.equal(await metric(registry, 'shoal_bgp_session_up', { peer: '192.0.2.2' }), undefined, 'removed peer series gone');
  await advance(clock, 2000);
  t.match(speaker.status(), [{ name: 'r1', state: 'Established', holdTimeSeconds: 30, prefixesSent: 1 }], 'restarted with its routes');

  const before = r1.received.length;
  await Promise.all([speaker.shutdown(), advance(clock, 100)]);
  const tail = r1.received.slice(before).map((r) => (r.verdict.kind === 'message' ? r.verdict.message.type : 'error'));
  t.same(tail, ['update', 'notification'], 'shutdown: withdraw, then Cease');
  t.match(r1.messages('notification').at(-1), { code: 6, subcode: 2 });
});

t.test('the shared listener hands connections to the peer by source address', async (t) => {
  const { clock, net, speaker, ttls } = lab();
  await speaker.setPeers([peerOpts('r1', '192.0.2.1', { passive: true }), peerOpts('r2', '192.0.2.2', { passive: true, peerAsn: 65001 })]);
  await speaker.start();
  const r1 = new FakePeer(net, clock, { address: '192.0.2.1', asn: 65000, routerId: '192.0.2.1' });
  const r2 = new FakePeer(net, clock, { address: '192.0.2.2', asn: 65001, routerId: '192.0.2.2' });
  const stranger = new FakePeer(net, clock, { address: '192.0.2.99', asn: 65000, routerId: '192.0.2.99' });
  const dials = [r1.dial(NODE), r2.dial(NODE), stranger.dial(NODE)];
  await advance(clock, 20);
  await Promise.all(dials);
  t.match(speaker.status(), [{ name: 'r1', state: 'Established' }, { name: 'r2', state: 'Established' }]);
  t.ok(stranger.closedReason, 'unknown address refused');
  t.same(ttls, [['192.0.2.1', 1]], 'single-hop eBGP gets TTL 1; iBGP keeps 255');
  await Promise.all([speaker.shutdown(), advance(clock, 100)]);
});

t.test('BFD down takes the BGP session down at once; it comes back through the FSM', async (t) => {
  const { clock, net, bfdNet, speaker, registry } = lab();
  const r1 = new FakePeer(net, clock, { address: '192.0.2.1', asn: 65000, routerId: '192.0.2.1', holdTime: 90 }).listen();
  const routerBfd = new BfdManager({ clock, transport: bfdNet.transport('192.0.2.1'), random: () => 0.5 });
  const profile = { receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3, passiveMode: false };
  await routerBfd.add(NODE, profile, { changed: () => {} });
  await speaker.setPeers([peerOpts('r1', '192.0.2.1', { bfd: { receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3 } })]);
  await speaker.start();
  await advance(clock, 5000);
  t.match(speaker.status(), [{ state: 'Established', bfd: { state: 'Up', detectionTimeMs: 900 } }]);
  t.equal(await metric(registry, 'shoal_bfd_session_up', { peer: '192.0.2.1' }), 1);
  t.ok((await metric(registry, 'shoal_bfd_control_packet_input', { peer: '192.0.2.1' }))! > 5);

  bfdNet.blackhole('192.0.2.1', true);
  const cut = clock.now();
  let downAt: number | undefined;
  while (clock.now() - cut < 2000 && downAt === undefined) {
    await advance(clock, 10);
    if (speaker.status()[0]!.state !== 'Established') downAt = clock.now();
  }
  t.ok(downAt !== undefined && downAt - cut <= 910, `BGP down ${downAt! - cut} ms after the cut, within 3 x 300 ms`);
  t.match(r1.messages('notification'), [{ code: 6, subcode: 10 }], 'Cease / BFD Down');
  t.equal(await metric(registry, 'shoal_bfd_session_down_events', { peer: '192.0.2.1' }), 1);
  bfdNet.blackhole('192.0.2.1', false);
  await advance(clock, 5000);
  t.match(speaker.status(), [{ state: 'Established', bfd: { state: 'Up' } }]);
  await Promise.all([speaker.shutdown(), advance(clock, 100)]);
  await routerBfd.close();
});

t.test('a listener that cannot open (port 179 taken) still lets the speaker dial out', async (t) => {
  const clock = new VirtualClock(0);
  const net = new MemoryNetwork(clock, 1);
  const failing: ListenerFactory = () => ({
    start: async () => {
      throw Object.assign(new Error('listen EADDRINUSE: address already in use :::179'), { code: 'EADDRINUSE' });
    },
    setPassword: () => {},
    close: async () => {},
  });
  const speaker = new BgpSpeaker({ clock, connector: net.connector(NODE), listenerFactory: failing, random: () => 1 });
  const router = new FakePeer(net, clock, { address: '192.0.2.1', asn: 65000, routerId: '192.0.2.1' }).listen();
  await speaker.setPeers([peerOpts('r1', '192.0.2.1')]);
  speaker.setRoutes({ r1: [{ prefix: '198.51.100.10/32' }] });
  await speaker.start();
  await advance(clock, 10);
  t.match(speaker.listenError, /EADDRINUSE/, 'why the listener is closed');
  t.match(speaker.status(), [{ name: 'r1', state: 'Established', prefixesSent: 1 }], 'the active session came up anyway');
  t.ok(router.messages('update').length > 0, 'the router got the route');
  await Promise.all([speaker.shutdown(), advance(clock, 100)]);
});
