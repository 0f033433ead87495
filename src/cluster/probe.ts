// SWIM failure detection for one member: each protocol period it probes
// the next member of the randomized round-robin with a ping, asks a few
// others to probe indirectly when the ack is late, and suspects the member
// when nothing came back by the end of the period. Names we were only told
// of are probed on a lane of their own until they answer (verified) or are
// forgotten. It also answers the probes of others (ping, indirect ping)
// and feeds Lifeguard's local health with what its own probes saw.
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Address } from '../net/index.js';
import type { Awareness } from './awareness.js';
import { encodeMessage } from './codec.js';
import type { ClusterCounters, DropReason } from './counters.js';
import { isLiveMember, type Member, type MemberTable } from './members.js';
import { ownConclusion, type Membership } from './membership.js';
import type { IndirectPing, Ping } from './messages.js';
import type { ResolvedOptions } from './options.js';
import { scaleByHealth } from './timing.js';

/** Unverified names probed in one protocol period at most. */
const MAX_UNVERIFIED_PROBES = 16;
const UNVERIFIED_PROBES_BEFORE_FORGETTING = 3;

/** What the prober needs from the protocol driver (cluster.ts). */
export interface ProbeContext {
  readonly opts: ResolvedOptions;
  readonly clock: Clock;
  readonly counters: ClusterCounters;
  readonly table: MemberTable;
  readonly self: Member;
  readonly awareness: Awareness;
  readonly membership: Membership;
  isRunning(): boolean;
  isLeaving(): boolean;
  send(to: Address, primary: Buffer[]): void;
  /** We heard from `m` ourselves. */
  verify(m: Member): void;
  /** Drops `m` from the table without a word to anyone. */
  forget(m: Member): void;
  sampleProvenFirst(k: number, filter: (m: Member) => boolean): Member[];
  drop(reason: DropReason): void;
}

interface PendingProbe {
  onAck(): void;
  onNack(): void;
}

export class Prober {
  private readonly pending = new Map<number, PendingProbe>();
  private seq = 0;
  private indirectInFlight = 0;
  private timer: TimerHandle | undefined;

  constructor(private readonly ctx: ProbeContext) {}

  /** Starts the protocol periods, the first after `delayMs`. */
  start(delayMs: number): void {
    this.schedule(delayMs);
  }

  stop(): void {
    this.ctx.clock.clearTimeout(this.timer);
    this.pending.clear();
  }

  /** The sequence number of a new probe (also used by the membership state for its own pings). */
  nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  ack(seq: number): void {
    this.pending.get(seq)?.onAck();
  }

  nack(seq: number): void {
    this.pending.get(seq)?.onNack();
  }

  private schedule(delay: number): void {
    this.timer = this.ctx.clock.setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    const { ctx } = this;
    if (!ctx.isRunning()) return;
    const interval = scaleByHealth(ctx.opts.profile.probeIntervalMs, ctx.awareness.score);
    if (!ctx.isLeaving()) {
      const target = ctx.table.nextProbeTarget((m) => m !== ctx.self && isLiveMember(m) && m.verified);
      if (target) this.probe(target, interval);
      // Names we were only told of are probed on a lane of their own, so
      // that any number of them (made-up ones included) cannot delay the
      // probing of members we know to be real; faster when many wait, to
      // keep up with what the admission limits let in.
      const lane = Math.min(MAX_UNVERIFIED_PROBES, Math.ceil(ctx.table.unverifiedCount / 10));
      for (let i = 0; i < lane; i++) {
        const unproven = ctx.table.nextUnverified((m) => isLiveMember(m));
        if (unproven) this.probeUnverified(unproven, interval);
      }
    }
    this.schedule(interval);
  }

  /**
   * A name not yet verified: one ping. An answer makes it a member; three
   * unanswered in a row make us forget it, quietly: it was never part of the
   * cluster for us, so there is no suspicion to spread. (A real member
   * misses three in a row at 5% loss once in 8,000 times; it comes back
   * from members that did hear it, or with the next push-pull.)
   */
  probeUnverified(target: Member, interval: number): void {
    const { ctx } = this;
    const seq = this.nextSeq();
    ctx.counters.probes++;
    const deadline = ctx.clock.setTimeout(() => {
      this.pending.delete(seq);
      if (!ctx.isRunning() || target.verified || ctx.table.get(target.name) !== target) return;
      target.unanswered = (target.unanswered ?? 0) + 1;
      if (target.unanswered < UNVERIFIED_PROBES_BEFORE_FORGETTING) return;
      ctx.counters.forgotten++;
      ctx.forget(target);
    }, interval);
    this.pending.set(seq, {
      onAck: () => {
        ctx.clock.clearTimeout(deadline);
        this.pending.delete(seq);
        target.lastAckAt = ctx.clock.now();
        ctx.verify(target);
      },
      onNack: () => {},
    });
    ctx.send(target, [encodeMessage(this.ping(seq, target.name))]);
  }

  private probe(target: Member, interval: number): void {
    const { ctx } = this;
    const p = ctx.opts.profile;
    const seq = this.nextSeq();
    const timeout = scaleByHealth(p.probeTimeoutMs, ctx.awareness.score);
    const incarnation = target.incarnation;
    let acked = false;
    let nacks = 0;
    let expectedNacks = 0;
    let indirectTimer: TimerHandle | undefined = undefined;
    const finish = (): void => {
      this.pending.delete(seq);
      ctx.clock.clearTimeout(indirectTimer);
      ctx.clock.clearTimeout(deadline);
    };
    ctx.counters.probes++;
    this.pending.set(seq, {
      onAck: () => {
        if (acked) return;
        acked = true;
        target.lastAckAt = ctx.clock.now();
        finish();
        ctx.awareness.applyDelta(-1);
      },
      onNack: () => {
        nacks++;
      },
    });
    const primary = [encodeMessage(this.ping(seq, target.name))];
    // Lifeguard buddy system: a suspect learns of its suspicion from the
    // very next probe it receives, rather than waiting for gossip.
    if (ctx.opts.lifeguard && target.state === 'suspect') {
      primary.push(encodeMessage({ type: 'suspect', incarnation: target.incarnation, node: target.name, from: ctx.self.name }));
    }
    ctx.send(target, primary);

    indirectTimer = ctx.clock.setTimeout(() => {
      if (acked || !ctx.isRunning()) return;
      const helpers = ctx.sampleProvenFirst(p.indirectChecks, (m) => m !== ctx.self && m !== target && m.state === 'alive');
      // Lifeguard counts missing nacks against our own health: only from
      // helpers that answered us before, not from names that may be made up.
      expectedNacks = ctx.opts.lifeguard ? helpers.filter((h) => h.verified).length : 0;
      for (const h of helpers) {
        const req: IndirectPing = {
          type: 'indirect-ping',
          seq,
          target: target.name,
          targetHost: target.host,
          targetPort: target.port,
          wantNack: ctx.opts.lifeguard,
          sourceHost: ctx.self.host,
          sourcePort: ctx.self.port,
          sourceName: ctx.self.name,
        };
        ctx.counters.indirectProbes++;
        ctx.send(h, [encodeMessage(req)]);
      }
    }, timeout);

    const deadline = ctx.clock.setTimeout(() => {
      if (acked) return;
      finish();
      if (!ctx.isRunning()) return;
      ctx.counters.probesFailed++;
      // Lifeguard: missing nacks mean our own network or process is the
      // problem, so we slow down; with no helpers to ask, assume the same.
      ctx.awareness.applyDelta(expectedNacks > 0 ? Math.max(0, expectedNacks - nacks) : 1);
      // Also when already suspect: our failed probe is an independent
      // confirmation that shortens everyone's suspicion timer.
      if ((target.state === 'alive' || target.state === 'suspect') && target.incarnation === incarnation) {
        ctx.counters.suspicionsRaised++;
        ctx.membership.applySuspect({ type: 'suspect', incarnation, node: target.name, from: ctx.self.name }, ownConclusion());
      }
    }, interval);
  }

  handlePing(msg: Ping): void {
    if (msg.target !== this.ctx.self.name) {
      this.ctx.drop('wrong-target');
      return;
    }
    this.ctx.send({ host: msg.sourceHost, port: msg.sourcePort }, [encodeMessage({ type: 'ack', seq: msg.seq })]);
  }

  handleIndirectPing(msg: IndirectPing): void {
    const { ctx } = this;
    if (this.indirectInFlight >= ctx.opts.maxConcurrentIndirect) {
      ctx.drop('indirect-overload');
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
      ctx.clock.clearTimeout(timer);
    };
    this.pending.set(seq, {
      onAck: () => {
        finish();
        ctx.send(requester, [encodeMessage({ type: 'ack', seq: msg.seq })]);
      },
      onNack: () => {},
    });
    ctx.send({ host: msg.targetHost, port: msg.targetPort }, [encodeMessage(this.ping(seq, msg.target))]);
    const timer = ctx.clock.setTimeout(() => {
      if (done) return;
      finish();
      if (msg.wantNack) ctx.send(requester, [encodeMessage({ type: 'nack', seq: msg.seq })]);
    }, ctx.opts.profile.probeTimeoutMs);
  }

  private ping(seq: number, target: string): Ping {
    const self = this.ctx.self;
    return { type: 'ping', seq, target, sourceHost: self.host, sourcePort: self.port, sourceName: self.name };
  }
}
