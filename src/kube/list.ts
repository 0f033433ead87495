// Listing any resource type of resources.ts, one page at a time or all
// pages as one consistent snapshot, as client-go's pager does.

import type { KubeConfig } from '@kubernetes/client-node';
import { isGone } from './errors.js';
import { resourcePath, type ResourceType } from './resources.js';
import { KubeRest } from './rest.js';
import type { KubeObject } from './wire.js';

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

export type Lister<T extends KubeObject> = (p: ListParams) => Promise<ListPage<T>>;

interface WireList<T> {
  items?: T[] | null;
  metadata?: { resourceVersion?: string; continue?: string };
}

/** A function listing `type`; namespace-less calls list across all namespaces. */
export function makeLister<T extends KubeObject>(kc: KubeConfig, type: ResourceType<T>): Lister<T> {
  const rest = new KubeRest(kc);
  return async (p) => {
    if (p.namespace !== undefined && !type.namespaced) throw new Error(`${type.plural} is cluster-scoped: cannot list in namespace "${p.namespace}"`);
    const list = await rest.request<WireList<T>>({
      method: 'GET',
      path: resourcePath(type, p.namespace !== undefined ? { namespace: p.namespace } : {}),
      query: {
        labelSelector: p.labelSelector || undefined,
        fieldSelector: p.fieldSelector || undefined,
        limit: p.limit,
        continue: p.continue || undefined,
        resourceVersion: p.resourceVersion,
      },
    });
    const page: ListPage<T> = { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
    if (list.metadata?.continue) page.continue = list.metadata.continue;
    return page;
  };
}

/**
 * Every page of a list as one snapshot. When the server has compacted the
 * first page's resourceVersion before the last page (410 on `continue`),
 * falls back to one unpaginated list, as client-go's pager does.
 */
export async function listAll<T extends KubeObject>(
  list: Lister<T>,
  params: Omit<ListParams, 'limit' | 'continue'>,
  pageSize: number,
): Promise<{ metadata: { resourceVersion: string }; items: T[] }> {
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
