// Push-pull: full state exchanged with one member over a stream (TCP in
// real use), periodically with a random member so that views converge
// whatever gossip missed, at once with the seeds of a join, and with a dead
// member to merge a healed partition. Both directions pass the same checks:
// sealed, a size bound before decoding, and the membership rules for what
// the peer may say (membership.ts, precedence.ts).
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { formatAddress, type Address } from '../net/index.js';
import { decodeStreamMessage, encodeStreamMessage, pushPullSize } from './codec.js';
import type { ClusterCounters, DropReason } from './counters.js';
import { isLiveMember, type Member, type MemberTable } from './members.js';
import type { Membership } from './membership.js';
import type { MemberRecord } from './messages.js';
import type { ResolvedOptions } from './options.js';
import type { Sealing } from './sealing.js';
import { pushPullInterval } from './timing.js';
import type { Transport } from './transport.js';

/** What push-pull needs from the protocol driver (cluster.ts). */
export interface PushPullContext {
  readonly opts: ResolvedOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly random: () => number;
  readonly counters: ClusterCounters;
  readonly table: MemberTable;
  readonly self: Member;
  readonly membership: Membership;
  readonly transport: Transport;
  readonly sealing: Sealing;
  isRunning(): boolean;
  isLeaving(): boolean;
  isStopped(): boolean;
  sampleProvenFirst(k: number, filter: (m: Member) => boolean): Member[];
  drop(reason: DropReason): void;
}

export class PushPull {
  private timer: TimerHandle | undefined;

  constructor(private readonly ctx: PushPullContext) {}

  /** Starts the periodic exchange with a random member. */
  start(): void {
    this.schedule();
  }

  stop(): void {
    this.ctx.clock.clearTimeout(this.timer);
  }

  private schedule(): void {
    const base = pushPullInterval(this.ctx.opts.profile.pushPullIntervalMs, this.ctx.table.verifiedLive);
    // Jitter so members started together do not sync in lockstep.
    this.timer = this.ctx.clock.setTimeout(() => this.tick(), base * (0.5 + this.ctx.random()));
  }

  private tick(): void {
    const { ctx } = this;
    if (!ctx.isRunning()) return;
    this.schedule();
    if (ctx.isLeaving()) return;
    const [peer] = ctx.sampleProvenFirst(1, (m) => m !== ctx.self && m.state === 'alive');
    if (peer) this.exchange(peer, false).catch((err: unknown) => ctx.log.debug('push-pull failed', { peer: peer.name, error: String(err) }));
  }

  /** Exchanges full state with one peer and merges what it knows; `join` when it is a seed we join through. */
  async exchange(to: Address, join: boolean): Promise<void> {
    const { ctx } = this;
    ctx.counters.streamsSent++;
    let reply: Buffer;
    try {
      reply = await ctx.transport.exchange(to, this.seal(join), ctx.opts.streamTimeoutMs);
    } catch (err) {
      ctx.counters.streamErrors++;
      throw err;
    }
    if (ctx.isStopped()) return;
    const records = this.open(reply, join ? Infinity : this.sizeLimit());
    if (!records) throw new Error(`push-pull reply from ${formatAddress(to)} was rejected`);
    // We chose this peer (a seed, or a member from our table): its word on
    // others counts as a member's, and its own record as first-hand. Joining
    // through a seed brings the whole cluster; anything else is limited.
    ctx.membership.mergeRemoteState(records, {
      from: to,
      trusted: true,
      stream: true,
      budget: join ? { left: Infinity, rateLimited: false } : { left: ctx.opts.newMembersPerPushPull, rateLimited: true },
      vouches: join,
    });
  }

  /** Answers a peer's push-pull with our state; undefined closes the stream unanswered. */
  async receive(from: Address, request: Buffer): Promise<Uint8Array | undefined> {
    const { ctx } = this;
    ctx.counters.streamsReceived++;
    if (ctx.isStopped()) return undefined;
    try {
      const records = this.open(request, this.sizeLimit());
      if (!records) return undefined;
      const reply = this.seal(false);
      // The peer connected from a port of its own choosing: only its host
      // can say whether it is one of our members.
      const trusted = ctx.table.all().some((m) => m !== ctx.self && isLiveMember(m) && m.host === from.host);
      ctx.membership.mergeRemoteState(records, { from, trusted, stream: true, budget: { left: ctx.opts.newMembersPerPushPull, rateLimited: true }, vouches: false });
      return reply;
    } catch (err) {
      ctx.drop('internal-error');
      ctx.log.error('push-pull handler failed', { error: err });
      return undefined;
    }
  }

  private seal(join: boolean): Buffer {
    // Names we have not verified stay with us: a peer joining through us
    // takes our state as verified.
    return this.ctx.sealing.seal(encodeStreamMessage({ type: 'push-pull', join, members: this.ctx.table.records((m) => m.verified) }));
  }

  /**
   * Members a push-pull may carry, except one from the seed we join
   * through: a peer of our cluster holds about as many as we do, so twice
   * our table plus what one push-pull may add covers partitions healing and
   * new members. Thousands of made-up ones are refused before decoding.
   */
  private sizeLimit(): number {
    return 2 * this.ctx.table.size + this.ctx.opts.newMembersPerPushPull;
  }

  private open(data: Buffer, maxMembers: number): MemberRecord[] | undefined {
    const { ctx } = this;
    const plain = ctx.sealing.unseal(data);
    if (!plain) return undefined;
    if ((pushPullSize(plain) ?? 0) > maxMembers) {
      ctx.drop('oversized');
      return undefined;
    }
    const d = decodeStreamMessage(plain);
    if (!d.ok) {
      ctx.drop(d.error.code);
      return undefined;
    }
    if (d.value.type !== 'push-pull') {
      ctx.drop('malformed');
      return undefined;
    }
    return d.value.members;
  }
}
