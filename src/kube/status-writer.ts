// Writes a Service's status.loadBalancer.ingress and annotations in one PUT
// to its status subresource. A Service's status strategy keeps the metadata
// a /status PUT carries, which is how MetalLB's controller writes its
// ip-allocated-from-pool annotation with the same UpdateStatus call as the
// status; one request then needs exactly MetalLB's RBAC (update on
// services/status, nothing on services).
//
// - The write starts from the object the caller decided on and carries its
//   resourceVersion. A 409 means that object is out of date, so the decision
//   may be too: the writer does not re-read and retry, it answers 'conflict'
//   and the caller decides again from fresher state (the controller's work
//   queue retries the reconcile, as MetalLB's does).
// - Idempotent: nothing is sent when the object already says it (ipMode
//   defaulted to VIP as the API server defaults it).
// - Failures that the same request may survive (429, 5xx, lost connections)
//   are retried here with backoff on the injected Clock, honouring
//   Retry-After, until maxAttempts; close() abandons the wait.

import type { KubeConfig, V1LoadBalancerIngress, V1Service } from '@kubernetes/client-node';
import { validateBackoff, type BackoffPolicy } from '../util/backoff.js';
import { RealClock, sleep, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { describeApiError, isConflict, isNotFound, isRetryable, retryDelayMs } from './errors.js';
import { objectKey } from './object-key.js';
import { resourcePath, services } from './resources.js';
import { KubeRest } from './rest.js';
import type { Wire } from './wire.js';

export interface LoadBalancerIngress {
  ip: string;
  /** "VIP" (the default the API server fills in) or "Proxy". */
  ipMode?: 'VIP' | 'Proxy';
}

/** What to change on a Service; what is left out stays as it is. */
export interface StatusChange {
  /** status.loadBalancer.ingress; empty clears status.loadBalancer. */
  readonly ingress?: readonly LoadBalancerIngress[];
  /** Annotations to set, or to remove (null). */
  readonly annotations?: Readonly<Record<string, string | null>>;
}

export type StatusWriteResult =
  | { outcome: 'written'; service: Wire<V1Service>; attempts: number }
  /** The object already says it: nothing sent. */
  | { outcome: 'unchanged'; attempts: 0 }
  /** The service does not exist (any more). */
  | { outcome: 'gone'; attempts: number }
  /** The object changed since it was read: decide again from a fresher copy. */
  | { outcome: 'conflict'; error: unknown; attempts: number }
  /** close() was called. */
  | { outcome: 'cancelled' }
  | { outcome: 'failed'; error: unknown; attempts: number };

export interface ServiceStatusWriterOptions {
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Default 200 ms doubling to 30 s, half jittered. */
  backoff?: BackoffPolicy;
  /** Requests per write before giving up on transient failures; default 10. */
  maxAttempts?: number;
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

/** `base` with `change` applied, or undefined when `base` already says it all. */
export function applyStatusChange(base: Wire<V1Service>, change: StatusChange): Wire<V1Service> | undefined {
  const ingress = change.ingress !== undefined && !ingressEqual(base.status?.loadBalancer?.ingress, change.ingress) ? change.ingress : undefined;
  const annotations = { ...base.metadata?.annotations };
  let annotated = false;
  for (const [key, value] of Object.entries(change.annotations ?? {})) {
    if ((annotations[key] ?? null) === value) continue;
    annotated = true;
    if (value === null) delete annotations[key];
    else annotations[key] = value;
  }
  if (ingress === undefined && !annotated) return undefined;
  const body: Wire<V1Service> = { ...base };
  if (annotated) body.metadata = { ...base.metadata, annotations };
  if (ingress !== undefined) {
    body.status = { ...base.status, loadBalancer: ingress.length === 0 ? {} : { ...base.status?.loadBalancer, ingress: ingress.map((i) => ({ ...i })) } };
  }
  return body;
}

export class ServiceStatusWriter {
  private readonly rest: KubeRest;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly backoff: BackoffPolicy;
  private readonly maxAttempts: number;
  private readonly closed = new AbortController();

  constructor(kc: KubeConfig, opts: ServiceStatusWriterOptions = {}) {
    this.rest = new KubeRest(kc);
    this.clock = opts.clock ?? new RealClock();
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger).child({ component: 'service-status-writer' });
    this.backoff = opts.backoff ?? { initialMs: 200, maxMs: 30_000 };
    validateBackoff(this.backoff);
    this.maxAttempts = opts.maxAttempts ?? 10;
    if (!(this.maxAttempts >= 1)) throw new Error(`maxAttempts must be >= 1, got ${this.maxAttempts}`);
  }

  /** Applies `change` to the service `base` (as read: its resourceVersion guards the write). */
  async write(base: Wire<V1Service>, change: StatusChange): Promise<StatusWriteResult> {
    const namespace = base.metadata?.namespace ?? '';
    const name = base.metadata?.name ?? '';
    for (const i of change.ingress ?? []) {
      if (typeof i.ip !== 'string' || i.ip === '') throw new Error(`status writer: every ingress needs an ip (service ${objectKey(base)})`);
    }
    const body = applyStatusChange(base, change);
    if (body === undefined) return { outcome: 'unchanged', attempts: 0 };
    for (let attempts = 1; ; attempts++) {
      if (this.closed.signal.aborted) return { outcome: 'cancelled' };
      try {
        const service = await this.rest.request<Wire<V1Service>>({ method: 'PUT', path: resourcePath(services, { namespace, name, subresource: 'status' }), body });
        return { outcome: 'written', service, attempts };
      } catch (error) {
        if (isNotFound(error)) return { outcome: 'gone', attempts };
        if (isConflict(error)) return { outcome: 'conflict', error, attempts };
        if (!isRetryable(error) || attempts >= this.maxAttempts) return { outcome: 'failed', error, attempts };
        const f = describeApiError(error);
        const delay = retryDelayMs(f, attempts - 1, this.backoff, this.random);
        this.log.debug('status write failed; backing off', { service: objectKey(base), status: f.status, error: f.message, delayMs: Math.round(delay) });
        await sleep(this.clock, delay, this.closed.signal);
      }
    }
  }

  /** Abandons every retry; writes in progress answer 'cancelled', later ones too. */
  close(): void {
    this.closed.abort();
  }
}
