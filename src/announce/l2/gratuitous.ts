// When to repeat the announcement of a newly taken address, and the timers
// that do it. One schedule per (address, interface); taking the address away
// cancels what is still pending at once.
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

interface Pending {
  startedAt: number;
  delays: readonly number[];
  next: number;
  timer: TimerHandle | undefined;
  fire: () => void;
}

export class GratuitousScheduler {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly clock: Clock) {}

  /**
   * Runs fire() at each delay after now (a zero delay runs it before start
   * returns), replacing anything still pending for key.
   */
  start(key: string, delays: readonly number[], fire: () => void): void {
    this.cancel(key);
    const p: Pending = { startedAt: this.clock.now(), delays, next: 0, timer: undefined, fire };
    this.pending.set(key, p);
    this.runDue(key, p);
  }

  cancel(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.clock.clearTimeout(p.timer);
    this.pending.delete(key);
  }

  cancelAll(): void {
    for (const key of [...this.pending.keys()]) this.cancel(key);
  }

  /** Rounds not yet sent for key (0 when nothing is pending). */
  remaining(key: string): number {
    const p = this.pending.get(key);
    return p ? p.delays.length - p.next : 0;
  }

  private runDue(key: string, p: Pending): void {
    p.timer = undefined; // fired (or never set): nothing to clear on cancel
    while (p.next < p.delays.length && p.startedAt + p.delays[p.next]! <= this.clock.now()) {
      p.next++;
      p.fire();
      // fire() may have cancelled or restarted this key.
      if (this.pending.get(key) !== p) return;
    }
    if (p.next >= p.delays.length) {
      this.pending.delete(key);
      return;
    }
    const wait = p.startedAt + p.delays[p.next]! - this.clock.now();
    p.timer = this.clock.setTimeout(() => this.runDue(key, p), wait);
  }
}
