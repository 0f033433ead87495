// The member table: every known member by name and by address, counts by
// state, O(1) random sampling, the randomized round-robin probe order, and
// the members we have not yet heard from ourselves (probed apart, so that
// names anyone can make up do not slow down the probing of real members).
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
  lastAckAt?: number;
  /**
   * We have reason to hold it real: it answered a probe, a packet came from
   * its address, or the seed we joined through knew it. Until then it is
   * only a name others told us of, which anyone can make up.
   */
  verified: boolean;
  /** Probes in a row it left unanswered while not verified. */
  unanswered?: number;
}

const isLive = (s: MemberState): boolean => s === 'alive' || s === 'suspect';

/** Alive or suspect: still part of the cluster. */
export const isLiveMember = (m: Member): boolean => isLive(m.state);

export class MemberTable {
  private readonly byName = new Map<string, Member>();
  private readonly byAddress = new Map<string, Member>();
  /** Members not yet verified, in the order the unverified probe lane visits them. */
  private readonly unverified = new Set<Member>();
  /** Dense array for sampling; index kept in `slot`. */
  private readonly list: Member[] = [];
  private readonly slot = new Map<string, number>();
  private readonly counts: Record<MemberState, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
  private verifiedLiveCount = 0;
  private probeOrder: string[] = [];
  private probeIndex = 0;

  constructor(private readonly random: () => number) {}

  get size(): number {
    return this.list.length;
  }

  get(name: string): Member | undefined {
    return this.byName.get(name);
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

  /** The member that advertises this address, if any. */
  atAddress(a: Address): Member | undefined {
    return this.byAddress.get(formatAddress(a));
  }

  add(m: Member): void {
    if (this.byName.has(m.name)) throw new Error(`member ${m.name} already present`);
    this.byName.set(m.name, m);
    this.index(m);
    if (!m.verified) this.unverified.add(m);
    else if (isLive(m.state)) this.verifiedLiveCount++;
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
    m.state = state;
    m.stateChangedAt = now;
  }

  /** A member now at another address; it has to prove itself again there. */
  move(m: Member, to: Address): void {
    const old = formatAddress(m);
    if (this.byAddress.get(old) === m) this.byAddress.delete(old);
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
    const key = formatAddress(m);
    const holder = this.byAddress.get(key);
    if (!holder || !isLive(holder.state)) this.byAddress.set(key, m);
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
    const m = this.byName.get(name);
    if (!m) return undefined;
    this.byName.delete(name);
    const key = formatAddress(m);
    if (this.byAddress.get(key) === m) this.byAddress.delete(key);
    this.unverified.delete(m);
    if (m.verified && isLive(m.state)) this.verifiedLiveCount--;
    this.counts[m.state]--;
    const i = this.slot.get(name)!;
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
      const m = this.byName.get(name);
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
