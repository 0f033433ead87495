// An informer on client-node's ListWatch: list, then watch from the
// list's resourceVersion, with a cache readable by key, add/update/delete
// handlers, a barrier for the first full list, and the recovery client-node
// 1.4 leaves to its caller: its ListWatch stops for good on any error other
// than 410 Gone, so this one restarts it with capped, jittered backoff
// (resuming from the last resourceVersion, re-listing when that is gone).
// Types that may not be installed (metallb.io CRDs) count as synced and
// empty while the server answers 404, and are retried until they appear.

import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { ListWatch } from '@kubernetes/client-node/dist/cache.js';
import { ADD, DELETE, ERROR, UPDATE } from '@kubernetes/client-node/dist/informer.js';
import { validateBackoff, type BackoffPolicy } from '../util/backoff.js';
import { describeApiError, isNotFound, retryDelayMs } from './errors.js';
import { listAll, makeLister } from './list.js';
import { namespacedKey, objectKey } from './object-key.js';
import { qualifiedResource, resourcePath, type ResourceType } from './resources.js';
import type { KubeObject } from './wire.js';
import { InformerWatch } from './watch.js';
import { RealClock, type Clock, type TimerHandle } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';

export interface InformerOptions {
  /** Watch one namespace only; default all. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Count a 404 on list (the type's CRD not installed) as synced and empty,
   * and keep retrying. Default: true for custom resources, false otherwise.
   */
  optional?: boolean;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Restart pacing after errors; default 500 ms doubling to 30 s, half jittered. */
  backoff?: BackoffPolicy;
  /** Server-side watch timeout; default a random 300-600 s per watch, as client-go. */
  watchTimeoutSeconds?: number;
  /** Page size of the initial and re-lists; default 500, as client-go. */
  pageSize?: number;
}

export interface InformerStats {
  lists: number;
  watches: number;
  events: number;
  errors: number;
  restarts: number;
}

type Handler<A extends unknown[]> = (...args: A) => void;

/**
 * Drops metadata.managedFields (server-side apply's bookkeeping) from an
 * object about to be cached: nothing in shoal reads it, and on a real
 * cluster it more than doubles a Service's size in the heap (docs/speaker.md,
 * "Memory"). A write of a cached object stays safe: an update without
 * managedFields leaves the server's as they are.
 */
export function withoutManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}

// client-node's ListWatch asks for its model types but reads no more of an
// object than the metadata every object as sent has; the objects it holds
// and hands back are this informer's, as the list and the watch sent them.
type Listed = KubernetesObject;

export class Informer<T extends KubeObject> {
  private lw: ListWatch<Listed>;
  private readonly newListWatch: () => ListWatch<Listed>;
  private readonly watch: InformerWatch;
  private readonly cache = new Map<string, T>();
  private readonly adds: Handler<[T]>[] = [];
  private readonly updates: Handler<[T, T]>[] = [];
  private readonly deletes: Handler<[T]>[] = [];
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly backoff: BackoffPolicy;
  private readonly optional: boolean;
  private readonly syncBarrier: Promise<void>;
  private resolveSync!: () => void;
  private rejectSync!: (err: Error) => void;
  private isSynced = false;
  private listed = false;
  private isInstalled = true;
  private started = false;
  private stopped = false;
  private attempt = 0;
  private restartTimer: TimerHandle | undefined;
  private readonly counters: InformerStats = { lists: 0, watches: 0, events: 0, errors: 0, restarts: 0 };

  constructor(kc: KubeConfig, readonly type: ResourceType<T>, opts: InformerOptions = {}) {
    this.clock = opts.clock ?? new RealClock();
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger).child({ informer: qualifiedResource(type), ...(opts.namespace && { namespace: opts.namespace }) });
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    validateBackoff(this.backoff);
    this.optional = opts.optional ?? !type.builtin;
    const pageSize = opts.pageSize ?? 500;
    this.syncBarrier = new Promise<void>((resolve, reject) => {
      this.resolveSync = resolve;
      this.rejectSync = reject;
    });
    // Nobody may be waiting; an unobserved rejection must not crash the process.
    this.syncBarrier.catch(() => {});
    const lister = makeLister(kc, type);
    const params = {
      ...(opts.namespace !== undefined && { namespace: opts.namespace }),
      ...(opts.labelSelector !== undefined && { labelSelector: opts.labelSelector }),
      ...(opts.fieldSelector !== undefined && { fieldSelector: opts.fieldSelector }),
    };
    const listFn = async (): Promise<{ metadata?: { resourceVersion?: string }; items: Listed[] }> => {
      this.counters.lists++;
      this.listed = false;
      try {
        const list = await listAll(lister, params, pageSize);
        for (const item of list.items) withoutManagedFields(item);
        this.listed = true;
        this.isInstalled = true;
        this.attempt = 0;
        this.dropAllBut(list.items);
        return list as { metadata: { resourceVersion: string }; items: Listed[] };
      } catch (err) {
        if (isNotFound(err)) {
          // The type is not served (its CRD is gone): none of its objects exist.
          this.isInstalled = false;
          this.dropAllBut([]);
          if (this.optional) this.markSynced();
        }
        throw err;
      }
    };
    const fixedTimeout = opts.watchTimeoutSeconds;
    this.watch = new InformerWatch(kc, {
      clock: this.clock,
      random: this.random,
      timeoutSeconds: () => fixedTimeout ?? Math.floor(300 * (1 + this.random())),
      deadlineGraceMs: 30_000,
      backoff: this.backoff,
      transform: (obj) => withoutManagedFields(obj as KubeObject),
      onStart: () => {
        this.counters.watches++;
        // ListWatch asks to watch right after it has applied a list: the cache is complete.
        if (this.listed) this.markSynced();
      },
      onEvent: () => {
        this.counters.events++;
        this.attempt = 0;
      },
    });
    const path = resourcePath(type, opts.namespace !== undefined ? { namespace: opts.namespace } : {});
    this.newListWatch = () => {
      const lw = new ListWatch<Listed>(path, this.watch, listFn, false, opts.labelSelector, opts.fieldSelector);
      // Callbacks of a replaced ListWatch are ignored.
      lw.on(ADD, (obj) => { if (lw === this.lw) this.upsert(obj as T); });
      lw.on(UPDATE, (obj) => { if (lw === this.lw) this.upsert(obj as T); });
      lw.on(DELETE, (obj) => { if (lw === this.lw) this.remove(obj as T); });
      lw.on(ERROR, (err) => { if (lw === this.lw) this.failed(err); });
      return lw;
    };
    this.lw = this.newListWatch();
  }

  onAdd(fn: (obj: T) => void): this {
    this.adds.push(fn);
    return this;
  }

  onUpdate(fn: (obj: T, old: T) => void): this {
    this.updates.push(fn);
    return this;
  }

  onDelete(fn: (obj: T) => void): this {
    this.deletes.push(fn);
    return this;
  }

  /** Starts listing and watching in the background; await synced() for the first full list. */
  start(): void {
    if (this.started) throw new Error(`informer ${qualifiedResource(this.type)} already started`);
    this.started = true;
    this.run();
  }

  /** Resolves once the cache holds a complete list (or the optional type is known absent). */
  synced(): Promise<void> {
    return this.syncBarrier;
  }

  get hasSynced(): boolean {
    return this.isSynced;
  }

  /** False while the server answers 404 for the type (its CRD is not installed). */
  get installed(): boolean {
    return this.isInstalled;
  }

  /** "namespace/name", or "name" for cluster-scoped types. */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  getByName(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespacedKey(namespace, name));
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  get size(): number {
    return this.cache.size;
  }

  /** The resourceVersion the cache is current to. */
  get resourceVersion(): string {
    return this.lw.latestResourceVersion();
  }

  stats(): InformerStats {
    return { ...this.counters };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.watch.stop();
    this.clock.clearTimeout(this.restartTimer);
    await this.lw.stop();
    if (!this.isSynced) this.rejectSync(new Error(`informer ${qualifiedResource(this.type)} stopped before it synced`));
  }

  private run(): void {
    this.lw.start().catch((err: unknown) => this.failed(err));
  }

  private markSynced(): void {
    if (this.isSynced) return;
    this.isSynced = true;
    this.resolveSync();
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    this.counters.errors++;
    const f = describeApiError(err);
    if (f.status === 404 && this.optional) this.log.debug('resource not served yet; will retry', { status: f.status });
    else this.log.warn('list/watch failed; will retry', { status: f.status, reason: f.reason, error: f.message });
    if (this.restartTimer) return;
    // client-node's ListWatch re-lists only after a 410; after a 404 its
    // resourceVersion is meaningless (the type was removed), so start afresh.
    const relist = f.status === 404;
    const delay = retryDelayMs(f, this.attempt++, this.backoff, this.random);
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.counters.restarts++;
      if (relist) {
        void this.lw.stop();
        this.lw = this.newListWatch();
      }
      this.run();
    }, delay);
  }

  private upsert(obj: T): void {
    const key = objectKey(obj);
    const old = this.cache.get(key);
    this.cache.set(key, obj);
    if (old === undefined) this.emit(this.adds, [obj]);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit(this.updates, [obj, old]);
  }

  /** Deletes cached objects a fresh list no longer has (missed while not watching). */
  private dropAllBut(items: readonly T[]): void {
    const keep = new Set(items.map(objectKey));
    for (const [key, obj] of [...this.cache]) {
      if (!keep.has(key)) this.remove(obj);
    }
  }

  private remove(obj: T): void {
    const key = objectKey(obj);
    if (!this.cache.delete(key)) return;
    this.emit(this.deletes, [obj]);
  }

  private emit<A extends unknown[]>(handlers: Handler<A>[], args: A): void {
    for (const h of handlers) {
      try {
        h(...args);
      } catch (err) {
        // client-node would swallow this silently inside its watch parser.
        this.log.error('informer handler threw', { err });
      }
    }
  }
}
