// Writes what a plan decided onto the Service: status.loadBalancer.ingress
// through ServiceStatusWriter (which retries on its own), then the
// metallb.io/ip-allocated-from-pool annotation.
//
// MetalLB writes that annotation with the same UpdateStatus call as the
// status: a Service's status strategy keeps the metadata a /status PUT
// carries. The annotation is written the same way here (a PUT to /status),
// so shoal needs exactly MetalLB's RBAC: update on services/status, nothing
// on services. It is a second request, made only when the annotation
// changes; a failure throws, and the controller's work queue retries the
// whole reconcile with backoff against its refreshed cache. Objects written
// go to the WrittenCache, so that a reconcile running before the informer
// has caught up starts from them rather than from an older copy.

import { CoreV1Api, type KubeConfig, type V1Service } from '@kubernetes/client-node';
import { isNotFound } from '../kube/errors.js';
import type { ServiceStatusWriter } from '../kube/status-writer.js';
import { POOL_ANNOTATION } from './service-view.js';
import type { WrittenCache } from './written-cache.js';

export interface Publication {
  /** Addresses for status.loadBalancer.ingress; undefined leaves the status alone. */
  readonly ingress?: readonly string[];
  /** Pool name to set, null to remove the annotation, undefined to leave it. */
  readonly poolAnnotation?: string | null;
}

export type PublishOutcome = 'written' | 'unchanged' | 'gone' | 'cancelled';

export class PublishError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'PublishError';
  }
}

export class ServicePublisher {
  private readonly api: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly writer: ServiceStatusWriter,
    /** Every object written goes here, so that the next reconcile starts from it. */
    private readonly written: WrittenCache,
    /** The freshest known object (written or cached): the base of the annotation write. */
    private readonly read: (namespace: string, name: string) => V1Service | undefined,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  /** Throws PublishError when a write failed for good (the caller retries later). */
  async publish(namespace: string, name: string, p: Publication): Promise<PublishOutcome> {
    const key = `${namespace}/${name}`;
    this.written.begin(key);
    try {
      return await this.write(namespace, name, p);
    } catch (err) {
      // The cause may be a version conflict: start the retry from the informer's view.
      this.written.forget(key);
      throw err;
    } finally {
      this.written.end(key);
    }
  }

  private async write(namespace: string, name: string, p: Publication): Promise<PublishOutcome> {
    let wrote = false;
    if (p.ingress !== undefined) {
      const r = await this.writer.set(namespace, name, p.ingress.map((ip) => ({ ip })));
      switch (r.outcome) {
        case 'written':
          this.written.wrote(r.service);
          wrote = true;
          break;
        case 'unchanged':
          break;
        case 'gone':
        case 'cancelled':
          return r.outcome;
        case 'superseded':
          // Only one reconcile per service runs at a time; a newer set() would be a bug.
          throw new PublishError(`status write for ${namespace}/${name} superseded`, undefined);
        case 'failed':
          throw new PublishError(`status write for ${namespace}/${name} failed after ${r.attempts} attempt(s)`, r.error);
      }
    }
    if (p.poolAnnotation === undefined) return wrote ? 'written' : 'unchanged';
    const base = this.read(namespace, name);
    if (!base) return 'gone';
    const annotations = { ...base.metadata?.annotations };
    if ((annotations[POOL_ANNOTATION] ?? null) === p.poolAnnotation) return wrote ? 'written' : 'unchanged';
    if (p.poolAnnotation === null) delete annotations[POOL_ANNOTATION];
    else annotations[POOL_ANNOTATION] = p.poolAnnotation;
    const body: V1Service = { ...base, metadata: { ...base.metadata, annotations } };
    try {
      this.written.wrote(await this.api.replaceNamespacedServiceStatus({ namespace, name, body }));
    } catch (err) {
      if (isNotFound(err)) return 'gone';
      throw new PublishError(`annotation write for ${namespace}/${name} failed`, err);
    }
    return 'written';
  }
}
