// One suspicion about one member at one incarnation. It holds the timer that
// turns suspect into dead, shortened by each independent confirmation.
import type { Clock, TimerHandle } from '../util/clock.js';
import { suspicionTimeout } from './timing.js';

export class Suspicion {
  private readonly confirmedBy = new Set<string>();
  private timer: TimerHandle | undefined;
  private readonly startedAt: number;
  private fired = false;

  /**
   * @param from the member whose suspicion started this; it does not count as a confirmation.
   * @param expected confirmations after which the timeout reaches min (k).
   * @param secondHand started from someone else's old verdict rather than a probe (Membership.startSuspicion).
   */
  constructor(
    private readonly clock: Clock,
    from: string,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly expected: number,
    readonly secondHand: boolean,
    private readonly onTimeout: (confirmations: number) => void,
  ) {
    this.confirmedBy.add(from);
    this.startedAt = clock.now();
    this.schedule();
  }

  get confirmations(): number {
    return this.confirmedBy.size - 1;
  }

  /** Total timeout as of now, from when the suspicion started. */
  get timeoutMs(): number {
    return suspicionTimeout(this.minMs, this.maxMs, this.expected, this.confirmations);
  }

  get deadline(): number {
    return this.startedAt + this.timeoutMs;
  }

  /** Counts an independent confirmation; returns true when it was new. */
  confirm(from: string): boolean {
    if (this.fired || this.confirmations >= this.expected || this.confirmedBy.has(from)) return false;
    this.confirmedBy.add(from);
    this.schedule();
    return true;
  }

  cancel(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.clock.clearTimeout(this.timer);
    const remaining = this.deadline - this.clock.now();
    this.timer = this.clock.setTimeout(() => {
      this.fired = true;
      this.onTimeout(this.confirmations);
    }, Math.max(0, remaining));
  }
}
