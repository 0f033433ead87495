// When to repeat the announcement of a newly taken address, and the one
// timer that does it. Addresses taken in one reconcile pass on one interface
// share a cohort: one start time, one schedule, one entry in a list ordered
// by the next round's due time. So 10,000 addresses taken at once cost one
// timer and one list entry, not 10,000 of each; taking an address away (or
// announcing it again, which starts it in a new cohort) drops it from the
// cohort it was in at once.
//
// Defaults, in milliseconds after the takeover:
//  - ARP [0, 250, 1000, 2000, 4000]. The first round is what moves clients;
//    the repeats only cover loss. 250 ms puts a second chance inside the
//    first TCP retransmission (Linux's minimum RTO is 200 ms) rather than a
//    second later; 1, 2 and 4 s cover MetalLB's 5 s window for neighbours
//    that were briefly unreachable, e.g. a switch relearning ports after the
//    same event that caused the failover. Five rounds of two frames is the ten
//    frames keepalived (5 now, 5 after garp_master_delay) and MetalLB (both
//    forms every 1.1 s for 5 s) send.
//  - NDP [0, 1000, 2000]. RFC 4861 7.2.6 allows at most
//    MAX_NEIGHBOR_ADVERTISEMENT (3) unsolicited NAs, at least RetransTimer
//    (1 s) apart.
//
// A due round is handed on (onRound), not sent: the announcer paces the
// frames (frame-pacer.ts), so a round's addresses may go out over a few
// hundred milliseconds after it is due.

import type { Clock, TimerHandle } from '../../util/clock.js';

export const DEFAULT_ARP_SCHEDULE_MS: readonly number[] = [0, 250, 1000, 2000, 4000];
export const DEFAULT_NDP_SCHEDULE_MS: readonly number[] = [0, 1000, 2000];

/** Throws unless delays is a non-empty, non-decreasing list of finite, non-negative numbers. */
export function validateSchedule(name: string, delays: readonly number[]): readonly number[] {
  if (delays.length === 0) throw new RangeError(`${name}: a gratuitous schedule needs at least one round`);
  delays.forEach((d, i) => {
    if (!Number.isFinite(d) || d < 0) throw new RangeError(`${name}[${i}]: ${d} is not a finite, non-negative delay in ms`);
    if (i > 0 && d < delays[i - 1]!) throw new RangeError(`${name}[${i}]: ${d} ms comes before the previous round (${delays[i - 1]} ms)`);
  });
  return [...delays];
}

/** The addresses taken on one interface in one pass, with one schedule. */
export interface Cohort {
  readonly iface: string;
  readonly delays: readonly number[];
  readonly startedAt: number;
  /** In the order they were taken; some may have left (see isMember). */
  readonly ips: string[];
  /** The next round to hand on. */
  next: number;
  /** Rounds handed on whose sending has not finished (see roundDone). */
  inFlight: number;
  /** Members still on this cohort: at 0 its rounds to come are dropped. */
  live: number;
}

const dueOf = (c: Cohort): number => c.startedAt + c.delays[c.next]!;

export class GratuitousSchedule {
  /** Interface -> address -> the cohort of its current announcement there. */
  private readonly members = new Map<string, Map<string, Cohort>>();
  /** Cohorts taking members in the current pass, by interface, then schedule. */
  private open = new Map<string, Map<readonly number[], Cohort>>();
  /** Cohorts with rounds still to come, ordered by the next round's due time. */
  private readonly queue: Cohort[] = [];
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;

  /** onRound(cohort, round): round `round` of cohort is due; call roundDone(cohort) once it is sent. */
  constructor(
    private readonly clock: Clock,
    private readonly onRound: (cohort: Cohort, round: number) => void,
  ) {}

  /** Starts ip's schedule on iface (ending the one it had there); nothing is due before seal(). */
  add(iface: string, ip: string, delays: readonly number[]): void {
    let byIp = this.members.get(iface);
    if (!byIp) this.members.set(iface, (byIp = new Map()));
    let bySchedule = this.open.get(iface);
    if (!bySchedule) this.open.set(iface, (bySchedule = new Map()));
    let cohort = bySchedule.get(delays);
    if (!cohort) bySchedule.set(delays, (cohort = { iface, delays, startedAt: this.clock.now(), ips: [], next: 0, inFlight: 0, live: 0 }));
    const before = byIp.get(ip);
    if (before) this.leave(before);
    byIp.set(ip, cohort);
    cohort.ips.push(ip);
    cohort.live++;
  }

  /** Ends the pass: the cohorts it filled start, their rounds due now handed on before this returns. */
  seal(): void {
    const opened = this.open;
    this.open = new Map();
    for (const bySchedule of opened.values()) for (const cohort of bySchedule.values()) this.insert(cohort);
    this.runDue();
  }

  /** Ends ip's schedule on iface: rounds still to come, or waiting to be sent, skip it. */
  cancel(iface: string, ip: string): void {
    const byIp = this.members.get(iface);
    const cohort = byIp?.get(ip);
    if (!byIp || !cohort) return;
    byIp.delete(ip);
    if (byIp.size === 0) this.members.delete(iface);
    this.leave(cohort);
  }

  cancelAll(): void {
    this.members.clear();
    this.open.clear();
    this.queue.length = 0;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  /** Whether ip on cohort's interface is still on cohort's schedule. */
  isMember(cohort: Cohort, ip: string): boolean {
    return this.members.get(cohort.iface)?.get(ip) === cohort;
  }

  /** Rounds not yet handed on for ip on iface (0 when nothing is pending). */
  remaining(iface: string, ip: string): number {
    const c = this.members.get(iface)?.get(ip);
    return c ? c.delays.length - c.next : 0;
  }

  /** Addresses on a schedule now, over all interfaces. */
  get size(): number {
    let n = 0;
    for (const byIp of this.members.values()) n += byIp.size;
    return n;
  }

  /**
   * One handed-on round of cohort has been sent. After its last round the
   * cohort's members leave the schedule: until then a member withdrawn and
   * taken again must be told apart from one still waiting for that round.
   */
  roundDone(cohort: Cohort): void {
    cohort.inFlight--;
    if (cohort.next < cohort.delays.length || cohort.inFlight > 0) return;
    const byIp = this.members.get(cohort.iface);
    if (!byIp) return;
    for (const ip of cohort.ips) if (byIp.get(ip) === cohort) byIp.delete(ip);
    if (byIp.size === 0) this.members.delete(cohort.iface);
  }

  /** One member fewer on cohort; with none left, its rounds to come (and their timer) go. */
  private leave(cohort: Cohort): void {
    if (--cohort.live > 0) return;
    const at = this.queue.indexOf(cohort);
    if (at < 0) return;
    this.queue.splice(at, 1);
    this.arm();
  }

  private insert(cohort: Cohort): void {
    const due = dueOf(cohort);
    // Few cohorts live at once (one per pass and interface, for a few
    // seconds): a sorted array is enough.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (dueOf(this.queue[mid]!) <= due) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, cohort);
  }

  private runDue(): void {
    const now = this.clock.now();
    while (this.queue.length > 0 && dueOf(this.queue[0]!) <= now) {
      const cohort = this.queue.shift()!;
      const round = cohort.next++;
      cohort.inFlight++;
      if (cohort.next < cohort.delays.length) this.insert(cohort);
      this.onRound(cohort, round);
    }
    this.arm();
  }

  /** One timer, for the earliest round still to come. */
  private arm(): void {
    const due = this.queue.length > 0 ? dueOf(this.queue[0]!) : Infinity;
    if (due === this.timerDue) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = due;
    if (due === Infinity) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      this.runDue();
    }, due - this.clock.now());
  }
}
