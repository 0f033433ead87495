// Multicast memberships of one interface spread over as many sockets as they
// need. Linux charges each IPv6 membership to its socket's option memory
// (net.core.optmem_max, 128 KiB by default), so one socket holds a few
// thousand groups and then refuses the next with ENOMEM. A node announcing
// more IPv6 addresses than that (one solicited-node group each, unless they
// share the low 24 bits) opens another socket and joins there.
//
// Past `maxJoined` groups an interface stops joining one by one and receives
// every multicast group instead (an all-multicast membership, PACKET_MR_ALLMULTI,
// held while any group is over the limit). Linux keeps an interface's groups
// in a list it walks on every join (and on every multicast packet received),
// so n joins cost n^2/2 steps: at 50,000 groups, most of a minute of kernel
// time in which the speaker's event loop is blocked. The price: the groups
// past the limit are not reported by MLD, so a switch that snoops MLD may not
// forward their solicitations to this port (switches' snooping tables hold a
// few thousand groups a port, fewer than the limit, and flood what does not
// fit); unicast solicitations and gratuitous NAs are unaffected.

/** Groups joined one by one on an interface before all-multicast takes over the rest. */
export const DEFAULT_MAX_JOINED_GROUPS = 4096;

/** Receives every multicast group on one interface until closed. */
export interface AllMulticast {
  close(): void;
}

export interface MulticastGroupsOptions {
  /** Makes one more membership socket; the first is opened at once, so a missing capability shows up here. */
  open: () => MulticastMembership;
  /** Starts receiving every multicast group on the interface. */
  openAllMulticast: () => AllMulticast;
  /** Default DEFAULT_MAX_JOINED_GROUPS. */
  maxJoined?: number;
}

import { errorCode, type MulticastMembership } from './io.js';

export function isOutOfSocketMemory(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOMEM' || code === 'ENOBUFS';
}

export class MulticastGroups implements MulticastMembership {
  private readonly sockets: MulticastMembership[] = [];
  /** Group -> the socket holding it. */
  private readonly holder = new Map<string, MulticastMembership>();
  /** Socket -> how many groups it holds. */
  private readonly counts = new Map<MulticastMembership, number>();
  /**
   * Groups past maxJoined, received through `all`: only counted (a set of
   * 45,000 group strings would be megabytes), so each group must be joined
   * and left once, as the announcer's per-group user counts ensure.
   */
  private overflow = 0;
  private all: AllMulticast | undefined;
  /** Why all-multicast could not be had in this batch; tried again in the next (settle() ends a batch). */
  private allFailed: unknown;
  private readonly open: () => MulticastMembership;
  private readonly maxJoined: number;

  constructor(private readonly o: MulticastGroupsOptions) {
    this.open = o.open;
    this.maxJoined = o.maxJoined ?? DEFAULT_MAX_JOINED_GROUPS;
    if (!Number.isInteger(this.maxJoined) || this.maxJoined < 0) throw new RangeError(`maxJoined must be a non-negative integer, got ${this.maxJoined}`);
    this.add(this.open());
  }

  /** Groups joined one by one (the rest, if any, are received through all-multicast). */
  get joinedCount(): number {
    return this.holder.size;
  }

  /** Whether the interface receives every multicast group now. */
  get allMulticast(): boolean {
    return this.all !== undefined;
  }

  /** Sockets open now. */
  get socketCount(): number {
    return this.sockets.length;
  }

  join(group: string): void {
    if (this.holder.has(group)) return;
    if (this.holder.size >= this.maxJoined) {
      if (!this.all) {
        // One attempt a batch: each costs opening and closing a socket (an
        // RCU grace period in the kernel), and a batch can bring thousands
        // of groups past the limit. The others fail with the same error.
        if (this.allFailed) throw this.allFailed;
        try {
          this.all = this.o.openAllMulticast();
        } catch (err) {
          this.allFailed = err;
          throw err;
        }
      }
      this.overflow++;
      return;
    }
    const last = this.sockets[this.sockets.length - 1]!;
    try {
      last.join(group);
      this.hold(group, last);
      return;
    } catch (err) {
      // An empty socket that cannot take one group will not be helped by another.
      if (!isOutOfSocketMemory(err) || this.counts.get(last) === 0) throw err;
    }
    const next = this.open();
    try {
      next.join(group);
    } catch (err) {
      next.close();
      throw err;
    }
    this.add(next);
    this.hold(group, next);
  }

  leave(group: string): void {
    const s = this.holder.get(group);
    if (!s) {
      // All-multicast is given up in settle(), at the end of the batch: a
      // batch that leaves groups before it joins others (a reconcile
      // withdraws first) would otherwise close and reopen it, and closing
      // a packet socket waits for an RCU grace period in the kernel.
      if (this.overflow > 0) this.overflow--;
      return;
    }
    s.leave(group);
    this.holder.delete(group);
    const left = this.counts.get(s)! - 1;
    this.counts.set(s, left);
    // The first socket stays for the interface's lifetime; spares go once empty.
    if (left === 0 && s !== this.sockets[0]) {
      s.close();
      this.counts.delete(s);
      this.sockets.splice(this.sockets.indexOf(s), 1);
    }
  }

  /** Ends a batch of joins and leaves: all-multicast goes once no group is past the limit, and a failed one may be tried again. */
  settle(): void {
    this.allFailed = undefined;
    if (this.overflow > 0 || !this.all) return;
    this.all.close();
    this.all = undefined;
  }

  close(): void {
    this.all?.close();
    this.all = undefined;
    this.overflow = 0;
    for (const s of this.sockets.splice(0)) s.close();
    this.holder.clear();
    this.counts.clear();
  }

  private add(s: MulticastMembership): void {
    this.sockets.push(s);
    this.counts.set(s, 0);
  }

  private hold(group: string, s: MulticastMembership): void {
    this.holder.set(group, s);
    this.counts.set(s, this.counts.get(s)! + 1);
  }
}
