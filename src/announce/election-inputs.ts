// What the layer-2 election reads, as plain data. The speaker fills these
// from its informers and the gossip cluster; nothing here talks to either.
// The two helpers at the bottom turn Kubernetes-shaped objects (Node,
// EndpointSlice) into these inputs with MetalLB's rules, so every speaker
// derives them the same way.

import type { MemberState } from '../cluster/messages.js';
import { namespacedKey } from '../kube/object-key.js';
import type { Config } from '../config/model.js';
import type { Labels } from '../config/selector.js';

/** A gossip member; the member name is the node name. cluster's MemberView fits. */
export interface ElectionMember {
  readonly name: string;
  readonly state: MemberState;
  /**
   * What the member gossips about its warm-up (delayed failback): false
   * while it is still warming up after a start or a return. Absent or true:
   * ready (a member from before the flag existed says nothing and counts as
   * ready). See the ready rule in election-eligibility.ts.
   */
  readonly ready?: boolean;
}

export interface ElectionNode {
  readonly labels: Labels;
  /** The node's NetworkUnavailable condition is True. */
  readonly networkUnavailable: boolean;
}

/** A service's EndpointSlices, reduced to what the election needs. */
export interface ServiceEndpoints {
  /** At least one endpoint can serve (counting endpoints without a nodeName). */
  readonly serving: boolean;
  /** Nodes with at least one endpoint that can serve. */
  readonly nodes: readonly string[];
}

export interface ElectionService {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** status.loadBalancer.ingress[].ip as written; any textual form. */
  readonly ips: readonly string[];
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  readonly endpoints: ServiceEndpoints;
}

export interface ElectionInputs {
  /** Gossip members in any state; alive and suspect ones are live. */
  readonly members: readonly ElectionMember[];
  /** Node name -> node. */
  readonly nodes: ReadonlyMap<string, ElectionNode>;
  readonly config: Config;
  readonly services: readonly ElectionService[];
}

/** MetalLB's rule: the label's presence excludes the node, whatever its value. */
export const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

export function isLive(state: MemberState): boolean {
  return state === 'alive' || state === 'suspect';
}

export function serviceKeyOf(svc: Pick<ElectionService, 'namespace' | 'name'>): string {
  return namespacedKey(svc.namespace, svc.name);
}

/** The parts of a v1 Node the election reads. */
export interface NodeLike {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>> | undefined } | undefined;
  readonly status?: { readonly conditions?: readonly { readonly type: string; readonly status: string }[] | undefined } | undefined;
}

export function electionNode(node: NodeLike): ElectionNode {
  const conditions = node.status?.conditions ?? [];
  return {
    labels: node.metadata?.labels ?? {},
    networkUnavailable: conditions.some((c) => c.type === 'NetworkUnavailable' && c.status === 'True'),
  };
}

/** The parts of a discovery.k8s.io/v1 EndpointSlice the election reads. */
export interface EndpointSliceLike {
  readonly endpoints?:
    | readonly {
        readonly nodeName?: string | undefined;
        readonly conditions?: { readonly ready?: boolean | undefined; readonly serving?: boolean | undefined } | undefined;
      }[]
    | undefined;
}

/**
 * Summarises a service's slices as MetalLB's speaker does: an endpoint can
 * serve when `ready` is true or unset (the API says unset means ready), or
 * when it is not ready but still `serving` (a terminating pod that has not
 * failed its readiness probe). Local-policy traffic keeps reaching such a
 * pod through kube-proxy, so its node stays a candidate until it stops.
 */
export function endpointsFromSlices(slices: Iterable<EndpointSliceLike>): ServiceEndpoints {
  const nodes = new Set<string>();
  let serving = false;
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      const c = ep.conditions ?? {};
      if (!(c.ready === undefined || c.ready || c.serving === true)) continue;
      serving = true;
      if (ep.nodeName) nodes.add(ep.nodeName);
    }
  }
  return { serving, nodes: [...nodes].sort() };
}
