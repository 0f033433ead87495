// Keeps a set of metallb.io status objects (ServiceL2Status,
// ServiceBGPStatus, ConfigurationState, IPAddressPool status) in the API
// equal to what the caller last said it wants, without ever holding the
// caller up:
//
// - Declarative: set(key, desired) or set(key, undefined); the writer works
//   out create, status update or delete against what it knows is live.
// - Coalesced: a key waiting to be written is written once, with the latest
//   desired state; a key that returns to what is live costs nothing. A
//   failover that moves 1,000 addresses back and forth in a second writes
//   each object at most once per pass.
// - Rate-limited: every request takes a token from a bucket on the injected
//   clock (default 20 a second, 30 saved up: client-go's default client
//   limits, which MetalLB's status reconcilers run under).
// - Failures never block: a failed key is retried after a backoff of its own
//   (429, 5xx and lost connections; also 403 and 422, which an operator can
//   fix by correcting RBAC or the CRD) while other keys go on. A 409 re-reads
//   the object and writes again; a 404 on an update re-creates it.
//
// Objects are either created and deleted by the writer (owned: a fixed name,
// or a generateName prefix as MetalLB's speakers use) or only have their
// status written (the IPAddressPools, which users create).

import { Counter, type Registry } from 'prom-client';
import type { KubeConfig, V1OwnerReference } from '@kubernetes/client-node';
import { TokenBucket } from '../cluster/rate.js';
import { validateBackoff, type BackoffPolicy } from '../util/backoff.js';
import { RealClock, type Clock, type TimerHandle } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { describeApiError, isConflict, isNotFound, retryDelayMs } from './errors.js';
import { apiVersionOf, resourcePath, type CustomObject, type ResourceType } from './resources.js';
import { KubeRest } from './rest.js';

export interface DesiredStatusObject {
  readonly type: ResourceType<CustomObject>;
  readonly namespace: string;
  /** A fixed name; without it the object is created with `generateName`. */
  readonly name?: string;
  readonly generateName?: string;
  /** false: the object is someone else's (an IPAddressPool); only its status is written, and only while it exists. */
  readonly owned: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly V1OwnerReference[];
  readonly status: Readonly<Record<string, unknown>>;
}

/** What the writer believes the API holds for a key. */
interface Live {
  type: ResourceType<CustomObject>;
  namespace: string;
  /** Created or adopted by this writer: deleted when no longer desired. */
  owned: boolean;
  name: string;
  resourceVersion: string | undefined;
  /** JSON of the status, labels and owners, to compare with the desired ones. */
  statusJson: string;
  metaJson: string;
}

interface Entry {
  desired: DesiredStatusObject | undefined;
  live: Live | undefined;
  /** The live state is unknown (fixed name never read yet, or after a conflict). */
  unread: boolean;
  attempts: number;
  retryTimer: TimerHandle | undefined;
  lastError: string | undefined;
}

export interface StatusWriterMetrics {
  /** Requests by verb and outcome ("ok" or the HTTP status / "network"). */
  readonly requests?: { inc(labels: { kind: string; verb: string; outcome: string }): void };
}

export interface StatusObjectWriterOptions {
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Retry pacing per key; default 500 ms doubling to 30 s, half jittered. */
  backoff?: BackoffPolicy;
  /** Requests a second; default 20. */
  writesPerSecond?: number;
  /** Requests that may go at once after a quiet spell; default 30. */
  burst?: number;
  metrics?: StatusWriterMetrics;
}

export interface StatusObjectWriterStats {
  /** Keys waiting for a token or being written. */
  readonly queued: number;
  /** Keys waiting out a backoff after a failure. */
  readonly retrying: number;
  /** A request is on its way. */
  readonly writing: boolean;
  readonly requests: number;
  readonly failures: number;
}

const metaJson = (labels: Readonly<Record<string, string>> | undefined, owners: readonly V1OwnerReference[] | undefined): string =>
  JSON.stringify([Object.entries(labels ?? {}).sort(), (owners ?? []).map((o) => [o.apiVersion, o.kind, o.name, o.uid, o.controller ?? false])]);

function liveOf(obj: CustomObject, type: ResourceType<CustomObject>, owned: boolean): Live {
  const meta = obj.metadata ?? {};
  return {
    type,
    namespace: meta.namespace ?? '',
    owned,
    name: meta.name ?? '',
    resourceVersion: meta.resourceVersion,
    statusJson: JSON.stringify(obj.status ?? {}),
    metaJson: metaJson(meta.labels, meta.ownerReferences),
  };
}

interface Condition {
  type?: unknown;
  status?: unknown;
  lastTransitionTime?: unknown;
}

/**
 * `status` with each condition's lastTransitionTime taken from the live
 * object where that condition has the same type and status there: by the
 * API's convention the time changes only on a transition, so a process that
 * restarts into the same verdict writes nothing.
 */
export function keepTransitionTimes(status: unknown, liveStatusJson: string | undefined): unknown {
  const conditions = (status as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(conditions) || liveStatusJson === undefined) return status;
  const live = (JSON.parse(liveStatusJson) as { conditions?: unknown }).conditions;
  if (!Array.isArray(live)) return status;
  const kept = (conditions as Condition[]).map((c) => {
    const was = (live as Condition[]).find((l) => l.type === c.type);
    return was && was.status === c.status && was.lastTransitionTime !== undefined ? { ...c, lastTransitionTime: was.lastTransitionTime } : c;
  });
  return { ...(status as object), conditions: kept };
}

export class StatusObjectWriter {
  private readonly rest: KubeRest;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly backoff: BackoffPolicy;
  private readonly bucket: TokenBucket;
  private readonly ratePerSec: number;
  private readonly entries = new Map<string, Entry>();
  /** Keys to write, in the order they became due. */
  private readonly due = new Set<string>();
  /** Adopted keys no `set` has named yet: left alone until releaseAdopted. */
  private readonly held = new Set<string>();
  private pumpTimer: TimerHandle | undefined;
  private pumpSoon = false;
  private inFlight = false;
  /** The key of the request in flight: its entry must outlive a set(key, undefined) until the answer is in. */
  private writingKey: string | undefined;
  private closed = false;
  private requestCount = 0;
  private failureCount = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(kc: KubeConfig, private readonly opts: StatusObjectWriterOptions = {}) {
    this.rest = new KubeRest(kc);
    this.clock = opts.clock ?? new RealClock();
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger).child({ component: 'status-objects' });
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    validateBackoff(this.backoff);
    this.ratePerSec = opts.writesPerSecond ?? 20;
    const burst = opts.burst ?? 30;
    if (!(this.ratePerSec > 0) || !(burst >= 1)) throw new Error(`status writer: writesPerSecond must be > 0 and burst >= 1, got ${this.ratePerSec} and ${burst}`);
    this.bucket = new TokenBucket(this.ratePerSec, burst, this.clock.now());
  }

  /**
   * Registers objects already in the API (from an earlier run of this
   * process) under the key `keyOf` gives them; an object with no key, or a
   * second one under a key, is deleted unless `set` claims it. Call before
   * the first `set` for these keys. Nothing adopted is deleted or rewritten
   * until `set` names its key or `releaseAdopted` is called: a restarted
   * process that has not decided yet must not delete what is still true.
   */
  async adopt(type: ResourceType<CustomObject>, namespace: string, labelSelector: string, keyOf: (obj: CustomObject) => string | undefined): Promise<void> {
    const list = await this.rest.request<{ items?: CustomObject[] | null }>({ method: 'GET', path: resourcePath(type, { namespace }), query: { labelSelector } });
    let n = 0;
    for (const obj of list.items ?? []) {
      const key = keyOf(obj) ?? `orphan:${type.plural}/${obj.metadata?.name ?? ''}`;
      const e = this.entry(key);
      const slot = e.live ? `duplicate:${type.plural}/${obj.metadata?.name ?? ''}` : key;
      const target = slot === key ? e : this.entry(slot);
      // Kept only if set() claims the key; deleted otherwise.
      target.live = liveOf(obj, type, true);
      target.unread = false;
      this.held.add(slot);
      n++;
    }
    if (n > 0) this.log.debug('adopted status objects', { kind: type.kind, count: n });
  }

  /**
   * The caller has said, through `set`, everything it wants: adopted
   * objects it did not claim are deleted now.
   */
  releaseAdopted(): void {
    const held = [...this.held];
    this.held.clear();
    for (const key of held) {
      const e = this.entries.get(key);
      if (e && e.retryTimer === undefined && !this.settled(e)) this.markDue(key);
    }
  }

  /** The object `key` should be, or undefined: it should not exist (or, not owned, be left alone). */
  set(key: string, desired: DesiredStatusObject | undefined): void {
    if (this.closed) return;
    this.held.delete(key);
    const e = this.entry(key);
    if (desired && e.desired && e.desired.type !== desired.type) throw new Error(`status writer: key ${key} changed kind from ${e.desired.type.kind} to ${desired.type.kind}`);
    e.desired = desired;
    if (desired?.name !== undefined && e.live === undefined) e.unread = true;
    if (this.settled(e)) {
      this.due.delete(key);
      // A create in flight has no live object yet but will have one: dropping
      // the entry now would lose it, and the object would stay in the API
      // for good. The pump deletes it once the create has answered.
      if (e.desired === undefined && e.live === undefined && key !== this.writingKey) this.drop(key, e);
      return;
    }
    if (e.retryTimer === undefined) this.markDue(key);
  }

  /** Keys the writer tracks (desired or live). */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  get stats(): StatusObjectWriterStats {
    let retrying = 0;
    for (const e of this.entries.values()) if (e.retryTimer !== undefined) retrying++;
    return { queued: this.due.size + (this.inFlight ? 1 : 0), retrying, writing: this.inFlight || this.pumpSoon, requests: this.requestCount, failures: this.failureCount };
  }

  /** Resolves when nothing is queued or in flight (keys waiting out a backoff excepted). */
  idle(): Promise<void> {
    if (!this.inFlight && this.due.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops writing; what is not written yet stays unwritten. */
  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.pumpTimer);
    for (const e of this.entries.values()) this.clock.clearTimeout(e.retryTimer);
    this.due.clear();
    this.wakeIdle();
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = { desired: undefined, live: undefined, unread: false, attempts: 0, retryTimer: undefined, lastError: undefined }));
    return e;
  }

  private drop(key: string, e: Entry): void {
    this.clock.clearTimeout(e.retryTimer);
    this.held.delete(key);
    this.entries.delete(key);
  }

  /** Nothing to send for this entry. */
  private settled(e: Entry): boolean {
    const d = e.desired;
    if (d === undefined) return e.live === undefined || !e.live.owned;
    if (e.unread || e.live === undefined) return false;
    return e.live.statusJson === JSON.stringify(keepTransitionTimes(d.status, e.live.statusJson)) && (!d.owned || e.live.metaJson === metaJson(d.labels, d.ownerReferences));
  }

  private markDue(key: string): void {
    this.due.add(key);
    this.schedulePump(0);
  }

  /**
   * Runs the pump: at once (next turn of the event loop) when a token may be
   * there, else after `ms` on the injected clock, the wait for the next token.
   */
  private schedulePump(ms: number): void {
    if (this.closed || this.inFlight || this.pumpTimer !== undefined || this.pumpSoon) return;
    if (ms === 0) {
      this.pumpSoon = true;
      setImmediate(() => {
        this.pumpSoon = false;
        void this.pump();
      });
      return;
    }
    this.pumpTimer = this.clock.setTimeout(() => {
      this.pumpTimer = undefined;
      void this.pump();
    }, ms);
  }

  private async pump(): Promise<void> {
    if (this.closed || this.inFlight) return;
    const key = this.due.values().next().value;
    if (key === undefined) {
      this.wakeIdle();
      return;
    }
    if (!this.bucket.take(this.clock.now())) {
      this.schedulePump(Math.ceil(1000 / this.ratePerSec));
      return;
    }
    this.due.delete(key);
    const e = this.entries.get(key);
    if (!e) return this.next();
    this.inFlight = true;
    this.writingKey = key;
    try {
      const done = await this.step(e);
      e.attempts = 0;
      e.lastError = undefined;
      if (!done && !this.closed) this.due.add(key);
      else if (e.desired === undefined && (e.live === undefined || !e.live.owned)) this.drop(key, e);
    } catch (err) {
      this.failed(key, e, err);
    } finally {
      this.inFlight = false;
      this.writingKey = undefined;
    }
    this.next();
  }

  private next(): void {
    if (this.due.size > 0) this.schedulePump(0);
    else this.wakeIdle();
  }

  private wakeIdle(): void {
    if (this.inFlight || (this.due.size > 0 && !this.closed)) return;
    for (const fn of this.idleWaiters.splice(0)) fn();
  }

  private failed(key: string, e: Entry, err: unknown): void {
    this.failureCount++;
    const f = describeApiError(err);
    const delay = retryDelayMs(f, e.attempts, this.backoff, this.random);
    e.attempts++;
    const message = `${f.status ?? 'no response'}: ${f.message}`;
    if (message !== e.lastError) this.log.warn('status object write failed; retrying with backoff', { key, error: message, delayMs: Math.round(delay) });
    e.lastError = message;
    if (this.closed) return;
    e.retryTimer = this.clock.setTimeout(() => {
      e.retryTimer = undefined;
      if (this.entries.get(key) !== e) return;
      if (!this.settled(e)) this.markDue(key);
      // Unwanted while its failed request was in flight: nothing is left to do or keep.
      else if (e.desired === undefined && e.live === undefined) this.drop(key, e);
    }, delay);
  }

  /** One request for `e`; true when the entry is settled after it. */
  private async step(e: Entry): Promise<boolean> {
    const d = e.desired;
    if (d === undefined) {
      const live = e.live!;
      const type = live.type;
      await this.request(type, 'delete', () =>
        this.rest.request({ method: 'DELETE', path: resourcePath(type, { namespace: live.namespace, name: live.name }) }),
      ).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      e.live = undefined;
      // Wanted again while the delete was in flight: set() judged that wish
      // against the object being deleted, so it is not settled yet.
      return this.settled(e);
    }
    const at = (name?: string, subresource?: string): string =>
      resourcePath(d.type, { namespace: d.namespace, ...(name !== undefined && { name }), ...(subresource !== undefined && { subresource }) });
    if (e.unread && d.name !== undefined) {
      try {
        e.live = liveOf(await this.request(d.type, 'get', () => this.rest.request<CustomObject>({ method: 'GET', path: at(d.name) })), d.type, d.owned);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        e.live = undefined;
      }
      e.unread = false;
      return this.settled(e);
    }
    if (e.live === undefined) {
      if (!d.owned) return true; // The pool is gone: nothing to write on.
      const body = { apiVersion: apiVersionOf(d.type), kind: d.type.kind, metadata: this.metadata(d, undefined) };
      e.live = liveOf(await this.request(d.type, 'create', () => this.rest.request<CustomObject>({ method: 'POST', path: at(), body })), d.type, true);
      return this.settled(e);
    }
    const live = e.live;
    const body = { apiVersion: apiVersionOf(d.type), kind: d.type.kind, metadata: this.metadata(d, live), status: keepTransitionTimes(d.status, live.statusJson) };
    try {
      if (d.owned && live.metaJson !== metaJson(d.labels, d.ownerReferences)) {
        e.live = liveOf(await this.request(d.type, 'update', () => this.rest.request<CustomObject>({ method: 'PUT', path: at(live.name), body })), d.type, live.owned);
      } else {
        e.live = liveOf(await this.request(d.type, 'update-status', () => this.rest.request<CustomObject>({ method: 'PUT', path: at(live.name, 'status'), body })), d.type, live.owned);
      }
    } catch (err) {
      if (isConflict(err)) {
        // Someone else wrote it: read it again, then write from there.
        e.unread = d.name !== undefined;
        if (d.name === undefined) e.live = await this.reread(d, live);
        return false;
      }
      if (isNotFound(err)) {
        e.live = undefined;
        return !d.owned;
      }
      throw err;
    }
    return this.settled(e);
  }

  private async reread(d: DesiredStatusObject, live: Live): Promise<Live | undefined> {
    try {
      const path = resourcePath(d.type, { namespace: d.namespace, name: live.name });
      return liveOf(await this.request(d.type, 'get', () => this.rest.request<CustomObject>({ method: 'GET', path })), d.type, live.owned);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private metadata(d: DesiredStatusObject, live: Live | undefined): Record<string, unknown> {
    const meta: Record<string, unknown> = { namespace: d.namespace };
    if (live) {
      meta['name'] = live.name;
      if (live.resourceVersion !== undefined) meta['resourceVersion'] = live.resourceVersion;
    } else if (d.name !== undefined) meta['name'] = d.name;
    else meta['generateName'] = d.generateName ?? 'status-';
    if (d.labels) meta['labels'] = { ...d.labels };
    if (d.ownerReferences?.length) meta['ownerReferences'] = d.ownerReferences.map((o) => ({ ...o }));
    return meta;
  }

  private async request<T>(type: ResourceType, verb: string, call: () => Promise<T>): Promise<T> {
    this.requestCount++;
    try {
      const out = await call();
      this.opts.metrics?.requests?.inc({ kind: type.kind, verb, outcome: 'ok' });
      return out;
    } catch (err) {
      const f = describeApiError(err);
      this.opts.metrics?.requests?.inc({ kind: type.kind, verb, outcome: f.status !== undefined ? String(f.status) : 'network' });
      throw err;
    }
  }
}

/** The writer's request counter, registered on `registry`. */
export function statusWriterMetrics(registry: Registry): StatusWriterMetrics {
  return {
    requests: new Counter({
      name: 'shoal_status_object_requests_total',
      help: 'Requests writing status objects (ServiceL2Status, ServiceBGPStatus, ConfigurationState, IPAddressPool status), by kind, verb and outcome (ok, an HTTP status, or network)',
      labelNames: ['kind', 'verb', 'outcome'],
      registers: [registry],
    }),
  };
}
