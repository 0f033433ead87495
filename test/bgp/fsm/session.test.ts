import t from 'tap';
import { VirtualClock } from '../../../src/util/clock.js';
import { createLogger } from '../../../src/util/log.js';
import { MemoryNetwork } from '../support/memory-transport.js';
import { BgpSession, type SessionDeps } from '../../../src/bgp/fsm/session.js';
import type { PeerOptions } from '../../../src/bgp/options.js';
import type { SessionState } from '../../../src/bgp/status.js';
import { capabilitiesOf, type OpenMessage } from '../../../src/bgp/messages/open.js';
import { GR_NOTIFICATION, GR_RESTARTING, type Capability } from '../../../src/bgp/messages/capabilities.js';
import type { NotificationMessage } from '../../../src/bgp/messages/notification.js';
import type { UpdateMessage } from '../../../src/bgp/messages/update.js';
import { encodeKeepalive } from '../../../src/bgp/messages/keepalive.js';
import { advance, FakePeer, type FakePeerOptions } from '../support/fake-peer.js';
import { addressText, prefix } from '../support/prefix.js';

const PEER = '192.0.2.1';
const NODE = '192.0.2.11';

function setup(peerOpts: Partial<FakePeerOptions> = {}, sessOpts: Partial<PeerOptions> = {}, deps: Partial<SessionDeps> = {}) {
  const clock = new VirtualClock(0);
  const net = new MemoryNetwork(clock, 1);
  const peer = new FakePeer(net, clock, { address: PEER, asn: 65000, routerId: PEER, holdTime: 90, ...peerOpts }).listen();
  const transitions: SessionState[] = [];
  const session = new BgpSession(
    { name: 'r1', peerAddress: PEER, peerAsn: 65000, localAsn: 65001, routerId: NODE, ...sessOpts },
    { clock, connector: net.connector(NODE), random: () => 1, events: { stateChanged: (_p, _f, to) => transitions.push(to) }, ...deps },
  );
  return { clock, net, peer, session, transitions };
}

const notifications = (p: FakePeer): NotificationMessage[] => p.messages('notification') as NotificationMessage[];
const updates = (p: FakePeer): UpdateMessage[] => p.messages('update') as UpdateMessage[];

t.test('dials, exchanges OPENs and reaches Established; sends routes then End-of-RIB', async (t) => {
  const { clock, peer, session, transitions } = setup();
  session.setRoutes([
    { prefix: '198.51.100.10/32', communities: ['65535:65281'], largeCommunities: ['65001:1:2'] },
    { prefix: '2001:db8::10/128', nextHop: '2001:db8::11' },
  ]);
  session.start();
  await advance(clock, 10);
  t.equal(session.state, 'Established');
  t.same(transitions, ['Connect', 'OpenSent', 'OpenConfirm', 'Established']);
  const open = peer.messages('open')[0] as OpenMessage;
  t.equal(open.myAs, 65001);
  t.equal(open.holdTime, 90);
  t.equal(open.bgpId, NODE);
  t.same(
    capabilitiesOf(open).map((c) => c.kind),
    ['multiprotocol', 'multiprotocol', 'route-refresh', 'four-octet-as'],
  );
  const ups = updates(peer);
  t.equal(ups.length, 4, 'one UPDATE per family, then an End-of-RIB per family');
  t.same(ups[0]!.nlri, [prefix('198.51.100.10/32')]);
  t.match(ups[0]!.attributes, [
    { kind: 'origin', origin: 0 },
    { kind: 'as-path', segments: [{ type: 2, asns: [65001] }] },
    { kind: 'communities', communities: [0xffffff01] },
    { kind: 'large-communities', communities: [{ global: 65001, local1: 1, local2: 2 }] },
    { kind: 'next-hop', nextHop: NODE },
  ]);
  t.notOk(ups[0]!.attributes.some((a) => a.kind === 'local-pref'), 'no LOCAL_PREF to an external peer');
  t.match(ups[1]!.attributes[0], { kind: 'mp-reach', nextHops: ['2001:db8::11'], nlri: [prefix('2001:db8::10/128')] });
  t.same(ups[2], { type: 'update', withdrawn: [], attributes: [], nlri: [] }, 'IPv4 End-of-RIB');
  t.match(ups[3]!.attributes, [{ kind: 'mp-unreach', afi: 2, withdrawn: [] }], 'IPv6 End-of-RIB');
  t.match(session.status(), { state: 'Established', prefixesSent: 2, peerAsn: 65000, holdTimeSeconds: 90, localAddress: NODE, ibgp: false });
});

t.test('iBGP: empty AS_PATH, LOCAL_PREF default 100 or as given, TTL 255 requested', async (t) => {
  const reqs: number[] = [];
  const { clock, net, peer, session } = setup({ asn: 65001 }, { peerAsn: 65001 });
  const connect = net.connector(NODE);
  const s2 = new BgpSession(session.options, {
    clock,
    random: () => 1,
    connector: (r) => {
      reqs.push(r.ttl ?? -1);
      return connect(r);
    },
  });
  s2.setRoutes([{ prefix: '198.51.100.10/32' }, { prefix: '198.51.100.11/32', localPref: 250 }]);
  s2.start();
  await advance(clock, 10);
  t.same(reqs, [255]);
  const ups = updates(peer).filter((u) => u.nlri.length > 0);
  t.match(ups[0]!.attributes, [{ kind: 'origin' }, { kind: 'as-path', segments: [] }, { kind: 'local-pref', localPref: 100 }]);
  t.match(ups[1]!.attributes, [{ kind: 'origin' }, { kind: 'as-path', segments: [] }, { kind: 'local-pref', localPref: 250 }]);
});

t.test('single-hop eBGP asks for TTL 1, multihop for 255; passwords reach the connector', async (t) => {
  const seen: Array<[number | undefined, string | undefined]> = [];
  const clock = new VirtualClock();
  const connector = (r: { ttl?: number; md5Key?: string }) => {
    seen.push([r.ttl, r.md5Key]);
    return { promise: new Promise<never>(() => {}), cancel: () => {} };
  };
  new BgpSession({ name: 'a', peerAddress: PEER, peerAsn: 65000, localAsn: 65001, routerId: NODE, password: 'pw' }, { clock, connector }).start();
  new BgpSession({ name: 'b', peerAddress: PEER, peerAsn: 65000, localAsn: 65001, routerId: NODE, ebgpMultiHop: true }, { clock, connector }).start();
  t.same(seen, [[1, 'pw'], [255, undefined]]);
});

t.test('hold time: the smaller offer wins; keepalives every third of it, jittered; silence expires it with NOTIFICATION 4', async (t) => {
  const jitter = [0.9, 0.1, 0.5, 0.7, 0.3];
  let i = 0;
  const { clock, peer, session } = setup({ holdTime: 9 }, { holdTimeSeconds: 30, connectRetry: { minMs: 60_000, maxMs: 60_000 } }, { random: () => jitter[i++ % jitter.length]! });
  session.start();
  await advance(clock, 10);
  t.equal(session.status().holdTimeSeconds, 9);
  t.equal(session.status().keepaliveSeconds, 3);
  await advance(clock, 20_000);
  const kas = peer.times('keepalive');
  const gaps = kas.slice(1).map((x, k) => x - kas[k]!);
  t.ok(gaps.length >= 6, `keepalives keep coming (${gaps.length} gaps)`);
  t.ok(gaps.every((g) => g >= 2250 && g <= 3000), `every gap in [0.75, 1] x 3 s: ${gaps.join(', ')}`);
  t.equal(session.state, 'Established', 'peer keepalives keep the session up');

  peer.stopKeepalives();
  const silentFrom = clock.now();
  await advance(clock, 5_900);
  t.equal(session.state, 'Established', 'not before the hold time');
  await advance(clock, 3_200);
  t.match(notifications(peer), [{ code: 4, subcode: 0 }], 'Hold Timer Expired sent');
  const expiredAt = peer.received.find((r) => r.verdict.kind === 'message' && r.verdict.message.type === 'notification')!.at;
  t.ok(expiredAt - silentFrom >= 6000 && expiredAt - silentFrom <= 9002, 'expired 9 s after the last message (at most 3 s before the silence)');
  t.not(session.state, 'Established');
  t.match(session.status().lastError, { notification: { direction: 'sent', code: 4 } });
});

t.test('hold time 0: no keepalives, no expiry', async (t) => {
  const { clock, peer, session } = setup({ holdTime: 0, keepaliveMs: 0 });
  session.start();
  await advance(clock, 10);
  t.equal(session.state, 'Established');
  await advance(clock, 600_000);
  t.equal(peer.times('keepalive').length, 1, 'only the OpenConfirm keepalive');
  t.equal(session.state, 'Established');
});

t.test('OPEN checks: hold time 1 or 2, bad peer AS, zero identifier, version', async (t) => {
  const cases: Array<[string, Partial<FakePeerOptions>, Partial<PeerOptions>, number, number]> = [
    ['hold time 2', { holdTime: 2 }, {}, 2, 6],
    ['wrong AS', { asn: 65099 }, {}, 2, 2],
    ['dynamic internal, external peer', { asn: 65099 }, { peerAsn: undefined, dynamicAsn: 'internal' }, 2, 2],
    ['zero identifier', { routerId: '0.0.0.0' }, {}, 2, 3],
    ['iBGP with our identifier', { asn: 65001, routerId: NODE }, { peerAsn: 65001 }, 2, 3],
  ];
  for (const [name, p, s, code, subcode] of cases) {
    const { clock, peer, session } = setup(p, s);
    session.start();
    await advance(clock, 10);
    t.match(notifications(peer), [{ code, subcode }], name);
    t.equal(session.state, 'Active', `${name}: back to Active`);
  }
  const { clock, peer, session } = setup({ autoOpen: false });
  session.start();
  await advance(clock, 5);
  peer.send({ ...peer.open, version: 3 });
  await advance(clock, 5);
  t.match(notifications(peer), [{ code: 2, subcode: 1, data: Buffer.from([0, 4]) }], 'version 3: Unsupported Version, data is our version');
});

t.test('dynamic ASN accepts any external AS and learns it', async (t) => {
  const { clock, session } = setup({ asn: 4200000001 }, { peerAsn: undefined, dynamicAsn: 'external' });
  session.start();
  await advance(clock, 10);
  t.match(session.status(), { state: 'Established', peerAsn: 4200000001, ibgp: false });
});

t.test('messages out of order are FSM errors (RFC 6608)', async (t) => {
  const { clock, peer, session } = setup({ autoOpen: false });
  session.start();
  await advance(clock, 5);
  peer.sendRaw(encodeKeepalive());
  await advance(clock, 5);
  t.match(notifications(peer), [{ code: 5, subcode: 1 }]);
  const b = setup();
  b.session.start();
  await advance(b.clock, 10);
  b.peer.send(b.peer.open);
  await advance(b.clock, 5);
  t.match(notifications(b.peer), [{ code: 5, subcode: 3 }], 'OPEN in Established');
});

t.test('a NOTIFICATION from the peer ends the session; it comes back after the backoff', async (t) => {
  const { clock, peer, session } = setup({}, { connectRetry: { minMs: 1000, maxMs: 8000 } });
  session.start();
  await advance(clock, 10);
  peer.send({ type: 'notification', code: 6, subcode: 2, data: Buffer.from('\x05maint', 'latin1') });
  await advance(clock, 1);
  t.equal(session.state, 'Active');
  t.match(session.status().lastError, { reason: /Cease \/ Administrative Shutdown: maint/, notification: { direction: 'received', code: 6, subcode: 2 } });
  t.equal(session.status().prefixesSent, 0);
  await advance(clock, 990);
  t.equal(session.state, 'Active', 'still waiting out the backoff');
  await advance(clock, 20);
  t.equal(session.state, 'Established', 'back after 1 s');
});

t.test('connect retry backs off exponentially up to the cap', async (t) => {
  const clock = new VirtualClock(0);
  const net = new MemoryNetwork(clock, 1);
  const dials: number[] = [];
  const connect = net.connector(NODE);
  const session = new BgpSession(
    { name: 'r1', peerAddress: PEER, peerAsn: 65000, localAsn: 65001, routerId: NODE, connectRetry: { minMs: 1000, maxMs: 10_000 } },
    {
      clock,
      random: () => 1,
      connector: (r) => {
        dials.push(clock.now());
        return connect(r);
      },
    },
  );
  session.start();
  await advance(clock, 60_000);
  const gaps = dials.slice(1).map((x, i) => x - dials[i]!);
  t.same(gaps.slice(0, 6), [1001, 2001, 4001, 8001, 10_001, 10_001], 'refused after 1 ms, then 1, 2, 4, 8 s, capped at 10 s');
  t.equal(session.status().failures, dials.length);

  const jittery = new VirtualClock(0);
  const jnet = new MemoryNetwork(jittery, 1);
  const jdials: number[] = [];
  const jconnect = jnet.connector(NODE);
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  new BgpSession(session.options, {
    clock: jittery,
    random,
    connector: (r) => {
      jdials.push(jittery.now());
      return jconnect(r);
    },
  }).start();
  await advance(jittery, 200_000);
  const jgaps = jdials.slice(1).map((x, i) => x - jdials[i]! - 1);
  t.ok(jgaps.every((g, i) => g >= 0.75 * Math.min(1000 * 2 ** i, 10_000) && g <= Math.min(1000 * 2 ** i, 10_000)), `jittered within [0.75, 1]: ${jgaps.map(Math.round).join(', ')}`);
});

t.test('a connect that never completes times out after connectTimeoutMs', async (t) => {
  const { clock, net, session } = setup({}, { connectTimeoutMs: 3000 });
  net.blackhole(PEER, true);
  session.start();
  await advance(clock, 2999);
  t.equal(session.state, 'Connect');
  await advance(clock, 2);
  t.equal(session.state, 'Active');
  t.match(session.status().lastError, { reason: /no connection within 3000 ms/ });
  net.blackhole(PEER, false);
  await advance(clock, 1100);
  t.equal(session.state, 'Established');
});

t.test('passive mode never dials and accepts the peer', async (t) => {
  const { clock, net, session } = setup({}, { passive: true });
  let dialled = false;
  const s = new BgpSession(session.options, {
    clock,
    connector: () => {
      dialled = true;
      throw new Error('must not dial');
    },
  });
  s.start();
  await advance(clock, 100_000);
  t.equal(s.state, 'Active');
  t.notOk(dialled);
  const router = new FakePeer(net, clock, { address: PEER, asn: 65000, routerId: PEER });
  net.listen({ address: NODE, port: 179 }, (sock) => s.accept(sock));
  const dialled2 = router.dial(NODE);
  await advance(clock, 10);
  await dialled2;
  t.equal(s.state, 'Established');
});

t.test('connection collision: the higher BGP identifier keeps the connection it initiated', async (t) => {
  for (const [idA, idB] of [['192.0.2.21', '192.0.2.22'], ['192.0.2.22', '192.0.2.21']]) {
    const clock = new VirtualClock(0);
    const net = new MemoryNetwork(clock, 5);
    const logs: string[] = [];
    const logger = createLogger({ level: 'info', sink: (line) => logs.push(line) });
    const mk = (me: string, them: string, id: string): BgpSession =>
      new BgpSession({ name: them, peerAddress: them, peerAsn: 65000, localAsn: 65000, routerId: id }, { clock, connector: net.connector(me), random: () => 1, logger });
    const a = mk('192.0.2.21', '192.0.2.22', idA!);
    const b = mk('192.0.2.22', '192.0.2.21', idB!);
    net.listen({ address: '192.0.2.21', port: 179 }, (s) => a.accept(s));
    net.listen({ address: '192.0.2.22', port: 179 }, (s) => b.accept(s));
    a.start();
    b.start();
    await advance(clock, 100);
    t.equal(a.state, 'Established', `${idA} vs ${idB}: A established`);
    t.equal(b.state, 'Established', `${idA} vs ${idB}: B established`);
    const aLocal = a.status().localAddress;
    const aPortRemote = (a as unknown as { primary: { socket: { remote: { port: number } } } }).primary.socket.remote.port;
    const higherIsA = idA! > idB!;
    // The survivor was dialled by the higher identifier: its remote port is 179 on that side.
    t.equal(aPortRemote === 179, higherIsA, `survivor initiated by ${higherIsA ? 'A' : 'B'}`);
    t.equal(aLocal, '192.0.2.21');
    t.equal(logs.filter((l) => l.includes('connection collision resolved')).length, 2, 'both sides saw two connections and resolved the collision');
    await advance(clock, 300_000);
    t.equal(a.state, 'Established', 'and it stays up');
  }
});

t.test('a second connection while Established is refused with Cease 7', async (t) => {
  const { clock, net, session } = setup();
  session.start();
  await advance(clock, 10);
  const intruder = new FakePeer(net, clock, { address: PEER, asn: 65000, routerId: PEER });
  const [mine, theirs] = net.pair({ address: NODE, port: 179 }, { address: PEER, port: 51000 });
  intruder.attach(theirs);
  session.accept(mine);
  await advance(clock, 10);
  t.match(intruder.messages('notification'), [{ code: 6, subcode: 7 }]);
  t.ok(intruder.closedReason);
  t.equal(session.state, 'Established');
});

t.test('setRoutes sends only the difference; route refresh re-sends everything', async (t) => {
  const { clock, peer, session } = setup();
  session.setRoutes([{ prefix: '198.51.100.10/32' }, { prefix: '198.51.100.11/32' }]);
  session.start();
  await advance(clock, 10);
  const before = updates(peer).length;
  session.setRoutes([{ prefix: '198.51.100.11/32' }, { prefix: '198.51.100.12/32', communities: ['no-export'] }, { prefix: '198.51.100.10/33' }]);
  await advance(clock, 10);
  const sent = updates(peer).slice(before);
  t.same(sent.map((u) => ({ w: u.withdrawn.map(addressText), n: u.nlri.map(addressText) })), [{ w: ['198.51.100.10'], n: [] }, { w: [], n: ['198.51.100.12'] }]);
  t.match(session.status(), { prefixesSent: 2, routeProblems: [/length outside/] });
  session.setRoutes([{ prefix: '198.51.100.11/32' }, { prefix: '198.51.100.12/32', communities: ['no-export'] }]);
  await advance(clock, 10);
  t.equal(updates(peer).length, before + 2, 'no change, nothing sent');
  peer.send({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
  await advance(clock, 10);
  const refreshed = updates(peer).slice(before + 2);
  t.same(refreshed.flatMap((u) => u.nlri.map(addressText)).sort(), ['198.51.100.11', '198.51.100.12']);
});

t.test('IPv6 routes skipped when the peer did not negotiate IPv6; next hop required across families', async (t) => {
  const { clock, peer, session } = setup({ capabilities: [{ kind: 'four-octet-as', asn: 65000 }] });
  session.setRoutes([{ prefix: '198.51.100.10/32' }, { prefix: '2001:db8::10/128', nextHop: '2001:db8::11' }]);
  session.start();
  await advance(clock, 10);
  t.same(updates(peer).flatMap((u) => u.attributes.filter((a) => a.kind === 'mp-reach')), []);
  t.match(session.status(), { families: ['ipv4'], prefixesSent: 1, routeProblems: [/did not negotiate ipv6/] });

  const b = setup();
  b.session.setRoutes([{ prefix: '2001:db8::10/128' }]);
  b.session.start();
  await advance(b.clock, 10);
  t.match(b.session.status(), { prefixesSent: 0, routeProblems: [/no global IPv6 next hop/] });
});

t.test('graceful stop: withdraw all, then Cease / Administrative Shutdown, then close', async (t) => {
  const { clock, peer, session } = setup();
  session.setRoutes([{ prefix: '198.51.100.10/32' }, { prefix: '2001:db8::10/128', nextHop: '2001:db8::11' }]);
  session.start();
  await advance(clock, 10);
  const n = peer.received.length;
  const stopped = session.stop({ message: 'node drained' });
  await advance(clock, 10);
  await stopped;
  const tail = peer.received.slice(n).map((r) => (r.verdict.kind === 'message' ? r.verdict.message : undefined));
  t.match(tail, [
    { type: 'update', withdrawn: [prefix('198.51.100.10/32')] },
    { type: 'update', attributes: [{ kind: 'mp-unreach', withdrawn: [prefix('2001:db8::10/128')] }] },
    { type: 'notification', code: 6, subcode: 2 },
  ]);
  t.ok(peer.closedReason, 'connection closed');
  t.equal(session.state, 'Idle');
  await advance(clock, 120_000);
  t.equal(session.state, 'Idle', 'and it stays down');
});

const grPeerCaps = (families: number[]): Capability[] => [
  { kind: 'multiprotocol', afi: 1, safi: 1 },
  { kind: 'multiprotocol', afi: 2, safi: 1 },
  { kind: 'route-refresh' },
  { kind: 'four-octet-as', asn: 65000 },
  { kind: 'graceful-restart', flags: 0, restartTime: 120, families: families.map((afi) => ({ afi, safi: 1, flags: 0 })) },
];

t.test('restart with graceful restart negotiated: no withdraw, no NOTIFICATION, the connection just closes', async (t) => {
  const { clock, peer, session } = setup({ capabilities: grPeerCaps([1, 2]) }, { gracefulRestart: { restartTimeSeconds: 120 } });
  session.setRoutes([{ prefix: '198.51.100.10/32' }, { prefix: '2001:db8::10/128', nextHop: '2001:db8::11' }]);
  session.start();
  await advance(clock, 10);
  const n = peer.received.length;
  const stopped = session.stop({ message: 'node drained', restart: true });
  await advance(clock, 10);
  await stopped;
  t.same(peer.received.slice(n), [], 'nothing sent: the peer keeps the routes as stale');
  t.ok(peer.closedReason, 'connection closed');
  t.equal(session.state, 'Idle');
});

/** Types of the messages the peer gets when an Established session stops for a restart. */
async function sentOnRestart(caps: Capability[] | undefined, gracefulRestart: boolean): Promise<(string | undefined)[]> {
  const { clock, peer, session } = setup(caps ? { capabilities: caps } : {}, gracefulRestart ? { gracefulRestart: { restartTimeSeconds: 120 } } : {});
  session.setRoutes([{ prefix: '198.51.100.10/32' }]);
  session.start();
  await advance(clock, 10);
  const n = peer.received.length;
  const stopped = session.stop({ restart: true });
  await advance(clock, 10);
  await stopped;
  return peer.received.slice(n).map((r) => (r.verdict.kind === 'message' ? r.verdict.message.type : undefined));
}

t.test('a helper-only peer (graceful restart capability listing no family) keeps the routes too', async (t) => {
  t.same(await sentOnRestart(grPeerCaps([]), true), [], 'RFC 4724 4.2: the families of our capability are kept');
});

t.test('restart falls back to withdraw and Cease where the peer cannot keep the routes', async (t) => {
  t.same(await sentOnRestart(undefined, true), ['update', 'notification'], 'the peer did not advertise graceful restart');
  t.same(await sentOnRestart(grPeerCaps([1, 2]), false), ['update', 'notification'], 'this side was not configured with gracefulRestart');
});

t.test('the Restart State bit is set in OPENs within the restart time of the process start, not after', async (t) => {
  const grFlags = (p: FakePeer, i: number): number | undefined => {
    const open = p.messages('open')[i] as OpenMessage;
    const gr = capabilitiesOf(open).find((c) => c.kind === 'graceful-restart');
    return gr?.kind === 'graceful-restart' ? gr.flags : undefined;
  };
  const { clock, peer, session } = setup({ capabilities: grPeerCaps([1, 2]) }, { gracefulRestart: { restartTimeSeconds: 120 } }, { restartingUntil: 120_000 });
  session.start();
  await advance(clock, 10);
  t.equal(grFlags(peer, 0)! & GR_RESTARTING, GR_RESTARTING, 'first session of the process: R set');
  t.equal(grFlags(peer, 0)! & GR_NOTIFICATION, GR_NOTIFICATION, 'N set (RFC 8538)');
  await advance(clock, 130_000);
  peer.send({ type: 'notification', code: 6, subcode: 4, data: Buffer.alloc(0) });
  await advance(clock, 60_000);
  t.equal(session.state, 'Established', 'back up');
  t.equal(grFlags(peer, 1)! & GR_RESTARTING, 0, 'a later session: R clear');
  const plain = setup();
  plain.session.start();
  await advance(plain.clock, 10);
  t.equal(grFlags(plain.peer, 0), undefined, 'no capability without gracefulRestart');
});

t.test('BFD down drops the session at once with Cease / BFD Down; the FSM brings it back', async (t) => {
  const { clock, peer, session } = setup();
  session.start();
  await advance(clock, 10);
  session.bfdDown();
  t.equal(session.state, 'Active');
  await advance(clock, 5);
  t.match(notifications(peer), [{ code: 6, subcode: 10 }]);
  t.match(session.status().lastError, { reason: /BFD/ });
  await advance(clock, 1100);
  t.equal(session.state, 'Established');
});

t.test('malformed UPDATEs from the peer: treat-as-withdraw is counted, session reset answered', async (t) => {
  const { clock, peer, session } = setup();
  session.start();
  await advance(clock, 10);
  // COMMUNITIES of 3 bytes: treat-as-withdraw.
  peer.sendRaw(Buffer.from('ffffffffffffffffffffffffffffffff002a02000000134001010040020602010000fde8c00803ffff01' + '20c633640a', 'hex').subarray(0, 0x2a + 5 - 5));
  await advance(clock, 10);
  t.equal(session.state, 'Established');
  t.equal(session.status().updateErrorsReceived, 1);
  // An unknown well-known attribute: session reset with 3/2.
  peer.sendRaw(Buffer.from('ffffffffffffffffffffffffffffffff001b0200000004406301' + '00', 'hex'));
  await advance(clock, 10);
  t.match(notifications(peer), [{ code: 3, subcode: 2 }]);
  t.equal(session.state, 'Active');
});
