// How a member answers news about itself: it refutes suspicions, deaths
// and claims to its name with a newer incarnation, reminds accusers that
// missed a refutation, and keeps a record of what others said about it (for
// the log and the status endpoint: a member that others hold dead should
// say so).
//
// Incarnations are 32-bit. A refutation normally outbids the accusation by
// one, and others take it second-hand through gossip. Two cases need the
// member's own word, sent first-hand to every member: a jump larger than
// receivers accept second-hand (after a restart, or to answer an accusation
// far above what we last announced), and the top of the range, where there
// is nothing left to outbid with and receivers let the member's first-hand
// word decide at equal incarnation (precedence.ts).
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { Address } from '../net/index.js';
import type { Awareness } from './awareness.js';
import { encodeMessage, MAX_U32 } from './codec.js';
import type { ResolvedOptions } from './options.js';
import type { ClusterCounters } from './counters.js';
import type { Member, MemberTable } from './members.js';
import type { Alive, Message } from './messages.js';

export type AccusationKind = 'suspect' | 'dead' | 'left' | 'impersonated';

export interface Accusation {
  readonly kind: AccusationKind;
  /** The accuser's name as the news gave it, or the address it came from. */
  readonly by: string;
  readonly incarnation: number;
  /** Wall clock, ms since the epoch. */
  readonly at: number;
}

/** What others said about this member: counts by kind and the latest. */
export interface SelfView {
  readonly accusations: Readonly<Record<AccusationKind, number>>;
  readonly last: Accusation | undefined;
}

export interface RefuterContext {
  readonly opts: ResolvedOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly counters: ClusterCounters;
  readonly table: MemberTable;
  readonly awareness: Awareness;
  readonly self: Member;
  isRunning(): boolean;
  send(to: Address, primary: Buffer[]): void;
  broadcast(key: string, msg: Message): void;
}

/** One warning per kind this often at most: accusations can be forged at any rate. */
const LOG_EVERY_MS = 10_000;

export class Refuter {
  /** When we last told an accuser our current incarnation. */
  private readonly reminded = new Map<string, number>();
  private readonly accusations: Record<AccusationKind, number> = { suspect: 0, dead: 0, left: 0, impersonated: 0 };
  private last: Accusation | undefined;
  private readonly loggedAt = new Map<AccusationKind, number>();
  private lastAwarenessRaise = -Infinity;
  private lastFanout = -Infinity;
  private fanoutTimer: TimerHandle | undefined;

  constructor(private readonly ctx: RefuterContext) {}

  aliveSelf(): Alive {
    const s = this.ctx.self;
    return { type: 'alive', incarnation: s.incarnation, node: s.name, host: s.host, port: s.port, meta: s.meta };
  }

  view(): SelfView {
    return { accusations: { ...this.accusations }, last: this.last };
  }

  /**
   * Someone thinks we are suspect, dead, left or elsewhere: assert ourselves
   * with a newer incarnation (the newest there is, at the top of the range).
   */
  refute(accused: number, accusedOfFailure: boolean): void {
    const before = this.ctx.self.incarnation;
    this.ctx.self.incarnation = Math.min(MAX_U32, Math.max(before, accused) + 1);
    this.ctx.counters.refutes++;
    // Lifeguard: being suspected suggests we are the slow one. At most once a
    // probe interval, so that forged suspicions cannot slow our probing
    // down for long: each successful probe takes one point back.
    const now = this.ctx.clock.now();
    if (accusedOfFailure && now - this.lastAwarenessRaise >= this.ctx.opts.profile.probeIntervalMs) {
      this.lastAwarenessRaise = now;
      this.ctx.awareness.applyDelta(1);
    }
    this.announce(before, accused);
  }

  /** Gossips our current state after a change from incarnation `before`; see the file comment. */
  announce(before: number, outbid = before): void {
    this.ctx.broadcast(this.ctx.self.name, this.aliveSelf());
    const inc = this.ctx.self.incarnation;
    if (inc <= outbid || inc - before > this.ctx.opts.maxIncarnationJump) this.fanout();
  }

  /** Records what others said about us; warns (rate-limited) when it is more than a suspicion. */
  note(kind: AccusationKind, by: string, incarnation: number): void {
    this.accusations[kind]++;
    this.last = { kind, by, incarnation, at: this.ctx.opts.wallNow() };
    if (kind === 'suspect') return;
    const now = this.ctx.clock.now();
    if (now - (this.loggedAt.get(kind) ?? -Infinity) < LOG_EVERY_MS) return;
    this.loggedAt.set(kind, now);
    const what =
      kind === 'impersonated' ? 'another member gossips this member\'s name at another address; asserting ours' : `other members hold this member ${kind}; refuting`;
    this.ctx.log.warn(what, { by, incarnation, ours: this.ctx.self.incarnation, times: this.accusations[kind] });
  }

  /**
   * Tells an accuser who missed our refutation our current incarnation, at
   * most once per probe interval each, or its suspicion timer will declare
   * us dead (gossip reaches most members, not provably all). Sent
   * first-hand, so it counts whatever the accuser holds.
   */
  remind(accuserName: string): void {
    const accuser = this.ctx.table.get(accuserName);
    if (!accuser || accuser === this.ctx.self || accuser.state === 'dead' || accuser.state === 'left') return;
    const now = this.ctx.clock.now();
    const last = this.reminded.get(accuserName);
    if (last !== undefined && now - last < this.ctx.opts.profile.probeIntervalMs) return;
    this.reminded.set(accuserName, now);
    if (this.reminded.size > this.ctx.opts.maxMembers) this.reminded.clear();
    this.ctx.send(accuser, [encodeMessage(this.aliveSelf())]);
  }

  /** Sends our state to every member ourselves, at most once per probe interval (the latest state). */
  private fanout(): void {
    if (this.fanoutTimer) return;
    const wait = this.lastFanout + this.ctx.opts.profile.probeIntervalMs - this.ctx.clock.now();
    if (wait <= 0) return this.fanoutNow();
    this.fanoutTimer = this.ctx.clock.setTimeout(() => {
      this.fanoutTimer = undefined;
      this.fanoutNow();
    }, wait);
  }

  private fanoutNow(): void {
    if (!this.ctx.isRunning()) return;
    this.lastFanout = this.ctx.clock.now();
    this.ctx.counters.fanouts++;
    const msg = [encodeMessage(this.aliveSelf())];
    for (const m of this.ctx.table.all()) if (m !== this.ctx.self && m.verified && m.state !== 'left') this.ctx.send(m, msg);
  }
}
