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
//
// The same collection is asked for when V8 has run no full collection for
// a while (maxQuietMs). V8 collects the old generation when it nears a
// limit that it raises as the heap grows, and a process with a small,
// steady heap and a little churn (the controller replacing a Service now
// and then) promotes garbage slowly enough to go for hours without one:
// the garbage is kept and committed, and RSS climbs by a few MiB an hour
// (docs/speaker.md, "Growth"). On a heap of 20 MiB one such collection
// every few minutes costs milliseconds, in incremental steps.
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { repeat, type Clock } from './clock.js';
import { loadMemoryAddon, startPeriodicTrim } from './malloc-trim.js';

const MiB = 1048576;

export interface HeapReading {
  /** Live objects and garbage not collected yet (used_heap_size). */
  readonly usedBytes: number;
  /** What V8 has committed (total_heap_size). */
  readonly totalBytes: number;
  /** Full (mark-compact) collections so far, when known; a change means one ran since the last reading. */
  readonly fullCollections?: number;
  /** Heap used as read just after the last full collection, when known: nearly what was live then. */
  readonly usedAfterFullBytes?: number;
}

export interface HeapExcessOptions {
  /**
   * Readings the live estimate looks back over (the lowest of them), at
   * most: a full collection seen in the counts, or a release, starts the
   * window afresh.
   */
  readonly windowReadings: number;
  /** The committed heap must exceed the live estimate by this factor... */
  readonly ratio: number;
  /**
   * ...and by this many bytes. The same amount of growth of the heap used
   * over the live estimate also asks for a collection (see offer).
   */
  readonly minExcessBytes: number;
  /** At most one release in this long. */
  readonly holdOffMs: number;
  /** Release also when no full collection has run for this long (readings must count them); undefined: never for that reason. */
  readonly maxQuietMs?: number;
  /**
   * Release also when nothing was released for maxQuietMs and the committed
   * heap is more than this over the live estimate. V8's own collections
   * free garbage but keep the pages; over an hour of churn a speaker's
   * committed heap crept up 1.7 MiB/h while what each collection left rose
   * 0.7 (bench/results/memory-soak-60min-rest.txt). Undefined: never for
   * that reason.
   */
  readonly slackBytes?: number;
  /**
   * The growth rule's second, lower threshold: a growth of the heap used
   * over the live estimate by this much (short of minExcessBytes) asks for
   * a collection too, but only garbageHoldOffMs after the last release.
   * Under a slow churn, between two releases 5 minutes apart, a speaker's
   * old generation filled from about 14 to 21 MiB, and V8 kept the pages
   * the fill took committed after each collection (docs/speaker.md, "Where
   * the committed heap goes"). A collection asked for after a few MiB of
   * garbage keeps the fill, and so what is committed, lower. Undefined:
   * never for that reason.
   */
  readonly garbageBytes?: number;
  /** How long after the last release a growth past garbageBytes, but not minExcessBytes, waits (the other reasons keep their own waits); undefined: holdOffMs. */
  readonly garbageHoldOffMs?: number;
  /**
   * Release at the first reading. A process just started holds its
   * start-up garbage until its first full collection, and, until one is
   * seen, nothing says what is live: a burst right after start (a speaker
   * restarted into 1,000 Services) was otherwise kept for as long as V8
   * waited to collect.
   */
  readonly releaseAtStart?: boolean;
}

/**
 * Every 5 s, looking back up to 5 minutes; twice the live heap and 16 MiB
 * over it, or 16 MiB of growth; at most one release in 10 s; a full
 * collection at least every 5 minutes; at most every 5 minutes, a
 * release of more than 4 MiB committed over the live heap; and, at most
 * once a minute, a collection once 4 MiB of garbage have built up.
 */
export const DEFAULT_HEAP_EXCESS: HeapExcessOptions = {
  windowReadings: 60,
  ratio: 2,
  minExcessBytes: 16 * MiB,
  holdOffMs: 10_000,
  maxQuietMs: 300_000,
  slackBytes: 4 * MiB,
  garbageBytes: 4 * MiB,
  garbageHoldOffMs: 60_000,
  releaseAtStart: true,
};
export const DEFAULT_HEAP_CHECK_INTERVAL_MS = 5000;

/**
 * Decides, reading by reading, when to release the heap. The live heap is
 * estimated as the lowest `used` since the last full collection: the heap
 * used read just after it, when the readings carry it, and the readings
 * since (each taken at a random point between collections, so the lowest
 * is nearest after one: an upper bound of what is live).
 *
 * Released when the committed heap is far above that estimate, and also
 * when the heap used has grown by minExcessBytes over it (by garbageBytes,
 * once garbageHoldOffMs has passed since the last release). Until a full
 * collection runs, garbage counts as used: when 1,000 Services arrived at
 * a speaker, V8 could run its own tens of seconds later, the heap twice
 * what was live meanwhile, and no reading between two collections said
 * so. The collection asked for says what is live; were the growth live
 * after all, it cost one incremental collection.
 */
export class HeapExcess {
  private readonly used: number[] = [];
  private lastRelease = -Infinity;
  private readings = 0;
  /** When a full collection was last seen to have run (or the first reading), and the count then. */
  private lastFullAt: number | undefined;
  private fullCount: number | undefined;

  constructor(private readonly opts: HeapExcessOptions = DEFAULT_HEAP_EXCESS) {
    if (
      !(opts.windowReadings >= 1) || !(opts.ratio > 1) || !(opts.minExcessBytes >= 0) || !(opts.holdOffMs >= 0) || !(opts.maxQuietMs === undefined || opts.maxQuietMs > 0)
      || !(opts.garbageBytes === undefined || opts.garbageBytes >= 0) || !(opts.garbageHoldOffMs === undefined || opts.garbageHoldOffMs >= 0)
    ) {
      throw new Error(`heap release: expected windowReadings >= 1, ratio > 1, minExcessBytes >= 0, holdOffMs >= 0, maxQuietMs > 0, garbageBytes >= 0 and garbageHoldOffMs >= 0 if given, got ${JSON.stringify(opts)}`);
    }
  }

  /** Takes a reading at `nowMs`; true when the heap should be released now. */
  offer(nowMs: number, r: HeapReading): boolean {
    const first = this.readings++ === 0;
    if (r.fullCollections !== undefined && (this.lastFullAt === undefined || r.fullCollections !== this.fullCount)) {
      this.fullCount = r.fullCollections;
      this.lastFullAt = nowMs;
      // The readings before it counted garbage it has collected.
      this.used.length = 0;
      if (r.usedAfterFullBytes !== undefined) this.used.push(r.usedAfterFullBytes);
    }
    this.used.push(r.usedBytes);
    if (this.used.length > this.opts.windowReadings) this.used.shift();
    if (nowMs - this.lastRelease < this.opts.holdOffMs) return false;
    const live = Math.min(...this.used);
    const quiet = this.opts.maxQuietMs !== undefined && this.lastFullAt !== undefined && nowMs - this.lastFullAt >= this.opts.maxQuietMs;
    const committedFarAbove = r.totalBytes > this.opts.ratio * live && r.totalBytes - live > this.opts.minExcessBytes;
    const growthWait = this.growthHoldOffMs(r.usedBytes - live);
    const grown = growthWait !== undefined && nowMs - this.lastRelease >= growthWait;
    const atStart = this.opts.releaseAtStart === true && first;
    const slack = this.opts.slackBytes !== undefined && this.opts.maxQuietMs !== undefined
      && nowMs - this.lastRelease >= this.opts.maxQuietMs && r.totalBytes - live > this.opts.slackBytes;
    if (quiet || committedFarAbove || grown || atStart || slack) {
      this.lastRelease = nowMs;
      // Measured afresh from here: a heap that grew for good (more
      // Services) is not asked again on the strength of the old low.
      this.used.length = 0;
      // The collection asked for restarts the quiet time, so a V8 that ignores the request is asked once per maxQuietMs, not every hold-off.
      if (this.lastFullAt !== undefined) this.lastFullAt = nowMs;
      return true;
    }
    return false;
  }

  /**
   * How long after the last release a growth of the heap used over the live
   * estimate asks for a collection: a large one at once (holdOffMs), a few
   * MiB of garbage only now and then; below both thresholds, undefined.
   */
  private growthHoldOffMs(grownBytes: number): number | undefined {
    if (grownBytes > this.opts.minExcessBytes) return this.opts.holdOffMs;
    if (this.opts.garbageBytes !== undefined && grownBytes > this.opts.garbageBytes) return this.opts.garbageHoldOffMs ?? this.opts.holdOffMs;
    return undefined;
  }
}

let fullCollections: number | undefined;
let usedAfterFull: number | undefined;

/**
 * Starts counting this process's full collections (once; node reports each
 * as a 'gc' performance entry, soon after it ran, before much is allocated
 * again: the heap used then is nearly what was live).
 */
function countFullCollections(): void {
  if (fullCollections !== undefined) return;
  fullCollections = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      fullCollections!++;
      usedAfterFull = getHeapStatistics().used_heap_size;
    }
  }).observe({ entryTypes: ['gc'] });
}

/** This process's heap, as HeapExcess reads it, with its full collections counted from the first call. */
export function readHeap(): HeapReading {
  countFullCollections();
  const h = getHeapStatistics();
  return { usedBytes: h.used_heap_size, totalBytes: h.total_heap_size, fullCollections, ...(usedAfterFull !== undefined && { usedAfterFullBytes: usedAfterFull }) };
}

/** Reads the heap every `intervalMs` on `clock` and calls `release` when HeapExcess says so, until the returned stop() is called. */
export function startHeapRelease(clock: Clock, release: () => void, opts: { intervalMs?: number; read?: () => HeapReading; excess?: HeapExcessOptions } = {}): () => void {
  const intervalMs = opts.intervalMs ?? DEFAULT_HEAP_CHECK_INTERVAL_MS;
  if (!(intervalMs > 0)) throw new Error(`heap release check interval ${intervalMs}: expected a positive number of milliseconds`);
  const excess = new HeapExcess(opts.excess);
  const read = opts.read ?? readHeap;
  // Collections from now on count, not only from the first reading.
  if (opts.read === undefined) countFullCollections();
  return repeat(clock, intervalMs, () => {
    if (excess.offer(clock.now(), read())) release();
  });
}

/**
 * A long-running process's memory upkeep: the malloc trim and the heap
 * release, both through the shoal_memory addon; nothing when it does not
 * load (`warn` says why). Returns stop().
 */
export function startMemoryUpkeep(clock: Clock, warn: (message: string, fields: Record<string, unknown>) => void): () => void {
  const memory = loadMemoryAddon(warn);
  if (!memory) return () => {};
  const stopTrims = startPeriodicTrim(clock, memory.trim);
  const stopHeapRelease = startHeapRelease(clock, memory.reduceHeap);
  return () => {
    stopTrims();
    stopHeapRelease();
  };
}
