// Records core/v1 Events about objects (kubectl describe shows them), with
// client-go's correlation: repeats bump count and lastTimestamp of one Event,
// many similar events fold into one, and a per-object token bucket drops
// floods. Writing is asynchronous and never blocks or throws at the caller:
// one worker writes in order, retrying transient API failures with backoff.

import type { CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import { validateBackoff, type BackoffPolicy } from '../util/backoff.js';
import { EventCorrelator, type Correlation, type CorrelatorOptions, type EventInput, type InvolvedObject } from './event-correlator.js';
import { describeApiError, isAlreadyExists, isNotFound, isRetryable, retryDelayMs } from './errors.js';
import { apiVersionOf, coreEvents, resourcePath, type ResourceType } from './resources.js';
import { KubeRest } from './rest.js';
import { namespacedKey } from './object-key.js';
import { RealClock, sleep, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { formatWireTime, type KubeObject, type Wire } from './wire.js';

export type { InvolvedObject } from './event-correlator.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions extends Omit<CorrelatorOptions, 'clock'> {
  /** source.component and reportingComponent, e.g. "shoal-controller". */
  component: string;
  /** source.host and reportingInstance, e.g. the node name. */
  host?: string;
  clock?: Clock;
  /** Wall-clock time for the Event timestamps. */
  now?: () => Date;
  random?: () => number;
  logger?: Logger;
  /** Default 500 ms doubling to 30 s, half jittered. */
  backoff?: BackoffPolicy;
  /** Tries per write before the event is given up; default 5. */
  maxAttempts?: number;
  /** Writes waiting at most; beyond that new events are dropped. Default 1000. */
  queueLimit?: number;
}

export interface EventRecorderStats {
  created: number;
  updated: number;
  /** Dropped by the spam filter or a full queue. */
  dropped: number;
  /** Given up after errors. */
  failed: number;
}

interface Job {
  c: Correlation;
  input: EventInput;
  at: Date;
}

/** An ObjectReference for `obj` of `type`: informer objects carry no kind or apiVersion. */
export function referenceTo(type: ResourceType, obj: KubeObject): InvolvedObject {
  const m = obj.metadata ?? {};
  if (!m.name) throw new Error(`cannot record an event about a ${type.kind} without metadata.name`);
  const ref: InvolvedObject = { kind: type.kind, apiVersion: apiVersionOf(type), name: m.name };
  if (m.namespace) ref.namespace = m.namespace;
  if (m.uid) ref.uid = m.uid;
  if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
  return ref;
}

export class EventRecorder {
  private readonly rest: KubeRest;
  private readonly correlator: EventCorrelator;
  private readonly clock: Clock;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly backoff: BackoffPolicy;
  private readonly maxAttempts: number;
  private readonly queueLimit: number;
  private readonly queue: Job[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly stopSignal = new AbortController();
  private working = false;
  private closed = false;
  private seq = 0;
  private readonly counters: EventRecorderStats = { created: 0, updated: 0, dropped: 0, failed: 0 };

  constructor(kc: KubeConfig, private readonly opts: EventRecorderOptions) {
    if (!opts.component) throw new Error('event recorder: component is required');
    this.rest = new KubeRest(kc);
    this.clock = opts.clock ?? new RealClock();
    this.now = opts.now ?? (() => new Date());
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger).child({ component: 'event-recorder' });
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    validateBackoff(this.backoff);
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.queueLimit = opts.queueLimit ?? 1000;
    this.correlator = new EventCorrelator({ ...opts, clock: this.clock });
  }

  /** Records an event about `object`; returns at once. */
  event(object: InvolvedObject, type: EventType, reason: string, message: string): void {
    if (this.closed) return;
    if (!object.kind || !object.name) throw new Error('event recorder: involved object needs kind and name (use referenceTo())');
    const source: EventInput['source'] = { component: this.opts.component };
    if (this.opts.host) source.host = this.opts.host;
    const input: EventInput = { involvedObject: { ...object }, type, reason, message, source };
    const at = this.now();
    const c = this.correlator.correlate(input, () => this.eventName(object.name, at), at);
    if (c.action === 'drop' || this.queue.length >= this.queueLimit) {
      if (c.action !== 'drop') this.correlator.forget(c.key);
      this.counters.dropped++;
      this.log.debug('event dropped', { reason, object: namespacedKey(object.namespace, object.name), why: c.action === 'drop' ? c.why : 'queue full' });
      return;
    }
    this.queue.push({ c, input, at });
    if (!this.working) void this.work();
  }

  /**
   * Forgets `object` (it was deleted): its rate limit, aggregation counts
   * and written Events, which would otherwise stay until the caches' LRU
   * pushed them out (event-correlator.ts). Its events already queued are
   * still written.
   */
  forgetObject(object: InvolvedObject): void {
    this.correlator.forgetObject(object);
  }

  /** Entries the correlator holds (bounded; forgetObject() drops a deleted object's). */
  cacheSizes(): ReturnType<EventCorrelator['sizes']> {
    return this.correlator.sizes();
  }

  /** Resolves when every event recorded so far has been written or given up. */
  flush(): Promise<void> {
    if (!this.working && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting events, abandons retries, and waits for the write in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopSignal.abort();
    await this.flush();
  }

  stats(): EventRecorderStats {
    return { ...this.counters };
  }

  /** client-go names events "<object>.<unix nanoseconds in hex>"; a sequence keeps same-millisecond ones apart. */
  private eventName(objectName: string, at: Date): string {
    const nanos = BigInt(at.getTime()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return `${objectName}.${nanos.toString(16)}`;
  }

  private async work(): Promise<void> {
    this.working = true;
    while (this.queue.length > 0) {
      const job = this.queue.shift()!;
      await this.write(job);
    }
    this.working = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async write(job: Job): Promise<void> {
    const { c } = job;
    if (c.action === 'drop') return;
    let mode: 'create' | 'update' = c.action;
    for (let attempt = 0; ; attempt++) {
      try {
        if (mode === 'update') {
          const patch = { count: c.count, lastTimestamp: formatWireTime(job.at), message: c.message };
          await this.rest.request({
            method: 'PATCH',
            path: resourcePath(coreEvents, { namespace: c.namespace, name: c.name }),
            body: patch,
            contentType: 'application/merge-patch+json',
          });
          this.counters.updated++;
        } else {
          await this.rest.request({ method: 'POST', path: resourcePath(coreEvents, { namespace: c.namespace }), body: this.body(job) });
          this.counters.created++;
        }
        return;
      } catch (err) {
        if (mode === 'update' && isNotFound(err)) {
          // The Event expired or was deleted: write it anew with the count so far.
          mode = 'create';
          continue;
        }
        if (mode === 'create' && isAlreadyExists(err)) return;
        const f = describeApiError(err);
        if (!isRetryable(err) || attempt + 1 >= this.maxAttempts || this.stopSignal.signal.aborted) {
          this.counters.failed++;
          this.correlator.forget(c.key);
          this.log.warn('event not written', { reason: job.input.reason, status: f.status, error: f.message });
          return;
        }
        const delay = retryDelayMs(f, attempt, this.backoff, this.random);
        await sleep(this.clock, delay, this.stopSignal.signal);
      }
    }
  }

  private body(job: Job): Wire<CoreV1Event> {
    const { c, input } = job;
    if (c.action === 'drop') throw new Error('unreachable: dropped events are not written');
    const ev: Wire<CoreV1Event> = {
      apiVersion: apiVersionOf(coreEvents),
      kind: coreEvents.kind,
      metadata: { name: c.name, namespace: c.namespace },
      involvedObject: input.involvedObject,
      reason: input.reason,
      message: c.message,
      type: input.type,
      count: c.count,
      firstTimestamp: formatWireTime(c.firstTimestamp),
      lastTimestamp: formatWireTime(job.at),
      source: input.source,
      reportingComponent: input.source.component,
      reportingInstance: input.source.host ?? '',
    };
    return ev;
  }
}
