// A member that comes back (alive after dead, or back after leaving: a
// partition healing) may have announced addresses while it was cut off: one
// on a shoal without the layer-2 hold, or one held past the lone-node
// timeout, or the other side of a split brain. Clients its gratuitous ARP
// pulled away stay with it until their neighbour entries expire, while the
// member has long released the addresses. So every owner, when it sees a
// member come back, sends a heal burst (fencing.healBurstMs: gratuitous ARP
// / unsolicited NA rounds, paced by the announcer) for the addresses it
// announces that the returning member is eligible for: those it could have
// claimed. It does so even if it never stopped announcing them.
//
// The addresses are picked after the reconcile that follows the return, so
// an address the returning member now owns again is not re-asserted by the
// member about to release it.

import type { Announcer } from '../announce/l2/index.js';
import type { MemberEvent } from '../cluster/cluster.js';
import type { Logger } from '../util/log.js';
import type { Reconciled, Speaker } from './speaker.js';

/** The member an event shows coming back, or undefined. */
export function returningMember(e: MemberEvent): string | undefined {
  return e.kind === 'join' && (e.previous === 'dead' || e.previous === 'left') ? e.member.name : undefined;
}

/**
 * The announced addresses any of the returning members could have claimed,
 * by `eligibleFor(member, ips)` (Election.eligibleFor on the same inputs).
 */
export function addressesToReassert(announced: ReadonlySet<string>, returning: Iterable<string>, eligibleFor: (member: string, ips: Iterable<string>) => string[]): string[] {
  if (announced.size === 0) return [];
  const out = new Set<string>();
  for (const member of returning) for (const ip of eligibleFor(member, announced)) out.add(ip);
  return [...out];
}

export interface ReassertOnReturnOptions {
  node: string;
  cluster: { onEvent(listener: (e: MemberEvent) => void): () => void };
  speaker: Pick<Speaker, 'onReconcile' | 'election'>;
  l2: Pick<Announcer, 'reassert'>;
  logger: Logger;
  /** The rounds of the burst, in ms after the reconcile that follows the return (fencing.healBurstMs); [] turns it off. */
  burstMs: readonly number[];
}

export class ReassertOnReturn {
  private readonly pending = new Set<string>();
  private readonly log: Logger;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: ReassertOnReturnOptions) {
    this.log = opts.logger.child({ component: 'speaker' });
    opts.speaker.onReconcile((r) => this.reconciled(r));
  }

  start(): void {
    if (this.opts.burstMs.length === 0) return;
    this.unsubscribe ??= this.opts.cluster.onEvent((e) => {
      const member = returningMember(e);
      if (member !== undefined && member !== this.opts.node) this.pending.add(member);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.pending.clear();
  }

  private reconciled(r: Reconciled): void {
    if (this.pending.size === 0) return;
    const returning = [...this.pending];
    this.pending.clear();
    const ips = addressesToReassert(r.announced, returning, (member, candidates) => this.opts.speaker.election.eligibleFor(member, candidates, r.inputs));
    if (ips.length === 0) return;
    this.log.info('re-asserting the addresses a returning member could have claimed', { members: returning, addresses: ips.length, roundsMs: this.opts.burstMs });
    this.opts.l2.reassert(ips, this.opts.burstMs);
  }
}
