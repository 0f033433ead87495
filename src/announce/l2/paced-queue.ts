// A rate bound for re-assertions: one gratuitous round for each of possibly
// thousands of addresses at once would be a broadcast storm that every host
// on the segment has to process. The queue hands out at most `batch` keys
// per `intervalMs`, the first batch at once, each key once however often it
// is added while waiting.

import type { Clock, TimerHandle } from '../../util/clock.js';

export class PacedQueue {
  private readonly waiting = new Set<string>();
  private timer: TimerHandle | undefined;

  /** `name` prefixes the option names in errors: "reassert" gives "reassertBatch must be ...". */
  constructor(
    private readonly clock: Clock,
    private readonly batch: number,
    private readonly intervalMs: number,
    private readonly send: (key: string) => void,
    name = '',
  ) {
    const option = (o: string): string => (name ? `${name}${o[0]!.toUpperCase()}${o.slice(1)}` : o);
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${option('batch')} must be a positive integer, got ${batch}`);
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`${option('intervalMs')} must be a positive number of ms, got ${intervalMs}`);
  }

  /** Keys waiting to be sent. */
  get size(): number {
    return this.waiting.size;
  }

  add(keys: Iterable<string>): void {
    for (const k of keys) this.waiting.add(k);
    // Between batches the timer runs: what was added waits for it.
    if (!this.timer) this.drain();
  }

  clear(): void {
    this.waiting.clear();
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drain(): void {
    this.timer = undefined;
    if (this.waiting.size === 0) return;
    // The interval runs even if this empties the queue, so a batch added
    // right after this one still waits its turn (and a send() that adds
    // keys does not start a second batch).
    this.timer = this.clock.setTimeout(() => this.drain(), this.intervalMs);
    const due: string[] = [];
    for (const k of this.waiting) {
      if (due.length === this.batch) break;
      due.push(k);
    }
    for (const k of due) this.waiting.delete(k);
    for (const k of due) this.send(k);
  }
}
