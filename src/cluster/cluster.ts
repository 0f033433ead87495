// A gossip cluster member: SWIM failure detection with the Lifeguard
// extensions, dissemination piggybacked on probes and periodic gossip, and
// push-pull state sync, in the manner of hashicorp/memberlist. It knows
// nothing of Kubernetes or service IPs: members have a name, an address and
// a small string map of metadata.
//
// All I/O goes through a Transport and all waiting through a Clock, so the
// same code runs over UDP/TCP and in the deterministic simulator. This file
// is the protocol driver (probes, gossip, push-pull, the receive path);
// membership.ts holds what the news does to the member table.
import type { Clock, TimerHandle } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { formatAddress, type Address } from './address.js';
import { Awareness } from './awareness.js';
import { BroadcastQueue } from './broadcast-queue.js';
import {
  decodePacket,
  decodeStreamMessage,
  encodeMessage,
  encodePacket,
  encodeStreamMessage,
  framedSize,
  MAX_U32,
  pushPullSize,
  encodedMetaSize,
} from './codec.js';
import { resolveOptions, type ClusterOptions, type ResolvedOptions } from './config.js';
import { newCounters, type ClusterCounters, type DropReason } from './counters.js';
import { MemberTable, type Member } from './members.js';
import { Membership, ownConclusion, type NewsSource } from './membership.js';
import type { Dead, IndirectPing, MemberRecord, MemberState, Message, Meta, Ping } from './messages.js';
import type { SelfView } from './refuter.js';
import { Sealing } from './sealing.js';
import { pushPullInterval, retransmitLimit, scaleByHealth } from './timing.js';
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

interface PendingProbe {
  onAck(): void;
  onNack(): void;
}

const isProbeTraffic = (m: Message): boolean => m.type === 'ping' || m.type === 'indirect-ping' || m.type === 'ack' || m.type === 'nack';
const isLive = (m: Member): boolean => m.state === 'alive' || m.state === 'suspect';
/** Unverified names probed in one protocol period at most. */
const MAX_UNVERIFIED_PROBES = 16;
const UNVERIFIED_PROBES_BEFORE_FORGETTING = 3;

export interface ClusterDeps {
  transport: Transport;
  clock: Clock;
  logger?: Logger;
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
  private readonly pending = new Map<number, PendingProbe>();
  private readonly listeners = new Set<(e: MemberEvent) => void>();
  private seq = 0;
  private indirectInFlight = 0;
  private timers: Record<'probe' | 'gossip' | 'pushPull' | 'reconnect' | 'seedRetry' | 'seedResync', TimerHandle | undefined> = {
    probe: undefined,
    gossip: undefined,
    pushPull: undefined,
    reconnect: undefined,
    seedRetry: undefined,
    seedResync: undefined,
  };
  private seedAttempts = 0;
  private running = false;
  private leaving = false;
  private stopped = false;
  private seeds: Address[] = [];
  private readonly random: () => number;
  private readonly sealing: Sealing;

  constructor(options: ClusterOptions, deps: ClusterDeps) {
    this.opts = resolveOptions(options);
    this.name = this.opts.name;
    this.transport = deps.transport;
    this.clock = deps.clock;
    this.log = (deps.logger ?? silentLogger).child({ component: 'gossip', member: this.name });
    this.random = this.opts.random;
    this.table = new MemberTable(this.random);
    this.awareness = new Awareness(this.opts.lifeguard ? this.opts.profile.awarenessMaxMultiplier : 1);
    this.queue = new BroadcastQueue(() => retransmitLimit(this.opts.profile.retransmitMult, this.table.live), 2 * this.opts.maxMembers);
    this.checkMetaSize(this.opts.meta);
    this.self = {
      name: this.name,
      host: this.opts.advertiseHost,
      port: this.opts.advertisePort,
      incarnation: 0,
      state: 'alive',
      meta: this.opts.meta,
      stateChangedAt: this.clock.now(),
      suspicion: undefined,
      verified: true,
    };
    this.table.add(this.self);
    this.sealing = new Sealing(this.opts, this.clock, this.log, (reason) => this.drop(reason));
    this.membership = new Membership({
      opts: this.opts,
      clock: this.clock,
      log: this.log,
      counters: this.counters,
      table: this.table,
      queue: this.queue,
      awareness: this.awareness,
      self: this.self,
      isLeaving: () => this.leaving,
      isRunning: () => this.running,
      send: (to, primary) => this.send(to, primary),
      nextSeq: () => this.nextSeq(),
      emit: (kind, m, previous) => this.emit(kind, m, previous),
      drop: (reason) => this.drop(reason),
      // Probed at once, so that a real new member is verified within a round
      // trip of our hearing of it, and views of the cluster agree again.
      admitted: (m) => {
        if (this.running && !this.leaving) this.probeUnverified(m, scaleByHealth(this.opts.profile.probeIntervalMs, this.awareness.score));
      },
    });
    this.transport.setHandlers({
      packet: (from, data) => this.receivePacket(from, data),
      exchange: (from, req) => this.receiveExchange(from, req),
    });
  }

  // ------------------------------------------------------------ public API

  /** Starts probing, gossip and periodic sync. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.membership.broadcast(this.name, this.membership.refuter.aliveSelf());
    this.scheduleProbe(this.random() * this.opts.profile.probeIntervalMs);
    this.timers.gossip = this.clock.setTimeout(() => this.gossipTick(), this.random() * this.opts.profile.gossipIntervalMs);
    this.schedulePushPull();
    this.timers.reconnect = this.clock.setTimeout(() => this.reconnectTick(), this.opts.profile.reconnectIntervalMs);
  }

  /**
   * Joins through seed addresses with a full state exchange each; resolves
   * with how many answered. Seeds are remembered and retried while this
   * member sees no one else (startup order, or every peer restarted).
   */
  async join(seeds: readonly Address[]): Promise<number> {
    this.seeds = seeds.filter((s) => !(s.host === this.self.host && s.port === this.self.port));
    this.clock.clearTimeout(this.timers.seedRetry);
    this.seedAttempts = 0;
    return this.joinSeeds();
  }

  private async joinSeeds(): Promise<number> {
    const seeds = this.seeds;
    const results = await Promise.allSettled(seeds.map((s) => this.pushPull(s, true)));
    let ok = 0;
    const answered: Address[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        ok++;
        answered.push(seeds[i]!);
      } else this.log.debug('join: seed did not answer', { seed: formatAddress(seeds[i]!), error: String(r.reason) });
    });
    // A seed's state leaves out the members it was still verifying (they
    // joined through it a moment before us, as when every speaker starts at
    // once): sync once more, a few probe periods later, to take them too.
    // Attempts overlap (join(), the retry below and the reconnect tick each
    // start one): every timer slot holds one timer, the previous one cleared
    // before it is replaced. An overwritten handle would leave a timer no one
    // can cancel, and a retry that schedules its own successor: one more
    // endless retry chain per reconnect tick for a member left alone.
    if (answered.length > 0 && this.running) {
      this.clock.clearTimeout(this.timers.seedResync);
      this.timers.seedResync = this.clock.setTimeout(() => {
        for (const s of answered) this.pushPull(s, true).catch(() => {});
      }, 3 * this.opts.profile.probeIntervalMs);
    }
    // Seeds that are not up yet (every speaker starts at once) are retried
    // with backoff until one answers or someone else finds us.
    if (ok === 0 && seeds.length > 0 && this.running && !this.leaving && this.table.verifiedLive <= 1) {
      const delay = Math.min(250 * 2 ** this.seedAttempts++, this.opts.profile.reconnectIntervalMs);
      this.clock.clearTimeout(this.timers.seedRetry);
      this.timers.seedRetry = this.clock.setTimeout(() => {
        if (this.table.verifiedLive <= 1) void this.joinSeeds();
      }, delay * (0.5 + this.random()));
    }
    return ok;
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
    for (const t of Object.values(this.timers)) this.clock.clearTimeout(t);
    for (const m of this.table.all()) m.suspicion?.cancel();
    this.pending.clear();
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
      .filter((m) => isLive(m) && m.verified)
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

  /**
   * Adds members the whole cluster already knows, without re-broadcasting
   * them: the simulator starts large clusters converged this way instead of
   * through n joins. Unknown names only; anything else goes through gossip.
   */
  importConverged(records: readonly MemberRecord[]): void {
    const now = this.clock.now();
    for (const r of records) {
      if (this.table.get(r.name) || r.state !== 'alive' || this.table.size >= this.opts.maxMembers) continue;
      // A converged cluster has heard from every member: verified.
      this.table.add({ name: r.name, host: r.host, port: r.port, incarnation: r.incarnation, state: 'alive', meta: r.meta, stateChangedAt: now, suspicion: undefined, verified: true });
    }
  }

  // ------------------------------------------------------------ probing

  private scheduleProbe(delay: number): void {
    this.timers.probe = this.clock.setTimeout(() => this.probeTick(), delay);
  }

  private probeTick(): void {
    if (!this.running) return;
    const interval = scaleByHealth(this.opts.profile.probeIntervalMs, this.awareness.score);
    if (!this.leaving) {
      const target = this.table.nextProbeTarget((m) => m !== this.self && isLive(m) && m.verified);
      if (target) this.probe(target, interval);
      // Names we were only told of are probed on a lane of their own, so
      // that any number of them (made-up ones included) cannot delay the
      // probing of members we know to be real; faster when many wait, to
      // keep up with what the admission limits let in.
      const lane = Math.min(MAX_UNVERIFIED_PROBES, Math.ceil(this.table.unverifiedCount / 10));
      for (let i = 0; i < lane; i++) {
        const unproven = this.table.nextUnverified((m) => isLive(m));
        if (unproven) this.probeUnverified(unproven, interval);
      }
    }
    this.scheduleProbe(interval);
  }

  /**
   * A name not yet verified: one ping. An answer makes it a member; three
   * unanswered in a row make us forget it, quietly: it was never part of the
   * cluster for us, so there is no suspicion to spread. (A real member
   * misses three in a row at 5% loss once in 8,000 times; it comes back
   * from members that did hear it, or with the next push-pull.)
   */
  private probeUnverified(target: Member, interval: number): void {
    const seq = this.nextSeq();
    this.counters.probes++;
    const deadline = this.clock.setTimeout(() => {
      this.pending.delete(seq);
      if (!this.running || target.verified || this.table.get(target.name) !== target) return;
      target.unanswered = (target.unanswered ?? 0) + 1;
      if (target.unanswered < UNVERIFIED_PROBES_BEFORE_FORGETTING) return;
      this.counters.forgotten++;
      this.forget(target);
    }, interval);
    this.pending.set(seq, {
      onAck: () => {
        this.clock.clearTimeout(deadline);
        this.pending.delete(seq);
        target.lastAckAt = this.clock.now();
        this.verify(target);
      },
      onNack: () => {},
    });
    this.send(target, [encodeMessage({ type: 'ping', seq, target: target.name, sourceHost: this.self.host, sourcePort: this.self.port, sourceName: this.name })]);
  }

  /** We heard from `m` ourselves: it becomes part of the cluster, and we pass its news on. */
  private verify(m: Member): void {
    if (m.verified || m === this.self) return;
    this.table.markVerified(m);
    if (!isLive(m)) return;
    this.membership.broadcast(m.name, { type: 'alive', incarnation: m.incarnation, node: m.name, host: m.host, port: m.port, meta: m.meta });
    this.emit('join', m, undefined);
  }

  private forget(m: Member): void {
    m.suspicion?.cancel();
    this.table.remove(m.name);
    this.queue.remove(m.name);
  }

  private probe(target: Member, interval: number): void {
    const p = this.opts.profile;
    const seq = this.nextSeq();
    const timeout = scaleByHealth(p.probeTimeoutMs, this.awareness.score);
    const incarnation = target.incarnation;
    let acked = false;
    let nacks = 0;
    let expectedNacks = 0;
    let indirectTimer: TimerHandle | undefined = undefined;
    const finish = (): void => {
      this.pending.delete(seq);
      this.clock.clearTimeout(indirectTimer);
      this.clock.clearTimeout(deadline);
    };
    this.counters.probes++;
    this.pending.set(seq, {
      onAck: () => {
        if (acked) return;
        acked = true;
        target.lastAckAt = this.clock.now();
        finish();
        this.awareness.applyDelta(-1);
      },
      onNack: () => {
        nacks++;
      },
    });
    const ping: Ping = { type: 'ping', seq, target: target.name, sourceHost: this.self.host, sourcePort: this.self.port, sourceName: this.name };
    const primary = [encodeMessage(ping)];
    // Lifeguard buddy system: a suspect learns of its suspicion from the
    // very next probe it receives, rather than waiting for gossip.
    if (this.opts.lifeguard && target.state === 'suspect') {
      primary.push(encodeMessage({ type: 'suspect', incarnation: target.incarnation, node: target.name, from: this.name }));
    }
    this.send(target, primary);

    indirectTimer = this.clock.setTimeout(() => {
      if (acked || !this.running) return;
      const helpers = this.sampleProvenFirst(p.indirectChecks, (m) => m !== this.self && m !== target && m.state === 'alive');
      // Lifeguard counts missing nacks against our own health: only from
      // helpers that answered us before, not from names that may be made up.
      expectedNacks = this.opts.lifeguard ? helpers.filter((h) => h.verified).length : 0;
      for (const h of helpers) {
        const req: IndirectPing = {
          type: 'indirect-ping',
          seq,
          target: target.name,
          targetHost: target.host,
          targetPort: target.port,
          wantNack: this.opts.lifeguard,
          sourceHost: this.self.host,
          sourcePort: this.self.port,
          sourceName: this.name,
        };
        this.counters.indirectProbes++;
        this.send(h, [encodeMessage(req)]);
      }
    }, timeout);

    const deadline = this.clock.setTimeout(() => {
      if (acked) return;
      finish();
      if (!this.running) return;
      this.counters.probesFailed++;
      // Lifeguard: missing nacks mean our own network or process is the
      // problem, so we slow down; with no helpers to ask, assume the same.
      this.awareness.applyDelta(expectedNacks > 0 ? Math.max(0, expectedNacks - nacks) : 1);
      // Also when already suspect: our failed probe is an independent
      // confirmation that shortens everyone's suspicion timer.
      if ((target.state === 'alive' || target.state === 'suspect') && target.incarnation === incarnation) {
        this.counters.suspicionsRaised++;
        this.membership.applySuspect({ type: 'suspect', incarnation, node: target.name, from: this.name }, ownConclusion());
      }
    }, interval);
  }

  private handlePing(msg: Ping): void {
    if (msg.target !== this.name) {
      this.drop('wrong-target');
      return;
    }
    this.send({ host: msg.sourceHost, port: msg.sourcePort }, [encodeMessage({ type: 'ack', seq: msg.seq })]);
  }

  private handleIndirectPing(msg: IndirectPing): void {
    if (this.indirectInFlight >= this.opts.maxConcurrentIndirect) {
      this.drop('indirect-overload');
      return;
    }
    this.indirectInFlight++;
    const requester = { host: msg.sourceHost, port: msg.sourcePort };
    const seq = this.nextSeq();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.indirectInFlight--;
      this.pending.delete(seq);
      this.clock.clearTimeout(timer);
    };
    this.pending.set(seq, {
      onAck: () => {
        finish();
        this.send(requester, [encodeMessage({ type: 'ack', seq: msg.seq })]);
      },
      onNack: () => {},
    });
    const ping: Ping = { type: 'ping', seq, target: msg.target, sourceHost: this.self.host, sourcePort: this.self.port, sourceName: this.name };
    this.send({ host: msg.targetHost, port: msg.targetPort }, [encodeMessage(ping)]);
    const timer = this.clock.setTimeout(() => {
      if (done) return;
      finish();
      if (msg.wantNack) this.send(requester, [encodeMessage({ type: 'nack', seq: msg.seq })]);
    }, this.opts.profile.probeTimeoutMs);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  // ------------------------------------------------------------ dissemination

  private gossipTick(): void {
    if (!this.running) return;
    const p = this.opts.profile;
    this.timers.gossip = this.clock.setTimeout(() => this.gossipTick(), p.gossipIntervalMs);
    if (this.queue.length === 0) return;
    const now = this.clock.now();
    // Dead and left members keep hearing gossip for a while, so that one
    // that is in fact alive learns of the verdict and refutes it.
    const targets = this.sampleProvenFirst(p.gossipNodes, (m) => m !== this.self && (isLive(m) || now - m.stateChangedAt < p.gossipToTheDeadMs));
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

  // ------------------------------------------------------------ push-pull, reconnect, reaping

  private schedulePushPull(): void {
    const base = pushPullInterval(this.opts.profile.pushPullIntervalMs, this.table.verifiedLive);
    // Jitter so members started together do not sync in lockstep.
    this.timers.pushPull = this.clock.setTimeout(() => this.pushPullTick(), base * (0.5 + this.random()));
  }

  private pushPullTick(): void {
    if (!this.running) return;
    this.schedulePushPull();
    if (this.leaving) return;
    const [peer] = this.sampleProvenFirst(1, (m) => m !== this.self && m.state === 'alive');
    if (peer) this.pushPull(peer, false).catch((err: unknown) => this.log.debug('push-pull failed', { peer: peer.name, error: String(err) }));
  }

  /** Exchanges full state with one peer and merges what it knows. */
  private async pushPull(to: Address, join: boolean): Promise<void> {
    this.counters.streamsSent++;
    let reply: Buffer;
    try {
      reply = await this.transport.exchange(to, this.sealStream(join), this.opts.streamTimeoutMs);
    } catch (err) {
      this.counters.streamErrors++;
      throw err;
    }
    if (this.stopped) return;
    const records = this.openStream(reply, join ? Infinity : this.pushPullSizeLimit());
    if (!records) throw new Error(`push-pull reply from ${formatAddress(to)} was rejected`);
    // We chose this peer (a seed, or a member from our table): its word on
    // others counts as a member's, and its own record as first-hand. Joining
    // through a seed brings the whole cluster; anything else is limited.
    this.membership.mergeRemoteState(records, {
      from: to,
      trusted: true,
      stream: true,
      budget: join ? { left: Infinity, rateLimited: false } : { left: this.opts.newMembersPerPushPull, rateLimited: true },
      vouches: join,
    });
  }

  private async receiveExchange(from: Address, request: Buffer): Promise<Uint8Array | undefined> {
    this.counters.streamsReceived++;
    if (this.stopped) return undefined;
    try {
      const records = this.openStream(request, this.pushPullSizeLimit());
      if (!records) return undefined;
      const reply = this.sealStream(false);
      // The peer connected from a port of its own choosing: only its host
      // can say whether it is one of our members.
      const trusted = this.table.all().some((m) => m !== this.self && isLive(m) && m.host === from.host);
      this.membership.mergeRemoteState(records, { from, trusted, stream: true, budget: { left: this.opts.newMembersPerPushPull, rateLimited: true }, vouches: false });
      return reply;
    } catch (err) {
      this.drop('internal-error');
      this.log.error('push-pull handler failed', { error: err });
      return undefined;
    }
  }

  private sealStream(join: boolean): Buffer {
    // Names we have not verified stay with us: a peer joining through us
    // takes our state as verified.
    return this.sealing.seal(encodeStreamMessage({ type: 'push-pull', join, members: this.table.records((m) => m.verified) }));
  }

  /**
   * Members a push-pull may carry, except one from the seed we join
   * through: a peer of our cluster holds about as many as we do, so twice
   * our table plus what one push-pull may add covers partitions healing and
   * new members. Thousands of made-up ones are refused before decoding.
   */
  private pushPullSizeLimit(): number {
    return 2 * this.table.size + this.opts.newMembersPerPushPull;
  }

  private openStream(data: Buffer, maxMembers: number): MemberRecord[] | undefined {
    const plain = this.sealing.unseal(data);
    if (!plain) return undefined;
    if ((pushPullSize(plain) ?? 0) > maxMembers) {
      this.drop('oversized');
      return undefined;
    }
    const d = decodeStreamMessage(plain);
    if (!d.ok) {
      this.drop(d.error.code);
      return undefined;
    }
    if (d.value.type !== 'push-pull') {
      this.drop('malformed');
      return undefined;
    }
    return d.value.members;
  }

  private reconnectTick(): void {
    if (!this.running) return;
    const p = this.opts.profile;
    this.timers.reconnect = this.clock.setTimeout(() => this.reconnectTick(), p.reconnectIntervalMs);
    this.reap();
    if (this.leaving) return;
    // A healed partition: the other side is dead to us and we to them, and
    // neither probes the dead. Reaching one of them merges both views.
    if (this.table.count('dead') > 0) {
      const [dead] = this.sampleProvenFirst(1, (m) => m.state === 'dead');
      if (dead) this.pushPull(dead, false).catch(() => {});
    }
    if (this.table.verifiedLive <= 1 && this.seeds.length > 0) {
      this.seedAttempts = 0;
      void this.joinSeeds();
    }
  }

  private reap(): void {
    if (this.table.count('dead') + this.table.count('left') === 0) return;
    const now = this.clock.now();
    for (const m of [...this.table.all()]) {
      // A dead name we never heard from ourselves (a member that died before
      // we probed it, or one made up) is not worth an hour of reconnects.
      const keep =
        (m.state === 'dead' || m.state === 'left') && !m.verified
          ? this.opts.profile.gossipToTheDeadMs
          : m.state === 'dead'
            ? this.opts.deadRetentionMs
            : m.state === 'left'
              ? this.opts.leftRetentionMs
              : Infinity;
      if (m !== this.self && now - m.stateChangedAt >= keep) {
        this.forget(m);
        this.emit('reap', m, m.state);
      }
    }
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
        trusted: sender !== undefined && sender !== this.self && isLive(sender),
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
        return this.handlePing(msg);
      case 'indirect-ping':
        return this.handleIndirectPing(msg);
      case 'ack':
        return this.pending.get(msg.seq)?.onAck();
      case 'nack':
        return this.pending.get(msg.seq)?.onNack();
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
