// The gossip protocol on the in-memory network and a virtual clock: every
// scenario is deterministic (seeded) and takes milliseconds of real time.
import t from 'tap';
import { Cluster } from '../../src/cluster/cluster.js';
import { encodeStreamMessage } from '../../src/cluster/codec.js';
import { fastProfile, lanProfile } from '../../src/cluster/options.js';
import { Keyring } from '../../src/cluster/keyring.js';
import { Simulation } from '../../dev/gossip-sim/simulation.js';
import { formed, packet } from '../support/gossip-sim.js';

const rogueAddress = { host: '203.0.113.66', port: 7946 };

t.test('a killed member is declared dead by every other member', async (t) => {
  const sim = await formed(8);
  await sim.kill(3);
  const took = await sim.runUntil(() => sim.allSee(3, 'dead'), 10_000);
  t.ok(took !== undefined, `all 7 declared it dead after ${took} ms (virtual)`);
  t.ok(sim.members.every((m, i) => i === 3 || m.cluster.liveMembers().length === 7), 'no one else was lost');
  await sim.shutdown();
});

t.test('the lan profile detects the same failure, more slowly', async (t) => {
  const sim = await formed(8, { member: { profile: lanProfile } });
  await sim.kill(5);
  const took = await sim.runUntil(() => sim.allSee(5, 'dead'), 60_000);
  t.ok(took !== undefined && took > 2000, `detected after ${took} ms (virtual)`);
  await sim.shutdown();
});

t.test('a falsely suspected member refutes and is never declared dead', async (t) => {
  let deaths = 0;
  const suspectedBy = new Set<string>();
  const sim = new Simulation({
    size: 6,
    seed: 5,
    network: { minDelayMs: 0.1, maxDelayMs: 0.5 },
    onEvent: (observer, e) => {
      if (e.kind === 'dead') deaths++;
      if (e.kind === 'suspect' && e.member.name === 'm2') suspectedBy.add(observer);
    },
  });
  await sim.start();
  await sim.run(3000);
  const victim = sim.members[2]!;
  const before = victim.cluster.incarnation;
  // A suspicion passed on by a member (a stranger's would be refused).
  sim.net.inject(sim.members[1]!.address, sim.members[0]!.address, packet({ type: 'suspect', incarnation: before, node: victim.name, from: 'm1' }));
  await sim.run(1);
  t.ok(suspectedBy.has('m0'), 'the receiver suspected it');
  const took = await sim.runUntil(() => sim.members.every((_, i) => i === 2 || sim.stateOf(i, 2) === 'alive') && victim.cluster.incarnation > before, 5000);
  t.ok(took !== undefined, `refuted and alive everywhere after ${took} ms`);
  t.ok(victim.cluster.counters.refutes >= 1, 'the victim refuted');
  await sim.run(5000);
  t.equal(deaths, 0, 'nobody declared anyone dead');
  await sim.shutdown();
});

t.test('stale and malformed input changes nothing and is counted', async (t) => {
  const sim = await formed(4);
  await sim.run(1000);
  const target = sim.members[0]!;
  const subject = sim.members[1]!;
  subject.cluster.setMeta({ role: 'new' });
  await sim.runUntil(() => target.cluster.member(subject.name)?.meta['role'] === 'new', 2000);
  const inc = target.cluster.member(subject.name)!.incarnation;
  const rogue = sim.net.attach(rogueAddress);
  const staleBefore = target.cluster.counters.staleUpdates;
  rogue.sendPacket(target.address, packet({ type: 'alive', incarnation: inc - 1, node: subject.name, host: subject.address.host, port: 7946, meta: { role: 'old' } }));
  rogue.sendPacket(target.address, packet({ type: 'dead', incarnation: inc - 1, node: subject.name, from: 'rogue' }));
  rogue.sendPacket(target.address, Buffer.from([0x01, 0x00, 0x05, 0x93, 0x01]));
  rogue.sendPacket(target.address, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  await sim.run(100);
  const seen = target.cluster.member(subject.name)!;
  t.equal(seen.state, 'alive');
  t.equal(seen.meta['role'], 'new', 'older metadata did not win');
  t.equal(target.cluster.counters.staleUpdates - staleBefore, 2, 'two stale updates counted');
  t.equal(target.cluster.counters.dropped.truncated, 1, 'the cut message counted as truncated');
  t.equal(target.cluster.counters.dropped['bad-version'], 1, 'the text counted as a bad version byte');
  await sim.shutdown();
});

t.test('a partition heals and the two halves merge again', async (t) => {
  const sim = await formed(10);
  const left = sim.members.slice(0, 5).map((m) => m.address);
  const right = sim.members.slice(5).map((m) => m.address);
  sim.net.partition([left, right]);
  const split = await sim.runUntil(() => sim.members.every((m) => m.cluster.liveMembers().length === 5), 30_000);
  t.ok(split !== undefined, `each side sees only itself after ${split} ms`);
  sim.net.heal();
  const merged = await sim.runUntil(() => sim.members.every((m) => m.cluster.liveMembers().length === 10), 60_000);
  t.ok(merged !== undefined, `merged back after ${merged} ms`);
  await sim.shutdown();
});

t.test('after a partition heals, the cut-off side\'s stale verdicts kill no one the others can reach', async (t) => {
  for (const size of [3, 10]) {
    const deathsAfterHeal: string[] = [];
    let healed = false;
    const sim = new Simulation({
      size,
      seed: 23,
      network: { minDelayMs: 0.1, maxDelayMs: 0.5 },
      onEvent: (observer, e) => {
        // m0 is the one cut off; among the rest, nobody ever lost contact.
        if (healed && e.kind === 'dead' && observer !== 'm0' && e.member.name !== 'm0') deathsAfterHeal.push(`${observer} declared ${e.member.name} dead`);
      },
    });
    await sim.start();
    await sim.runUntil(() => sim.members.every((m) => m.cluster.liveMembers().length === size), 30_000);
    sim.net.partition([[sim.members[0]!.address], sim.members.slice(1).map((m) => m.address)]);
    // m0 declares every other member dead and queues those verdicts for gossip.
    const split = await sim.runUntil(() => sim.members[0]!.cluster.liveMembers().length === 1 && sim.allSee(0, 'dead'), 30_000);
    t.ok(split !== undefined, `n=${size}: m0 and the others declared each other dead`);
    sim.net.heal();
    healed = true;
    const merged = await sim.runUntil(() => sim.members.every((m) => m.cluster.liveMembers().length === size), 60_000);
    t.ok(merged !== undefined, `n=${size}: merged back after ${merged} ms`);
    await sim.run(10_000);
    t.same(deathsAfterHeal, [], `n=${size}: m0's verdicts from its side of the partition declared none of the others dead`);
    await sim.shutdown();
  }
});

t.test('a graceful leave is seen as left, not dead', async (t) => {
  const kinds: string[] = [];
  const sim = new Simulation({ size: 6, seed: 3, onEvent: (_o, e) => e.member.name === 'm4' && kinds.push(e.kind) });
  await sim.start();
  await sim.run(2000);
  const leaving = sim.members[4]!;
  const done = leaving.cluster.leave(2000);
  await sim.run(2100);
  await done;
  await sim.kill(4);
  const took = await sim.runUntil(() => sim.allSee(4, 'left'), 5000);
  t.ok(took !== undefined, 'every member marks it left');
  await sim.run(5000);
  t.notOk(kinds.includes('dead'), 'nobody declared it dead');
  t.ok(sim.members.every((m, i) => i === 4 || m.cluster.liveMembers().length === 5));
  await sim.shutdown();
});

t.test('a restarted member rejoins under its name with a newer incarnation', async (t) => {
  const sim = await formed(5);
  await sim.kill(2);
  await sim.runUntil(() => sim.allSee(2, 'dead'), 10_000);
  const reborn = sim.addMember('m2', 2);
  reborn.cluster.start();
  const join = reborn.cluster.join([sim.members[0]!.address]);
  await sim.run(200);
  t.equal(await join, 1, 'the seed answered');
  const took = await sim.runUntil(() => sim.allSee(2, 'alive'), 10_000);
  t.ok(took !== undefined, `alive everywhere again after ${took} ms`);
  t.ok(reborn.cluster.incarnation > 0, 'it refuted its remembered death with a new incarnation');
  await sim.shutdown();
});

t.test('metadata updates are gossiped', async (t) => {
  const sim = await formed(6);
  sim.members[1]!.cluster.setMeta({ zone: 'b', version: '2' });
  const took = await sim.runUntil(() => sim.members.every((m) => m.cluster.member('m1')?.meta['zone'] === 'b'), 5000);
  t.ok(took !== undefined, `everyone has the new metadata after ${took} ms`);
  t.throws(() => sim.members[1]!.cluster.setMeta({ big: 'x'.repeat(600) }), /over the 512-byte limit/);
  await sim.shutdown();
});

t.test('with a key, unsealed and wrong-key packets are dropped and counted', async (t) => {
  const key = new Keyring([Buffer.alloc(32, 9)]);
  const sim = await formed(4, { member: { keyring: key } });
  const target = sim.members[0]!;
  const rogue = sim.net.attach(rogueAddress);
  const victim = sim.members[1]!;
  const lie = packet({ type: 'dead', incarnation: 99, node: victim.name, from: 'rogue' });
  rogue.sendPacket(target.address, lie);
  rogue.sendPacket(target.address, new Keyring([Buffer.alloc(32, 8)]).seal(lie, sim.clock.now()));
  await sim.run(100);
  t.equal(target.cluster.counters.dropped.unsealed, 1, 'plain packet dropped');
  t.equal(target.cluster.counters.dropped['decrypt-failed'], 1, 'wrong-key packet dropped');
  t.equal(sim.stateOf(0, 1), 'alive', 'the lie changed nothing');

  // A member with another key cannot join: its push-pull is refused.
  const outsiderCluster = new Cluster(
    { name: 'outsider2', advertiseHost: '203.0.113.7', advertisePort: 7946, keyring: new Keyring([Buffer.alloc(32, 1)]) },
    { transport: sim.net.attach({ host: '203.0.113.7', port: 7946 }), clock: sim.members[0]!.clock },
  );
  outsiderCluster.start();
  const joined = outsiderCluster.join([target.address]);
  await sim.run(12_000);
  t.equal(await joined, 0, 'no seed accepts a wrong-key member');
  t.notOk(target.cluster.member('outsider2'), 'it never became a member');
  await outsiderCluster.shutdown();
  await sim.shutdown();
});

t.test('keys rotate without a partition', async (t) => {
  const k1 = Buffer.alloc(32, 1);
  const k2 = Buffer.alloc(32, 2);
  const rings = Array.from({ length: 4 }, () => new Keyring([k1]));
  let i = 0;
  const sim = new Simulation({ size: 4, seed: 2, member: { get keyring() { return rings[i++]!; } } });
  await sim.start();
  await sim.run(2000);
  for (const r of rings) r.add(k2);
  await sim.run(1000);
  for (const r of rings) r.usePrimary(k2);
  await sim.run(1000);
  for (const r of rings) r.remove(k1);
  await sim.run(3000);
  t.ok(sim.members.every((m) => m.cluster.liveMembers().length === 4), 'all four still see each other');
  t.ok(sim.members.every((m) => m.cluster.counters.dropped['decrypt-failed'] === 0), 'no packet was undecryptable during rotation');
  await sim.shutdown();
});

t.test('5% packet loss for a simulated minute: no false deaths', async (t) => {
  let deaths = 0;
  const sim = new Simulation({ size: 20, seed: 8, onEvent: (_o, e) => void (e.kind === 'dead' && deaths++) });
  await sim.start();
  await sim.run(2000);
  sim.net.loss = 0.05;
  await sim.run(60_000, 100);
  t.equal(deaths, 0, 'no member was declared dead');
  await sim.shutdown();
});

t.test('a healed partition merges within about a second with the fast profile', async (t) => {
  const sim = await formed(3);
  const lone = [sim.members[0]!.address];
  const rest = sim.members.slice(1).map((m) => m.address);
  sim.net.partition([lone, rest]);
  const split = await sim.runUntil(() => sim.stateOf(0, 1) === 'dead' && sim.stateOf(0, 2) === 'dead' && sim.stateOf(1, 0) === 'dead', 30_000);
  t.ok(split !== undefined, 'each side holds the other dead');
  // Past gossip-to-the-dead, and quiet: only the reconnect tick can heal it.
  await sim.run(35_000);
  sim.net.heal();
  const merged = await sim.runUntil(() => sim.members.every((m) => m.cluster.liveMembers().length === 3), 10_000);
  t.ok(merged !== undefined && merged <= 1_500, `all three see each other alive ${merged} ms after the heal`);
  await sim.shutdown();
});

t.test('a member back from a partition does not get healthy members declared dead with its old verdicts', async (t) => {
  // The returning member still holds the others dead, and its full state says
  // so. With a round trip longer than the shortest suspicion (here 30 ms
  // against 2 x 20 ms of delay), a suspicion started from that state at the
  // minimum timeout expires before the accused's refutation comes back.
  const deaths: string[] = [];
  let watching = false;
  const sim = new Simulation({
    size: 3,
    seed: 3,
    network: { minDelayMs: 20, maxDelayMs: 20 },
    member: { profile: { ...fastProfile, name: 'slow-refute', probeTimeoutMs: 80, suspicionMult: 0.3 } },
    onEvent: (observer, e) => {
      if (watching && e.kind === 'dead') deaths.push(`${observer} declared ${e.member.name} dead`);
    },
  });
  await sim.start();
  t.ok((await sim.runUntil(() => sim.members.every((m) => m.cluster.liveMembers().length === 3), 30_000)) !== undefined, 'formed');
  sim.net.partition([[sim.members[0]!.address], sim.members.slice(1).map((m) => m.address)]);
  const split = await sim.runUntil(() => sim.stateOf(0, 1) === 'dead' && sim.stateOf(0, 2) === 'dead' && sim.stateOf(1, 0) === 'dead' && sim.stateOf(2, 0) === 'dead', 30_000);
  t.ok(split !== undefined, 'each side holds the other dead');
  // Past gossip-to-the-dead: the returning member's full state is what merges the sides.
  await sim.run(35_000);
  watching = true;
  sim.net.heal();
  const merged = await sim.runUntil(() => sim.members.every((m) => m.cluster.liveMembers().length === 3), 10_000);
  t.ok(merged !== undefined, `all three see each other alive ${merged} ms after the heal`);
  await sim.run(3_000);
  t.same(deaths, [], 'nobody was declared dead after the heal');
  await sim.shutdown();
});

t.test('a death verdict in a merged state is not gossiped on: only its receiver suspects, and the accused refutes', async (t) => {
  const suspectedBy = new Set<string>();
  let deaths = 0;
  const sim = new Simulation({
    size: 5,
    seed: 7,
    network: { minDelayMs: 0.1, maxDelayMs: 0.5 },
    onEvent: (observer, e) => {
      if (e.kind === 'dead') deaths++;
      if (e.kind === 'suspect' && e.member.name === 'm2') suspectedBy.add(observer);
    },
  });
  await sim.start();
  t.ok((await sim.runUntil(() => sim.members.every((m) => m.cluster.liveMembers().length === 5), 30_000)) !== undefined, 'formed');
  const victim = sim.members[2]!;
  const before = victim.cluster.incarnation;
  const v = sim.members[0]!.cluster.member(victim.name)!;
  const rogue = sim.net.attach(rogueAddress);
  const state = encodeStreamMessage({
    type: 'push-pull',
    join: false,
    members: [{ name: victim.name, host: v.address.host, port: v.address.port, incarnation: before, state: 'dead', meta: v.meta }],
  });
  // The exchange runs on the virtual clock: it completes as the simulation runs.
  const reply = rogue.exchange(sim.members[0]!.address, state, 1000);
  await sim.run(5, 1);
  await reply;
  t.same([...suspectedBy], ['m0'], 'the receiver suspected it');
  const took = await sim.runUntil(() => sim.members.every((_, i) => i === 2 || sim.stateOf(i, 2) === 'alive') && victim.cluster.incarnation > before, 5000);
  t.ok(took !== undefined, `refuted and alive everywhere after ${took} ms`);
  t.same([...suspectedBy], ['m0'], 'no other member suspected it');
  t.equal(deaths, 0, 'nobody declared anyone dead');
  await sim.shutdown();
});

t.test('a death verdict about a member that answered our last probe is old news: only a suspicion, which the member refutes', async (t) => {
  // A live member's queued verdict, reached while it was cut off, can arrive
  // after it is back. suspicionMult 4 makes the minimum timeout (400 ms)
  // longer than the time between two probes of the same member (200 ms at n=3).
  const events: string[] = [];
  const sim = new Simulation({
    size: 3,
    seed: 9,
    network: { minDelayMs: 0.1, maxDelayMs: 0.5 },
    member: { profile: { ...fastProfile, name: 'long-suspicion', suspicionMult: 4 } },
    onEvent: (observer, e) => {
      if (e.kind === 'dead' || e.kind === 'suspect') events.push(`${observer}: ${e.member.name} ${e.kind}`);
    },
  });
  await sim.start();
  t.ok((await sim.runUntil(() => sim.members.every((m) => m.cluster.liveMembers().length === 3), 30_000)) !== undefined, 'formed');
  await sim.run(1000);
  const [receiver, accused] = [sim.members[1]!, sim.members[2]!];
  const before = accused.cluster.incarnation;
  sim.net.inject(sim.members[0]!.address, receiver.address, packet({ type: 'dead', incarnation: before, node: accused.name, from: 'm0' }));
  await sim.run(5, 1);
  t.same(events, ['m1: m2 suspect'], 'the receiver suspects it rather than declaring it dead');
  const took = await sim.runUntil(() => sim.members.every((_, i) => i === 2 || sim.stateOf(i, 2) === 'alive') && accused.cluster.incarnation > before, 5000);
  t.ok(took !== undefined, `refuted and alive everywhere after ${took} ms`);
  t.same(events, ['m1: m2 suspect'], 'nobody else suspected it, nobody declared it dead');
  await sim.shutdown();
});

t.test('a member alone with seeds that never answer keeps one retry going, not one more per reconnect tick', async (t) => {
  const sim = new Simulation({ size: 1, seed: 4, member: { profile: fastProfile } });
  const lone = sim.members[0]!;
  lone.cluster.start();
  // Nothing is attached at this address: every push-pull to it fails.
  void lone.cluster.join([{ host: '203.0.113.9', port: 7946 }]);
  const tick = fastProfile.reconnectIntervalMs;
  // Attempts in flight, each with its exchange timeout, keep a few dozen
  // timers pending at any moment; that number must not grow.
  await sim.run(50 * tick);
  const early = sim.clock.pending;
  await sim.run(200 * tick);
  const late = sim.clock.pending;
  t.equal(lone.cluster.liveMembers().length, 1, 'still alone');
  // A reconnect tick that overwrote the pending retry's handle left that
  // retry rescheduling itself for ever: one more timer (and one more
  // push-pull a second) per tick, about 200 more here.
  t.ok(late < early + 20, `pending timers stay bounded over 200 reconnect ticks (${early} after 50, ${late} after 250)`);
  await sim.shutdown();
});
