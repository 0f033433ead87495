// Gives back V8 heap that a burst of work committed and no longer uses.
//
// V8 grows its old generation while a burst of work promotes objects (a
// speaker taking in 1,000 Services, one ServiceL2Status write at a time)
// and keeps the pages after a collection has emptied them. Its memory
// reducer gives them back once the process looks idle, but judges idleness
// by the allocation rate, which the status writer keeps up for a minute
// after such a burst: a speaker then held 58 MiB of heap for 27 MiB of live
// objects for over a minute (docs/speaker.md, "Memory"). HeapExcess decides
// from readings of the heap when the committed heap is far above what is
// live; the caller then asks V8 for the same kind of collection its memory
// reducer runs (the shoal_memory addon's reduceHeap: incremental, so no
// long pause on the thread that answers gossip).
import { getHeapStatistics } from 'node:v8';
import type { Clock, TimerHandle } from './clock.js';

const MiB = 1048576;

export interface HeapReading {
  /** Live objects and garbage not collected yet (used_heap_size). */
  readonly usedBytes: number;
  /** What V8 has committed (total_heap_size). */
  readonly totalBytes: number;
}

export interface HeapExcessOptions {
  /** Readings the live estimate looks back over (the lowest of them). */
  readonly windowReadings: number;
  /** The committed heap must exceed the live estimate by this factor... */
  readonly ratio: number;
  /** ...and by this many bytes. */
  readonly minExcessBytes: number;
  /** At most one release in this long. */
  readonly holdOffMs: number;
}

/** Every 5 s, looking back 30 s; twice the live heap and 16 MiB over it; at most one release in 10 s. */
export const DEFAULT_HEAP_EXCESS: HeapExcessOptions = { windowReadings: 6, ratio: 2, minExcessBytes: 16 * MiB, holdOffMs: 10_000 };
export const DEFAULT_HEAP_CHECK_INTERVAL_MS = 5000;

/**
 * Decides, reading by reading, when to release the heap. The live heap is
 * estimated as the lowest `used` of the last readings: each is taken at a
 * random point between collections, so the lowest is nearest after one (an
 * upper bound of what is live).
 */
export class HeapExcess {
  private readonly used: number[] = [];
  private lastRelease = -Infinity;

  constructor(private readonly opts: HeapExcessOptions = DEFAULT_HEAP_EXCESS) {
    if (!(opts.windowReadings >= 1) || !(opts.ratio > 1) || !(opts.minExcessBytes >= 0) || !(opts.holdOffMs >= 0)) {
      throw new Error(`heap release: expected windowReadings >= 1, ratio > 1, minExcessBytes >= 0, holdOffMs >= 0, got ${JSON.stringify(opts)}`);
    }
  }

  /** Takes a reading at `nowMs`; true when the heap should be released now. */
  offer(nowMs: number, r: HeapReading): boolean {
    this.used.push(r.usedBytes);
    if (this.used.length > this.opts.windowReadings) this.used.shift();
    if (nowMs - this.lastRelease < this.opts.holdOffMs) return false;
    const live = Math.min(...this.used);
    if (r.totalBytes > this.opts.ratio * live && r.totalBytes - live > this.opts.minExcessBytes) {
      this.lastRelease = nowMs;
      return true;
    }
    return false;
  }
}

/** This process's heap, as HeapExcess reads it. */
export function readHeap(): HeapReading {
  const h = getHeapStatistics();
  return { usedBytes: h.used_heap_size, totalBytes: h.total_heap_size };
}

/** Reads the heap every `intervalMs` on `clock` and calls `release` when HeapExcess says so, until the returned stop() is called. */
export function startHeapRelease(clock: Clock, release: () => void, opts: { intervalMs?: number; read?: () => HeapReading; excess?: HeapExcessOptions } = {}): () => void {
  const intervalMs = opts.intervalMs ?? DEFAULT_HEAP_CHECK_INTERVAL_MS;
  if (!(intervalMs > 0)) throw new Error(`heap release check interval ${intervalMs}: expected a positive number of milliseconds`);
  const excess = new HeapExcess(opts.excess);
  const read = opts.read ?? readHeap;
  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    if (excess.offer(clock.now(), read())) release();
    timer = clock.setTimeout(tick, intervalMs);
  };
  timer = clock.setTimeout(tick, intervalMs);
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}
