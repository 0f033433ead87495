// A whole gossip cluster in one process on a virtual clock and an in-memory
// network: the test bed for protocol tests and the gossip benchmark. Seeded
// randomness makes every run repeatable. The members are the production
// Cluster; the simulator holds each one's member table (ClusterDeps.table)
// so that it can start a large cluster already converged.
import { PausableClock, VirtualClock } from '../../src/util/clock.js';
import type { Logger } from '../../src/util/log.js';
import type { Address } from '../../src/net/index.js';
import { Cluster, type MemberEvent } from '../../src/cluster/cluster.js';
import { resolveOptions, type ClusterOptions } from '../../src/cluster/options.js';
import { MemberTable, newMember } from '../../src/cluster/members.js';
import type { MemberRecord } from '../../src/cluster/messages.js';
import { MemoryNetwork, type MemoryNetworkOptions } from './memory-transport.js';

/** Small fast PRNG (mulberry32): deterministic streams from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimMember {
  readonly name: string;
  readonly address: Address;
  readonly clock: PausableClock;
  cluster: Cluster;
  alive: boolean;
}

export interface SimulationOptions {
  size: number;
  seed?: number;
  network?: MemoryNetworkOptions;
  /** Options shared by every member; name and address are filled in. */
  member?: Omit<ClusterOptions, 'name' | 'advertiseHost' | 'advertisePort' | 'random'>;
  /** Called for every membership event of every member. */
  onEvent?: (observer: string, e: MemberEvent) => void;
  /** Where members log (silent by default). */
  logger?: Logger;
}

export class Simulation {
  readonly clock: VirtualClock;
  readonly net: MemoryNetwork;
  readonly members: SimMember[] = [];
  /** Each member's table, by index: what startConverged fills. */
  private readonly tables: MemberTable[] = [];
  private readonly random: () => number;

  constructor(private readonly opts: SimulationOptions) {
    this.clock = new VirtualClock(0);
    this.random = seededRandom(opts.seed ?? 1);
    this.net = new MemoryNetwork(this.clock, { random: this.random, ...opts.network });
    for (let i = 0; i < opts.size; i++) this.addMember();
  }

  static address(i: number): Address {
    // Simulated members only exist in memory; documentation range addresses
    // keep logs unambiguous.
    return { host: `198.51.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`, port: 7946 };
  }

  /** Adds a member at slot `index`, by default at that slot's address (`at` gives another slot's). */
  addMember(name = `m${this.members.length}`, index = this.members.length, at = index): SimMember {
    const address = Simulation.address(at);
    const clock = new PausableClock(this.clock);
    const table = new MemberTable(this.random);
    this.tables[index] = table;
    const cluster = new Cluster(
      { ...this.opts.member, name, advertiseHost: address.host, advertisePort: address.port, random: this.random, wallNow: () => this.clock.now() },
      { transport: this.net.attach(address), clock, table, ...(this.opts.logger ? { logger: this.opts.logger } : {}) },
    );
    const m: SimMember = { name, address, clock, cluster, alive: true };
    if (this.opts.onEvent) {
      const cb = this.opts.onEvent;
      cluster.onEvent((e) => cb(name, e));
    }
    if (index < this.members.length) this.members[index] = m;
    else this.members.push(m);
    return m;
  }

  /** Starts every member and joins each through member 0 (or a few seeds). */
  async start(seeds = 1): Promise<void> {
    const seedAddrs = this.members.slice(0, seeds).map((m) => m.address);
    for (const m of this.members) m.cluster.start();
    const joins = this.members.map((m) => m.cluster.join(seedAddrs));
    // Exchanges complete on the virtual clock: advance until they settle.
    let settled = false;
    void Promise.all(joins).then(() => (settled = true));
    for (let i = 0; i < 1000 && !settled; i++) {
      this.clock.advance(10);
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Starts every member already knowing every other one, as after a round of
   * push-pull joins; large simulations skip the O(n^2) join traffic this way.
   * The others go straight into each member's table, without being
   * broadcast, and verified: a converged cluster has heard from everyone.
   */
  startConverged(): void {
    const records: MemberRecord[] = this.members.map((m) => ({ name: m.name, host: m.address.host, port: m.address.port, incarnation: 0, state: 'alive', meta: m.cluster.member(m.name)!.meta }));
    this.members.forEach((m, i) => {
      const table = this.tables[i]!;
      const { maxMembers } = resolveOptions({ ...this.opts.member, name: m.name, advertiseHost: m.address.host, advertisePort: m.address.port });
      const now = m.clock.now();
      for (const r of records) {
        if (table.get(r.name) || table.size >= maxMembers) continue;
        table.add(newMember({ name: r.name, host: r.host, port: r.port, incarnation: r.incarnation, state: 'alive', meta: r.meta, stateChangedAt: now, verified: true }));
      }
      m.cluster.start();
    });
  }

  /** Runs the virtual clock forward, letting promise callbacks run along the way. */
  async run(ms: number, step = 50): Promise<void> {
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) {
      this.clock.runUntil(Math.min(end, this.clock.now() + step));
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Runs until cond() holds or ms pass; returns the virtual time it took, or undefined. */
  async runUntil(cond: () => boolean, ms: number, step = 10): Promise<number | undefined> {
    const start = this.clock.now();
    while (this.clock.now() - start < ms) {
      if (cond()) return this.clock.now() - start;
      this.clock.runUntil(this.clock.now() + step);
      await new Promise((r) => setImmediate(r));
    }
    return cond() ? this.clock.now() - start : undefined;
  }

  /** Crash-stops a member: it sends and answers nothing from now on. */
  async kill(i: number): Promise<void> {
    const m = this.members[i]!;
    m.alive = false;
    await m.cluster.shutdown();
  }

  /** Stalls a member's event loop: its timers and deliveries wait until resume. */
  pause(i: number): void {
    const m = this.members[i]!;
    m.clock.pause();
    this.net.pause(m.address);
  }

  resume(i: number): void {
    const m = this.members[i]!;
    m.clock.resume();
    this.net.resume(m.address);
  }

  /** What `observer` believes about `subject`. */
  stateOf(observer: number, subject: number): string | undefined {
    return this.members[observer]!.cluster.member(this.members[subject]!.name)?.state;
  }

  /** True when every running member other than the subject sees it in `state`. */
  allSee(subject: number, state: string): boolean {
    return this.members.every((m, i) => i === subject || !m.alive || this.stateOf(i, subject) === state);
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.members.filter((m) => m.alive).map((m) => m.cluster.shutdown()));
  }
}
