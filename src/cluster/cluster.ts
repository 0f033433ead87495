// A gossip cluster member: SWIM failure detection with the Lifeguard
// extensions, dissemination piggybacked on probes and periodic gossip, and
// push-pull state sync, in the manner of hashicorp/memberlist. It knows
// nothing of Kubernetes or service IPs: members have a name, an address and
// a small string map of metadata.
//
// All I/O goes through a Transport and all waiting through a Clock, so the
// same code runs over UDP/TCP and in the deterministic simulator. This file
// is the protocol driver: it wires the parts together, disseminates news
// (piggybacked on every packet, and gossiped periodically) and runs the
// receive path. The parts: probe.ts (failure detection), push-pull.ts (full
// state sync), join.ts (seeds, reconnecting, reaping), membership.ts (what
// news does to the member table).
import type { Clock, TimerHandle } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { formatAddress, type Address } from '../net/index.js';
import { Awareness } from './awareness.js';
import { BroadcastQueue } from './broadcast-queue.js';
import { decodePacket, encodedMetaSize, encodePacket, framedSize, MAX_U32 } from './codec.js';
import { resolveOptions, type ClusterOptions, type ResolvedOptions } from './options.js';
import { newCounters, type ClusterCounters, type DropReason } from './counters.js';
import { Joiner } from './join.js';
import { isLiveMember, MemberTable, newMember, type Member } from './members.js';
import { Membership, ownConclusion, type NewsSource } from './membership.js';
import type { Dead, MemberState, Message, Meta } from './messages.js';
import { Prober } from './probe.js';
import { PushPull } from './push-pull.js';
import type { SelfView } from './refuter.js';
import { Sealing } from './sealing.js';
import { retransmitLimit, scaleByHealth } from './timing.js';
import type { Transport, TransportStats } from './transport.js';

export interface MemberView {
  readonly name: string;
  readonly address: Address;
  readonly state: MemberState;
  readonly incarnation: number;
  readonly meta: Meta;
  /** Wall-clock time (ms since epoch) of the last state change. */
  readonly since: number;
  /**
   * We have reason to hold it real (it answered us, or the seed we joined
   * through knew it). Until then it is only a name we were told: it is
   * probed but not part of the cluster for events and liveMembers().
   */
  readonly verified: boolean;
}

export type MemberEventKind = 'join' | 'update' | 'suspect' | 'alive' | 'dead' | 'left' | 'reap';

export interface MemberEvent {
  readonly kind: MemberEventKind;
  readonly member: MemberView;
  readonly previous: MemberState | undefined;
}

export interface ClusterStatus {
  self: MemberView;
  profile: string;
  lifeguard: boolean;
  encrypted: boolean;
  health: { score: number; max: number };
  counts: Record<MemberState, number>;
  members: MemberView[];
  counters: ClusterCounters;
  /** What others said about this member: suspicions, deaths, leaves it refuted. */
  accused: SelfView;
  /** Push-pull streams and the UDP socket, when the transport reports them. */
  transport: TransportStats | undefined;
}

const isProbeTraffic = (m: Message): boolean => m.type === 'ping' || m.type === 'indirect-ping' || m.type === 'ack' || m.type === 'nack';

export interface ClusterDeps {
  transport: Transport;
  clock: Clock;
  logger?: Logger;
  /**
   * The member table to keep, empty; by default the member makes its own.
   * The simulator keeps a reference to start large clusters converged.
   */
  table?: MemberTable;
}

export class Cluster {
  readonly name: string;
  readonly counters: ClusterCounters = newCounters();
  private readonly opts: ResolvedOptions;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly table: MemberTable;
  private readonly self: Member;
  private readonly awareness: Awareness;
  private readonly queue: BroadcastQueue;
  private readonly membership: Membership;
  private readonly prober: Prober;
  private readonly pushPull: PushPull;
  private readonly joiner: Joiner;
  private readonly listeners = new Set<(e: MemberEvent) => void>();
  private gossipTimer: TimerHandle | undefined;
  private running = false;
  private leaving = false;
  private stopped = false;
  private readonly random: () => number;
  private readonly sealing: Sealing;

  constructor(options: ClusterOptions, deps: ClusterDeps) {
    this.opts = resolveOptions(options);
    this.name = this.opts.name;
    this.transport = deps.transport;
    this.clock = deps.clock;
    this.log = (deps.logger ?? silentLogger).child({ component: 'gossip', member: this.name });
    this.random = this.opts.random;
    this.table = deps.table ?? new MemberTable(this.random);
    if (this.table.size > 0) throw new Error('gossip member: the member table given must be empty');
    this.awareness = new Awareness(this.opts.lifeguard ? this.opts.profile.awarenessMaxMultiplier : 1);
    this.queue = new BroadcastQueue(() => retransmitLimit(this.opts.profile.retransmitMult, this.table.live), 2 * this.opts.maxMembers);
    this.checkMetaSize(this.opts.meta);
    this.self = newMember({
      name: this.name,
      host: this.opts.advertiseHost,
      port: this.opts.advertisePort,
      incarnation: 0,
      state: 'alive',
      meta: this.opts.meta,
      stateChangedAt: this.clock.now(),
      verified: true,
    });
    this.table.add(this.self);
    this.sealing = new Sealing(this.opts, this.clock, this.log, (reason) => this.drop(reason));
    // What every part of the protocol reads of the member, and may do through it.
    const driver = {
      opts: this.opts,
      clock: this.clock,
      log: this.log,
      random: this.random,
      counters: this.counters,
      table: this.table,
      self: this.self,
      awareness: this.awareness,
      isRunning: () => this.running,
      isLeaving: () => this.leaving,
      isStopped: () => this.stopped,
      send: (to: Address, primary: Buffer[]) => this.send(to, primary),
      sampleProvenFirst: (k: number, filter: (m: Member) => boolean) => this.sampleProvenFirst(k, filter),
      forget: (m: Member) => this.forget(m),
      emit: (kind: MemberEventKind, m: Member, previous: MemberState | undefined) => this.emit(kind, m, previous),
      drop: (reason: DropReason) => this.drop(reason),
    };
    this.membership = new Membership({
      ...driver,
      queue: this.queue,
      nextSeq: () => this.prober.nextSeq(),
      // Probed at once, so that a real new member is verified within a round
      // trip of our hearing of it, and views of the cluster agree again.
      admitted: (m) => {
        if (this.running && !this.leaving) this.prober.probeUnverified(m, scaleByHealth(this.opts.profile.probeIntervalMs, this.awareness.score));
      },
    });
    this.prober = new Prober({ ...driver, membership: this.membership, verify: (m) => this.verify(m) });
    this.pushPull = new PushPull({ ...driver, membership: this.membership, transport: this.transport, sealing: this.sealing });
    this.joiner = new Joiner({ ...driver, pushPull: this.pushPull });
    this.transport.setHandlers({
      packet: (from, data) => this.receivePacket(from, data),
      exchange: (from, req) => this.pushPull.receive(from, req),
    });
  }

  // ------------------------------------------------------------ public API

  /** Starts probing, gossip and periodic sync. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.membership.broadcast(this.name, this.membership.refuter.aliveSelf());
    this.prober.start(this.random() * this.opts.profile.probeIntervalMs);
    this.gossipTimer = this.clock.setTimeout(() => this.gossipTick(), this.random() * this.opts.profile.gossipIntervalMs);
    this.pushPull.start();
    this.joiner.start();
  }

  /**
   * Joins through seed addresses with a full state exchange each; resolves
   * with how many answered. Seeds are remembered and retried while this
   * member sees no one else (startup order, or every peer restarted).
   */
  join(seeds: readonly Address[]): Promise<number> {
    return this.joiner.join(seeds);
  }

  /**
   * Announces a graceful leave and waits (up to timeoutMs) until it has
   * been gossiped enough times, so peers mark this member left instead of
   * suspecting it. Call shutdown() afterwards.
   */
  async leave(timeoutMs: number): Promise<void> {
    if (this.leaving || this.stopped) return;
    this.leaving = true;
    const msg: Dead = { type: 'dead', incarnation: this.self.incarnation, node: this.name, from: this.name };
    const peers = this.table.verifiedLive - (this.self.state === 'alive' ? 1 : 0);
    await new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(resolve, peers > 0 ? timeoutMs : 0);
      this.membership.applyDead(msg, ownConclusion(), () => {
        this.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    this.prober.stop();
    this.clock.clearTimeout(this.gossipTimer);
    this.pushPull.stop();
    this.joiner.stop();
    for (const m of this.table.all()) m.suspicion?.cancel();
    await this.transport.close();
  }

  /** Replaces this member's metadata and gossips it with a new incarnation. */
  setMeta(meta: Meta): void {
    this.checkMetaSize(meta);
    const before = this.self.incarnation;
    this.self.meta = { ...meta };
    this.self.incarnation = Math.min(MAX_U32, before + 1);
    this.membership.refuter.announce(before);
    this.emit('update', this.self, 'alive');
  }

  get healthScore(): number {
    return this.awareness.score;
  }

  get incarnation(): number {
    return this.self.incarnation;
  }

  /** Whether packets and streams are sealed (a key ring is set). */
  get encrypted(): boolean {
    return this.opts.keyring !== undefined;
  }

  /** Push-pull slots and the UDP socket, when the transport reports them. */
  get transportStats(): TransportStats | undefined {
    return this.transport.stats?.();
  }

  /** What others said about this member (suspected, declared dead or left, its name claimed elsewhere). */
  get accused(): SelfView {
    return this.membership.refuter.view();
  }

  /** What we know of this name, verified or not. */
  member(name: string): MemberView | undefined {
    const m = this.table.get(name);
    return m && this.view(m);
  }

  /** The members of the cluster in any state: those verified (MemberView.verified). */
  members(): MemberView[] {
    return this.table
      .all()
      .filter((m) => m.verified)
      .map((m) => this.view(m));
  }

  /**
   * Members that count as part of the cluster: alive or suspect, and
   * verified. A name only others told us of is not one until it answers: a
   * made-up member must not be elected to announce anything.
   */
  liveMembers(): MemberView[] {
    return this.table
      .all()
      .filter((m) => isLiveMember(m) && m.verified)
      .map((m) => this.view(m));
  }

  onEvent(listener: (e: MemberEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  counts(): Record<MemberState, number> {
    return {
      alive: this.table.count('alive'),
      suspect: this.table.count('suspect'),
      dead: this.table.count('dead'),
      left: this.table.count('left'),
    };
  }

  status(): ClusterStatus {
    return {
      self: this.view(this.self),
      profile: this.opts.profile.name,
      lifeguard: this.opts.lifeguard,
      encrypted: this.opts.keyring !== undefined,
      health: { score: this.awareness.score, max: this.awareness.max },
      counts: this.counts(),
      // Everything we know, names not yet verified included (so marked).
      members: this.table
        .all()
        .map((m) => this.view(m))
        .sort((a, b) => a.name.localeCompare(b.name)),
      counters: structuredClone(this.counters),
      accused: this.accused,
      transport: this.transportStats,
    };
  }

  // ------------------------------------------------------------ members heard from, and forgotten

  /** We heard from `m` ourselves: it becomes part of the cluster, and we pass its news on. */
  private verify(m: Member): void {
    if (m.verified || m === this.self) return;
    this.table.markVerified(m);
    if (!isLiveMember(m)) return;
    this.membership.broadcast(m.name, { type: 'alive', incarnation: m.incarnation, node: m.name, host: m.host, port: m.port, meta: m.meta });
    this.emit('join', m, undefined);
  }

  private forget(m: Member): void {
    m.suspicion?.cancel();
    this.table.remove(m.name);
    this.queue.remove(m.name);
  }

  // ------------------------------------------------------------ dissemination

  private gossipTick(): void {
    if (!this.running) return;
    const p = this.opts.profile;
    this.gossipTimer = this.clock.setTimeout(() => this.gossipTick(), p.gossipIntervalMs);
    if (this.queue.length === 0) return;
    const now = this.clock.now();
    // Dead and left members keep hearing gossip for a while, so that one
    // that is in fact alive learns of the verdict and refutes it.
    const targets = this.sampleProvenFirst(p.gossipNodes, (m) => m !== this.self && (isLiveMember(m) || now - m.stateChangedAt < p.gossipToTheDeadMs));
    for (const t of targets) {
      if (this.queue.length === 0) break;
      this.send(t, []);
    }
  }

  /**
   * Up to k members accepted by `filter`, drawn from those we have heard
   * from ourselves first, then from the rest: made-up names should not take
   * the place of real members as gossip targets, helpers or sync partners.
   */
  private sampleProvenFirst(k: number, filter: (m: Member) => boolean): Member[] {
    const out = this.table.sample(k, (m) => m.verified && filter(m));
    if (out.length < k && this.table.unverifiedCount > 0) out.push(...this.table.sample(k - out.length, (m) => !m.verified && filter(m)));
    return out;
  }

  /** Sends `primary` messages plus as many queued broadcasts as fit in one packet. */
  private send(to: Address, primary: Buffer[]): void {
    let budget = this.opts.packetBytes - 1 - this.sealing.overhead;
    for (const m of primary) budget -= framedSize(m);
    const extra = this.queue.take(budget);
    if (primary.length === 0 && extra.length === 0) return;
    const plain = encodePacket(primary.length ? [...primary, ...extra] : extra);
    const wire = this.sealing.seal(plain);
    this.counters.packetsSent++;
    this.counters.bytesSent += wire.length;
    this.transport.sendPacket(to, wire);
  }

  // ------------------------------------------------------------ receive path

  private receivePacket(from: Address, data: Buffer): void {
    try {
      if (this.stopped) return;
      this.counters.packetsReceived++;
      this.counters.bytesReceived += data.length;
      if (data.length > this.opts.maxReceiveBytes) return this.drop('oversized');
      const plain = this.sealing.unseal(data);
      if (!plain) return;
      const d = decodePacket(plain);
      if (!d.ok) return this.drop(d.error.code);
      for (let i = 0; i < d.value.unknown; i++) this.drop('unknown-type');
      const sender = this.table.atAddress(from);
      if (sender) this.verify(sender);
      // A member we count as live may pass on news about others; anyone
      // else may speak only for itself (precedence.ts).
      const src: NewsSource = {
        from,
        trusted: sender !== undefined && sender !== this.self && isLiveMember(sender),
        stream: false,
        budget: { left: this.opts.newMembersPerPacket, rateLimited: true },
        vouches: false,
      };
      // Membership news first, probes after: a refutation triggered by a
      // suspicion that came with a ping then rides on the ack.
      for (const msg of d.value.messages) if (!isProbeTraffic(msg)) this.handle(msg, src);
      for (const msg of d.value.messages) if (isProbeTraffic(msg)) this.handle(msg, src);
      // A member that introduced itself in this packet, from its own address, is heard from.
      if (!sender) {
        const introduced = this.table.atAddress(from);
        if (introduced) this.verify(introduced);
      }
    } catch (err) {
      this.drop('internal-error');
      this.log.error('packet handler failed', { from: formatAddress(from), error: err });
    }
  }

  private handle(msg: Message, src: NewsSource): void {
    this.counters.messagesReceived++;
    switch (msg.type) {
      case 'ping':
        return this.prober.handlePing(msg);
      case 'indirect-ping':
        return this.prober.handleIndirectPing(msg);
      case 'ack':
        return this.prober.ack(msg.seq);
      case 'nack':
        return this.prober.nack(msg.seq);
      case 'alive':
        return this.membership.applyAlive(msg, src);
      case 'suspect':
        return this.membership.applySuspect(msg, src);
      case 'dead':
        return this.membership.applyDead(msg, src);
      case 'push-pull':
        // Full state only travels over streams.
        return this.drop('malformed');
    }
  }

  private drop(reason: DropReason): undefined {
    this.counters.dropped[reason]++;
    return undefined;
  }

  // ------------------------------------------------------------ helpers

  private checkMetaSize(meta: Meta): void {
    const size = encodedMetaSize(meta);
    if (size > this.opts.maxMetaBytes) {
      throw new Error(`member metadata encodes to ${size} bytes, over the ${this.opts.maxMetaBytes}-byte limit`);
    }
  }

  private view(m: Member): MemberView {
    return {
      name: m.name,
      address: { host: m.host, port: m.port },
      state: m.state,
      incarnation: m.incarnation,
      meta: m.meta,
      since: this.opts.wallNow() - (this.clock.now() - m.stateChangedAt),
      verified: m.verified,
    };
  }

  /** Tells listeners of a change, for verified members only (see MemberView.verified). */
  private emit(kind: MemberEventKind, m: Member, previous: MemberState | undefined): void {
    if (this.listeners.size === 0 || !m.verified) return;
    const e: MemberEvent = { kind, member: this.view(m), previous };
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error('member event listener failed', { error: err });
      }
    }
  }
}
