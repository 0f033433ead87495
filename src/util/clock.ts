// Time behind an interface: protocol state machines take a Clock so that
// tests and the simulator run on virtual time and never sleep.

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** Wall-clock implementation on Node's timers and the monotonic clock. */
export class RealClock implements Clock {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  now(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms));
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }
}

interface VirtualTimer {
  id: number;
  at: number;
  seq: number;
  /** Replaced by a no-op when the timer is cancelled (see clearTimeout). */
  fn: () => void;
}

const cancelledFn = (): void => {};

/**
 * Deterministic clock for tests and simulation. Timers fire in (time,
 * insertion) order when the clock is advanced; a binary heap keeps that
 * O(log n) for the thousands of timers a large simulated cluster holds.
 */
export class VirtualClock implements Clock {
  private current: number;
  private heap: VirtualTimer[] = [];
  /** Timers scheduled and neither fired nor cancelled, by id. */
  private readonly live = new Map<number, VirtualTimer>();
  private readonly cancelled = new Set<number>();
  private nextId = 1;
  private seq = 0;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const timer: VirtualTimer = { id, at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.push(timer);
    this.live.set(id, timer);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    // Clearing a timer that already fired (or was cleared) is a no-op.
    const timer = handle && this.live.get(handle.id);
    if (!timer) return;
    this.live.delete(timer.id);
    this.cancelled.add(timer.id);
    // A cancelled timer stays in the heap until its time comes; without its
    // callback, it no longer holds what the callback closed over (in a
    // large simulation, gigabytes of push-pull state behind stream timeouts).
    timer.fn = cancelledFn;
  }

  /** Number of timers still scheduled. */
  get pending(): number {
    return this.live.size;
  }

  /** Time of the next scheduled timer, or undefined when none is left. */
  nextAt(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.at;
  }

  /** Runs every timer due up to now + ms, in order, then sets the clock there. */
  advance(ms: number): void {
    this.runUntil(this.current + ms);
  }

  runUntil(t: number): void {
    for (;;) {
      this.dropCancelledTop();
      const top = this.heap[0];
      if (!top || top.at > t) break;
      this.pop();
      this.live.delete(top.id);
      this.current = Math.max(this.current, top.at);
      top.fn();
    }
    this.current = Math.max(this.current, t);
  }

  private dropCancelledTop(): void {
    for (;;) {
      const top = this.heap[0];
      if (!top || !this.cancelled.has(top.id)) return;
      this.cancelled.delete(top.id);
      this.pop();
    }
  }

  private less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: VirtualTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * A view of another clock that can be paused, as a process whose event loop
 * stalls: timers that come due while paused run late, all at once, on
 * resume, in the order they were due (Node runs expired timers before it
 * reads sockets, which resume() callers reproduce by delivering queued
 * packets afterwards).
 */
export class PausableClock implements Clock {
  private paused = false;
  private backlog: Array<{ at: number; seq: number; fn: () => void; id: number }> = [];
  private readonly inner = new Map<number, TimerHandle>();
  private nextId = 1;
  private seq = 0;

  constructor(private readonly base: Clock) {}

  get isPaused(): boolean {
    return this.paused;
  }

  now(): number {
    return this.base.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const at = this.base.now() + Math.max(0, ms);
    const seq = this.seq++;
    const h = this.base.setTimeout(() => {
      this.inner.delete(id);
      if (this.paused) this.backlog.push({ at, seq, fn, id });
      else fn();
    }, ms);
    this.inner.set(id, h);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const h = this.inner.get(handle.id);
    if (h) {
      this.base.clearTimeout(h);
      this.inner.delete(handle.id);
    }
    this.backlog = this.backlog.filter((b) => b.id !== handle.id);
  }

  pause(): void {
    this.paused = true;
  }

  /** Unpauses and runs every timer that came due meanwhile. */
  resume(): void {
    this.paused = false;
    const due = this.backlog.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.backlog = [];
    for (const b of due) b.fn();
  }
}

/** Resolves after `ms` on `clock`; resolves early (with false) if `signal` aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `fn` every `intervalMs` on `clock`, the first time one interval
 * from now, until the returned stop() is called. Each call is scheduled
 * when the one before has returned, so a slow call delays the next rather
 * than piling calls up.
 */
export function repeat(clock: Clock, intervalMs: number, fn: () => void): () => void {
  if (!(intervalMs > 0)) throw new Error(`repeat: interval ${intervalMs}: expected a positive number of milliseconds`);
  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    fn();
    timer = clock.setTimeout(tick, intervalMs);
  };
  timer = clock.setTimeout(tick, intervalMs);
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}
