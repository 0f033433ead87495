// The member table: every known member by name and by address, counts by
// state, O(1) random sampling, the randomized round-robin probe order, and
// the members we have not yet heard from ourselves (probed apart, so that
// names anyone can make up do not slow down the probing of real members).
//
// A simulated cluster of n members holds n tables of n entries, so an entry
// is kept small: one map from name to position in the dense list (not a map
// to the member and another to its position), and the address index keyed
// by the host string the member already holds (members at one host on
// several ports, rare outside tests, spill into a second map keyed by
// host:port) rather than a new "host:port" string per entry.
import { formatAddress, type Address } from '../net/index.js';
import type { Suspicion } from './suspicion.js';
import type { KnownMember } from './precedence.js';
import type { MemberRecord, MemberState, Meta } from './messages.js';

export interface Member extends KnownMember {
  readonly name: string;
  host: string;
  port: number;
  incarnation: number;
  state: MemberState;
  meta: Meta;
  stateChangedAt: number;
  suspicion: Suspicion | undefined;
  /** When one of our probes of it was last acked, directly or through a helper (clock time). */
  lastAckAt: number | undefined;
  /**
   * We have reason to hold it real: it answered a probe, a packet came from
   * its address, or the seed we joined through knew it. Until then it is
   * only a name others told us of, which anyone can make up.
   */
  verified: boolean;
  /** Probes in a row it left unanswered while not verified. */
  unanswered: number | undefined;
}

/**
 * A new table entry. Every entry is made here with all its fields, in one
 * order: one object shape for all, and no property store added later when
 * a field is first set (n simulated tables of n entries feel every word).
 */
export function newMember(m: Omit<Member, 'suspicion' | 'lastAckAt' | 'unanswered'>): Member {
  return {
    name: m.name,
    host: m.host,
    port: m.port,
    incarnation: m.incarnation,
    state: m.state,
    meta: m.meta,
    stateChangedAt: m.stateChangedAt,
    suspicion: undefined,
    verified: m.verified,
    lastAckAt: undefined,
    unanswered: undefined,
  };
}

const isLive = (s: MemberState): boolean => s === 'alive' || s === 'suspect';

/** Alive or suspect: still part of the cluster. */
export const isLiveMember = (m: Member): boolean => isLive(m.state);

export class MemberTable {
  /** Name -> index in `list`. */
  private readonly slot = new Map<string, number>();
  /** Host -> the member indexed at that host (any port). */
  private readonly byHost = new Map<string, Member>();
  /** "host:port" -> member, for a second port at a host byHost already holds. */
  private readonly byHostPort = new Map<string, Member>();
  /** Members not yet verified, in the order the unverified probe lane visits them. */
  private readonly unverified = new Set<Member>();
  /** Dead and left members: the only ones reaping has to look at (a few among thousands). */
  private readonly down = new Set<Member>();
  /** Dense array for sampling, and the members by `slot`. */
  private readonly list: Member[] = [];
  private readonly counts: Record<MemberState, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
  private verifiedLiveCount = 0;
  private probeOrder: string[] = [];
  private probeIndex = 0;

  constructor(private readonly random: () => number) {}

  get size(): number {
    return this.list.length;
  }

  get(name: string): Member | undefined {
    const i = this.slot.get(name);
    return i === undefined ? undefined : this.list[i];
  }

  count(state: MemberState): number {
    return this.counts[state];
  }

  /** Members not yet verified, in any state. */
  get unverifiedCount(): number {
    return this.unverified.size;
  }

  /** Members still considered part of the cluster: alive or suspect. */
  get live(): number {
    return this.counts.alive + this.counts.suspect;
  }

  /** Live members that are verified: the cluster size timeouts are scaled by, which made-up names must not inflate. */
  get verifiedLive(): number {
    return this.verifiedLiveCount;
  }

  all(): readonly Member[] {
    return this.list;
  }

  /**
   * Dead and left members, in the order all() lists them: what a pass over
   * all() that only acts on those would visit, without walking every
   * live member (reaping runs every reconnect period on every member).
   */
  downMembers(): Member[] {
    return [...this.down].sort((a, b) => this.slot.get(a.name)! - this.slot.get(b.name)!);
  }

  /** The member that advertises this address, if any. */
  atAddress(a: Address): Member | undefined {
    const m = this.byHost.get(a.host);
    if (m && m.port === a.port) return m;
    return this.byHostPort.size ? this.byHostPort.get(formatAddress(a)) : undefined;
  }

  add(m: Member): void {
    if (this.slot.has(m.name)) throw new Error(`member ${m.name} already present`);
    this.index(m);
    if (!m.verified) this.unverified.add(m);
    else if (isLive(m.state)) this.verifiedLiveCount++;
    if (!isLive(m.state)) this.down.add(m);
    this.slot.set(m.name, this.list.length);
    this.list.push(m);
    this.counts[m.state]++;
    // New members join the current probe round at a random position (SWIM 4.3).
    const at = this.probeIndex + Math.floor(this.random() * (this.probeOrder.length - this.probeIndex + 1));
    this.probeOrder.splice(at, 0, m.name);
  }

  setState(m: Member, state: MemberState, now: number): void {
    if (m.state === state) return;
    this.counts[m.state]--;
    this.counts[state]++;
    if (m.verified) this.verifiedLiveCount += Number(isLive(state)) - Number(isLive(m.state));
    if (isLive(state)) this.down.delete(m);
    else this.down.add(m);
    m.state = state;
    m.stateChangedAt = now;
  }

  /** A member now at another address; it has to prove itself again there. */
  move(m: Member, to: Address): void {
    this.unindex(m);
    m.host = to.host;
    m.port = to.port;
    this.index(m);
    if (m.verified) {
      m.verified = false;
      this.unverified.add(m);
      if (isLive(m.state)) this.verifiedLiveCount--;
    }
  }

  /** Indexes m by its address unless a live member is there already (the first keeps it). */
  private index(m: Member): void {
    const holder = this.atAddress(m);
    if (holder && isLive(holder.state)) return;
    const atHost = this.byHost.get(m.host);
    if (!atHost || atHost.port === m.port) {
      this.byHost.set(m.host, m);
      if (this.byHostPort.size) this.byHostPort.delete(formatAddress(m));
    } else {
      this.byHostPort.set(formatAddress(m), m);
    }
  }

  /** Drops m from the address index if it holds its address. */
  private unindex(m: Member): void {
    if (this.byHost.get(m.host) === m) this.byHost.delete(m.host);
    else if (this.byHostPort.size) {
      const key = formatAddress(m);
      if (this.byHostPort.get(key) === m) this.byHostPort.delete(key);
    }
  }

  markVerified(m: Member): void {
    if (m.verified) return;
    m.verified = true;
    this.unverified.delete(m);
    if (isLive(m.state)) this.verifiedLiveCount++;
  }

  /**
   * The next unverified member accepted by `eligible`, round-robin, or
   * undefined. Looks at a bounded number of entries so that a backlog of
   * ineligible ones (dead names waiting to be reaped) costs little.
   */
  nextUnverified(eligible: (m: Member) => boolean, scan = 64): Member | undefined {
    for (const m of this.unverified) {
      if (scan-- <= 0) return undefined;
      // Move to the back: the next call starts with another one.
      this.unverified.delete(m);
      this.unverified.add(m);
      if (eligible(m)) return m;
    }
    return undefined;
  }

  remove(name: string): Member | undefined {
    const i = this.slot.get(name);
    if (i === undefined) return undefined;
    const m = this.list[i]!;
    this.unindex(m);
    this.unverified.delete(m);
    this.down.delete(m);
    if (m.verified && isLive(m.state)) this.verifiedLiveCount--;
    this.counts[m.state]--;
    const last = this.list.pop()!;
    if (last !== m) {
      this.list[i] = last;
      this.slot.set(last.name, i);
    }
    this.slot.delete(name);
    // The probe order drops it lazily: nextProbeTarget skips unknown names.
    return m;
  }

  /**
   * Up to k distinct members accepted by `filter`, sampled uniformly. Gives
   * up after 3 * size attempts, as a table of mostly ineligible members
   * would otherwise spin.
   */
  sample(k: number, filter: (m: Member) => boolean): Member[] {
    const out: Member[] = [];
    const n = this.list.length;
    if (k <= 0 || n === 0) return out;
    const seen = new Set<number>();
    for (let attempts = 0; attempts < 3 * n && out.length < k && seen.size < n; attempts++) {
      const i = Math.floor(this.random() * n);
      if (seen.has(i)) continue;
      seen.add(i);
      const m = this.list[i]!;
      if (filter(m)) out.push(m);
    }
    return out;
  }

  /** The next member to probe in randomized round-robin order, or undefined. */
  nextProbeTarget(eligible: (m: Member) => boolean): Member | undefined {
    for (let scanned = 0; scanned <= this.probeOrder.length; scanned++) {
      if (this.probeIndex >= this.probeOrder.length) this.newRound();
      if (this.probeOrder.length === 0) return undefined;
      const name = this.probeOrder[this.probeIndex++]!;
      const m = this.get(name);
      if (m && eligible(m)) return m;
    }
    return undefined;
  }

  private newRound(): void {
    const order = this.list.map((m) => m.name);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    this.probeOrder = order;
    this.probeIndex = 0;
  }

  records(include: (m: Member) => boolean = () => true): MemberRecord[] {
    return this.list.filter(include).map((m) => ({ name: m.name, host: m.host, port: m.port, incarnation: m.incarnation, state: m.state, meta: m.meta }));
  }
}
