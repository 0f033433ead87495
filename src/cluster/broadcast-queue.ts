// Broadcasts waiting to be piggybacked or gossiped. Each is sent a limited
// number of times (mult * ceil(log10(n+1))), least-sent first so fresh news
// spreads before old news is repeated, and a newer broadcast about the same
// member replaces the older one, which bounds the queue by the member count.
import { framedSize } from './codec.js';

interface Item {
  readonly key: string;
  readonly encoded: Buffer;
  transmits: number;
  removed: boolean;
  readonly onDone: (() => void) | undefined;
}

export class BroadcastQueue {
  /** buckets[t] holds items sent t times, oldest first; removals are lazy. */
  private buckets: Item[][] = [];
  private byKey = new Map<string, Item>();
  private stale = 0;

  /**
   * @param limit current retransmit limit (depends on the member count).
   * @param maxItems hard cap; beyond it the most-sent items are dropped.
   */
  constructor(
    private readonly limit: () => number,
    private readonly maxItems = 100_000,
  ) {}

  get length(): number {
    return this.byKey.size;
  }

  /** Queues an encoded message about `key`, replacing any older one about it. */
  push(key: string, encoded: Buffer, onDone?: () => void): void {
    const old = this.byKey.get(key);
    if (old) this.finish(old);
    const item: Item = { key, encoded, transmits: 0, removed: false, onDone };
    this.byKey.set(key, item);
    (this.buckets[0] ??= []).push(item);
    if (this.byKey.size > this.maxItems) this.dropMostSent();
  }

  /** Drops the queued broadcast about key, if any (e.g. the member was reaped). */
  remove(key: string): void {
    const item = this.byKey.get(key);
    if (item) this.finish(item);
  }

  /**
   * Takes broadcasts that fit in `budget` bytes (framing included), counting
   * one transmission for each. Newest first among equally-sent ones.
   */
  take(budget: number): Buffer[] {
    const out: Buffer[] = [];
    if (this.byKey.size === 0 || budget < 3) return out;
    const limit = this.limit();
    let left = budget;
    const moved: Item[] = [];
    for (let t = 0; t < this.buckets.length && left >= 3; t++) {
      const bucket = this.buckets[t];
      if (!bucket) continue;
      for (let i = bucket.length - 1; i >= 0 && left >= 3; i--) {
        const item = bucket[i]!;
        if (item.removed || item.transmits !== t) continue;
        if (t >= limit) {
          this.finish(item);
          continue;
        }
        const size = framedSize(item.encoded);
        if (size > left) continue;
        left -= size;
        out.push(item.encoded);
        item.transmits++;
        this.stale++;
        if (item.transmits >= limit) this.finish(item);
        else moved.push(item);
      }
    }
    // Taken newest first; append oldest first so age order holds in the next bucket.
    for (let i = moved.length - 1; i >= 0; i--) (this.buckets[moved[i]!.transmits] ??= []).push(moved[i]!);
    if (this.stale > 2 * this.byKey.size + 64) this.compact();
    return out;
  }

  /** Retires an item: sent enough times, replaced by newer news, or dropped. */
  private finish(item: Item): void {
    if (item.removed) return;
    item.removed = true;
    this.stale++;
    if (this.byKey.get(item.key) === item) this.byKey.delete(item.key);
    if (item.onDone) item.onDone();
  }

  private dropMostSent(): void {
    for (let t = this.buckets.length - 1; t >= 0 && this.byKey.size > this.maxItems; t--) {
      for (const item of this.buckets[t] ?? []) {
        if (this.byKey.size <= this.maxItems) break;
        if (!item.removed && item.transmits === t) this.finish(item);
      }
    }
  }

  private compact(): void {
    this.buckets = this.buckets.map((b, t) => b.filter((item) => !item.removed && item.transmits === t));
    this.stale = 0;
  }
}
