// Writes Service status.loadBalancer.ingress through the status subresource.
//
// - Idempotent: nothing is sent when the stored ingress already says the
//   same (ipMode defaulted to VIP as the API server defaults it), so a
//   controller may call set() on every reconcile.
// - Optimistic concurrency: the PUT carries the resourceVersion read; on 409
//   the service is read again and the write retried.
// - Other failures worth retrying (429, 5xx, lost connections) back off
//   exponentially with jitter on the injected Clock, honouring Retry-After.
// - Per service, the newest desired value wins: a set() while an earlier one
//   is still retrying replaces it, and the earlier promise settles as
//   'superseded'.

import { CoreV1Api, type KubeConfig, type V1LoadBalancerIngress, type V1Service } from '@kubernetes/client-node';
import { validateBackoff, type BackoffPolicy } from '../util/backoff.js';
import { describeApiError, isConflict, isNotFound, isRetryable, retryDelayMs } from './errors.js';
import { RealClock, sleep, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';

export interface LoadBalancerIngress {
  ip: string;
  /** "VIP" (the default the API server fills in) or "Proxy". */
  ipMode?: 'VIP' | 'Proxy';
}

export type StatusWriteResult =
  | { outcome: 'written'; service: V1Service; attempts: number }
  | { outcome: 'unchanged'; attempts: number }
  /** The service does not exist (any more). */
  | { outcome: 'gone'; attempts: number }
  /** A newer set() for the same service took over. */
  | { outcome: 'superseded' }
  /** cancel() or close() was called. */
  | { outcome: 'cancelled' }
  | { outcome: 'failed'; error: unknown; attempts: number };

export interface ServiceStatusWriterOptions {
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Default 200 ms doubling to 30 s, half jittered. */
  backoff?: BackoffPolicy;
  /** Writes (and re-reads) per set() before giving up; default 10. */
  maxAttempts?: number;
  /** A cache to read the service from first (an informer's getByName); GET is used after a conflict. */
  read?: (namespace: string, name: string) => V1Service | undefined;
}

interface KeyState {
  namespace: string;
  name: string;
  desired: LoadBalancerIngress[];
  /** Bumped by every set(); the running loop notices and retargets. */
  generation: number;
  waiter?: (r: StatusWriteResult) => void;
  abort: AbortController;
  /** Ends a backoff sleep early when a new value arrives. */
  wake: AbortController;
}

/** The fields this writer owns, in the form the API server stores them. */
function normalize(list: readonly V1LoadBalancerIngress[] | undefined): string {
  return JSON.stringify((list ?? []).map((i) => ({
    ip: i.ip ?? '',
    ipMode: i.ipMode ?? (i.ip ? 'VIP' : ''),
    hostname: i.hostname ?? '',
    ports: i.ports ?? [],
  })));
}

export function ingressEqual(current: readonly V1LoadBalancerIngress[] | undefined, desired: readonly LoadBalancerIngress[]): boolean {
  return normalize(current) === normalize(desired);
}

export class ServiceStatusWriter {
  private readonly api: CoreV1Api;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly backoff: BackoffPolicy;
  private readonly maxAttempts: number;
  private readonly read: ServiceStatusWriterOptions['read'];
  private readonly states = new Map<string, KeyState>();
  private closed = false;

  constructor(kc: KubeConfig, opts: ServiceStatusWriterOptions = {}) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.clock = opts.clock ?? new RealClock();
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger).child({ component: 'service-status-writer' });
    this.backoff = opts.backoff ?? { initialMs: 200, maxMs: 30_000 };
    validateBackoff(this.backoff);
    this.maxAttempts = opts.maxAttempts ?? 10;
    if (!(this.maxAttempts >= 1)) throw new Error(`maxAttempts must be >= 1, got ${this.maxAttempts}`);
    this.read = opts.read;
  }

  /** Makes status.loadBalancer.ingress equal `ingress` (empty clears it). */
  set(namespace: string, name: string, ingress: readonly LoadBalancerIngress[]): Promise<StatusWriteResult> {
    if (this.closed) return Promise.resolve({ outcome: 'cancelled' });
    for (const i of ingress) {
      if (typeof i.ip !== 'string' || i.ip === '') throw new Error(`status writer: every ingress needs an ip (service ${namespace}/${name})`);
    }
    const key = `${namespace}/${name}`;
    const desired = ingress.map((i) => ({ ...i }));
    return new Promise((resolve) => {
      const st = this.states.get(key);
      if (st) {
        st.waiter?.({ outcome: 'superseded' });
        st.waiter = resolve;
        st.desired = desired;
        st.generation++;
        st.wake.abort();
        return;
      }
      const fresh: KeyState = { namespace, name, desired, generation: 0, waiter: resolve, abort: new AbortController(), wake: new AbortController() };
      this.states.set(key, fresh);
      void this.run(key, fresh);
    });
  }

  /** Stops retrying for one service (e.g. it was deleted); its pending set() settles as 'cancelled'. */
  cancel(namespace: string, name: string): void {
    this.states.get(`${namespace}/${name}`)?.abort.abort();
  }

  /** Services with a write in progress. */
  get pending(): number {
    return this.states.size;
  }

  close(): void {
    this.closed = true;
    for (const st of this.states.values()) st.abort.abort();
  }

  private async run(key: string, st: KeyState): Promise<void> {
    let result: StatusWriteResult;
    try {
      result = await this.converge(st);
    } catch (error) {
      result = { outcome: 'failed', error, attempts: 0 };
    }
    this.states.delete(key);
    st.waiter?.(result);
  }

  private async converge(st: KeyState): Promise<StatusWriteResult> {
    let current = this.read?.(st.namespace, st.name);
    let attempts = 0;
    let retries = 0;
    for (;;) {
      if (st.abort.signal.aborted) return { outcome: 'cancelled' };
      const generation = st.generation;
      const desired = st.desired;
      try {
        if (!current) {
          attempts++;
          current = await this.api.readNamespacedService({ namespace: st.namespace, name: st.name });
          if (st.abort.signal.aborted) return { outcome: 'cancelled' };
        }
        if (ingressEqual(current.status?.loadBalancer?.ingress, desired)) {
          if (generation === st.generation) return { outcome: 'unchanged', attempts };
          continue;
        }
        attempts++;
        const body: V1Service = {
          ...current,
          status: { ...current.status, loadBalancer: { ...current.status?.loadBalancer, ingress: desired } },
        };
        if (desired.length === 0) body.status = { ...current.status, loadBalancer: {} };
        const written = await this.api.replaceNamespacedServiceStatus({ namespace: st.namespace, name: st.name, body });
        if (generation === st.generation) return { outcome: 'written', service: written, attempts };
        current = written;
        continue;
      } catch (err) {
        if (isNotFound(err)) return { outcome: 'gone', attempts };
        if (attempts >= this.maxAttempts) return { outcome: 'failed', error: err, attempts };
        if (isConflict(err)) {
          // Someone else changed the service since it was read: read it again and redo.
          this.log.debug('status write conflict; re-reading', { service: `${st.namespace}/${st.name}` });
          current = undefined;
          continue;
        }
        if (!isRetryable(err)) return { outcome: 'failed', error: err, attempts };
        const f = describeApiError(err);
        const delay = retryDelayMs(f, retries++, this.backoff, this.random);
        this.log.debug('status write failed; backing off', { service: `${st.namespace}/${st.name}`, status: f.status, error: f.message, delayMs: Math.round(delay) });
        await sleep(this.clock, delay, AbortSignal.any([st.abort.signal, st.wake.signal]));
        if (st.wake.signal.aborted) st.wake = new AbortController();
      }
    }
  }
}
