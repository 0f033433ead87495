// The member table: every known member by name, counts by state, O(1)
// random sampling, and the randomized round-robin probe order.
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
}

export class MemberTable {
  private readonly byName = new Map<string, Member>();
  /** Dense array for sampling; index kept in `slot`. */
  private readonly list: Member[] = [];
  private readonly slot = new Map<string, number>();
  private readonly counts: Record<MemberState, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
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

  /** Members still considered part of the cluster: alive or suspect. */
  get live(): number {
    return this.counts.alive + this.counts.suspect;
  }

  all(): readonly Member[] {
    return this.list;
  }

  add(m: Member): void {
    if (this.byName.has(m.name)) throw new Error(`member ${m.name} already present`);
    this.byName.set(m.name, m);
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
    m.state = state;
    m.stateChangedAt = now;
  }

  remove(name: string): Member | undefined {
    const m = this.byName.get(name);
    if (!m) return undefined;
    this.byName.delete(name);
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

  records(): MemberRecord[] {
    return this.list.map((m) => ({ name: m.name, host: m.host, port: m.port, incarnation: m.incarnation, state: m.state, meta: m.meta }));
  }
}
