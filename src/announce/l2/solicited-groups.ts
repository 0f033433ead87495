// The solicited-node groups one interface needs (RFC 4861 section 7.2.2: a
// Neighbor Solicitation for an address goes to its group), joined through
// the interface's MulticastMembership. Addresses that share the low 24 bits
// share a group, so each group counts its users.
//
// A join that fails (no socket for memberships, a socket out of option
// memory, all-multicast refused past the joined limit: multicast-groups.ts)
// does not stop the announcement: unicast solicitations and our gratuitous
// NAs still work. But multicast solicitations for the group may then never
// reach us (a NIC's filter or an MLD-snooping switch drops them), so the
// group stays wanted and is tried again after a backoff (1 s doubling to a
// minute, jittered) until it is joined or no longer needed. A problem is
// reported once when it starts or its errno changes, not once a group or a
// retry: a batch past the all-multicast limit fails thousands of groups
// alike.

import { backoffDelay, validateBackoff, type BackoffPolicy } from '../../util/backoff.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { errorCode, type ErrnoLike, type MulticastMembership } from './io.js';
import { solicitedNodeGroup } from './ipv6.js';

export const DEFAULT_JOIN_RETRY: BackoffPolicy = { initialMs: 1000, maxMs: 60_000 };

export interface SolicitedGroupsOptions {
  /** Opens the interface's membership; called on the first join, and again after it failed. */
  openMembership: () => MulticastMembership;
  clock: Clock;
  /** Uniform in [0, 1), for the retry jitter; seeded in tests. */
  random?: () => number;
  retry?: BackoffPolicy;
  /** A join problem started or changed errno: its first error. */
  onProblem: (err: ErrnoLike) => void;
  /** Every wanted group is joined again after a problem (its errno code); `retries` batches it took. */
  onRecovered: (code: string, retries: number) => void;
}

export class SolicitedGroups {
  /**
   * Group (solicitedNodeKey) -> addresses needing it times 2, plus 1 when
   * joined: numbers both, so 10,000 groups cost no string or object each.
   */
  private readonly groups = new Map<number, number>();
  private membership: MulticastMembership | undefined;
  /** Wanted groups not joined. */
  private unjoined = 0;
  /** The errno code of the problem reported, until every group is joined. */
  private problem: string | undefined;
  private retries = 0;
  private retryTimer: TimerHandle | undefined;
  private closed = false;
  private readonly retry: BackoffPolicy;
  private readonly random: () => number;

  constructor(private readonly o: SolicitedGroupsOptions) {
    this.retry = o.retry ?? DEFAULT_JOIN_RETRY;
    validateBackoff(this.retry);
    this.random = o.random ?? Math.random;
  }

  /** One more address needs group `key`: joined now if it is the first. */
  add(key: number): void {
    const entry = (this.groups.get(key) ?? 0) + 2;
    this.groups.set(key, entry);
    if (entry !== 2) return;
    this.unjoined++;
    this.join(key, entry);
    this.afterJoins();
  }

  /** One address fewer needs group `key`: left when it was the last. */
  remove(key: number): void {
    const entry = this.groups.get(key);
    if (entry === undefined) return;
    if (entry >= 4) {
      this.groups.set(key, entry - 2);
      return;
    }
    this.groups.delete(key);
    if ((entry & 1) === 0) {
      this.unjoined--;
      this.afterJoins();
      return;
    }
    // Leaving cannot fail in a way a retry would mend: the kernel drops a
    // socket's memberships when it closes.
    try {
      this.membership?.leave(solicitedNodeGroup(key));
    } catch (err) {
      this.o.onProblem(err as ErrnoLike);
    }
  }

  /** Ends a batch of add() and remove(): the membership releases what the batch left unneeded. */
  settle(): void {
    this.membership?.settle?.();
  }

  /** The groups joined now. */
  joined(): number[] {
    const out: number[] = [];
    this.groups.forEach((entry, key) => {
      if ((entry & 1) === 1) out.push(key);
    });
    return out;
  }

  /** Wanted groups not joined (waiting for a retry). */
  get pending(): number {
    return this.unjoined;
  }

  close(): void {
    this.closed = true;
    this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.membership?.close();
    this.membership = undefined;
    this.groups.clear();
    this.unjoined = 0;
  }

  /** Joins one group; false when it failed (reported if the problem is new). */
  private join(key: number, entry: number): boolean {
    try {
      this.membership ??= this.o.openMembership();
      this.membership.join(solicitedNodeGroup(key));
    } catch (err) {
      const code = errorCode(err);
      if (code !== this.problem) {
        this.problem = code;
        this.o.onProblem(err as ErrnoLike);
      }
      return false;
    }
    this.groups.set(key, entry | 1);
    this.unjoined--;
    return true;
  }

  /** After joins or leaves: a retry scheduled while groups wait, the problem's end reported when none does. */
  private afterJoins(): void {
    if (this.unjoined > 0) {
      if (this.retryTimer === undefined && !this.closed) {
        this.retryTimer = this.o.clock.setTimeout(() => this.retryJoins(), backoffDelay(this.retries, this.retry, this.random));
      }
      return;
    }
    this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.problem !== undefined) {
      const code = this.problem;
      const retries = this.retries;
      this.problem = undefined;
      this.retries = 0;
      this.o.onRecovered(code, retries);
    }
  }

  /** One batch: every group still wanted and not joined, then settle (so a failed all-multicast may be tried again next time). */
  private retryJoins(): void {
    this.retryTimer = undefined;
    if (this.closed) return;
    this.retries++;
    // join() only marks groups already in the map, which iteration allows.
    for (const [key, entry] of this.groups) {
      if ((entry & 1) === 1) continue;
      // Without a membership socket no group can be joined: one attempt a batch.
      if (!this.join(key, entry) && this.membership === undefined) break;
    }
    this.settle();
    this.afterJoins();
  }
}
