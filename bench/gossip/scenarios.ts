// The gossip benchmark's scenarios, each a deterministic simulation on the
// virtual clock: failure detection over repeated kills, steady-state
// bandwidth, and false deaths under loss or with a stalling member.
import type { MemberEvent } from '../../src/cluster/cluster.js';
import type { TimingProfile } from '../../src/cluster/options.js';
import { seededRandom, Simulation } from '../../dev/gossip-sim/simulation.js';
import { percentile } from '../stats.js';
import { encodeStreamMessage } from '../../src/cluster/codec.js';
import { pushPullInterval } from '../../src/cluster/timing.js';
import type { MemberRecord } from '../../src/cluster/messages.js';

export interface BenchConfig {
  profile: TimingProfile;
  lifeguard: boolean;
}

export const label = (c: BenchConfig): string => `${c.profile.name}${c.lifeguard ? '' : ' -lifeguard'}`;

/** Realistic LAN one-way delay: 0.1 to 0.5 ms, which also reorders packets. */
const lanDelay = { minDelayMs: 0.1, maxDelayMs: 0.5 };

/** Records every member's view changes so scenarios can ask who saw what, when. */
class Observer {
  /** subject -> observers that marked it dead, and when the first did. */
  readonly deadSeenBy = new Map<string, Set<string>>();
  readonly firstDeadAt = new Map<string, number>();
  falseDeaths: Array<{ observer: string; subject: string; incarnation: number; at: number }> = [];
  private alive = new Set<string>();

  /** Set once the simulation exists: the time events are stamped with. */
  now: () => number = () => 0;

  markRunning(name: string, running: boolean): void {
    if (running) this.alive.add(name);
    else this.alive.delete(name);
  }

  isRunning(name: string): boolean {
    return this.alive.has(name);
  }

  onEvent = (observer: string, e: MemberEvent): void => {
    if (e.kind !== 'dead') return;
    const subject = e.member.name;
    let set = this.deadSeenBy.get(subject);
    if (!set) {
      set = new Set();
      this.deadSeenBy.set(subject, set);
      this.firstDeadAt.set(subject, this.now());
    }
    set.add(observer);
    if (this.alive.has(subject)) this.falseDeaths.push({ observer, subject, incarnation: e.member.incarnation, at: this.now() });
  };
}

export interface DetectionResult {
  trials: number;
  firstMs: { p50: number; p99: number; max: number };
  allMs: { p50: number; p99: number; max: number };
  undetected: number;
}

export interface BandwidthResult {
  windowSec: number;
  packetsPerSec: number;
  udpBytesPerSec: number;
  streamBytesPerSec: number;
  totalBytesPerSec: number;
}

function newSim(c: BenchConfig, size: number, seed: number, obs: Observer | undefined, loss = 0): Simulation {
  const sim = new Simulation({
    size,
    seed,
    network: { ...lanDelay, loss },
    member: { profile: c.profile, lifeguard: c.lifeguard, meta: { version: '0.1.0' } },
    ...(obs ? { onEvent: obs.onEvent } : {}),
  });
  return sim;
}

/**
 * Steady-state push-pull bytes each member sends per second in a cluster of
 * `size`: the periodic exchange starts 0.5 to 1.5 intervals after a member
 * starts (pushPullInterval: 270 s at n = 5000), so a measuring window of
 * seconds after a converged start sees none. Each member starts one
 * exchange per interval on average and answers one: two full member lists,
 * encoded as the members of the simulation would send them, plus the
 * transport's 32-bit length prefix.
 */
export function steadyPushPullBytesPerSec(profile: TimingProfile, size: number): number {
  const members: MemberRecord[] = Array.from({ length: size }, (_, i) => {
    const a = Simulation.address(i);
    return { name: `m${i}`, host: a.host, port: a.port, incarnation: 0, state: 'alive', meta: { version: '0.1.0' } };
  });
  const bytes = 4 + encodeStreamMessage({ type: 'push-pull', join: false, members }).length;
  return (2 * bytes) / (pushPullInterval(profile.pushPullIntervalMs, size) / 1000);
}

/** Quiet-cluster traffic per member: probes, acks, gossip and any push-pull in the window. */
export async function measureBandwidth(c: BenchConfig, size: number, windowSec: number, seed: number): Promise<BandwidthResult> {
  const sim = newSim(c, size, seed, undefined);
  sim.startConverged();
  await sim.run(5_000, 100);
  const bw = await quietTraffic(sim, windowSec);
  await sim.shutdown();
  return bw;
}

/** Runs a quiet cluster for windowSec and returns what its members sent, per member and second. */
async function quietTraffic(sim: Simulation, windowSec: number): Promise<BandwidthResult> {
  const snap = (): { p: number; b: number; s: number } => {
    let p = 0;
    let b = 0;
    let s = 0;
    for (const m of sim.members) {
      const st = sim.net.stats(m.address)!;
      p += st.packetsSent;
      b += st.bytesSent;
      s += st.streamBytesSent;
    }
    return { p, b, s };
  };
  const before = snap();
  await sim.run(windowSec * 1000, 200);
  const after = snap();
  const per = (v: number): number => v / sim.members.length / windowSec;
  return {
    windowSec,
    packetsPerSec: per(after.p - before.p),
    udpBytesPerSec: per(after.b - before.b),
    streamBytesPerSec: per(after.s - before.s),
    totalBytesPerSec: per(after.b - before.b + after.s - before.s),
  };
}

/**
 * Kills a random member, times until the first member declares it dead and
 * until every running member does, then replaces it with a fresh member
 * (joined by push-pull) so the cluster size stays at `size`; repeats.
 * With quietWindowSec, the quiet cluster's traffic is measured first, on
 * the same simulation: at n = 5000 building a second one costs minutes.
 */
export async function measureDetection(
  c: BenchConfig,
  size: number,
  trials: number,
  seed: number,
  progress?: (line: string) => void,
  quietWindowSec?: number,
  wallDeadline = Infinity,
  newAddresses = false,
): Promise<DetectionResult & { quiet?: BandwidthResult }> {
  const obs = new Observer();
  const sim = newSim(c, size, seed, obs);
  obs.now = () => sim.clock.now();
  const rand = seededRandom(seed * 7919 + 1);
  for (const m of sim.members) obs.markRunning(m.name, true);
  sim.startConverged();
  await sim.run(3_000, 100);
  const quiet = quietWindowSec === undefined ? undefined : await quietTraffic(sim, quietWindowSec);
  if (quiet) progress?.(`${label(c)} n=${size} quiet traffic: ${(quiet.totalBytesPerSec / 1024).toFixed(2)} KiB/s per member`);
  const first: number[] = [];
  const all: number[] = [];
  let undetected = 0;
  const limitMs = 60_000;
  // Past the wall-clock deadline no further trial starts (the first always
  // runs): `trials` in the result says how many ran.
  let ran = 0;
  for (let trial = 0; trial < trials && (trial === 0 || Date.now() < wallDeadline); trial++) {
    ran++;
    const index = Math.floor(rand() * size);
    const victim = sim.members[index]!;
    obs.markRunning(victim.name, false);
    const killedAt = sim.clock.now();
    await sim.kill(index);
    const running = (): number => sim.members.filter((m) => m.alive).length;
    const done = await sim.runUntil(() => (obs.deadSeenBy.get(victim.name)?.size ?? 0) >= running(), limitMs, 5);
    if (done === undefined) {
      undetected++;
    } else {
      first.push(obs.firstDeadAt.get(victim.name)! - killedAt);
      all.push(done);
    }
    // Replace the victim with a new member and let it join: at the victim's
    // address, or with newAddresses at one no member had. Members reach out
    // to a dead member's address every reconnect interval (1 s with fast) with
    // a full push-pull, which a replacement at that address answers: at
    // n = 5000 that is 5000 exchanges of 5000 members a simulated second,
    // and most of the run's wall time.
    const fresh = sim.addMember(`${victim.name}r${trial}`, index, newAddresses ? size + trial : index);
    obs.markRunning(fresh.name, true);
    fresh.cluster.start();
    const peers = sim.members.filter((m) => m.alive && m !== fresh);
    void fresh.cluster.join([peers[Math.floor(rand() * peers.length)]!.address]);
    await sim.runUntil(() => sim.allSee(index, 'alive'), 30_000, 20);
    await sim.run(1_000, 100);
    progress?.(`${label(c)} n=${size} trial ${trial + 1}/${trials}: all ${done === undefined ? 'missed' : `${Math.round(done)} ms`}`);
  }
  await sim.shutdown();
  const pct = (v: number[]): { p50: number; p99: number; max: number } => ({ p50: percentile(v, 50), p99: percentile(v, 99), max: percentile(v, 100) });
  return { trials: ran, firstMs: pct(first), allMs: pct(all), undetected, ...(quiet ? { quiet } : {}) };
}

export interface FalseDeathResult {
  scenario: string;
  minutes: number;
  /**
   * False deaths of responsive members: distinct (member, incarnation)
   * declared dead by at least one member although it was running.
   */
  healthyFalseDeaths: number;
  /** How many members saw those deaths, summed (one false death seen by all of n-1 counts n-1). */
  healthyDeathViews: number;
  /** Stall scenario: stalls after which the stalling member was declared dead (it then refutes). */
  stallsDeclaredDead: number;
  stalls: number;
  refutes: number;
}

/**
 * Runs a converged cluster for `minutes` simulated minutes under `loss`, or
 * with member 0 stalling its event loop for 2 s at random (every 30 to 90 s),
 * and counts every death declared about a member that was running.
 */
export async function measureFalseDeaths(
  c: BenchConfig,
  size: number,
  minutes: number,
  scenario: 'loss5' | 'loss10' | 'stall',
  seed: number,
  wallDeadline = Infinity,
  progress?: (line: string) => void,
): Promise<FalseDeathResult> {
  const obs = new Observer();
  const loss = scenario === 'loss5' ? 0.05 : scenario === 'loss10' ? 0.1 : 0;
  const sim = newSim(c, size, seed, obs, 0);
  obs.now = () => sim.clock.now();
  for (const m of sim.members) obs.markRunning(m.name, true);
  sim.startConverged();
  await sim.run(3_000, 100);
  sim.net.loss = loss;
  const rand = seededRandom(seed + 17);
  const start = sim.clock.now();
  const end = start + minutes * 60_000;
  let stalls = 0;
  if (scenario === 'stall') {
    let next = sim.clock.now() + 30_000 + rand() * 60_000;
    while (next + 2_000 < end && Date.now() < wallDeadline) {
      await sim.run(next - sim.clock.now(), 100);
      sim.pause(0);
      stalls++;
      await sim.run(2_000, 10);
      sim.resume(0);
      next = sim.clock.now() + 30_000 + rand() * 60_000;
    }
  }
  // With a wall-clock deadline, in chunks of protocol time so that the
  // deadline can end the run early: `minutes` in the result is the protocol
  // time that ran. Without one, a single run, as before the deadline existed.
  const chunk = wallDeadline === Infinity ? Infinity : 10_000;
  while (sim.clock.now() < end && Date.now() < wallDeadline) {
    await sim.run(Math.min(chunk, end - sim.clock.now()), 100);
    if (size >= 1000) progress?.(`${label(c)} n=${size} ${scenario}: ${((sim.clock.now() - start) / 60_000).toFixed(2)} of ${minutes} simulated minutes, ${obs.falseDeaths.length} false death views so far`);
  }
  const ranMinutes = (sim.clock.now() - start) / 60_000;
  const stalledName = sim.members[0]!.name;
  const isStalled = (d: { subject: string }): boolean => scenario === 'stall' && d.subject === stalledName;
  const healthy = obs.falseDeaths.filter((d) => !isStalled(d));
  const episodes = (list: typeof healthy): number => new Set(list.map((d) => `${d.subject}@${d.incarnation}`)).size;
  const refutes = sim.members.reduce((n, m) => n + m.cluster.counters.refutes, 0);
  await sim.shutdown();
  return {
    scenario,
    minutes: ranMinutes,
    healthyFalseDeaths: episodes(healthy),
    healthyDeathViews: healthy.length,
    stallsDeclaredDead: episodes(obs.falseDeaths.filter(isStalled)),
    stalls,
    refutes,
  };
}
