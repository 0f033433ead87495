// Multicast memberships of one interface spread over as many sockets as they
// need. Linux charges each IPv6 membership to its socket's option memory
// (net.core.optmem_max, 128 KiB by default), so one socket holds a few
// thousand groups and then refuses the next with ENOMEM. A node announcing
// more IPv6 addresses than that (one solicited-node group each, unless they
// share the low 24 bits) opens another socket and joins there.

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

  /** `open` makes one more socket; the first is opened at once, so a missing capability shows up here. */
  constructor(private readonly open: () => MulticastMembership) {
    this.add(open());
  }

  /** Sockets open now. */
  get socketCount(): number {
    return this.sockets.length;
  }

  join(group: string): void {
    if (this.holder.has(group)) return;
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
    if (!s) return;
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

  close(): void {
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
