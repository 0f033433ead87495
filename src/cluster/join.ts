// Finding the cluster and keeping in touch with it: joining through seed
// addresses (retried with backoff while no one answers, as when every
// speaker starts at once), rejoining when this member finds itself alone,
// reaching out to a dead member now and then so that a healed partition
// merges, and forgetting dead and departed members after their retention.
import { exponentialDelay } from '../util/backoff.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { formatAddress, type Address } from '../net/index.js';
import type { MemberEventKind } from './cluster.js';
import type { Member, MemberTable } from './members.js';
import type { MemberState } from './messages.js';
import type { ResolvedOptions } from './options.js';
import type { PushPull } from './push-pull.js';

/** First retry of unanswered seeds; doubles up to the profile's reconnect interval. */
const SEED_RETRY_INITIAL_MS = 250;

/** What joining and reconnecting need from the protocol driver (cluster.ts). */
export interface JoinContext {
  readonly opts: ResolvedOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly random: () => number;
  readonly table: MemberTable;
  readonly self: Member;
  readonly pushPull: PushPull;
  isRunning(): boolean;
  isLeaving(): boolean;
  sampleProvenFirst(k: number, filter: (m: Member) => boolean): Member[];
  forget(m: Member): void;
  emit(kind: MemberEventKind, m: Member, previous: MemberState | undefined): void;
}

export class Joiner {
  private seeds: Address[] = [];
  private seedAttempts = 0;
  private timers: Record<'reconnect' | 'seedRetry' | 'seedResync', TimerHandle | undefined> = { reconnect: undefined, seedRetry: undefined, seedResync: undefined };

  constructor(private readonly ctx: JoinContext) {}

  /** Starts the reconnect period: reaping, reaching out to the dead, rejoining when alone. */
  start(): void {
    this.timers.reconnect = this.ctx.clock.setTimeout(() => this.reconnectTick(), this.ctx.opts.profile.reconnectIntervalMs);
  }

  stop(): void {
    for (const t of Object.values(this.timers)) this.ctx.clock.clearTimeout(t);
  }

  /**
   * Joins through seed addresses with a full state exchange each; resolves
   * with how many answered. Seeds are remembered and retried while this
   * member sees no one else (startup order, or every peer restarted).
   */
  async join(seeds: readonly Address[]): Promise<number> {
    const self = this.ctx.self;
    this.seeds = seeds.filter((s) => !(s.host === self.host && s.port === self.port));
    this.ctx.clock.clearTimeout(this.timers.seedRetry);
    this.seedAttempts = 0;
    return this.joinSeeds();
  }

  private async joinSeeds(): Promise<number> {
    const { ctx } = this;
    const seeds = this.seeds;
    const results = await Promise.allSettled(seeds.map((s) => ctx.pushPull.exchange(s, true)));
    let ok = 0;
    const answered: Address[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        ok++;
        answered.push(seeds[i]!);
      } else ctx.log.debug('join: seed did not answer', { seed: formatAddress(seeds[i]!), error: String(r.reason) });
    });
    // A seed's state leaves out the members it was still verifying (they
    // joined through it a moment before us, as when every speaker starts at
    // once): sync once more, a few probe periods later, to take them too.
    // Attempts overlap (join(), the retry below and the reconnect tick each
    // start one): every timer slot holds one timer, the previous one cleared
    // before it is replaced. An overwritten handle would leave a timer no one
    // can cancel, and a retry that schedules its own successor: one more
    // endless retry chain per reconnect tick for a member left alone.
    if (answered.length > 0 && ctx.isRunning()) {
      ctx.clock.clearTimeout(this.timers.seedResync);
      this.timers.seedResync = ctx.clock.setTimeout(() => {
        for (const s of answered) ctx.pushPull.exchange(s, true).catch(() => {});
      }, 3 * ctx.opts.profile.probeIntervalMs);
    }
    // Seeds that are not up yet (every speaker starts at once) are retried
    // with backoff until one answers or someone else finds us.
    if (ok === 0 && seeds.length > 0 && ctx.isRunning() && !ctx.isLeaving() && ctx.table.verifiedLive <= 1) {
      const delay = exponentialDelay(this.seedAttempts++, { initialMs: SEED_RETRY_INITIAL_MS, maxMs: ctx.opts.profile.reconnectIntervalMs });
      // Spread both ways, [d/2, 3d/2), like the push-pull schedule.
      ctx.clock.clearTimeout(this.timers.seedRetry);
      this.timers.seedRetry = ctx.clock.setTimeout(() => {
        if (ctx.table.verifiedLive <= 1) void this.joinSeeds();
      }, delay * (0.5 + ctx.random()));
    }
    return ok;
  }

  private reconnectTick(): void {
    const { ctx } = this;
    if (!ctx.isRunning()) return;
    const p = ctx.opts.profile;
    this.timers.reconnect = ctx.clock.setTimeout(() => this.reconnectTick(), p.reconnectIntervalMs);
    this.reap();
    if (ctx.isLeaving()) return;
    // A healed partition: the other side is dead to us and we to them, and
    // neither probes the dead. Reaching one of them merges both views.
    if (ctx.table.count('dead') > 0) {
      const [dead] = ctx.sampleProvenFirst(1, (m) => m.state === 'dead');
      if (dead) ctx.pushPull.exchange(dead, false).catch(() => {});
    }
    if (ctx.table.verifiedLive <= 1 && this.seeds.length > 0) {
      this.seedAttempts = 0;
      void this.joinSeeds();
    }
  }

  private reap(): void {
    const { ctx } = this;
    if (ctx.table.count('dead') + ctx.table.count('left') === 0) return;
    const now = ctx.clock.now();
    // Live members are kept whatever their age: only the dead and left need a look.
    for (const m of ctx.table.downMembers()) {
      // A dead name we never heard from ourselves (a member that died before
      // we probed it, or one made up) is not worth an hour of reconnects.
      const keep =
        (m.state === 'dead' || m.state === 'left') && !m.verified
          ? ctx.opts.profile.gossipToTheDeadMs
          : m.state === 'dead'
            ? ctx.opts.deadRetentionMs
            : m.state === 'left'
              ? ctx.opts.leftRetentionMs
              : Infinity;
      if (m !== ctx.self && now - m.stateChangedAt >= keep) {
        ctx.forget(m);
        ctx.emit('reap', m, m.state);
      }
    }
  }
}
