// Listing any resource type of resources.ts through client-node's typed
// APIs (custom resources through CustomObjectsApi), one page at a time or
// all pages as one consistent snapshot, as client-go's pager does.

import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  EventsV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { isGone } from './errors.js';
import type { ResourceType } from './resources.js';

export interface ListParams {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export type Lister<T extends KubernetesObject> = (p: ListParams) => Promise<ListPage<T>>;

type AnyList = { items: unknown[]; metadata?: { resourceVersion?: string; _continue?: string; continue?: string } };

/** A function listing `type` through client-node; namespace-less calls list across all namespaces. */
export function makeLister<T extends KubernetesObject>(kc: KubeConfig, type: ResourceType<T>): Lister<T> {
  const call = listCall(kc, type);
  return async (p) => {
    const q: Record<string, unknown> = {};
    if (p.labelSelector) q['labelSelector'] = p.labelSelector;
    if (p.fieldSelector) q['fieldSelector'] = p.fieldSelector;
    if (p.limit !== undefined) q['limit'] = p.limit;
    if (p.continue) q['_continue'] = p.continue;
    if (p.resourceVersion !== undefined) q['resourceVersion'] = p.resourceVersion;
    if (p.namespace !== undefined) {
      if (!type.namespaced) throw new Error(`${type.plural} is cluster-scoped: cannot list in namespace "${p.namespace}"`);
      q['namespace'] = p.namespace;
    }
    const list = (await call(q)) as AnyList;
    const cont = list.metadata?._continue ?? list.metadata?.continue;
    const page: ListPage<T> = { items: list.items as T[], resourceVersion: list.metadata?.resourceVersion ?? '' };
    if (cont) page.continue = cont;
    return page;
  };
}

type Call = (q: Record<string, unknown>) => Promise<unknown>;

function listCall(kc: KubeConfig, type: ResourceType): Call {
  const id = `${type.group}/${type.plural}`;
  const ns = (q: Record<string, unknown>): boolean => q['namespace'] !== undefined;
  if (type.model === undefined) {
    const api = kc.makeApiClient(CustomObjectsApi);
    const g = { group: type.group, version: type.version, plural: type.plural };
    return (q) => (ns(q)
      ? api.listNamespacedCustomObject({ ...g, ...q } as Parameters<CustomObjectsApi['listNamespacedCustomObject']>[0])
      : api.listClusterCustomObject({ ...g, ...q }));
  }
  // The parameter objects differ only in type name, so each call is cast once here.
  /* eslint-disable @typescript-eslint/no-explicit-any */
  switch (id) {
    case '/namespaces': { const a = kc.makeApiClient(CoreV1Api); return (q) => a.listNamespace(q); }
    case '/nodes': { const a = kc.makeApiClient(CoreV1Api); return (q) => a.listNode(q); }
    case '/services': { const a = kc.makeApiClient(CoreV1Api); return (q) => (ns(q) ? a.listNamespacedService(q as any) : a.listServiceForAllNamespaces(q)); }
    case '/pods': { const a = kc.makeApiClient(CoreV1Api); return (q) => (ns(q) ? a.listNamespacedPod(q as any) : a.listPodForAllNamespaces(q)); }
    case '/configmaps': { const a = kc.makeApiClient(CoreV1Api); return (q) => (ns(q) ? a.listNamespacedConfigMap(q as any) : a.listConfigMapForAllNamespaces(q)); }
    case '/secrets': { const a = kc.makeApiClient(CoreV1Api); return (q) => (ns(q) ? a.listNamespacedSecret(q as any) : a.listSecretForAllNamespaces(q)); }
    case '/events': { const a = kc.makeApiClient(CoreV1Api); return (q) => (ns(q) ? a.listNamespacedEvent(q as any) : a.listEventForAllNamespaces(q)); }
    case 'discovery.k8s.io/endpointslices': {
      const a = kc.makeApiClient(DiscoveryV1Api);
      return (q) => (ns(q) ? a.listNamespacedEndpointSlice(q as any) : a.listEndpointSliceForAllNamespaces(q));
    }
    case 'events.k8s.io/events': { const a = kc.makeApiClient(EventsV1Api); return (q) => (ns(q) ? a.listNamespacedEvent(q as any) : a.listEventForAllNamespaces(q)); }
    case 'coordination.k8s.io/leases': {
      const a = kc.makeApiClient(CoordinationV1Api);
      return (q) => (ns(q) ? a.listNamespacedLease(q as any) : a.listLeaseForAllNamespaces(q));
    }
    default:
      throw new Error(`no client-node list call for built-in resource ${id}`);
  }
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

/**
 * Every page of a list as one snapshot. When the server has compacted the
 * first page's resourceVersion before the last page (410 on `continue`),
 * falls back to one unpaginated list, as client-go's pager does.
 */
export async function listAll<T extends KubernetesObject>(
  list: Lister<T>,
  params: Omit<ListParams, 'limit' | 'continue'>,
  pageSize: number,
): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let page = await list({ ...params, limit: pageSize });
  const resourceVersion = page.resourceVersion;
  items.push(...page.items);
  while (page.continue) {
    try {
      page = await list({ ...params, limit: pageSize, continue: page.continue, resourceVersion: undefined });
    } catch (err) {
      if (!isGone(err)) throw err;
      const full = await list({ ...params });
      return { metadata: { resourceVersion: full.resourceVersion }, items: full.items };
    }
    items.push(...page.items);
  }
  return { metadata: { resourceVersion }, items };
}
