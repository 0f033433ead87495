// Events that arrive one by one but in floods (a split brain heals and
// 5,000 addresses are contested at once): the first of a quiet spell is
// logged at once at its level with all its fields, the rest of the spell at
// debug, and one line a window at the same level says how many more came
// and names the first few. A line per address at warn would block the
// event loop and bury the journal when an operator reads it.
import { BATCH_LOG_FIRST } from './log-batch.js';
import type { Clock, TimerHandle } from './clock.js';
import type { LogFields, Logger } from './log.js';

export class SpellLog {
  private timer: TimerHandle | undefined;
  private count = 0;
  private first: string[] = [];

  constructor(
    private readonly log: Logger,
    private readonly level: 'warn' | 'error',
    private readonly msg: string,
    private readonly clock: Clock,
    /** How long a spell gathers before its summary line. */
    private readonly windowMs = 1000,
  ) {}

  add(item: string, fields: LogFields): void {
    if (this.timer === undefined) {
      this.log[this.level](this.msg, fields);
      this.timer = this.clock.setTimeout(() => this.endWindow(), this.windowMs);
      return;
    }
    this.log.debug(this.msg, fields);
    this.count++;
    if (this.first.length < BATCH_LOG_FIRST) this.first.push(item);
  }

  /** Logs what the open window gathered and stops the timer. */
  close(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.summary();
  }

  private endWindow(): void {
    this.timer = undefined;
    if (this.count === 0) return;
    this.summary();
    // The flood goes on: keep summarising it a window at a time.
    this.timer = this.clock.setTimeout(() => this.endWindow(), this.windowMs);
  }

  private summary(): void {
    if (this.count === 0) return;
    this.log[this.level](this.msg, { more: this.count, addresses: this.first, windowMs: this.windowMs });
    this.count = 0;
    this.first = [];
  }
}
