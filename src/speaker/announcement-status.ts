// What this speaker announces, as MetalLB's speakers publish it: one
// ServiceL2Status per Service this node answers for in layer 2 (node,
// service, interfaces) and one ServiceBGPStatus per Service it advertises
// (node, service, the BGPPeers it is configured to advertise it to), in
// shoal's namespace, labelled metallb.io/node, metallb.io/service-name and
// metallb.io/service-namespace, named from the prefixes "l2-" and "bgp-".
//
// The owner reference is the speaker's own Pod, as in MetalLB: an owner
// reference must name an object in the same namespace, so pointing it at the
// Service (in another namespace) would have the garbage collector delete
// the status at once. The Pod going away takes its statuses with it.
//
// Deciding is pure (desiredStatuses); writing goes through
// StatusObjectWriter, which coalesces, paces and retries, so announcing
// never waits for the API.

import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import type { ElectionResult } from '../announce/election.js';
import { namespacedKey, splitKey } from '../kube/object-key.js';
import { serviceBgpStatuses, serviceL2Statuses, type CustomObject } from '../kube/resources.js';
import type { DesiredStatusObject, StatusObjectWriter } from '../kube/status-objects.js';
import type { Logger } from '../util/log.js';

/** MetalLB's labels on status objects (internal/k8s/controllers/values.go). */
export const LABEL_NODE = 'metallb.io/node';
export const LABEL_SERVICE_NAME = 'metallb.io/service-name';
export const LABEL_SERVICE_NAMESPACE = 'metallb.io/service-namespace';

export interface AnnouncedServices {
  /** Layer 2: service key -> interfaces it is answered on ([] when on every eligible interface). */
  readonly l2: ReadonlyMap<string, readonly string[]>;
  /** BGP: service key -> names of the BGPPeers it is advertised to. */
  readonly bgp: ReadonlyMap<string, readonly string[]>;
}

/** The layer-2 part of AnnouncedServices from an election and the addresses handed to layer 2. */
export function l2Services(result: ElectionResult, announced: ReadonlySet<string>): Map<string, readonly string[]> {
  const out = new Map<string, Set<string>>();
  for (const ip of announced) {
    const d = result.decisions.get(ip);
    if (!d) continue;
    for (const svc of d.services) {
      let ifaces = out.get(svc);
      if (!ifaces) out.set(svc, (ifaces = new Set()));
      if (d.interfaces !== 'all') for (const i of d.interfaces) ifaces.add(i);
    }
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

/** The writer key of a service's status of one kind. */
export const statusKey = (kind: 'l2' | 'bgp', service: string): string => `${kind}:${service}`;

/** The status objects this node should have, by writer key. */
export function desiredStatuses(
  node: string,
  namespace: string,
  owner: V1OwnerReference | undefined,
  services: AnnouncedServices,
): Map<string, DesiredStatusObject> {
  const out = new Map<string, DesiredStatusObject>();
  const base = (service: string) => {
    const { namespace: serviceNamespace = '', name: serviceName } = splitKey(service);
    return {
      namespace,
      owned: true,
      labels: { [LABEL_NODE]: node, [LABEL_SERVICE_NAME]: serviceName, [LABEL_SERVICE_NAMESPACE]: serviceNamespace },
      ...(owner ? { ownerReferences: [owner] } : {}),
      serviceName,
      serviceNamespace,
    };
  };
  for (const [service, interfaces] of services.l2) {
    const { serviceName, serviceNamespace, ...b } = base(service);
    const status: Record<string, unknown> = { node, serviceName, serviceNamespace };
    if (interfaces.length > 0) status['interfaces'] = interfaces.map((name) => ({ name }));
    out.set(statusKey('l2', service), { ...b, type: serviceL2Statuses, generateName: 'l2-', status });
  }
  for (const [service, peers] of services.bgp) {
    const { serviceName, serviceNamespace, ...b } = base(service);
    const status: Record<string, unknown> = { node, serviceName, serviceNamespace };
    if (peers.length > 0) status['peers'] = [...peers].sort();
    out.set(statusKey('bgp', service), { ...b, type: serviceBgpStatuses, generateName: 'bgp-', status });
  }
  return out;
}

/** The owner reference naming a Pod. */
export function podOwner(pod: V1Pod | undefined): V1OwnerReference | undefined {
  const name = pod?.metadata?.name;
  const uid = pod?.metadata?.uid;
  if (!name || !uid) return undefined;
  return { apiVersion: 'v1', kind: 'Pod', name, uid };
}

export interface AnnouncementStatusOptions {
  node: string;
  namespace: string;
  writer: StatusObjectWriter;
  /** This speaker's Pod, when it runs as one. */
  pod: () => V1Pod | undefined;
  logger: Logger;
}

/** Keeps this node's ServiceL2Status and ServiceBGPStatus objects equal to what it announces. */
export class AnnouncementStatus {
  private readonly keys = new Set<string>();
  private readonly log: Logger;

  constructor(private readonly opts: AnnouncementStatusOptions) {
    this.log = opts.logger.child({ component: 'announcement-status' });
  }

  /** Takes over the objects an earlier run of this speaker left (deleting those no longer true). */
  async adopt(): Promise<void> {
    const keyOf = (kind: 'l2' | 'bgp') => (o: CustomObject): string | undefined => {
      const l = o.metadata?.labels ?? {};
      const name = l[LABEL_SERVICE_NAME];
      return name ? statusKey(kind, namespacedKey(l[LABEL_SERVICE_NAMESPACE], name)) : undefined;
    };
    const selector = `${LABEL_NODE}=${this.opts.node}`;
    for (const [type, kind] of [[serviceL2Statuses, 'l2'], [serviceBgpStatuses, 'bgp']] as const) {
      try {
        await this.opts.writer.adopt(type, this.opts.namespace, selector, keyOf(kind));
      } catch (err) {
        // Not fatal: objects left from before stay until the Pod that owns them goes.
        this.log.warn('could not list earlier status objects', { kind: type.kind, error: err });
      }
    }
  }

  /** What this node announces now; the first call also deletes what an earlier run left and is no longer true. */
  update(services: AnnouncedServices): void {
    const desired = desiredStatuses(this.opts.node, this.opts.namespace, podOwner(this.opts.pod()), services);
    for (const key of this.keys) if (!desired.has(key)) this.opts.writer.set(key, undefined);
    this.keys.clear();
    for (const [key, d] of desired) {
      this.opts.writer.set(key, d);
      this.keys.add(key);
    }
    this.opts.writer.releaseAdopted();
  }
}
