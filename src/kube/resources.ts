// The Kubernetes resource types shoal reads or writes, one table entry each.
// The informers, the status writer and the in-repo API server double all
// take their paths and scopes from here, so a type is described once.

import type { KubeObject, Wire } from './wire.js';
import type {
  CoreV1Event,
  EventsV1Event,
  KubernetesObject,
  V1ConfigMap,
  V1EndpointSlice,
  V1Lease,
  V1Namespace,
  V1Node,
  V1Pod,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';

export interface ResourceType<T extends KubeObject = KubeObject> {
  /** API group; '' is the core group served under /api. */
  readonly group: string;
  /** The version clients use and the double stores. */
  readonly version: string;
  /** Further versions the real server also serves (same stored object, no conversion). */
  readonly otherVersions: readonly string[];
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Whether status is written only through the /status subresource. */
  readonly statusSubresource: boolean;
  /** Served by every API server (not a custom resource that may not be installed). */
  readonly builtin: boolean;
  /** Phantom marker so that a descriptor carries its object type (as sent: wire.ts). */
  readonly __type?: T;
}

/** A custom resource: JSON whose spec and status the type checker knows nothing of. */
export interface CustomObject extends KubeObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

function builtin<T extends KubernetesObject>(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  statusSubresource: boolean,
): ResourceType<Wire<T>> {
  return { group, version, otherVersions: [], plural, kind, namespaced, statusSubresource, builtin: true };
}

function metallb(plural: string, kind: string, version = 'v1beta1', otherVersions: string[] = []): ResourceType<CustomObject> {
  // Every metallb.io CRD is namespaced and declares the status subresource.
  return { group: 'metallb.io', version, otherVersions, plural, kind, namespaced: true, statusSubresource: true, builtin: false };
}

export const namespaces = builtin<V1Namespace>('', 'v1', 'namespaces', 'Namespace', false, true);
export const nodes = builtin<V1Node>('', 'v1', 'nodes', 'Node', false, true);
export const services = builtin<V1Service>('', 'v1', 'services', 'Service', true, true);
export const pods = builtin<V1Pod>('', 'v1', 'pods', 'Pod', true, true);
export const configMaps = builtin<V1ConfigMap>('', 'v1', 'configmaps', 'ConfigMap', true, false);
export const secrets = builtin<V1Secret>('', 'v1', 'secrets', 'Secret', true, false);
export const coreEvents = builtin<CoreV1Event>('', 'v1', 'events', 'Event', true, false);
export const endpointSlices = builtin<V1EndpointSlice>(
  'discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true, false);
export const events = builtin<EventsV1Event>('events.k8s.io', 'v1', 'events', 'Event', true, false);
export const leases = builtin<V1Lease>('coordination.k8s.io', 'v1', 'leases', 'Lease', true, false);

export const ipAddressPools = metallb('ipaddresspools', 'IPAddressPool');
export const l2Advertisements = metallb('l2advertisements', 'L2Advertisement');
export const bgpAdvertisements = metallb('bgpadvertisements', 'BGPAdvertisement');
export const communities = metallb('communities', 'Community');
export const bfdProfiles = metallb('bfdprofiles', 'BFDProfile');
// v1beta2 is MetalLB's storage version; v1beta1 is still served through a
// conversion webhook whose field mapping the double does not model.
export const bgpPeers = metallb('bgppeers', 'BGPPeer', 'v1beta2', ['v1beta1']);
export const serviceL2Statuses = metallb('servicel2statuses', 'ServiceL2Status');
export const serviceBgpStatuses = metallb('servicebgpstatuses', 'ServiceBGPStatus');
export const configurationStates = metallb('configurationstates', 'ConfigurationState');

export const builtinResources: readonly ResourceType[] = [
  namespaces, nodes, services, pods, configMaps, secrets, coreEvents, endpointSlices, events, leases,
];

export const metallbResources: readonly ResourceType<CustomObject>[] = [
  ipAddressPools, l2Advertisements, bgpAdvertisements, communities, bfdProfiles, bgpPeers,
  serviceL2Statuses, serviceBgpStatuses, configurationStates,
];

export function apiVersionOf(type: ResourceType, version = type.version): string {
  return type.group === '' ? version : `${type.group}/${version}`;
}

/** "services" or "ipaddresspools.metallb.io": how the API names a resource in messages. */
export function qualifiedResource(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

/**
 * The REST path of a collection (name omitted) or object, optionally of a
 * subresource. A namespace on a cluster-scoped type is an error, not ignored.
 */
export function resourcePath(
  type: ResourceType,
  where: { namespace?: string; name?: string; subresource?: string; version?: string } = {},
): string {
  if (where.namespace !== undefined && !type.namespaced) {
    throw new Error(`${qualifiedResource(type)} is cluster-scoped: no namespace allowed (got "${where.namespace}")`);
  }
  if (where.subresource !== undefined && where.name === undefined) {
    throw new Error(`subresource "${where.subresource}" needs an object name`);
  }
  const version = where.version ?? type.version;
  let path = type.group === '' ? `/api/${version}` : `/apis/${type.group}/${version}`;
  if (where.namespace !== undefined) path += `/namespaces/${encodeURIComponent(where.namespace)}`;
  path += `/${type.plural}`;
  if (where.name !== undefined) path += `/${encodeURIComponent(where.name)}`;
  if (where.subresource !== undefined) path += `/${where.subresource}`;
  return path;
}
