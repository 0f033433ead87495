// Gossip under attack, on the in-memory network and a virtual clock: one
// test per way of forging, replaying or flooding that once changed a
// cluster for good (docs/gossip.md, "Gossip under attack"). The attacker is a
// stranger on the network (rogueAddress), a member passing forged news on
// (a datagram injected with a member's source address), or a key holder.
import t from 'tap';
import { Cluster, type MemberEvent } from '../../src/cluster/cluster.js';
import { encodeStreamMessage, MAX_U32 } from '../../src/cluster/codec.js';
import { Keyring } from '../../src/cluster/keyring.js';
import type { Address } from '../../src/net/index.js';
import type { MemberRecord, Message } from '../../src/cluster/messages.js';
import { Simulation, type SimulationOptions } from '../../dev/gossip-sim/simulation.js';
import type { Transport } from '../../src/cluster/transport.js';
import { createLogger } from '../../src/util/log.js';
import { formed, packet } from '../support/gossip-sim.js';

const rogueAddress: Address = { host: '203.0.113.66', port: 7946 };
const key = Buffer.alloc(32, 7);

/** Every membership event, as "observer: subject kind". */
function recorder(): { events: string[]; onEvent: (observer: string, e: MemberEvent) => void } {
  const events: string[] = [];
  return { events, onEvent: (observer, e) => events.push(`${observer}: ${e.member.name} ${e.kind}`) };
}

/** How the forged bytes reach their target. */
type Sender = (sim: Simulation, to: Address, data: Buffer) => void;
const rogues = new WeakMap<Simulation, Transport>();
const stranger: Sender = (sim, to, data) => {
  const rogue = rogues.get(sim) ?? sim.net.attach(rogueAddress);
  rogues.set(sim, rogue);
  rogue.sendPacket(to, data);
};
/** A member passing the news on: what a compromised key holder, or one fooled itself, would do. */
const viaMember =
  (i: number): Sender =>
  (sim, to, data) =>
    sim.net.inject(sim.members[i]!.address, to, data);

function cluster(keyed: boolean, extra: Partial<SimulationOptions> = {}): Promise<Simulation> {
  return formed(3, { network: { minDelayMs: 0.1, maxDelayMs: 0.5 }, ...extra, member: { ...(keyed ? { keyring: new Keyring([key]) } : {}), ...extra.member } });
}

/** The bytes as they would arrive: plain, or sealed with the cluster's key (by a key holder). */
function wire(sim: Simulation, keyed: boolean, ...msgs: Message[]): Buffer {
  const plain = packet(...msgs);
  return keyed ? new Keyring([key]).seal(plain, Math.floor(sim.clock.now())) : plain;
}

const allAlive = (sim: Simulation): boolean => sim.members.every((_, i) => sim.members.every((__, j) => sim.stateOf(i, j) === 'alive'));

t.test('one forged leave, death or suspicion at incarnation 0xFFFFFFFF evicts no one', async (t) => {
  const forgeries: Array<[string, Message]> = [
    ['a leave of m1 (dead from m1)', { type: 'dead', incarnation: MAX_U32, node: 'm1', from: 'm1' }],
    ['a suspicion of m2', { type: 'suspect', incarnation: MAX_U32, node: 'm2', from: 'm0' }],
    ['a death of m2', { type: 'dead', incarnation: MAX_U32, node: 'm2', from: 'm0' }],
  ];
  for (const keyed of [false, true]) {
    for (const [sent, send] of [['from a stranger', stranger], ['passed on by a member', viaMember(0)]] as const) {
      for (const [what, forge] of forgeries) {
        const rec = recorder();
        const sim = await cluster(keyed, { onEvent: rec.onEvent });
        rec.events.length = 0;
        for (const to of [1, 2]) send(sim, sim.members[to]!.address, wire(sim, keyed, forge));
        await sim.run(10_000);
        const label = `${what} ${sent}${keyed ? ', sealed with the key' : ''}`;
        t.ok(allAlive(sim), `${label}: every member still sees every other alive`);
        t.same(rec.events.filter((e) => / (dead|left)$/.test(e)), [], `${label}: nobody was declared dead or left, even for a moment`);
        t.ok(sim.members.every((m) => m.cluster.incarnation < 0x1_0000), `${label}: incarnations stay far from the top`);
        await sim.shutdown();
      }
    }
  }
});

t.test('a suspicion at the edge of what is plausible is refuted everywhere; one past it changes nothing', async (t) => {
  const rec = recorder();
  const sim = await cluster(true, { onEvent: rec.onEvent });
  rec.events.length = 0;
  const held = sim.members[0]!.cluster.member('m2')!.incarnation;
  viaMember(1)(sim, sim.members[0]!.address, wire(sim, true, { type: 'suspect', incarnation: held + 1025, node: 'm2', from: 'm1' }));
  await sim.run(2_000);
  t.equal(sim.members[2]!.cluster.incarnation, held, 'one past the bound: m2 never heard of it');
  t.same(rec.events, [], 'and nobody suspected it');
  viaMember(1)(sim, sim.members[0]!.address, wire(sim, true, { type: 'suspect', incarnation: held + 1024, node: 'm2', from: 'm1' }));
  const took = await sim.runUntil(() => allAlive(sim) && sim.members.every((m) => m.cluster.member('m2')!.incarnation === held + 1025), 5_000);
  t.ok(took !== undefined, `at the bound: m0 suspected m2, which refuted at ${held + 1025}, taken by all after ${took} ms`);
  t.ok(sim.members[2]!.cluster.counters.fanouts >= 1, 'a jump that large is sent to every member first-hand, not left to gossip');
  t.same(
    rec.events.filter((e) => e.endsWith(' dead')),
    [],
    'nobody declared it dead',
  );
  await sim.shutdown();
});

t.test('at the top of the range a member still refutes everything said about it', async (t) => {
  // With no bound on jumps, forged news can push an incarnation to the top
  // in one step, as a long enough walk would. The member can no longer
  // outbid anything there: its own word, first-hand, has to win.
  const rec = recorder();
  const sim = await cluster(true, { onEvent: rec.onEvent, member: { maxIncarnationJump: MAX_U32 } });
  const m1 = sim.members[1]!;
  const view = m1.cluster.member('m1')!;
  const toAll = (msg: Message): void => {
    for (const i of [0, 2]) viaMember(i === 0 ? 2 : 0)(sim, sim.members[i]!.address, wire(sim, true, msg));
  };
  toAll({ type: 'alive', incarnation: MAX_U32, node: 'm1', host: view.address.host, port: view.address.port, meta: { forged: 'yes' } });
  await sim.run(2_000);
  t.equal(m1.cluster.incarnation, MAX_U32, 'm1 answered the forged alive at the top');
  t.ok(sim.members.every((m) => m.cluster.member('m1')?.meta['forged'] === undefined), 'and everyone has its own data back');
  toAll({ type: 'suspect', incarnation: MAX_U32, node: 'm1', from: 'm0' });
  await sim.run(5_000);
  toAll({ type: 'dead', incarnation: MAX_U32, node: 'm1', from: 'm2' });
  await sim.run(5_000);
  t.ok(allAlive(sim), 'suspected and declared dead at 0xFFFFFFFF, m1 is alive everywhere again');
  t.ok(m1.cluster.counters.fanouts >= 1, `m1 told every member itself (${m1.cluster.counters.fanouts} times)`);
  m1.cluster.setMeta({ zone: 'b' });
  const took = await sim.runUntil(() => sim.members.every((m) => m.cluster.member('m1')?.meta['zone'] === 'b'), 5_000);
  t.ok(took !== undefined, 'new metadata at the top of the range reaches everyone');
  await sim.shutdown();
});

t.test('a member accused of leaving while alive learns of it, refutes, and says so', async (t) => {
  const lines: string[] = [];
  const rec = recorder();
  const sim = await cluster(true, { onEvent: rec.onEvent, logger: createLogger({ level: 'warn', sink: (l) => lines.push(l) }) });
  const m1 = sim.members[1]!;
  // A plausible leave, passed on by a member: m0 takes it.
  viaMember(2)(sim, sim.members[0]!.address, wire(sim, true, { type: 'dead', incarnation: m1.cluster.incarnation, node: 'm1', from: 'm1' }));
  await sim.run(5, 1);
  t.equal(sim.stateOf(0, 1), 'left', 'm0 believed it');
  const took = await sim.runUntil(() => allAlive(sim), 5_000);
  t.ok(took !== undefined, `m1 refuted: alive everywhere ${took} ms later`);
  const accused = m1.cluster.status().accused;
  t.equal(accused.accusations.left, 1, "m1's status counts the leave it refuted");
  t.match(accused.last, { kind: 'left', by: 'm1' }, 'and names the latest');
  t.ok(
    lines.some((l) => /other members hold this member left/.test(l) && /"member":"m1"/.test(l)),
    'and m1 says so in its log',
  );
  await sim.shutdown();
});

t.test('dead + alive for a member in one packet does not move its address', async (t) => {
  for (const keyed of [false, true]) {
    for (const [sent, send] of [['from a stranger', stranger], ['passed on by a member', viaMember(2)]] as const) {
      const sim = await cluster(keyed);
      const before = sim.members[0]!.cluster.member('m1')!;
      const inc = before.incarnation;
      send(
        sim,
        sim.members[0]!.address,
        wire(
          sim,
          keyed,
          { type: 'dead', incarnation: inc, node: 'm1', from: 'm1' },
          { type: 'alive', incarnation: inc + 1, node: 'm1', host: rogueAddress.host, port: rogueAddress.port, meta: before.meta },
        ),
      );
      await sim.run(5_000);
      const label = `${sent}${keyed ? ', sealed' : ''}`;
      t.same(sim.members[0]!.cluster.member('m1')!.address, before.address, `${label}: m1 keeps its address`);
      t.ok(allAlive(sim), `${label}: and stays alive everywhere`);
      await sim.shutdown();
    }
  }
});

t.test('a member that left comes back at a new address once the old one is gone', async (t) => {
  const sim = await cluster(false);
  const leaving = sim.members[1]!.cluster.leave(1_000);
  await sim.run(1_100);
  await leaving;
  await sim.kill(1);
  await sim.run(2_000);
  const moved = sim.addMember('m1', 7);
  moved.cluster.start();
  void moved.cluster.join([sim.members[0]!.address]);
  const took = await sim.runUntil(
    () =>
      [0, 2].every((i) => {
        const seen = sim.members[i]!.cluster.member('m1');
        return seen?.state === 'alive' && seen.address.host === moved.address.host;
      }),
    10_000,
  );
  t.ok(took !== undefined, `every member has m1 alive at its new address after ${took} ms`);
  await sim.shutdown();
});

const fake = (i: number): MemberRecord => ({ name: `fake${i}`, host: `198.18.${(i >> 8) & 255}.${i & 255}`, port: 7946, incarnation: 0, state: 'alive', meta: {} });

t.test('new members are limited per packet, per push-pull and per second', async (t) => {
  const sim = await cluster(false);
  const m0 = sim.members[0]!.cluster;
  const rogue = sim.net.attach(rogueAddress);
  rogue.sendPacket(sim.members[0]!.address, packet(...Array.from({ length: 40 }, (_, i) => ({ type: 'alive' as const, incarnation: 0, node: fake(i).name, host: fake(i).host, port: 7946, meta: {} }))));
  await sim.run(1);
  t.equal(m0.status().members.length, 3 + 8, 'one packet: 8 new members of 40');
  const offer = async (n: number, first: number): Promise<void> => {
    const reply = rogue.exchange(sim.members[0]!.address, encodeStreamMessage({ type: 'push-pull', join: true, members: Array.from({ length: n }, (_, i) => fake(first + i)) }), 1_000).catch(() => undefined);
    await sim.run(5, 1);
    await reply;
  };
  await offer(9_997, 100);
  t.equal(m0.status().members.length, 3 + 8, 'a push-pull of 9,997: refused before decoding, nothing added');
  t.equal(m0.counters.dropped.oversized, 1, 'counted as oversized');
  const before = m0.status().members.length;
  await offer(270, 20_000);
  const added = m0.status().members.length - before;
  t.ok(added > 200 && added <= 256, `a push-pull of 270: ${added} added (at most 256 a push-pull, and what is saved up of 32 a second)`);
  for (let s = 0; s < 10; s++) {
    const again = rogue.exchange(sim.members[0]!.address, encodeStreamMessage({ type: 'push-pull', join: true, members: Array.from({ length: 270 }, (_, i) => fake(30_000 + 1_000 * s + i)) }), 1_000).catch(() => undefined);
    await sim.run(1_000, 10);
    await again;
  }
  t.ok(m0.counters.dropped['member-rate'] > 2_000, 'the rest counted as over the limit');
  t.ok(m0.counters.forgotten > 0, `fakes that never answered were forgotten (${m0.counters.forgotten})`);
  const admitted = m0.status().members.length - 3 + m0.counters.forgotten;
  t.ok(admitted <= 256 + 32 * 11, `ten more seconds of it: ${admitted} admitted in all, within the burst and 32 a second`);
  t.equal(m0.liveMembers().length, 3, 'and none of them ever counted as a live member');
  t.equal(m0.members().length, 3, 'nor as a member at all (what the speaker elects from)');
  await sim.shutdown();
});

/** Virtual ms until both others hold m2 dead after it stops; m2 is then resumed and welcomed back. */
async function detectStop(sim: Simulation): Promise<number> {
  sim.pause(2);
  const took = await sim.runUntil(() => sim.stateOf(0, 2) === 'dead' && sim.stateOf(1, 2) === 'dead', 30_000, 5);
  sim.resume(2);
  await sim.runUntil(() => sim.stateOf(0, 2) === 'alive' && sim.stateOf(1, 2) === 'alive' && sim.stateOf(2, 0) === 'alive' && sim.stateOf(2, 1) === 'alive', 30_000);
  await sim.run(3_000);
  if (took === undefined) throw new Error('a stopped member was never declared dead');
  return took;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

t.test('a flood of fake members poisons neither health nor failure detection', async (t) => {
  const sim = await cluster(false);
  const trials = 7;
  // Lifeguard health of m0 and m1, sampled through each phase: detecting a
  // stopped member costs a point now and then (a nack that comes late).
  const worst = { quiet: 0, attacked: 0 };
  let phase: keyof typeof worst = 'quiet';
  const watchHealth = (): void => {
    worst[phase] = Math.max(worst[phase], sim.members[0]!.cluster.healthScore, sim.members[1]!.cluster.healthScore);
    sim.clock.setTimeout(watchHealth, 20);
  };
  watchHealth();
  const quiet: number[] = [];
  for (let i = 0; i < trials; i++) quiet.push(await detectStop(sim));
  phase = 'attacked';
  // The attacker keeps offering fake members to m0 and m1 by push-pull,
  // as many as a push-pull may carry; the fakes answer nothing.
  const rogue = sim.net.attach(rogueAddress);
  let round = 0;
  const flood = (): void => {
    const members = Array.from({ length: 260 }, (_, i) => fake(round * 1_000 + i));
    round++;
    for (const i of [0, 1]) void rogue.exchange(sim.members[i]!.address, encodeStreamMessage({ type: 'push-pull', join: false, members }), 1_000).catch(() => {});
    timer = sim.clock.setTimeout(flood, 500);
  };
  let timer = sim.clock.setTimeout(flood, 0);
  await sim.run(5_000);
  const attacked: number[] = [];
  for (let i = 0; i < trials; i++) attacked.push(await detectStop(sim));
  sim.clock.clearTimeout(timer);
  t.ok(sim.members[0]!.cluster.counters.forgotten > 100, `fakes did get in, and were forgotten once they did not answer (${sim.members[0]!.cluster.counters.forgotten} at m0)`);
  t.ok(worst.attacked <= worst.quiet, `Lifeguard health of m0 and m1 no worse than in the quiet phase (${worst.attacked}, quiet ${worst.quiet})`);
  t.ok(median(attacked) <= 1.5 * median(quiet), `detection of a stopped member: median ${median(attacked)} ms under attack against ${median(quiet)} ms quiet (${attacked.join(', ')} / ${quiet.join(', ')})`);
  await sim.shutdown();
});

/** A member's transport that keeps a copy of every datagram it sends. */
function recording(inner: Transport, sent: Array<{ to: Address; data: Buffer }>): Transport {
  return {
    sendPacket: (to, data) => {
      sent.push({ to, data: Buffer.from(data) });
      inner.sendPacket(to, data);
    },
    exchange: (to, req, ms) => inner.exchange(to, req, ms),
    setHandlers: (h) => inner.setHandlers(h),
    close: () => inner.close(),
  };
}

t.test('captured sealed packets are refused when replayed, at once or later', async (t) => {
  const sim = await cluster(true);
  const sent: Array<{ to: Address; data: Buffer }> = [];
  const spyAddress = Simulation.address(9);
  const spied = new Cluster(
    { name: 'spied', advertiseHost: spyAddress.host, advertisePort: spyAddress.port, keyring: new Keyring([key]), wallNow: () => sim.clock.now() },
    { transport: recording(sim.net.attach(spyAddress), sent), clock: sim.members[0]!.clock },
  );
  spied.start();
  void spied.join([sim.members[0]!.address]);
  await sim.run(2_000);
  const captured = sent.filter((p) => p.to.host === sim.members[0]!.address.host).map((p) => p.data);
  t.ok(captured.length > 5, `${captured.length} packets to m0 captured`);
  const m0 = sim.members[0]!.cluster;
  const replayedBefore = m0.counters.dropped.replayed;
  for (const data of captured) sim.net.inject(spyAddress, sim.members[0]!.address, data);
  await sim.run(10);
  t.equal(m0.counters.dropped.replayed - replayedBefore, captured.length, 'replayed at once from the same source: every one refused as seen before');
  const rogue = sim.net.attach(rogueAddress);
  for (const data of captured) rogue.sendPacket(sim.members[0]!.address, data);
  await sim.run(10);
  t.equal(m0.counters.dropped.replayed - replayedBefore, 2 * captured.length, 'from another address: the same');
  await sim.run(60_000);
  const oldBefore = m0.counters.dropped['too-old'];
  for (const data of captured) rogue.sendPacket(sim.members[0]!.address, data);
  await sim.run(10);
  t.equal(m0.counters.dropped['too-old'] - oldBefore, captured.length, 'a minute later: every one refused as too old');
  await spied.shutdown();
  await sim.shutdown();
});

t.test('a member whose clock is off by more than the window cannot talk, and the others say why', async (t) => {
  const sim = await cluster(true);
  const skewed = new Keyring([key]);
  const rogue = sim.net.attach(rogueAddress);
  const before = sim.members[0]!.cluster.counters.dropped['too-new'];
  rogue.sendPacket(sim.members[0]!.address, skewed.seal(packet({ type: 'ping', seq: 1, target: 'm0', sourceHost: rogueAddress.host, sourcePort: 7946, sourceName: 'x' }), Math.floor(sim.clock.now()) + 120_000));
  await sim.run(10);
  t.equal(sim.members[0]!.cluster.counters.dropped['too-new'] - before, 1, 'stamped two minutes ahead: refused as too new');
  await sim.shutdown();
});

t.test('a junk flood is counted and dropped, and kills no one', async (t) => {
  const rec = recorder();
  const sim = await cluster(true, { onEvent: rec.onEvent });
  rec.events.length = 0;
  const rogue = sim.net.attach(rogueAddress);
  let seed = 1;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  // 50,000 datagrams in one second: random bytes, some shaped like sealed packets.
  for (let ms = 0; ms < 1_000; ms += 10) {
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.from(Array.from({ length: 20 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
      if (i % 2) {
        junk[0] = 0x03;
        junk.writeUInt32BE(0, 1);
        junk.writeUInt32BE(Math.floor(sim.clock.now()), 5);
      }
      rogue.sendPacket(sim.members[0]!.address, junk);
    }
    await sim.run(10, 10);
  }
  await sim.run(3_000);
  const d = sim.members[0]!.cluster.counters.dropped;
  const counted = Object.values(d).reduce((a, b) => a + b, 0);
  t.equal(counted, 50_000, 'every junk datagram counted as dropped');
  t.same(rec.events.filter((e) => / (suspect|dead)$/.test(e)), [], 'no member was suspected or declared dead');
  await sim.shutdown();
});

t.test('forged news is counted by why it was refused', async (t) => {
  const sim = await cluster(false);
  const m0 = sim.members[0]!;
  stranger(sim, m0.address, packet({ type: 'suspect', incarnation: 0, node: 'm1', from: 'm2' }));
  viaMember(2)(sim, m0.address, packet({ type: 'suspect', incarnation: 5_000, node: 'm1', from: 'm2' }));
  await sim.run(5, 1);
  t.equal(m0.cluster.counters.dropped.stranger, 1, 'an accusation from a stranger');
  t.equal(m0.cluster.counters.dropped['implausible-incarnation'], 1, 'an incarnation 5,000 above the one we know');
  stranger(sim, m0.address, packet({ type: 'alive', incarnation: 0, node: 'impostor', host: sim.members[1]!.address.host, port: sim.members[1]!.address.port, meta: {} }));
  await sim.run(5, 1);
  t.equal(m0.cluster.counters.dropped['address-taken'], 1, 'a new name at the address of a live member');
  t.notOk(m0.cluster.member('impostor'), 'is not added');
  await sim.shutdown();
});
