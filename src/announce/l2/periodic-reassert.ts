// Periodic re-assertion of the addresses this node announces: one
// gratuitous round per address every `periodMs` or so. Two members that
// both announce an address (split brain) only learn of each other from
// frames on the wire; after the first takeover burst there may be none, so
// without a steady low rate two claimants could answer side by side until a
// client's question happened to be seen. With it, claimants meet within one
// cycle.
//
// The rounds are spread evenly over the cycle (a few addresses every tick,
// not all at once), each cycle's length is jittered so the members of a
// cluster do not fall into step, and the total is capped at `maxPerSecond`
// addresses: with more addresses than the cap allows in one period, the
// cycle stretches instead of the rate growing. The longest gap between two
// rounds of one address is therefore max(periodMs * (1 + jitter),
// addresses / maxPerSecond) plus a tick (cycleBoundMs).

import type { Clock, TimerHandle } from '../../util/clock.js';

export interface PeriodicReassertOptions {
  clock: Clock;
  /** Mean cycle length; 0 turns re-assertion off. */
  periodMs: number;
  /** Addresses re-asserted per second at most, whatever their number. */
  maxPerSecond: number;
  /** Cycle length is periodMs * (1 ± jitter). Default 0.2. */
  jitter?: number;
  /** Uniform in [0, 1); seeded in tests. */
  random?: () => number;
  /** The addresses to go through this cycle, read at its start. */
  addresses: () => readonly string[];
  /** Sends one gratuitous round for ip. */
  send: (ip: string) => void;
}

export const DEFAULT_REASSERT_PERIOD_MS = 3000;
export const DEFAULT_REASSERT_MAX_PER_SECOND = 1000;
const TICK_MS = 100;

/** The longest time between two rounds for one address, with `count` addresses announced. */
export function cycleBoundMs(periodMs: number, count: number, maxPerSecond: number, jitter = 0.2): number {
  return Math.max(periodMs * (1 + jitter), Math.ceil((count * 1000) / maxPerSecond)) + TICK_MS;
}

export class PeriodicReassert {
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly perTickCap: number;
  private timer: TimerHandle | undefined;
  private queue: readonly string[] = [];
  private next = 0;
  private cycleEnd = 0;

  constructor(private readonly o: PeriodicReassertOptions) {
    if (!Number.isFinite(o.periodMs) || o.periodMs < 0) throw new RangeError(`reassert period must be a non-negative number of ms (0 = off), got ${o.periodMs}`);
    if (!(o.maxPerSecond > 0) || !Number.isFinite(o.maxPerSecond)) throw new RangeError(`reassert rate cap must be a positive number per second, got ${o.maxPerSecond}`);
    this.jitter = o.jitter ?? 0.2;
    if (!(this.jitter >= 0 && this.jitter < 1)) throw new RangeError(`reassert jitter must be in [0, 1), got ${this.jitter}`);
    this.random = o.random ?? Math.random;
    this.perTickCap = Math.max(1, Math.floor((o.maxPerSecond * TICK_MS) / 1000));
  }

  get enabled(): boolean {
    return this.o.periodMs > 0;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    // The first cycle starts after a jittered delay: takeovers already sent their burst.
    this.schedule(this.cycleLength());
  }

  stop(): void {
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }

  private cycleLength(): number {
    return this.o.periodMs * (1 - this.jitter + 2 * this.jitter * this.random());
  }

  private schedule(ms: number): void {
    this.timer = this.o.clock.setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    this.timer = undefined;
    const now = this.o.clock.now();
    if (this.next >= this.queue.length) {
      if (now < this.cycleEnd) {
        this.schedule(this.cycleEnd - now);
        return;
      }
      this.queue = this.o.addresses();
      this.next = 0;
      this.cycleEnd = now + this.cycleLength();
      if (this.queue.length === 0) {
        this.schedule(this.cycleEnd - now);
        return;
      }
    }
    // Spread what is left over the ticks left in the cycle, within the cap.
    const ticksLeft = Math.max(1, Math.floor((this.cycleEnd - now) / TICK_MS));
    const left = this.queue.length - this.next;
    const count = Math.min(this.perTickCap, Math.ceil(left / ticksLeft));
    const due = this.queue.slice(this.next, this.next + count);
    this.next += count;
    for (const ip of due) this.o.send(ip);
    this.schedule(TICK_MS);
  }
}
