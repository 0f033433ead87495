// The membership state of one gossip member: how news about members
// (alive, suspect, dead) changes what it knows, suspicion timers, and
// queueing what changed for dissemination. News about ourselves is answered
// by the Refuter. The protocol driver (cluster.ts) feeds it decoded news,
// saying where each batch came from (NewsSource), and owns the I/O.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { formatAddress, sameAddress, type Address } from '../net/index.js';
import type { Awareness } from './awareness.js';
import type { BroadcastQueue } from './broadcast-queue.js';
import type { MemberEventKind } from './cluster.js';
import { encodeMessage } from './codec.js';
import type { ResolvedOptions } from './options.js';
import type { ClusterCounters, DropReason } from './counters.js';
import { newMember, type Member, type MemberTable } from './members.js';
import type { Alive, Dead, MemberRecord, MemberState, Message, Suspect } from './messages.js';
import { decideAlive, decideDead, decideSuspect, type NewsContext, type PrecedenceRules } from './precedence.js';
import { TokenBucket } from './rate.js';
import { Refuter, type AccusationKind } from './refuter.js';
import { Suspicion } from './suspicion.js';
import { suspicionMinTimeout } from './timing.js';

/** New members one batch of news (a packet, a push-pull) may still add. */
export interface NewMemberBudget {
  /** Counted down as members are added. */
  left: number;
  /** Whether they also draw on the per-second allowance. */
  readonly rateLimited: boolean;
}

/** Where a batch of news came from, and what it may still do. */
export interface NewsSource {
  /** A datagram's source or a push-pull peer; undefined for our own conclusions. */
  readonly from: Address | undefined;
  /** Ourselves, or a messenger we count as live: not a stranger. */
  readonly trusted: boolean;
  /** A peer's whole state (push-pull). */
  readonly stream: boolean;
  /** Shared by every message of the batch. */
  readonly budget: NewMemberBudget;
  /** The members it brings count as verified: the full state of a seed we chose to join through. */
  readonly vouches: boolean;
}

/** News we concluded ourselves (a probe, a timer, our own leave). */
export function ownConclusion(): NewsSource {
  return { from: undefined, trusted: true, stream: false, budget: { left: Infinity, rateLimited: false }, vouches: false };
}

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
  /** A name we were only told of was added: the driver checks it at once. */
  admitted(m: Member): void;
}

const ignoreReasons: Partial<Record<string, DropReason>> = { stranger: 'stranger', implausible: 'implausible-incarnation', 'address-conflict': 'address-conflict' };

/** A name claimed from two addresses is logged at most this often: forged claims come at any rate. */
const CONFLICT_LOG_EVERY_MS = 60_000;

export class Membership {
  readonly refuter: Refuter;
  private readonly rules: PrecedenceRules;
  /** New members learned from others, per second. */
  private readonly admission: TokenBucket;
  private conflictLoggedAt = -Infinity;

  constructor(private readonly ctx: MembershipContext) {
    this.rules = { maxJump: ctx.opts.maxIncarnationJump, reclaimMs: ctx.opts.addressReclaimMs };
    this.admission = new TokenBucket(ctx.opts.newMembersPerSecond, ctx.opts.newMembersBurst, ctx.clock.now());
    this.refuter = new Refuter({ ...ctx, isRunning: () => ctx.isRunning(), send: (to, p) => ctx.send(to, p), broadcast: (k, m) => this.broadcast(k, m) });
  }

  private context(node: string, src: NewsSource, claimed: Address | undefined): NewsContext {
    return {
      isSelf: node === this.ctx.self.name,
      firstHand: src.from !== undefined && claimed !== undefined && sameAddress(src.from, claimed),
      trusted: src.trusted,
      stream: src.stream,
      now: this.ctx.clock.now(),
    };
  }

  /** Counts news refused for who sent it or for its incarnation; true when it was. */
  private refused(why: string): boolean {
    const reason = ignoreReasons[why];
    if (reason) this.ctx.drop(reason);
    return reason !== undefined;
  }

  applyAlive(msg: Alive, src: NewsSource): void {
    const cur = this.ctx.table.get(msg.node);
    const now = this.ctx.clock.now();
    const ctx = this.context(msg.node, src, msg);
    const d = decideAlive(cur, msg, ctx, this.rules);
    switch (d.action) {
      case 'add': {
        if (!this.admit(msg, src, now)) return;
        const m = newMember({ name: msg.node, host: msg.host, port: msg.port, incarnation: msg.incarnation, state: 'alive', meta: msg.meta, stateChangedAt: now, verified: src.vouches });
        this.ctx.table.add(m);
        this.broadcast(msg.node, msg);
        this.ctx.emit('join', m, undefined);
        if (!m.verified) this.ctx.admitted(m);
        return;
      }
      case 'update': {
        const m = cur!;
        const previous = m.state;
        if (d.addressChanged) this.ctx.table.move(m, msg);
        m.meta = msg.meta;
        this.settle(m, 'alive', msg.incarnation, now);
        this.broadcast(msg.node, msg);
        if (previous === 'dead' || previous === 'left') this.ctx.emit('join', m, previous);
        else if (previous === 'suspect') this.ctx.emit('alive', m, previous);
        else if (d.metaChanged || d.addressChanged) this.ctx.emit('update', m, previous);
        return;
      }
      case 'refute':
        if (d.why === 'other-address') this.refuter.note('impersonated', formatAddress(msg), msg.incarnation);
        if (!this.ctx.isLeaving()) this.refuter.refute(msg.incarnation, false);
        return;
      case 'ignore':
        if (d.why === 'address-conflict' && now - this.conflictLoggedAt >= CONFLICT_LOG_EVERY_MS) {
          this.conflictLoggedAt = now;
          this.ctx.log.warn('member name claimed from another address; ignored (two nodes with one name, or a forgery)', {
            node: msg.node,
            claimed: formatAddress(msg),
            known: cur && formatAddress(cur),
            times: this.ctx.counters.dropped['address-conflict'] + 1,
          });
        }
        if (this.refused(d.why)) return;
        if (d.why === 'stale') this.ctx.counters.staleUpdates++;
        return;
    }
  }

  /**
   * New members learned from others are limited per packet, per push-pull
   * and per second: names cost nothing to make up, and each one is memory,
   * probes and gossip on every member. A new name at the address of a live
   * member is someone else's claim to that address: refused.
   */
  private admit(msg: Alive, src: NewsSource, now: number): boolean {
    const holder = this.ctx.table.atAddress(msg);
    if (holder && (holder.state === 'alive' || holder.state === 'suspect')) {
      this.ctx.drop('address-taken');
      return false;
    }
    if (this.ctx.table.size >= this.ctx.opts.maxMembers) {
      this.ctx.drop('member-limit');
      return false;
    }
    if (src.budget.left <= 0 || (src.budget.rateLimited && !this.admission.take(now))) {
      this.ctx.drop('member-rate');
      return false;
    }
    src.budget.left--;
    return true;
  }

  /**
   * @param secondHand the suspicion comes from someone else's finished
   *   verdict (a death in a full-state merge, a death we do not take as it
   *   stands), not from a probe: see startSuspicion.
   */
  applySuspect(msg: Suspect, src: NewsSource, secondHand = false): void {
    const cur = this.ctx.table.get(msg.node);
    const d = decideSuspect(cur, msg, this.context(msg.node, src, undefined), this.rules);
    switch (d.action) {
      case 'refute':
        this.refuter.note('suspect', msg.from, msg.incarnation);
        if (!this.ctx.isLeaving()) this.refuter.refute(msg.incarnation, true);
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
        if (this.refused(d.why)) return;
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
    // Sized by the members we hold real: made-up names must not stretch
    // the timeouts of real suspicions.
    const n = this.ctx.table.verifiedLive;
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
      this.applyDead({ type: 'dead', incarnation, node: m.name, from: this.ctx.self.name }, ownConclusion());
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

  applyDead(msg: Dead, src: NewsSource, onSent?: () => void): void {
    const cur = this.ctx.table.get(msg.node);
    const accuser = this.ctx.table.get(msg.from)?.state;
    const d = decideDead(
      cur,
      msg,
      {
        ...this.context(msg.node, src, cur),
        leaving: this.ctx.isLeaving(),
        credible: (accuser === 'alive' || accuser === 'suspect') && !this.answeredSince(cur, msg.from),
      },
      this.rules,
    );
    switch (d.action) {
      case 'refute':
        this.refuter.note(msg.from === msg.node ? 'left' : 'dead', msg.from, msg.incarnation);
        this.refuter.refute(msg.incarnation, true);
        return;
      case 'suspect':
        this.applySuspect({ type: 'suspect', incarnation: msg.incarnation, node: msg.node, from: msg.from }, src, true);
        return;
      case 'dead': {
        const m = cur!;
        const previous = m.state;
        this.settle(m, d.state, msg.incarnation, this.ctx.clock.now());
        this.broadcast(msg.node, msg, onSent);
        // Whoever we now hold dead or left hears it from us at once: gossip
        // reaches the dead only for a while and may miss it, and a member
        // that is in fact alive must learn of the verdict to refute it.
        if (m !== this.ctx.self && m.verified) this.ctx.send(m, [encodeMessage(msg)]);
        this.ctx.emit(d.state, m, previous);
        return;
      }
      case 'ignore':
        if (this.refused(d.why)) return;
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
    const shortestVerdict = p.probeTimeoutMs + suspicionMinTimeout(p.suspicionMult, this.ctx.table.verifiedLive, p.probeIntervalMs);
    return this.ctx.clock.now() - accused.lastAckAt < shortestVerdict;
  }

  /** Stale news changes nothing; when it accuses us, its sender missed our refutation. */
  private staleNews(msg: Suspect | Dead): void {
    this.ctx.counters.staleUpdates++;
    if (msg.node === this.ctx.self.name && msg.from !== this.ctx.self.name) this.refuter.remind(msg.from);
  }

  /**
   * Merges a peer's full state. Its records about others are second-hand:
   * a death is only a reason to suspect, a leave or a suspicion counts as
   * such only when the peer is a member we count as live. What it holds
   * about us, it acts on whoever it is, so we answer it.
   */
  mergeRemoteState(records: readonly MemberRecord[], src: NewsSource): void {
    const self = this.ctx.self.name;
    const peer = src.from ? formatAddress(src.from) : self;
    for (const r of records) {
      const isSelf = r.name === self;
      if (isSelf && r.state !== 'alive') this.refuter.note(r.state as AccusationKind, peer, r.incarnation);
      const s: NewsSource = isSelf ? { ...src, trusted: true } : src;
      switch (r.state) {
        case 'alive':
          this.applyAlive({ type: 'alive', incarnation: r.incarnation, node: r.name, host: r.host, port: r.port, meta: r.meta }, s);
          break;
        case 'left':
          if (s.trusted) this.applyDead({ type: 'dead', incarnation: r.incarnation, node: r.name, from: r.name }, s);
          else this.applySuspect({ type: 'suspect', incarnation: r.incarnation, node: r.name, from: self }, { ...s, trusted: true }, true);
          break;
        // Another member's verdict of death is only a reason to suspect:
        // we may well reach the member ourselves. It is a finished verdict
        // of unknown age (a member back from a partition holds dead
        // everyone it lost), so a second-hand one.
        case 'dead':
          this.applySuspect({ type: 'suspect', incarnation: r.incarnation, node: r.name, from: self }, { ...s, trusted: true }, true);
          break;
        // A suspicion in progress is fresh news: passed on as memberlist
        // does, and counted by others as a confirmation, without which the
        // originator waits longer for confirmations (docs/gossip.md has the
        // measurement). From a stranger, second-hand.
        case 'suspect':
          this.applySuspect({ type: 'suspect', incarnation: r.incarnation, node: r.name, from: self }, { ...s, trusted: true }, !s.trusted);
          break;
      }
    }
  }

  /** Queues news for dissemination; news of members not yet verified stays with us (Cluster.verify passes it on later). */
  broadcast(key: string, msg: Message, onSent?: () => void): void {
    if (this.ctx.table.get(key)?.verified === false) return;
    this.ctx.queue.push(key, encodeMessage(msg), onSent);
  }
}
