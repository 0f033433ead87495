// The layer-2 guard on a simulated gossip cluster (virtual clock, in-memory
// network): a starting speaker announces nothing until it has joined, or
// until the lone-node timeout when no seed answers; a member whose link went
// down and came back claims nothing it took while cut off, holds the
// returning link, and announces its own share again once it has heard from
// the others; and the owners re-assert what a returning member could have
// claimed.
import { Registry } from 'prom-client';
import t from 'tap';
import type { Announcer, L2DesiredState } from '../../src/announce/l2/index.js';
import { Simulation, type SimMember } from '../../dev/gossip-sim/simulation.js';
import { parseFileConfig } from '../../src/speaker/file-config.js';
import { FileWorld, labelsToMeta } from '../../src/speaker/file-world.js';
import { Layer2Guard } from '../../src/speaker/layer2-guard.js';
import { ReassertOnReturn } from '../../src/speaker/reassert-on-return.js';
import { Speaker } from '../../src/speaker/speaker.js';
import { LONE_NODE_TIMEOUT_MS } from '../../src/speaker/view-freshness.js';
import { silentLogger } from '../../src/util/log.js';

/** The announcer's side of the guard, recorded with virtual times. */
class RecordingAnnouncer {
  current: ReadonlySet<string> = new Set();
  readonly history: { at: number; ips: ReadonlySet<string> }[] = [];
  readonly calls: string[] = [];
  readonly reasserted: string[][] = [];

  constructor(private readonly now: () => number) {}

  set(d: L2DesiredState): void {
    this.current = new Set(d.keys());
    this.history.push({ at: this.now(), ips: this.current });
  }
  holdLink(name: string): void {
    this.calls.push(`hold ${name}`);
  }
  releaseLinks(): void {
    this.calls.push(`release [${[...this.current].sort().join(' ')}]`);
  }
  readonly reassertRounds: (readonly number[] | undefined)[] = [];
  reassert(ips: Iterable<string>, delaysMs?: readonly number[]): void {
    this.reasserted.push([...ips].sort());
    this.reassertRounds.push(delaysMs);
  }
  /** Every address it was ever asked to announce. */
  everAnnounced(): Set<string> {
    return new Set(this.history.flatMap((h) => [...h.ips]));
  }
}

const VIPS = ['192.0.2.100', '192.0.2.101', '192.0.2.102', '192.0.2.103', '192.0.2.104', '192.0.2.105', '2001:db8::100', '2001:db8::101'];

interface Node {
  m: SimMember;
  l2: RecordingAnnouncer;
  speaker: Speaker;
  guard: Layer2Guard;
}

interface Setup {
  vips?: { address: string; nodeSelectors?: object[] }[];
  labels?: (i: number) => Record<string, string>;
  /** Seeds each member joins through; default every member. */
  seeds?: (sim: Simulation, i: number) => SimMember[];
}

function build(size: number, o: Setup = {}): { sim: Simulation; nodes: Node[] } {
  const sim = new Simulation({ size, seed: 7, network: { minDelayMs: 0.1, maxDelayMs: 0.5 } });
  const nodes = sim.members.map((m, i) => {
    const labels = o.labels?.(i) ?? {};
    const file = parseFileConfig({ node: m.name, labels, vips: o.vips ?? VIPS.map((address) => ({ address })) }, { hostname: m.name });
    if (!file.ok) throw new Error(JSON.stringify(file.errors));
    if (Object.keys(labels).length) m.cluster.setMeta(labelsToMeta(labels));
    const l2 = new RecordingAnnouncer(() => sim.clock.now());
    const world = new FileWorld(file.config, m.address.host, (n) => m.cluster.member(n)?.meta);
    const speaker = new Speaker({ node: m.name, cluster: m.cluster, world, clock: m.clock, logger: silentLogger, registry: new Registry(), l2: l2 as unknown as Announcer });
    const seeds = (o.seeds?.(sim, i) ?? sim.members).map((s) => s.address);
    const guard = new Layer2Guard({ node: m.name, self: m.address, clock: m.clock, logger: silentLogger, cluster: m.cluster, speaker, l2, seeds: () => seeds });
    return { m, l2, speaker, guard };
  });
  return { sim, nodes };
}

/** Starts members the way the assembly does: gossip, guard (joins), election. */
function start(n: Node): void {
  n.m.cluster.start();
  n.guard.start();
  n.speaker.start();
}

/** What the election on a converged cluster gives each member. */
function shares(nodes: Node[]): Map<string, Set<string>> {
  return new Map(nodes.map((n) => [n.m.name, new Set(n.l2.current)]));
}

async function stopAll(sim: Simulation, nodes: Node[]): Promise<void> {
  for (const n of nodes) {
    n.speaker.stop();
    n.guard.stop();
  }
  await sim.shutdown();
}

t.test('join then announce: nothing until a seed answers, then its share only', async (t) => {
  const { sim, nodes } = build(3);
  for (const n of nodes) start(n);
  await sim.run(10);
  t.ok(nodes.every((n) => n.l2.current.size < VIPS.length), 'no speaker announces every VIP while joining');
  const released = await sim.runUntil(() => nodes.every((n) => !n.guard.held), 1000);
  t.ok(released !== undefined && released < 1000, `every speaker released once its join was answered (${released} ms of virtual time)`);
  await sim.run(500);
  const owners = new Map<string, string[]>();
  for (const n of nodes) for (const ip of n.l2.current) owners.set(ip, [...(owners.get(ip) ?? []), n.m.name]);
  t.same([...owners.keys()].sort(), [...VIPS].sort(), 'every VIP announced');
  t.ok([...owners.values()].every((o) => o.length === 1), 'by one member each');
  for (const n of nodes) {
    t.ok(n.l2.history.every((h) => h.ips.size < VIPS.length), `${n.m.name} never announced every VIP`);
  }
  await stopAll(sim, nodes);
});

t.test('no seed answers: held for the lone-node timeout, then announces alone', async (t) => {
  const { sim, nodes } = build(3);
  const [lonely, ...rest] = nodes as [Node, ...Node[]];
  sim.net.partition([[lonely.m.address], rest.map((n) => n.m.address)]);
  for (const n of nodes) start(n);
  await sim.run(LONE_NODE_TIMEOUT_MS - 100);
  t.ok(lonely.guard.held, 'still held just before the timeout');
  t.same(lonely.l2.everAnnounced(), new Set(), 'announced nothing meanwhile');
  t.ok(rest.every((n) => !n.guard.held), 'the others joined each other and announce');
  await sim.run(200);
  t.notOk(lonely.guard.held, 'released at the timeout');
  t.same([...lonely.l2.current].sort(), [...VIPS].sort(), 'alone, it announces every VIP (it may be the first speaker of the cluster)');
  await stopAll(sim, nodes);
});

t.test('a speaker whose only seed is itself announces at once', async (t) => {
  const { sim, nodes } = build(1, { seeds: (s) => [s.members[0]!] });
  start(nodes[0]!);
  await sim.run(10);
  t.notOk(nodes[0]!.guard.held);
  t.same([...nodes[0]!.l2.current].sort(), [...VIPS].sort());
  await stopAll(sim, nodes);
});

/** Three joined members, settled; `cut` is the one whose link will go. */
async function settled(): Promise<{ sim: Simulation; nodes: Node[]; cut: Node; others: Node[]; share: Map<string, Set<string>> }> {
  const { sim, nodes } = build(3);
  for (const n of nodes) start(n);
  await sim.run(1500);
  const cut = nodes[1]!;
  return { sim, nodes, cut, others: nodes.filter((n) => n !== cut), share: shares(nodes) };
}

t.test('a link back from an outage: nothing taken while cut off is announced, the link is held until the others are heard', async (t) => {
  const { sim, nodes, cut, others, share } = await settled();
  const mine = share.get(cut.m.name)!;
  t.ok(mine.size > 0 && mine.size < VIPS.length, `${cut.m.name} owns ${mine.size} of the VIPs`);
  cut.l2.calls.length = 0;

  cut.guard.link('eth0', false);
  sim.net.partition([[cut.m.address], others.map((n) => n.m.address)]);
  const alone = await sim.runUntil(() => others.every((o) => sim.stateOf(nodes.indexOf(cut), nodes.indexOf(o)) === 'dead'), 5000);
  t.ok(alone !== undefined, 'cut off, it sees both others die');
  await sim.run(100);
  t.equal(cut.speaker.result?.decisions.get('192.0.2.100')?.owner, cut.m.name, 'its election now gives it everything');
  t.ok(cut.guard.held, 'held: it lost every other member at once');
  t.same(cut.l2.current, mine, 'it keeps announcing its own share, and nothing else');
  t.ok(
    [...mine].every((ip) => others.some((o) => o.l2.current.has(ip))),
    'meanwhile the others took its share over',
  );

  // The link is back: from now on the wire hears whatever it announces.
  const returned = cut.l2.history.length;
  sim.net.heal();
  cut.guard.link('eth0', true);
  t.same(cut.l2.calls, ['hold eth0'], 'the returning link is held at once');
  const fresh = await sim.runUntil(() => !cut.guard.held, 2000);
  t.ok(fresh !== undefined && fresh < 1000, `released once the others were heard (${fresh} ms of virtual time)`);
  t.same(cut.l2.calls, ['hold eth0', `release [${[...mine].sort().join(' ')}]`], 'the link is released after the election gave it its own share back');
  await sim.run(500);
  t.same(cut.l2.current, mine, 'its share again');
  t.ok(
    cut.l2.history.slice(returned).every((h) => [...h.ips].every((ip) => mine.has(ip))),
    'from the return on it never announced an address it did not own before the cut',
  );
  for (const o of others) t.same(o.l2.current, share.get(o.m.name), `${o.m.name} is back to its own share`);
  await stopAll(sim, nodes);
});

t.test('after a link return the hold ends at the lone-node timeout when the others stay unreachable', async (t) => {
  const { sim, nodes, cut, others, share } = await settled();
  cut.guard.link('eth0', false);
  sim.net.partition([[cut.m.address], others.map((n) => n.m.address)]);
  await sim.run(3000);
  cut.guard.link('eth0', true);
  const returned = sim.clock.now();
  await sim.run(LONE_NODE_TIMEOUT_MS - 100);
  t.ok(cut.guard.held, 'still held just before the timeout');
  t.same(cut.l2.current, share.get(cut.m.name), 'only its own share');
  await sim.runUntil(() => !cut.guard.held, 1000);
  t.ok(sim.clock.now() - returned >= LONE_NODE_TIMEOUT_MS, 'released at the lone-node timeout after the return');
  t.same([...cut.l2.current].sort(), [...VIPS].sort(), 'then it announces on its own view');
  t.equal(cut.l2.calls.at(-1)?.startsWith('release'), true, 'and the link is released');
  await stopAll(sim, nodes);
});

t.test('two members: the death of the only peer is an ordinary failover, not a hold', async (t) => {
  const { sim, nodes } = build(2);
  for (const n of nodes) start(n);
  await sim.run(1500);
  const [survivor, victim] = nodes as [Node, Node];
  await sim.kill(1);
  victim.speaker.stop();
  const took = await sim.runUntil(() => survivor.l2.current.size === VIPS.length, LONE_NODE_TIMEOUT_MS);
  t.ok(took !== undefined && took < 3000, `the survivor announces every VIP ${took} ms after the kill`);
  t.notOk(survivor.guard.held);
  await stopAll(sim, nodes);
});

t.test('owners send a heal burst for what a returning member could have claimed, once', async (t) => {
  // m2 may announce only the rack-a VIPs; the others may announce all.
  const rackA = ['192.0.2.100', '192.0.2.101', '192.0.2.102', '2001:db8::100'];
  const vips = VIPS.map((address) => (rackA.includes(address) ? { address } : { address, nodeSelectors: [{ matchLabels: { rack: 'b' } }] }));
  const { sim, nodes } = build(3, { vips, labels: (i) => ({ rack: i === 2 ? 'a' : 'b' }) });
  const reassert = nodes.map((n) => new ReassertOnReturn({ node: n.m.name, cluster: n.m.cluster, speaker: n.speaker, l2: n.l2, logger: silentLogger, burstMs: [0, 500, 2000] }));
  nodes.forEach((n, i) => {
    start(n);
    reassert[i]!.start();
  });
  await sim.run(1500);
  const before = shares(nodes);
  const back = nodes[2]!;
  sim.net.partition([[back.m.address], [nodes[0]!.m.address, nodes[1]!.m.address]]);
  await sim.runUntil(() => sim.allSee(2, 'dead'), 5000);
  for (const n of nodes.slice(0, 2)) n.l2.reasserted.length = 0;
  sim.net.heal();
  await sim.runUntil(() => sim.stateOf(0, 2) === 'alive' && sim.stateOf(1, 2) === 'alive', 5000);
  await sim.run(100);
  for (const n of nodes.slice(0, 2)) {
    const expected = [...n.l2.current].filter((ip) => rackA.includes(ip)).sort();
    t.same(n.l2.current, before.get(n.m.name), `${n.m.name} owns what it owned before`);
    t.same(n.l2.reasserted, expected.length ? [expected] : [], `${n.m.name} re-asserted once exactly its addresses ${back.m.name} is eligible for`);
    t.same(n.l2.reassertRounds, expected.length ? [[0, 500, 2000]] : [], `${n.m.name}: in the heal burst's rounds`);
  }
  for (const r of reassert) r.stop();
  await stopAll(sim, nodes);
});
