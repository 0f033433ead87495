// Delayed failback and the quorum on a simulated gossip cluster (virtual
// clock, in-memory network), with the speaker, the layer-2 guard and the
// warm-up wired as the assembly wires them:
// - a member that comes back (restart) takes nothing back before its
//   warm-up is over, the others keep announcing meanwhile, and it takes its
//   share back after;
// - a flapping member drags its addresses back at most once per warm-up;
// - with the quorum, a member cut off from the majority keeps what it
//   announces and takes nothing new, even past the lone-node timeout, while
//   the majority takes its share over; without it, one survivor of three
//   serves everything.
import { Registry } from 'prom-client';
import t from 'tap';
import type { Announcer, L2DesiredState } from '../../src/announce/l2/index.js';
import { Simulation, type SimMember } from '../../dev/gossip-sim/simulation.js';
import { parseFileConfig } from '../../src/speaker/file-config.js';
import { FileWorld } from '../../src/speaker/file-world.js';
import { Layer2Guard } from '../../src/speaker/layer2-guard.js';
import { Speaker } from '../../src/speaker/speaker.js';
import { LONE_NODE_TIMEOUT_MS } from '../../src/speaker/view-freshness.js';
import { MemberMeta } from '../../src/speaker/member-meta.js';
import { FailbackWarmUp } from '../../src/speaker/warm-up.js';
import { silentLogger } from '../../src/util/log.js';

class RecordingAnnouncer {
  current: ReadonlySet<string> = new Set();
  readonly history: { at: number; ips: ReadonlySet<string> }[] = [];
  constructor(private readonly now: () => number) {}
  set(d: L2DesiredState): void {
    this.current = new Set(d.keys());
    this.history.push({ at: this.now(), ips: this.current });
  }
  holdLink(): void {}
  releaseLinks(): void {}
  everAnnounced(): Set<string> {
    return new Set(this.history.flatMap((h) => [...h.ips]));
  }
}

const VIPS = ['192.0.2.100', '192.0.2.101', '192.0.2.102', '192.0.2.103', '192.0.2.104', '192.0.2.105', '2001:db8::100', '2001:db8::101'];
const WARM_UP_MS = 10_000;

interface Node {
  m: SimMember;
  l2: RecordingAnnouncer;
  speaker: Speaker;
  guard: Layer2Guard;
  warmUp: FailbackWarmUp;
}

interface Options {
  failbackDelayMs?: number;
  quorum?: boolean;
  forgetAfterMs?: number;
}

/** One member's speaker parts, wired as SpeakerAssembly wires them, and started. */
function startNode(sim: Simulation, m: SimMember, o: Options): Node {
  const delay = o.failbackDelayMs ?? WARM_UP_MS;
  const file = parseFileConfig({ node: m.name, vips: VIPS.map((address) => ({ address })) }, { hostname: m.name });
  if (!file.ok) throw new Error(JSON.stringify(file.errors));
  const meta = new MemberMeta(m.cluster, FailbackWarmUp.startMeta(m.cluster.member(m.name)!.meta, delay));
  m.cluster.setMeta(meta.current());
  const l2 = new RecordingAnnouncer(() => sim.clock.now());
  const world = new FileWorld(file.config, m.address.host, (n) => m.cluster.member(n)?.meta);
  const others = sim.members.filter((x) => x.name !== m.name).length;
  const speaker = new Speaker({
    node: m.name,
    cluster: m.cluster,
    world,
    clock: m.clock,
    logger: silentLogger,
    registry: new Registry(),
    l2: l2 as unknown as Announcer,
    ...(o.quorum ? { quorum: { expected: () => others, ...(o.forgetAfterMs ? { forgetAfterMs: o.forgetAfterMs } : {}) } } : {}),
  });
  const warmUp = new FailbackWarmUp({ delayMs: delay, clock: m.clock, logger: silentLogger, meta });
  const seeds = sim.members.map((s) => s.address);
  const guard = new Layer2Guard({ node: m.name, self: m.address, clock: m.clock, logger: silentLogger, cluster: m.cluster, speaker, l2, seeds: () => seeds, onHold: (h) => warmUp.guarded(h) });
  m.cluster.start();
  guard.start();
  speaker.start();
  return { m, l2, speaker, guard, warmUp };
}

function stopNode(n: Node): void {
  n.speaker.stop();
  n.guard.stop();
  n.warmUp.stop();
}

/** A cluster whose members all joined and warmed up. */
async function warm(size: number, o: Options = {}): Promise<{ sim: Simulation; nodes: Node[] }> {
  const sim = new Simulation({ size, seed: 9, network: { minDelayMs: 0.1, maxDelayMs: 0.5 } });
  const nodes = sim.members.map((m) => startNode(sim, m, o));
  const ready = await sim.runUntil(() => nodes.every((n) => n.warmUp.ready && sim.members.every((x) => x.cluster.member(n.m.name)?.meta['ready'] === '1')), 60_000);
  if (ready === undefined) throw new Error('the cluster did not warm up');
  await sim.run(500);
  return { sim, nodes };
}

/** Address -> the running members announcing it. */
function answerers(nodes: Node[]): Map<string, string[]> {
  const out = new Map<string, string[]>(VIPS.map((ip) => [ip, []]));
  for (const n of nodes) if (n.m.alive) for (const ip of n.l2.current) out.get(ip)!.push(n.m.name);
  return out;
}

const oneEach = (nodes: Node[]): boolean => [...answerers(nodes).values()].every((a) => a.length === 1);

async function stopAll(sim: Simulation, nodes: Node[]): Promise<void> {
  for (const n of nodes) stopNode(n);
  await sim.shutdown();
}

t.test('a restarted member takes its addresses back only after its warm-up; the others announce them meanwhile', async (t) => {
  const { sim, nodes } = await warm(3);
  t.ok(oneEach(nodes), 'warmed up: one answerer per address');
  const back = nodes[1]!;
  const share = new Set(back.l2.current);
  t.ok(share.size > 0 && share.size < VIPS.length, `${back.m.name} owns ${share.size} addresses`);

  await sim.kill(1);
  stopNode(back);
  await sim.runUntil(() => sim.allSee(1, 'dead'), 10_000);
  await sim.run(200);
  t.ok(oneEach(nodes), 'the others took its share over');

  const m = sim.addMember(back.m.name, 1);
  const again = startNode(sim, m, {});
  nodes[1] = again;
  const joined = await sim.runUntil(() => sim.allSee(1, 'alive') && !again.guard.held, 5000);
  t.ok(joined !== undefined, `it joined and its view is fresh (${joined} ms)`);
  // The view turned fresh within the last step of runUntil: the warm-up says exactly when it ends.
  const readyAt = sim.clock.now() + (again.warmUp.status().readyInMs ?? NaN);
  t.ok(readyAt - sim.clock.now() > WARM_UP_MS - 100, `its warm-up began when its view turned fresh (${Math.round(readyAt - sim.clock.now())} ms left)`);
  t.equal(sim.members[0]!.cluster.member(m.name)?.meta['ready'], '0', 'the others see it not ready');
  await sim.run(WARM_UP_MS - 500);
  t.same(again.l2.everAnnounced(), new Set(), 'during the warm-up it announced nothing');
  t.ok(oneEach(nodes), 'and every address kept exactly one answerer among the others');
  const explained = nodes[0]!.speaker.election.explain([...share][0]!, nodes[0]!.speaker.inputs!)!;
  t.match(
    explained.ring.find((c) => c.member === m.name),
    { verdict: 'skipped', reasons: [{ code: 'not-ready' }] },
    '/status/ip explains it is skipped as not ready',
  );

  const took = await sim.runUntil(() => again.l2.current.size === share.size, 5000);
  t.ok(took !== undefined, 'after the warm-up it takes its share back');
  t.ok(sim.clock.now() >= readyAt, `not before the warm-up was over (${Math.round(sim.clock.now() - readyAt)} ms after)`);
  t.same(again.l2.current, share, 'the same share as before the restart');
  await sim.run(200);
  t.ok(oneEach(nodes), 'one answerer per address');
  await stopAll(sim, nodes);
});

/** How many times `n` started announcing `ip` (a move to it). */
const gains = (n: Node, ip: string, from = 0): number => {
  let count = 0;
  let had = false;
  for (const h of n.l2.history) {
    const has = h.ips.has(ip);
    if (h.at >= from && has && !had) count++;
    had = has;
  }
  return count;
};

t.test('a flapping member drags its addresses back at most once per warm-up', async (t) => {
  const { sim, nodes } = await warm(3);
  const flapper = nodes[1]!;
  const others = nodes.filter((n) => n !== flapper);
  const ip = [...flapper.l2.current][0]!;
  const start = sim.clock.now();
  const cuts: number[] = [];
  // Cut off until both sides declare the other dead, then healed for 3 s: a
  // flap period well under the warm-up.
  for (let i = 0; i < 5; i++) {
    sim.net.partition([[flapper.m.address], others.map((o) => o.m.address)]);
    cuts.push(sim.clock.now());
    const lost = await sim.runUntil(() => sim.allSee(1, 'dead') && others.every((o) => sim.stateOf(1, nodes.indexOf(o)) === 'dead'), 10_000);
    if (lost === undefined) throw new Error('the cut was not noticed');
    sim.net.heal();
    await sim.run(3000);
    t.notOk(flapper.l2.current.has(ip), `flap ${i + 1}: healed 3 s ago, ${ip} stays with the others`);
    t.equal(others.filter((o) => o.l2.current.has(ip)).length, 1, `flap ${i + 1}: one of the others announces it`);
  }
  const lastHeal = sim.clock.now() - 3000;
  t.equal(gains(flapper, ip, start), 0, 'no move back during the flapping');
  const back = await sim.runUntil(() => flapper.l2.current.has(ip), WARM_UP_MS + 5000);
  t.ok(back !== undefined && sim.clock.now() - lastHeal >= WARM_UP_MS, `back to the flapper once, a warm-up after the last heal (${sim.clock.now() - lastHeal} ms)`);
  await sim.run(500);
  t.equal(gains(flapper, ip, start), 1, 'one move back in all');
  t.ok(oneEach(nodes), 'one answerer per address at the end');
  await stopAll(sim, nodes);
});

t.test('a warm-up of 0: a returning member takes its addresses back at once (the behaviour before the flag)', async (t) => {
  const { sim, nodes } = await warm(3, { failbackDelayMs: 0 });
  const flapper = nodes[1]!;
  const ip = [...flapper.l2.current][0]!;
  const others = nodes.filter((n) => n !== flapper);
  sim.net.partition([[flapper.m.address], others.map((o) => o.m.address)]);
  await sim.runUntil(() => sim.allSee(1, 'dead'), 10_000);
  sim.net.heal();
  const back = await sim.runUntil(() => flapper.l2.current.has(ip) && others.every((o) => !o.l2.current.has(ip)), 5000);
  t.ok(back !== undefined && back < 3000, `back within ${back} ms of the heal`);
  await stopAll(sim, nodes);
});

t.test('quorum: the member cut off keeps what it announces and takes nothing new; the majority takes its share over', async (t) => {
  const { sim, nodes } = await warm(3, { quorum: true });
  const cut = nodes[1]!;
  const others = nodes.filter((n) => n !== cut);
  const share = new Set(cut.l2.current);
  sim.net.partition([[cut.m.address], others.map((o) => o.m.address)]);
  // While it still sees one of the two, it has its majority and may take
  // over the other's share, as any member would (the guard's hold then
  // takes that back); from the loss of the majority on it takes nothing.
  const lost = await sim.runUntil(() => cut.speaker.quorum()?.majority === false, 10_000);
  t.ok(lost !== undefined, `it sees itself without a majority ${lost} ms after the cut`);
  const since = sim.clock.now();
  await sim.runUntil(() => sim.allSee(1, 'dead'), 10_000);
  await sim.run(LONE_NODE_TIMEOUT_MS + 2000);
  t.notOk(cut.guard.held, 'past the lone-node timeout: the guard no longer holds it');
  t.same(cut.speaker.quorum(), { live: 1, known: 3, majority: false, nextForget: cut.speaker.quorum()!.nextForget }, 'it sees 1 of 3');
  t.same(cut.l2.current, share, 'it keeps its own share, and nothing else');
  t.ok(
    cut.l2.history.filter((h) => h.at >= since).every((h) => [...h.ips].every((ip) => share.has(ip))),
    'from then on it never announced an address beyond its own share',
  );
  t.same(new Set(others.flatMap((o) => [...o.l2.current])), new Set(VIPS), 'the majority serves every address');
  t.ok(others.every((o) => o.speaker.quorum()?.majority), 'the majority has its quorum');
  sim.net.heal();
  await sim.runUntil(() => oneEach(nodes) && cut.l2.current.size === share.size, WARM_UP_MS + 10_000);
  t.ok(oneEach(nodes), 'healed, then warmed up: one answerer per address');
  t.ok(cut.speaker.quorum()?.majority, 'and the quorum back');
  await stopAll(sim, nodes);
});

t.test('without quorum, the member cut off announces every address past the lone-node timeout (for comparison)', async (t) => {
  const { sim, nodes } = await warm(3);
  const cut = nodes[1]!;
  sim.net.partition([[cut.m.address], nodes.filter((n) => n !== cut).map((o) => o.m.address)]);
  await sim.runUntil(() => sim.allSee(1, 'dead'), 10_000);
  await sim.run(LONE_NODE_TIMEOUT_MS + 2000);
  t.equal(cut.speaker.quorum(), undefined, 'the setting is off');
  t.same(cut.l2.current, new Set(VIPS));
  await stopAll(sim, nodes);
});

t.test('two of three dead: the survivor serves everything without quorum; with it, only what it held until the dead are forgotten', async (t) => {
  for (const quorum of [false, true]) {
    const forgetAfterMs = 60_000;
    const { sim, nodes } = await warm(3, { quorum, forgetAfterMs });
    const survivor = nodes[0]!;
    const held = new Set(survivor.l2.current);
    for (const i of [1, 2]) {
      await sim.kill(i);
      stopNode(nodes[i]!);
    }
    const killed = sim.clock.now();
    await sim.runUntil(() => sim.stateOf(0, 1) === 'dead' && sim.stateOf(0, 2) === 'dead', 10_000);
    await sim.run(LONE_NODE_TIMEOUT_MS + 2000);
    if (!quorum) {
      t.same(survivor.l2.current, new Set(VIPS), 'without quorum: every address, from the one survivor');
    } else {
      t.same(survivor.l2.current, held, 'with quorum: only what it held');
      const all = await sim.runUntil(() => survivor.l2.current.size === VIPS.length, forgetAfterMs + 10_000, 100);
      t.ok(all !== undefined && sim.clock.now() - killed >= forgetAfterMs, `every address once the dead are forgotten (${Math.round((sim.clock.now() - killed) / 1000)} s after the kill)`);
    }
    await stopAll(sim, nodes);
  }
});
