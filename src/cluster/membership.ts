// The membership state of one gossip member: how news about members
// (alive, suspect, dead) changes what it knows, suspicion timers, refuting
// news about itself, and queueing what changed for dissemination. The
// protocol driver (cluster.ts) feeds it decoded news and owns the I/O.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { formatAddress, type Address } from './address.js';
import type { Awareness } from './awareness.js';
import type { BroadcastQueue } from './broadcast-queue.js';
import type { MemberEventKind } from './cluster.js';
import { encodeMessage } from './codec.js';
import type { ResolvedOptions } from './config.js';
import type { ClusterCounters, DropReason } from './counters.js';
import type { Member, MemberTable } from './members.js';
import type { Alive, Dead, MemberRecord, MemberState, Message, Suspect } from './messages.js';
import { decideAlive, decideDead, decideSuspect } from './precedence.js';
import { Suspicion } from './suspicion.js';
import { suspicionMinTimeout } from './timing.js';

/** What the membership state needs from the protocol driver. */
export interface MembershipContext {
  readonly opts: ResolvedOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly counters: ClusterCounters;
  readonly table: MemberTable;
  readonly queue: BroadcastQueue;
  readonly awareness: Awareness;
  readonly self: Member;
  isLeaving(): boolean;
  isRunning(): boolean;
  send(to: Address, primary: Buffer[]): void;
  nextSeq(): number;
  emit(kind: MemberEventKind, m: Member, previous: MemberState | undefined): void;
  drop(reason: DropReason): void;
}

export class Membership {
  /** When we last told an accuser our current incarnation (see staleNews). */
  private readonly reminded = new Map<string, number>();

  constructor(private readonly ctx: MembershipContext) {}

  applyAlive(msg: Alive): void {
    const isSelf = msg.node === this.ctx.self.name;
    const cur = this.ctx.table.get(msg.node);
    const now = this.ctx.clock.now();
    const d = decideAlive(cur, msg, isSelf, now, 0);
    switch (d.action) {
      case 'add': {
        if (this.ctx.table.size >= this.ctx.opts.maxMembers) {
          this.ctx.drop('member-limit');
          return;
        }
        const m: Member = { name: msg.node, host: msg.host, port: msg.port, incarnation: msg.incarnation, state: 'alive', meta: msg.meta, stateChangedAt: now, suspicion: undefined };
        this.ctx.table.add(m);
        this.broadcast(msg.node, msg);
        this.ctx.emit('join', m, undefined);
        return;
      }
      case 'update': {
        const m = cur!;
        const previous = m.state;
        m.host = msg.host;
        m.port = msg.port;
        m.meta = msg.meta;
        this.settle(m, 'alive', msg.incarnation, now);
        this.broadcast(msg.node, msg);
        if (previous === 'dead' || previous === 'left') this.ctx.emit('join', m, previous);
        else if (previous === 'suspect') this.ctx.emit('alive', m, previous);
        else if (d.metaChanged || d.addressChanged) this.ctx.emit('update', m, previous);
        return;
      }
      case 'refute':
        if (!this.ctx.isLeaving()) this.refute(msg.incarnation, false);
        return;
      case 'ignore':
        if (d.why === 'stale') this.ctx.counters.staleUpdates++;
        else if (d.why === 'address-conflict') this.ctx.log.warn('member name claimed from another address; ignored', { node: msg.node, claimed: formatAddress(msg), known: cur && formatAddress(cur) });
        return;
    }
  }

  /**
   * @param secondHand the suspicion comes from someone else's finished
   *   verdict (a death in a full-state merge, a death we do not take as it
   *   stands), not from a probe: see startSuspicion.
   */
  applySuspect(msg: Suspect, secondHand = false): void {
    const cur = this.ctx.table.get(msg.node);
    const d = decideSuspect(cur, msg, msg.node === this.ctx.self.name);
    switch (d.action) {
      case 'refute':
        if (!this.ctx.isLeaving()) this.refute(msg.incarnation, true);
        return;
      case 'confirm': {
        const m = cur!;
        // First-hand evidence (our failed probe, or a live member's) turns
        // a second-hand suspicion into an ordinary one.
        if (!secondHand && m.suspicion?.secondHand) {
          this.startSuspicion(m, msg.from, false);
          this.broadcast(msg.node, msg);
          return;
        }
        // Pass on independent confirmations: they shorten others' timers too.
        if (m.suspicion?.confirm(msg.from)) this.broadcast(msg.node, msg);
        return;
      }
      case 'suspect': {
        const m = cur!;
        const previous = m.state;
        m.incarnation = msg.incarnation;
        this.ctx.table.setState(m, 'suspect', this.ctx.clock.now());
        this.startSuspicion(m, msg.from, secondHand);
        // Old news is not spread: others would take it for a probe's
        // verdict and time it out at their minimum (startSuspicion tells
        // the accused).
        if (!secondHand) this.broadcast(msg.node, msg);
        if (previous !== 'suspect') this.ctx.emit('suspect', m, previous);
        return;
      }
      case 'ignore':
        if (d.why === 'stale') this.staleNews(msg);
        return;
    }
  }

  /**
   * A second-hand suspicion waits the longest timeout Lifeguard allows. Its
   * verdict may be old: a member back from a partition still holds dead
   * everyone it could not reach, and its full state says so. The accused
   * needs a round trip to hear of it and refute; with the minimum timeout
   * (20 ms with three members and tight settings) a busy host loses that
   * race, and a healthy member is declared dead. A real death is not held
   * up: its prober's own verdict comes as a death, not a suspicion, and our
   * own failed probe turns this into an ordinary suspicion.
   */
  private startSuspicion(m: Member, from: string, secondHand: boolean): void {
    const p = this.ctx.opts.profile;
    const n = this.ctx.table.live;
    const min = suspicionMinTimeout(p.suspicionMult, n, p.probeIntervalMs);
    const max = this.ctx.opts.lifeguard ? p.suspicionMaxTimeoutMult * min : min;
    // Fewer members than confirmations expected: wait the minimum only.
    const k = this.ctx.opts.lifeguard && n - 2 >= p.suspicionConfirmations ? p.suspicionConfirmations : 0;
    const incarnation = m.incarnation;
    const current = (): boolean => m.state === 'suspect' && m.incarnation === incarnation && this.ctx.table.get(m.name) === m;
    const ours = encodeMessage({ type: 'suspect', incarnation, node: m.name, from: this.ctx.self.name });
    // A second-hand suspicion is gossiped to no one, so the accused hears it
    // from us, now, to refute it.
    if (secondHand) this.ctx.send(m, [ours]);
    m.suspicion?.cancel();
    m.suspicion = new Suspicion(this.ctx.clock, from, secondHand ? max : min, max, k, secondHand, () => {
      if (!current()) return;
      this.ctx.counters.deathsDeclared++;
      this.applyDead({ type: 'dead', incarnation, node: m.name, from: this.ctx.self.name });
    });
    // While the suspicion lasts, probe the suspect ourselves now and then
    // with the suspicion attached (the buddy system from our side): a live
    // suspect refutes, or reminds us of the refutation we missed, before our
    // timer runs out. A dead one costs a few unanswered pings.
    if (this.ctx.opts.lifeguard) {
      const recheck = (): void => {
        if (!current() || !this.ctx.isRunning()) return;
        this.ctx.send(m, [
          encodeMessage({ type: 'ping', seq: this.ctx.nextSeq(), target: m.name, sourceHost: this.ctx.self.host, sourcePort: this.ctx.self.port, sourceName: this.ctx.self.name }),
          ours,
        ]);
        this.ctx.clock.setTimeout(recheck, min / 2);
      };
      this.ctx.clock.setTimeout(recheck, min / 2);
    }
  }

  applyDead(msg: Dead, onSent?: () => void): void {
    const cur = this.ctx.table.get(msg.node);
    const accuser = this.ctx.table.get(msg.from)?.state;
    const d = decideDead(cur, msg, msg.node === this.ctx.self.name, this.ctx.isLeaving(), (accuser === 'alive' || accuser === 'suspect') && !this.answeredSince(cur, msg.from));
    switch (d.action) {
      case 'refute':
        this.refute(msg.incarnation, true);
        return;
      case 'suspect':
        this.applySuspect({ type: 'suspect', incarnation: msg.incarnation, node: msg.node, from: msg.from }, true);
        return;
      case 'dead': {
        const m = cur!;
        const previous = m.state;
        this.settle(m, d.state, msg.incarnation, this.ctx.clock.now());
        this.broadcast(msg.node, msg, onSent);
        this.ctx.emit(d.state, m, previous);
        return;
      }
      case 'ignore':
        if (d.why === 'stale') this.staleNews(msg);
        return;
    }
  }

  /** A verdict that ends any suspicion of `m`: alive again, dead or left. */
  private settle(m: Member, state: MemberState, incarnation: number, now: number): void {
    m.suspicion?.cancel();
    m.suspicion = undefined;
    m.incarnation = incarnation;
    this.ctx.table.setState(m, state, now);
  }

  /**
   * Whether the accused answered one of our probes more recently than any
   * verdict about it can have been reached. A death verdict needs a probe
   * that went unanswered (the probe timeout) and then a whole suspicion (at
   * least the minimum timeout); an ack we got within that long postdates
   * the moment the accuser lost it. Such a verdict is old: typically a
   * member that was cut off declared everyone dead and, back on the
   * network, still gossips it. Our own suspicion timer's verdict stands.
   */
  private answeredSince(accused: Member | undefined, accuser: string): boolean {
    if (!accused?.lastAckAt || accuser === this.ctx.self.name) return false;
    const p = this.ctx.opts.profile;
    const shortestVerdict = p.probeTimeoutMs + suspicionMinTimeout(p.suspicionMult, this.ctx.table.live, p.probeIntervalMs);
    return this.ctx.clock.now() - accused.lastAckAt < shortestVerdict;
  }

  /**
   * Stale news changes nothing. When it accuses us, its sender missed our
   * refutation (gossip reaches most members, not provably all): tell the
   * sender directly, at most once per probe interval, or its suspicion
   * timer will declare us dead.
   */
  private staleNews(msg: Suspect | Dead): void {
    this.ctx.counters.staleUpdates++;
    if (msg.node !== this.ctx.self.name || msg.from === this.ctx.self.name) return;
    const accuser = this.ctx.table.get(msg.from);
    if (!accuser || accuser.state === 'dead' || accuser.state === 'left') return;
    const now = this.ctx.clock.now();
    const last = this.reminded.get(msg.from);
    if (last !== undefined && now - last < this.ctx.opts.profile.probeIntervalMs) return;
    this.reminded.set(msg.from, now);
    if (this.reminded.size > this.ctx.opts.maxMembers) this.reminded.clear();
    this.ctx.send(accuser, [encodeMessage(this.aliveSelf())]);
  }

  /** Someone thinks we are suspect, dead or elsewhere: assert ourselves with a newer incarnation. */
  refute(accused: number, accusedOfFailure: boolean): void {
    this.ctx.self.incarnation = Math.max(this.ctx.self.incarnation, accused) + 1;
    this.ctx.counters.refutes++;
    if (accusedOfFailure) this.ctx.awareness.applyDelta(1);
    this.broadcast(this.ctx.self.name, this.aliveSelf());
  }

  aliveSelf(): Alive {
    return { type: 'alive', incarnation: this.ctx.self.incarnation, node: this.ctx.self.name, host: this.ctx.self.host, port: this.ctx.self.port, meta: this.ctx.self.meta };
  }

  mergeRemoteState(records: readonly MemberRecord[]): void {
    for (const r of records) {
      switch (r.state) {
        case 'alive':
          this.applyAlive({ type: 'alive', incarnation: r.incarnation, node: r.name, host: r.host, port: r.port, meta: r.meta });
          break;
        case 'left':
          this.applyDead({ type: 'dead', incarnation: r.incarnation, node: r.name, from: r.name });
          break;
        // Another member's verdict of death is only a reason to suspect:
        // we may well reach the member ourselves. It is a finished verdict
        // of unknown age (a member back from a partition holds dead
        // everyone it lost), so a second-hand one.
        case 'dead':
          this.applySuspect({ type: 'suspect', incarnation: r.incarnation, node: r.name, from: this.ctx.self.name }, true);
          break;
        // A suspicion in progress is fresh news: passed on as memberlist
        // does, and counted by others as a confirmation. Without that echo
        // the simulator's detection at n=100 slowed from 0.89 s to 1.26 s
        // at p99 (`npm run bench:gossip` at e3e1942), the originator
        // waiting longer for confirmations.
        case 'suspect':
          this.applySuspect({ type: 'suspect', incarnation: r.incarnation, node: r.name, from: this.ctx.self.name });
          break;
      }
    }
  }

  broadcast(key: string, msg: Message, onSent?: () => void): void {
    this.ctx.queue.push(key, encodeMessage(msg), onSent);
  }
}
