// The speaker core on a simulated gossip cluster: each member's speaker
// announces exactly the VIPs the election gives it, moves them when a member
// dies, and holds layer 2 until it has joined.
import { Registry } from 'prom-client';
import t from 'tap';
import type { L2DesiredState } from '../../src/announce/l2/index.js';
import type { Announcer } from '../../src/announce/l2/index.js';
import { Simulation } from '../../dev/gossip-sim/simulation.js';
import { parseFileConfig } from '../../src/speaker/file-config.js';
import { FileWorld } from '../../src/speaker/file-world.js';
import { Speaker, type LocalOwnershipChange } from '../../src/speaker/speaker.js';
import { silentLogger } from '../../src/util/log.js';

class RecordingAnnouncer {
  current: L2DesiredState = new Map();
  set(d: L2DesiredState): void {
    this.current = new Map(d);
  }
}

const vips = ['192.0.2.100', '192.0.2.101', '192.0.2.102', '192.0.2.103', '2001:db8::100', '2001:db8::101'];

async function cluster(size: number) {
  const sim = new Simulation({ size, seed: 4, network: { minDelayMs: 0.1, maxDelayMs: 0.5 } });
  const l2s: RecordingAnnouncer[] = [];
  const speakers: Speaker[] = [];
  const changes: LocalOwnershipChange[] = [];
  for (const m of sim.members) {
    const file = parseFileConfig({ node: m.name, vips: vips.map((address) => ({ address })) }, { hostname: m.name });
    if (!file.ok) throw new Error('fixture');
    const l2 = new RecordingAnnouncer();
    const world = new FileWorld(file.config, m.address.host, (n) => m.cluster.member(n)?.meta);
    const sp = new Speaker({
      node: m.name,
      cluster: m.cluster,
      world,
      clock: m.clock,
      logger: silentLogger,
      registry: new Registry(),
      l2: l2 as unknown as Announcer,
      onLocalChange: (c) => changes.push(c),
    });
    l2s.push(l2);
    speakers.push(sp);
  }
  return { sim, l2s, speakers, changes };
}

const owners = (l2s: RecordingAnnouncer[], alive: (i: number) => boolean): Map<string, number[]> => {
  const out = new Map<string, number[]>();
  l2s.forEach((l2, i) => {
    if (!alive(i)) return;
    for (const ip of l2.current.keys()) out.set(ip, [...(out.get(ip) ?? []), i]);
  });
  return out;
};

t.test('every VIP is announced by exactly one member, and moves only when its owner dies', async (t) => {
  const { sim, l2s, speakers, changes } = await cluster(5);
  for (const sp of speakers) sp.start();
  await sim.start();
  await sim.run(2000);
  const before = owners(l2s, () => true);
  t.same([...before.keys()].sort(), [...vips].sort(), 'every VIP has an owner');
  t.ok([...before.values()].every((o) => o.length === 1), 'each exactly one');
  const victim = before.get('192.0.2.100')![0]!;
  await sim.kill(victim);
  await sim.runUntil(() => sim.allSee(victim, 'dead'), 5000);
  await sim.run(100);
  const after = owners(l2s, (i) => i !== victim);
  t.same([...after.keys()].sort(), [...vips].sort(), 'still every VIP announced');
  t.ok([...after.values()].every((o) => o.length === 1), 'still exactly one each');
  for (const ip of vips) {
    if (before.get(ip)![0] !== victim) t.same(after.get(ip), before.get(ip), `${ip} stayed where it was`);
  }
  t.ok(changes.some((c) => c.ip === '192.0.2.100' && c.taken && c.from === sim.members[victim]!.name), 'the new owner was told it takes over from the dead member');
  for (const sp of speakers) sp.stop();
  await sim.shutdown();
});

t.test('a held speaker computes but announces nothing', async (t) => {
  const { sim, l2s, speakers } = await cluster(3);
  speakers[0]!.restrictLayer2(new Set());
  for (const sp of speakers) sp.start();
  await sim.start();
  await sim.run(1000);
  t.equal(l2s[0]!.current.size, 0, 'nothing announced while held');
  t.ok(speakers[0]!.result && speakers[0]!.result.decisions.size === vips.length, 'the election still ran (status shows it)');
  speakers[0]!.restrictLayer2(undefined);
  await sim.run(10);
  t.same(
    [...l2s[0]!.current.keys()].sort(),
    [...speakers[0]!.result!.decisions.values()].filter((d) => d.owner === 'm0').map((d) => d.ip).sort(),
    'released: it announces what the election gave it',
  );
  for (const sp of speakers) sp.stop();
  await sim.shutdown();
});

t.test('restricted, a speaker announces only the kept addresses it owns, and reports changes once lifted', async (t) => {
  const { sim, l2s, speakers, changes } = await cluster(3);
  for (const sp of speakers) sp.start();
  await sim.start();
  await sim.run(1000);
  const mine = [...l2s[0]!.current.keys()];
  t.ok(mine.length > 0, 'm0 owns some VIPs');
  t.same([...speakers[0]!.announced()].sort(), [...mine].sort(), 'announced() is what layer 2 was given');
  const kept = new Set([mine[0]!, '192.0.2.250']);
  const seen: number[] = [];
  speakers[0]!.onReconcile((r) => seen.push(r.announced.size));
  changes.length = 0;
  speakers[0]!.restrictLayer2(kept);
  await sim.kill(1);
  await sim.runUntil(() => sim.allSee(1, 'dead'), 5000);
  await sim.run(100);
  t.ok([...speakers[0]!.result!.decisions.values()].filter((d) => d.owner === 'm0').length > mine.length, 'the election gave m0 more');
  t.same([...l2s[0]!.current.keys()], [mine[0]], 'it announces the one kept address it owns, nothing new');
  t.same(changes.filter((c) => c.to === 'm0' || c.from === 'm0'), [], 'no ownership change reported while restricted');
  t.ok(seen.length > 0 && seen.every((n) => n === 1), 'observers see each reconcile and what was announced');
  speakers[0]!.restrictLayer2(undefined);
  await sim.run(10);
  t.ok(l2s[0]!.current.size > mine.length, 'lifted: everything the election gives it');
  t.ok(changes.some((c) => c.to === 'm0' && c.taken), 'and the takeovers are reported');
  for (const sp of speakers) sp.stop();
  await sim.shutdown();
});
