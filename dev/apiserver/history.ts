// The change log of one resource type: the last N events with the object
// before and after each change. It answers the three questions a real API
// server answers from etcd and its watch cache: which events follow a
// resourceVersion (watch resume), what the whole collection looked like at
// a resourceVersion (paginated lists and resourceVersionMatch=Exact), and
// whether that resourceVersion is still known or has been compacted (410).

export type StoredObject = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace?: string; resourceVersion: string };
};

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  type: ChangeType;
  rv: number;
  /** The object after the change; for DELETED, its last state stamped with the deletion's resourceVersion. */
  object: StoredObject;
  /** The object before the change (absent for ADDED). */
  prev?: StoredObject;
}

export class ChangeLog {
  private readonly ring: (Change | undefined)[];
  private start = 0;
  private count = 0;
  /** Every event with rv <= this has been forgotten. */
  private compacted = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`history capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<Change | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The newest resourceVersion that can no longer be resumed from exactly. */
  get compactedRv(): number {
    return this.compacted;
  }

  append(c: Change): void {
    if (this.count === this.capacity) {
      const oldest = this.ring[this.start]!;
      this.compacted = oldest.rv;
      this.ring[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    this.ring[(this.start + this.count) % this.capacity] = c;
    this.count++;
  }

  /** Forget everything up to and including `rv`, as an etcd compaction does. */
  compact(rv: number): void {
    while (this.count > 0 && this.ring[this.start]!.rv <= rv) {
      this.ring[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    this.compacted = Math.max(this.compacted, rv);
  }

  /** Whether every change after `rv` is still held. */
  covers(rv: number): boolean {
    return rv >= this.compacted;
  }

  /** Changes with resourceVersion greater than `rv`, oldest first. Callers check covers() first. */
  since(rv: number): Change[] {
    const out: Change[] = [];
    for (let i = 0; i < this.count; i++) {
      const c = this.ring[(this.start + i) % this.capacity]!;
      if (c.rv > rv) out.push(c);
    }
    return out;
  }

  /**
   * The collection as it was at `rv`, rebuilt from `current` by undoing the
   * newer changes newest first. Callers check covers(rv) first.
   */
  snapshotAt(rv: number, current: ReadonlyMap<string, StoredObject>, keyOf: (o: StoredObject) => string): Map<string, StoredObject> {
    const out = new Map(current);
    const newer = this.since(rv);
    for (let i = newer.length - 1; i >= 0; i--) {
      const c = newer[i]!;
      const key = keyOf(c.object);
      if (c.type === 'ADDED') out.delete(key);
      else out.set(key, c.prev!);
    }
    return out;
  }
}
