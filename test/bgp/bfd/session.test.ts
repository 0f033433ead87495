import t from 'tap';
import { VirtualClock } from '../../../src/util/clock.js';
import { BfdManager } from '../../../src/bgp/bfd/manager.js';
import { MemoryBfdNetwork } from '../support/bfd-memory-transport.js';
import { decodeBfd, encodeBfd, type BfdControlPacket } from '../../../src/bgp/bfd/packet.js';
import { unwrap } from '../../support/decoded.js';
import type { BfdStateChange } from '../../../src/bgp/bfd/session.js';
import { buildPacket, detectionExpired, detectionTimeUs, initialVars, receive, txIntervalUs, type BfdConfig } from '../../../src/bgp/bfd/state.js';
import { advance } from '../support/fake-peer.js';

const A = '192.0.2.11';
const B = '192.0.2.1';
const fast = { receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3, passiveMode: false };

function pair(profileA = fast, profileB = fast) {
  const clock = new VirtualClock(0);
  const net = new MemoryBfdNetwork(clock, 1);
  let seed = 1;
  const random = (): number => ((seed = (seed * 48271) % 0x7fffffff) / 0x7fffffff);
  const changes: Record<string, BfdStateChange[]> = { a: [], b: [] };
  const drops: string[] = [];
  const a = new BfdManager({ clock, transport: net.transport(A), random, dropped: (r) => drops.push(r) });
  const b = new BfdManager({ clock, transport: net.transport(B), random });
  const start = async (): Promise<void> => {
    await a.add(B, profileA, { changed: (c) => changes.a!.push(c) });
    await b.add(A, profileB, { changed: (c) => changes.b!.push(c) });
  };
  return { clock, net, a, b, changes, drops, start };
}

t.test('three-way handshake to Up, then a poll sequence switches to the fast interval', async (t) => {
  const { clock, a, b, changes, start } = pair();
  await start();
  t.match(a.status(B), { state: 'Down', transmitIntervalMs: 0 });
  await advance(clock, 3000);
  t.equal(a.session(B)!.state, 'Up');
  t.equal(b.session(A)!.state, 'Up');
  const path = changes.a!.map((c) => c.to);
  t.ok(path.join() === 'Init,Up' || path.join() === 'Up', `Down -> (Init ->) Up: ${path.join()}`);
  t.match(a.status(B), { state: 'Up', remoteState: 'Up', transmitIntervalMs: 100, detectionTimeMs: 300, upEvents: 1 });
});

t.test('detection: a silent peer is declared down within detect mult x interval', async (t) => {
  const { clock, net, a, changes, start } = pair();
  await start();
  await advance(clock, 3000);
  t.equal(a.session(B)!.state, 'Up');
  net.blackhole(B, true);
  const cut = clock.now();
  await advance(clock, 250);
  t.equal(a.session(B)!.state, 'Up', 'not before 3 x 100 ms minus the last packet gap');
  await advance(clock, 100);
  t.equal(a.session(B)!.state, 'Down');
  const down = changes.a!.at(-1)!;
  t.match(down, { from: 'Up', to: 'Down', diag: 1, remoteAdminDown: false });
  t.ok(clock.now() - cut <= 351);
  t.match(a.status(B), { localDiagnostic: 'Control Detection Time Expired', downEvents: 1 });
  net.blackhole(B, false);
  await advance(clock, 5000);
  t.equal(a.session(B)!.state, 'Up', 'comes back when packets flow again');
});

t.test('a peer going AdminDown is not a path failure (RFC 5882 3.2)', async (t) => {
  const { clock, b, changes, start } = pair();
  await start();
  await advance(clock, 3000);
  b.remove(A);
  await advance(clock, 10);
  t.match(changes.a!.at(-1), { from: 'Up', to: 'Down', diag: 3, remoteAdminDown: true });
});

t.test('GTSM: packets with a TTL other than 255 are dropped and counted', async (t) => {
  const { clock, net, a, drops, start } = pair();
  net.ttl = 254;
  await start();
  await advance(clock, 3000);
  t.equal(a.session(B)!.state, 'Down');
  t.ok(drops.length > 0 && drops.every((d) => d === 'ttl'), `dropped for TTL: ${drops.length}`);
});

t.test('passive mode sends nothing until it hears the peer', async (t) => {
  const { clock, a, b, start } = pair({ ...fast, passiveMode: true }, { ...fast, passiveMode: true });
  await start();
  await advance(clock, 5000);
  t.equal(a.session(B)!.state, 'Down', 'two passive ends never start');
  t.equal(b.session(A)!.state, 'Down');
  const active = pair({ ...fast, passiveMode: true }, fast);
  await active.start();
  await advance(active.clock, 3000);
  t.equal(active.a.session(B)!.state, 'Up', 'a passive end comes up with an active one');
});

t.test('malformed and unknown packets are dropped with a verdict', async (t) => {
  const { clock, a, start } = pair();
  await start();
  await advance(clock, 10);
  t.equal(a.handle({ data: Buffer.alloc(10), address: B, port: 49152, ttl: 255 }), 'malformed');
  const p = buildPacket(initialVars({ desiredMinTxUs: 1e5, requiredMinRxUs: 1e5, detectMult: 3, passive: false }, 77), { desiredMinTxUs: 1e5, requiredMinRxUs: 1e5, detectMult: 3, passive: false }, false);
  t.equal(a.handle({ data: encodeBfd(p), address: '192.0.2.50', port: 49152, ttl: 255 }), 'unknown-session');
  t.equal(a.handle({ data: encodeBfd({ ...p, yourDiscriminator: 12345 }), address: B, port: 49152, ttl: 255 }), 'unknown-session');
  t.equal(a.handle({ data: encodeBfd({ ...p, detectMult: 0 }), address: B, port: 49152, ttl: 255 }), 'invalid');
  t.equal(a.handle({ data: encodeBfd({ ...p, auth: { type: 1, keyId: 1, password: Buffer.from('x') } }), address: B, port: 49152, ttl: 255 }), 'discarded');
});

t.test('state machine table (RFC 5880 6.8.6)', async (t) => {
  const cfg: BfdConfig = { desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3, passive: false };
  const v0 = initialVars(cfg, 10);
  t.equal(v0.desiredMinTxUs, 1_000_000, 'one second while not Up (6.8.3)');
  t.equal(txIntervalUs(v0, cfg), 1_000_000);
  const peer = (state: BfdControlPacket['state'], extra: Partial<BfdControlPacket> = {}): BfdControlPacket => ({
    ...buildPacket({ ...initialVars(cfg, 20), state }, cfg, false),
    yourDiscriminator: state === 'Down' || state === 'AdminDown' ? 0 : 10,
    ...extra,
  });
  const table: Array<[string, string, string]> = [
    ['Down', 'Down', 'Init'],
    ['Down', 'Init', 'Up'],
    ['Down', 'Up', 'Down'],
    ['Init', 'Init', 'Up'],
    ['Init', 'Up', 'Up'],
    ['Init', 'Down', 'Init'],
    ['Up', 'Down', 'Down'],
    ['Up', 'Up', 'Up'],
    ['Up', 'AdminDown', 'Down'],
    ['Init', 'AdminDown', 'Down'],
  ];
  for (const [local, remote, want] of table) {
    const r = receive({ ...v0, state: local as never }, cfg, peer(remote as never));
    t.equal(r.vars.state, want, `${local} + ${remote} -> ${want}`);
  }
  const up = receive({ ...v0, state: 'Init' }, cfg, peer('Up', { desiredMinTxUs: 100_000, detectMult: 5 })).vars;
  t.equal(up.polling, true, 'going Up changes Desired Min TX: Poll Sequence');
  t.equal(up.desiredMinTxUs, 300_000);
  t.equal(txIntervalUs(up, cfg), 300_000, 'a decrease applies at once');
  t.equal(detectionTimeUs(up, cfg), 5 * 300_000, 'remote detect mult x max(our Required Min RX, their Desired Min TX)');
  const polled = receive(up, cfg, peer('Up', { poll: true }));
  t.equal(polled.replyFinal, true, 'a Poll is answered with Final');
  t.equal(buildPacket(polled.vars, cfg, true).poll, false, 'never Poll and Final together');
  const finished = receive(up, cfg, peer('Up', { final: true })).vars;
  t.equal(finished.polling, false, 'Final ends the Poll Sequence');
  const slowAgain = detectionExpired(finished, cfg);
  t.match(slowAgain, { state: 'Down', localDiag: 1, remoteDiscr: 0, desiredMinTxUs: 1_000_000, txBasisUs: 1_000_000 });
  t.equal(txIntervalUs({ ...up, remoteMinRxUs: 0 }, cfg), 0, 'peer asks for no packets');
  t.equal(txIntervalUs(initialVars({ ...cfg, passive: true }, 1), { ...cfg, passive: true }), 0, 'passive: silent until heard');
  t.match(unwrap(decodeBfd(encodeBfd(buildPacket(up, cfg, false)))), { requiredMinEchoRxUs: 0, demand: false }, 'no echo, no demand');
});
