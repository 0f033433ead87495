// A keyed work queue in the manner of client-go's workqueue: a key waits in
// the queue at most once, so a burst of events for one object coalesces into
// one run; a key being processed is never processed twice at once (an add
// during processing runs it again afterwards); a run that throws is retried
// after a per-key exponential backoff on the injected Clock, and a run that
// succeeds resets that key's backoff. Runs of different keys proceed with
// bounded concurrency.

import { backoffDelay, validateBackoff, type BackoffPolicy } from '../util/backoff.js';
import { RealClock, type Clock, type TimerHandle } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';

export interface WorkQueueOptions {
  /** Keys processed at the same time; default 1. */
  concurrency?: number;
  clock?: Clock;
  random?: () => number;
  /** Retry pacing per key; default 500 ms doubling to 2 min, half jittered. */
  backoff?: BackoffPolicy;
  logger?: Logger;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  /** Added while active: run again once the current run ends. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Map<string, TimerHandle>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly handler: (key: string) => Promise<void>, opts: WorkQueueOptions = {}) {
    this.concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new Error(`work queue: concurrency must be a whole number >= 1, got ${this.concurrency}`);
    this.clock = opts.clock ?? new RealClock();
    this.random = opts.random ?? Math.random;
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 120_000 };
    validateBackoff(this.backoff);
    this.log = opts.logger ?? silentLogger;
  }

  /** Queues `key` unless it is already waiting; a pending retry of it is folded into this run. */
  add(key: string): void {
    if (this.stopped) return;
    const timer = this.retryTimers.get(key);
    if (timer) {
      this.clock.clearTimeout(timer);
      this.retryTimers.delete(key);
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queue.push(key);
    this.queued.add(key);
    this.pump();
  }

  /** Keys waiting to run. */
  get length(): number {
    return this.queue.length;
  }

  /** Keys running now. */
  get processing(): number {
    return this.active.size;
  }

  /** Keys waiting out a backoff after a failed run. */
  get retrying(): number {
    return this.retryTimers.size;
  }

  /** Failed runs in a row of `key` (0 once a run succeeds). */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resolves when nothing is queued or running (retries waiting out their backoff do not count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops everything queued and every pending retry, then waits for the runs in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retryTimers.values()) this.clock.clearTimeout(t);
    this.retryTimers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
    await this.idle();
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.active.size === 0;
  }

  private pump(): void {
    while (this.active.size < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      this.queued.delete(key);
      this.active.add(key);
      void this.run(key);
    }
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async run(key: string): Promise<void> {
    try {
      await this.handler(key);
      this.failures.delete(key);
    } catch (err) {
      this.scheduleRetry(key, err);
    } finally {
      this.active.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }

  private scheduleRetry(key: string, err: unknown): void {
    if (this.stopped) return;
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    const delay = backoffDelay(attempt, this.backoff, this.random);
    this.log.debug('work item failed; retrying after backoff', { key, attempt: attempt + 1, delayMs: Math.round(delay), error: err });
    this.retryTimers.set(
      key,
      this.clock.setTimeout(() => {
        this.retryTimers.delete(key);
        this.add(key);
      }, delay),
    );
  }
}
