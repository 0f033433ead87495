// The budget every gratuitous frame leaves under. A takeover of thousands of
// addresses sent at once is a broadcast storm every host on the segment has
// to process, and a burst larger than the socket's send queue comes back as
// EAGAIN/ENOBUFS: frames lost exactly when they matter. The pacer sends at
// most `framesPerSecond` on average, `burst` at once (a token bucket: in any
// window of T ms, at most burst + framesPerSecond * T / 1000 frames), from
// jobs in priority lanes: a lane is served only when every lane before it is
// empty, so first rounds of a takeover go before repeats, and both before
// re-assertions. A frame the kernel refuses is retried after a short pause
// (the queue drains in microseconds on a healthy link) and, after
// MAX_REFUSALS, given up and counted as dropped. A turn of the event loop
// tries at most MAX_FRAMES_PER_TURN frames for at most MAX_TURN_MS, the rest
// a timer later: a send into a busy bridge can take half a millisecond or
// more, and a burst of 500 sent in one turn would keep gossip probes
// unanswered long enough for a false suspicion.
//
// Sizing: the default 5,000 frames a second with a burst of 500 sends the
// first round of 1,000 IPv4 addresses (2,000 frames) in 0.3 s and of 1,000
// IPv6 addresses (1,000 NAs) in 0.1 s; 1 s holds the first rounds of about
// 2,750 IPv4 or 5,500 IPv6 addresses.

import type { Clock, TimerHandle } from '../../util/clock.js';

export const DEFAULT_GRATUITOUS_FRAMES_PER_SECOND = 5000;
export const DEFAULT_GRATUITOUS_BURST = 500;
/** Pause after the kernel refused a frame, and the shortest wait between two sends. */
export const PACER_RETRY_MS = 10;
/** Refusals of one frame before it is given up. */
export const MAX_REFUSALS = 5;
/** Frames tried in one turn of the event loop; the rest of the budget goes after a 0 ms timer, once pending I/O has run. */
export const MAX_FRAMES_PER_TURN = 64;
/** The same bound in time (the clock's ms): on a segment where a send costs half a millisecond, 64 frames would be 32 ms. */
export const MAX_TURN_MS = 5;

/** What sending one frame came to. */
export type SendOutcome =
  /** On the wire: one frame of the budget used. */
  | 'sent'
  /** The kernel's queue was full (EAGAIN/ENOBUFS): try the same frame again later. */
  | 'refused'
  /** Any other error, or nothing to send it on any more: the frame is skipped. */
  | 'failed';

/** A sequence of frames to send, one at a time. */
export interface PacedJob {
  /**
   * Sends the next frame, or says there is none ('done'). After 'refused'
   * the same frame is sent at the next call, unless giveUp is true: then
   * the job skips it.
   */
  sendNext(giveUp: boolean): SendOutcome | 'done';
}

export interface FramePacerOptions {
  clock: Clock;
  /** Average rate cap. */
  framesPerSecond: number;
  /** Frames that may go at once after a quiet spell. */
  burst: number;
  /** Lanes, highest priority first. */
  lanes: number;
}

export class FramePacer {
  private readonly lanes: PacedJob[][];
  private readonly rate: number;
  private readonly burst: number;
  private tokens: number;
  private refilledAt: number;
  /** The job whose frame the kernel refused last, and how many times in a row. */
  private refusedJob: PacedJob | undefined;
  private refusals = 0;
  private timer: TimerHandle | undefined;

  constructor(private readonly o: FramePacerOptions) {
    if (!(o.framesPerSecond > 0) || !Number.isFinite(o.framesPerSecond)) {
      throw new RangeError(`gratuitousFramesPerSecond must be a positive number, got ${o.framesPerSecond}`);
    }
    if (!Number.isInteger(o.burst) || o.burst < 1) throw new RangeError(`gratuitousBurst must be a positive integer, got ${o.burst}`);
    this.rate = o.framesPerSecond / 1000;
    this.burst = o.burst;
    this.tokens = o.burst;
    this.refilledAt = o.clock.now();
    this.lanes = Array.from({ length: o.lanes }, () => []);
  }

  /** Jobs waiting or under way. */
  get jobs(): number {
    return this.lanes.reduce((n, l) => n + l.length, 0);
  }

  /** Queues job in lane (0 first) unless it is there already, and sends what the budget allows now. */
  add(lane: number, job: PacedJob): void {
    const jobs = this.lanes[lane];
    if (!jobs) throw new RangeError(`no pacing lane ${lane}`);
    if (!jobs.includes(job)) jobs.push(job);
    if (!this.timer) this.drain();
  }

  /** Drops every job. */
  clear(): void {
    for (const l of this.lanes) l.length = 0;
    this.refusedJob = undefined;
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private refill(): void {
    const now = this.o.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) * this.rate);
    this.refilledAt = now;
  }

  private drain(): void {
    this.timer = undefined;
    this.refill();
    const turnStart = this.o.clock.now();
    let sent = 0;
    for (;;) {
      const jobs = this.lanes.find((l) => l.length > 0);
      if (!jobs) return;
      if (this.tokens < 1) break;
      if (sent >= MAX_FRAMES_PER_TURN || (sent > 0 && this.o.clock.now() - turnStart >= MAX_TURN_MS)) {
        this.wait(0);
        return;
      }
      const job = jobs[0]!;
      // A lane above may have filled meanwhile: only the job refused gives up.
      const outcome = job.sendNext(job === this.refusedJob && this.refusals >= MAX_REFUSALS);
      if (outcome === 'done') {
        jobs.shift();
        if (job === this.refusedJob) this.refusedJob = undefined;
        continue;
      }
      // Frames skipped or given up count too: each was an attempt, often a system call.
      sent++;
      if (outcome === 'refused') {
        if (job !== this.refusedJob) this.refusals = 0;
        this.refusedJob = job;
        this.refusals++;
        this.wait(PACER_RETRY_MS);
        return;
      }
      // 'failed' (skipped, or given up after MAX_REFUSALS) uses no budget.
      if (outcome === 'sent') this.tokens--;
      if (job === this.refusedJob) this.refusedJob = undefined;
    }
    // Out of budget: wait until a frame's worth has come back, but not less
    // than PACER_RETRY_MS, so a backlog is sent in batches, not one timer a frame.
    this.wait(Math.max(PACER_RETRY_MS, Math.ceil((1 - this.tokens) / this.rate)));
  }

  private wait(ms: number): void {
    this.timer = this.o.clock.setTimeout(() => this.drain(), ms);
  }
}
