// What the controller reads off a v1.Service: the allocator's ServiceInput,
// the addresses its status already carries, and the annotations the
// controller owns or warns about.

import type { V1Service } from '@kubernetes/client-node';
import { Annotation, ANNOTATION_PREFIX, DEPRECATED_ANNOTATION_PREFIX, type IPFamilyPolicy, type ServiceInput } from '../alloc/index.js';
import { ipKey, type FamilyName } from '../net/index.js';
import type { Wire } from '../kube/wire.js';

/** Written by the controller, as MetalLB's does: the pool a service's addresses came from. */
export const POOL_ANNOTATION = `${ANNOTATION_PREFIX}${Annotation.ipAllocatedFromPool}`;

const FAMILY_POLICIES: readonly string[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

/** Copies what the allocator needs out of a Service; `namespaceLabels` are its namespace's labels. */
export function toServiceInput(svc: Wire<V1Service>, namespaceLabels: Readonly<Record<string, string>> | undefined): ServiceInput {
  const spec = svc.spec ?? {};
  const policy = spec.ipFamilyPolicy;
  const etp = spec.externalTrafficPolicy;
  return {
    namespace: svc.metadata?.namespace ?? '',
    name: svc.metadata?.name ?? '',
    type: spec.type ?? 'ClusterIP',
    ...(spec.loadBalancerClass !== undefined && { loadBalancerClass: spec.loadBalancerClass }),
    ...(spec.loadBalancerIP !== undefined && { loadBalancerIP: spec.loadBalancerIP }),
    annotations: svc.metadata?.annotations ?? {},
    labels: svc.metadata?.labels ?? {},
    ...(policy !== undefined && FAMILY_POLICIES.includes(policy) && { ipFamilyPolicy: policy as IPFamilyPolicy }),
    ipFamilies: (spec.ipFamilies ?? []) as FamilyName[],
    ports: (spec.ports ?? []).map((p) => ({ port: p.port, ...(p.protocol !== undefined && { protocol: p.protocol }) })),
    ...((etp === 'Cluster' || etp === 'Local') && { externalTrafficPolicy: etp }),
    selector: spec.selector ?? {},
    namespaceLabels: namespaceLabels ?? {},
  };
}

/** The addresses in status.loadBalancer.ingress, in order (hostname-only entries have none). */
export function statusIPs(svc: Wire<V1Service>): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => ip !== '');
}

/** Same addresses, in any order and any textual form (2001:DB8::1 = 2001:db8::1). */
export function sameIPSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map(ipKey));
  return b.every((ip) => set.has(ipKey(ip)));
}

/**
 * The ingress to write: `ips` in the order the status already lists them when
 * it holds the same set (a controller restart must not rewrite a status a
 * previous controller wrote in another order), else in allocator order.
 */
export function ingressOrder(current: readonly string[], ips: readonly string[]): string[] {
  return sameIPSet(current, ips) ? [...current] : [...ips];
}

/** Annotations under MetalLB's old metallb.universe.tf/ prefix, sorted. */
export function deprecatedAnnotations(svc: Wire<V1Service>): string[] {
  return Object.keys(svc.metadata?.annotations ?? {})
    .filter((k) => k.startsWith(DEPRECATED_ANNOTATION_PREFIX))
    .sort();
}
