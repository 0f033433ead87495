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
// Deciding is pure (desiredStatus); writing goes through
// StatusObjectWriter, which coalesces, paces and retries, so announcing
// never waits for the API.

import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import type { ElectionResult } from '../announce/election.js';
import { namespacedKey, splitKey } from '../kube/object-key.js';
import { serviceBgpStatuses, serviceL2Statuses, type CustomObject } from '../kube/resources.js';
import type { DesiredStatusObject, StatusObjectWriter } from '../kube/status-objects.js';
import type { Logger } from '../util/log.js';
import type { Wire } from '../kube/wire.js';

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

/**
 * The status object of one service of one kind: `list` is the interfaces
 * (layer 2) or the BGPPeers (bgp) it is announced on, [] for every one.
 */
export function desiredStatus(node: string, namespace: string, owner: V1OwnerReference | undefined, kind: 'l2' | 'bgp', service: string, list: readonly string[]): DesiredStatusObject {
  const { namespace: serviceNamespace = '', name: serviceName } = splitKey(service);
  const status: Record<string, unknown> = { node, serviceName, serviceNamespace };
  if (list.length > 0) {
    if (kind === 'l2') status['interfaces'] = list.map((name) => ({ name }));
    else status['peers'] = [...list].sort();
  }
  return {
    namespace,
    owned: true,
    labels: { [LABEL_NODE]: node, [LABEL_SERVICE_NAME]: serviceName, [LABEL_SERVICE_NAMESPACE]: serviceNamespace },
    ...(owner ? { ownerReferences: [owner] } : {}),
    type: kind === 'l2' ? serviceL2Statuses : serviceBgpStatuses,
    generateName: kind === 'l2' ? 'l2-' : 'bgp-',
    status,
  };
}

/** The owner reference naming a Pod. */
export function podOwner(pod: Wire<V1Pod> | undefined): V1OwnerReference | undefined {
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
  pod: () => Wire<V1Pod> | undefined;
  logger: Logger;
}

/** What a published status object was built from: the same inputs build the same object. */
interface Published {
  readonly kind: 'l2' | 'bgp';
  readonly service: string;
  readonly list: readonly string[];
  readonly owner: V1OwnerReference | undefined;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const sameOwner = (a: V1OwnerReference | undefined, b: V1OwnerReference | undefined): boolean => a === b || (a !== undefined && b !== undefined && a.name === b.name && a.uid === b.uid);

/**
 * Keeps this node's ServiceL2Status and ServiceBGPStatus objects equal to
 * what it announces. Each reconcile calls update with every announced
 * service; only those whose object would differ from the one last handed
 * to the writer are built and handed again. Building all of them on every
 * reconcile made a speaker taking in 1,000 Services allocate about 40 MiB
 * that lived from one reconcile to the next, long enough to reach V8's old
 * generation, which then stayed committed (docs/speaker.md, "Memory").
 */
export class AnnouncementStatus {
  /** By writer key: what the object the writer was last given was built from. */
  private readonly published = new Map<string, Published>();
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
    const owner = podOwner(this.opts.pod());
    for (const [key, p] of this.published) {
      if (services[p.kind].has(p.service)) continue;
      this.opts.writer.set(key, undefined);
      this.published.delete(key);
    }
    for (const kind of ['l2', 'bgp'] as const) {
      for (const [service, list] of services[kind]) {
        const key = statusKey(kind, service);
        const was = this.published.get(key);
        if (was && sameList(was.list, list) && sameOwner(was.owner, owner)) continue;
        this.opts.writer.set(key, desiredStatus(this.opts.node, this.opts.namespace, owner, kind, service, list));
        this.published.set(key, { kind, service, list, owner });
      }
    }
    this.opts.writer.releaseAdopted();
  }
}
