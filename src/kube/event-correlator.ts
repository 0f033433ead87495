// Decides what an emitted event becomes on the API, the way client-go's
// EventCorrelator does, so that a flapping service cannot flood etcd:
//
// 1. spam filter: a token bucket per (source, involved object); events with
//    no token left are dropped;
// 2. aggregation: once one object has had `aggregateThreshold` events with
//    the same reason but different messages inside `aggregateWindowMs`,
//    further ones fold into a single "(combined from similar events)" event;
// 3. de-duplication: an event identical to one already written bumps that
//    Event's count and lastTimestamp (a PATCH) instead of creating another.
//
// The caches are LRUs of 4096 entries each, as client-go's. Beyond client-go,
// forgetObject() drops every entry of an object that was deleted: under
// Service churn the entries of deleted Services would otherwise fill the
// caches to their bound (about 1.3 KiB each), a process's memory rising for
// hours before it levels off (docs/speaker.md, "Growth").
//
// Pure bookkeeping over a Clock; the recorder does the I/O.

import type { Clock } from '../util/clock.js';

export interface InvolvedObject {
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface EventInput {
  involvedObject: InvolvedObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  source: { component: string; host?: string };
}

export type Correlation =
  | { action: 'drop'; why: 'rate-limited' }
  | { action: 'create' | 'update'; key: string; message: string; count: number; name: string; namespace: string; firstTimestamp: Date };

export interface CorrelatorOptions {
  clock: Clock;
  /** Events allowed in a burst per (source, object); client-go: 25. */
  burst?: number;
  /** One more token every this many ms; client-go: 5 minutes. */
  refillMs?: number;
  /** Distinct messages of one reason before aggregating; client-go: 10. */
  aggregateThreshold?: number;
  /** Window of the aggregation count; client-go: 10 minutes. */
  aggregateWindowMs?: number;
  /** Entries kept in each cache (LRU); client-go: 4096. */
  cacheSize?: number;
}

export const combinedPrefix = '(combined from similar events): ';

/** The cache keys that belong to one involved object, so that they can be dropped together. */
interface ObjectKeys {
  readonly id: string;
  readonly keys: Set<string>;
}

interface Owned {
  readonly owner: ObjectKeys;
}

class Lru<V extends Owned> {
  private readonly map = new Map<string, V>();
  constructor(
    private readonly max: number,
    private readonly onEvict: (k: string, v: V) => void,
  ) {}
  get size(): number {
    return this.map.size;
  }
  peek(k: string): V | undefined {
    return this.map.get(k);
  }
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) {
      const [oldest, old] = this.map.entries().next().value!;
      this.map.delete(oldest);
      this.onEvict(oldest, old);
    }
  }
  delete(k: string): void {
    this.map.delete(k);
  }
}

interface Bucket extends Owned {
  tokens: number;
  at: number;
}

interface Similar extends Owned {
  messages: Set<string>;
  last: number;
}

interface Written extends Owned {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: Date;
}

type CacheName = 'bucket' | 'similar' | 'written';

/** A cache key with the name of its cache in front: the three caches' keys, in one set, kept apart. */
function tagged(cache: CacheName, key: string): string {
  return `${cache}\u0001${key}`;
}

function untagged(t: string): [CacheName, string] {
  const at = t.indexOf('\u0001');
  return [t.slice(0, at) as CacheName, t.slice(at + 1)];
}

function objectId(o: InvolvedObject): string {
  return [o.apiVersion ?? '', o.kind, o.namespace ?? '', o.name, o.uid ?? '', o.fieldPath ?? ''].join('\u0000');
}

export class EventCorrelator {
  private readonly clock: Clock;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly threshold: number;
  private readonly windowMs: number;
  private readonly buckets: Lru<Bucket>;
  private readonly similar: Lru<Similar>;
  private readonly written: Lru<Written>;
  /** Per involved object (objectId), its keys in the three caches, tagged with the cache (see tagged()). */
  private readonly byObject = new Map<string, ObjectKeys>();

  constructor(opts: CorrelatorOptions) {
    this.clock = opts.clock;
    this.burst = opts.burst ?? 25;
    this.refillMs = opts.refillMs ?? 300_000;
    this.threshold = opts.aggregateThreshold ?? 10;
    this.windowMs = opts.aggregateWindowMs ?? 600_000;
    const size = opts.cacheSize ?? 4096;
    if (!(this.burst >= 1) || !(this.refillMs > 0) || !(this.threshold >= 1) || !(this.windowMs > 0) || !(size >= 1)) {
      throw new Error('event correlator: burst, refillMs, aggregateThreshold, aggregateWindowMs and cacheSize must be positive');
    }
    this.buckets = new Lru(size, (k, v) => this.unindex(v.owner, tagged('bucket', k)));
    this.similar = new Lru(size, (k, v) => this.unindex(v.owner, tagged('similar', k)));
    this.written = new Lru(size, (k, v) => this.unindex(v.owner, tagged('written', k)));
  }

  /** Entries held, per cache (bounded by cacheSize each), and the objects they are about. */
  sizes(): { buckets: number; similar: number; written: number; objects: number } {
    return { buckets: this.buckets.size, similar: this.similar.size, written: this.written.size, objects: this.byObject.size };
  }

  /**
   * Forgets everything about `o` (it was deleted): its token bucket, its
   * aggregation counts and its written Events. A new object of the same name
   * has another uid and would have started afresh anyway.
   */
  forgetObject(o: InvolvedObject): void {
    const owner = this.byObject.get(objectId(o));
    if (!owner) return;
    this.byObject.delete(owner.id);
    const caches = { bucket: this.buckets, similar: this.similar, written: this.written };
    for (const t of owner.keys) {
      const [cache, key] = untagged(t);
      caches[cache].delete(key);
    }
  }

  /**
   * What to write for `e`. The answer is recorded at once (a new Event under
   * `newName()`, or one more count), so an identical event emitted before the
   * write lands still counts up the same Event; forget() undoes it if the
   * write fails for good.
   */
  correlate(e: EventInput, newName: () => string, wallNow: Date): Correlation {
    const now = this.clock.now();
    const source = `${e.source.component}\u0000${e.source.host ?? ''}`;
    const obj = objectId(e.involvedObject);
    const owner = this.ownerOf(obj);
    if (!this.takeToken(`${source}\u0000${obj}`, owner, now)) return { action: 'drop', why: 'rate-limited' };

    const aggregateKey = [source, obj, e.type, e.reason].join('\u0000');
    let sim = this.similar.get(aggregateKey);
    if (!sim || now - sim.last > this.windowMs) sim = { messages: new Set(), last: now, owner };
    sim.messages.add(e.message);
    sim.last = now;
    this.similar.set(aggregateKey, sim);
    owner.keys.add(tagged('similar', aggregateKey));
    const aggregated = sim.messages.size >= this.threshold;
    const message = aggregated ? combinedPrefix + e.message : e.message;
    // Aggregated events share one key, so they all count up one Event.
    const key = aggregated ? `${aggregateKey}\u0000*` : `${aggregateKey}\u0000${e.message}`;

    const prior = this.written.get(key);
    if (prior) {
      const next = { ...prior, count: prior.count + 1 };
      this.written.set(key, next);
      return { action: 'update', key, message, ...next };
    }
    const namespace = e.involvedObject.namespace || 'default';
    const name = newName();
    this.written.set(key, { name, namespace, count: 1, firstTimestamp: wallNow, owner });
    owner.keys.add(tagged('written', key));
    return { action: 'create', key, message, count: 1, name, namespace, firstTimestamp: wallNow };
  }

  /** Forgets `key` (its Event disappeared), so the next occurrence creates a new one. */
  forget(key: string): void {
    const w = this.written.peek(key);
    if (!w) return;
    this.written.delete(key);
    this.unindex(w.owner, tagged('written', key));
  }

  /** The key set of object `id`, created (empty) when it has none yet. */
  private ownerOf(id: string): ObjectKeys {
    let owner = this.byObject.get(id);
    if (!owner) {
      owner = { id, keys: new Set() };
      this.byObject.set(id, owner);
    }
    return owner;
  }

  /** `t` left its cache: the object no longer holds it, and an object holding nothing is dropped. */
  private unindex(owner: ObjectKeys, t: string): void {
    owner.keys.delete(t);
    if (owner.keys.size === 0 && this.byObject.get(owner.id) === owner) this.byObject.delete(owner.id);
  }

  private takeToken(key: string, owner: ObjectKeys, now: number): boolean {
    owner.keys.add(tagged('bucket', key));
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now, owner };
    const refilled = Math.min(this.burst, b.tokens + Math.floor((now - b.at) / this.refillMs));
    const at = refilled === this.burst ? now : b.at + Math.floor((now - b.at) / this.refillMs) * this.refillMs;
    if (refilled < 1) {
      this.buckets.set(key, { tokens: refilled, at, owner });
      return false;
    }
    this.buckets.set(key, { tokens: refilled - 1, at, owner });
    return true;
  }
}
