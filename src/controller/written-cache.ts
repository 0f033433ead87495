// The Services this controller has just written, until its informer catches
// up (client-go's MutationCache, in small). A reconcile that runs between a
// write and the watch event that reports it would otherwise decide from the
// older cached object and redo the write against a stale resourceVersion,
// earning a 409.
//
// Watch events arrive in resourceVersion order, so the event carrying
// exactly the version written means the informer has caught up. That event
// may also arrive before the HTTP response of the write itself: versions
// observed while a write is in flight are remembered, and a written version
// already observed is not kept. resourceVersions are only compared for
// equality (Kubernetes makes them opaque). Any doubt (a failed write, a
// deletion) drops the entry: the informer's cache is the truth again.

import type { V1Service } from '@kubernetes/client-node';
import { objectKey } from '../kube/object-key.js';
import type { Wire } from '../kube/wire.js';

export class WrittenCache {
  private readonly written = new Map<string, Wire<V1Service>>();
  /** Keys with a write in flight, and the versions the informer reported meanwhile. */
  private readonly inFlight = new Map<string, Set<string>>();

  /** The freshest known state of a service: what was written, else the informer's object. */
  latest(key: string, cached: Wire<V1Service> | undefined): Wire<V1Service> | undefined {
    if (cached === undefined) return undefined;
    return this.written.get(key) ?? cached;
  }

  /** Call before writing `key`; end() after the last write. */
  begin(key: string): void {
    this.inFlight.set(key, new Set());
  }

  end(key: string): void {
    this.inFlight.delete(key);
  }

  /** Records a service as the API server returned it after a write. */
  wrote(svc: Wire<V1Service>): void {
    const key = objectKey(svc);
    const rv = svc.metadata?.resourceVersion ?? '';
    if (this.inFlight.get(key)?.has(rv)) {
      // The informer has it already (and maybe newer versions after it).
      this.written.delete(key);
      return;
    }
    this.written.set(key, svc);
  }

  /** An informer event: once it carries the version written, the informer is current. */
  observed(svc: Wire<V1Service>): void {
    const key = objectKey(svc);
    const rv = svc.metadata?.resourceVersion ?? '';
    this.inFlight.get(key)?.add(rv);
    if (this.written.get(key)?.metadata?.resourceVersion === rv) this.written.delete(key);
  }

  forget(key: string): void {
    this.written.delete(key);
  }

  /** Services whose written state the informer has not reported yet. */
  get size(): number {
    return this.written.size;
  }
}
