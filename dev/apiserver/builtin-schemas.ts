// OpenAPI v3 schemas of the built-in kinds the double serves. Service,
// Namespace, ConfigMap and Secret are written out here with the
// strategic-merge-patch keys of the Go types' struct tags, so kubectl
// computes the same patches from them as from its compiled-in types (a
// test holds their fields to client-node's models). The other kinds come
// from client-node's models (model-schema.ts): every field declared, no
// patch keys.

import { schemaOfModel } from './model-schema.js';
import type { OpenApiSchema } from './openapi-schema.js';

const str: OpenApiSchema = { type: 'string' };
const int: OpenApiSchema = { type: 'integer', format: 'int32' };
const bool: OpenApiSchema = { type: 'boolean' };
const time: OpenApiSchema = { type: 'string', format: 'date-time' };
const stringMap: OpenApiSchema = { type: 'object', additionalProperties: str };
const strings: OpenApiSchema = { type: 'array', items: str };
const obj = (properties: Record<string, OpenApiSchema>, extra: Partial<OpenApiSchema> = {}): OpenApiSchema => ({ type: 'object', properties, ...extra });
const mergeList = (items: OpenApiSchema, key: string, mapKeys?: string[]): OpenApiSchema => ({
  type: 'array',
  items,
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-patch-strategy': 'merge',
  ...(mapKeys && { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': mapKeys }),
});

export const objectMetaSchema: OpenApiSchema = obj({
  annotations: stringMap,
  creationTimestamp: time,
  deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
  deletionTimestamp: time,
  finalizers: { ...strings, 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
  generateName: str,
  generation: { type: 'integer', format: 'int64' },
  labels: stringMap,
  managedFields: {
    type: 'array',
    items: obj({
      apiVersion: str,
      fieldsType: str,
      fieldsV1: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      manager: str,
      operation: str,
      subresource: str,
      time,
    }),
  },
  name: str,
  namespace: str,
  ownerReferences: mergeList(obj({ apiVersion: str, blockOwnerDeletion: bool, controller: bool, kind: str, name: str, uid: str }), 'uid', ['uid']),
  resourceVersion: str,
  selfLink: str,
  uid: str,
});

const condition = obj({ lastTransitionTime: time, message: str, observedGeneration: { type: 'integer', format: 'int64' }, reason: str, status: str, type: str });

const serviceSchema: OpenApiSchema = obj({
  spec: obj({
    allocateLoadBalancerNodePorts: bool,
    clusterIP: str,
    clusterIPs: { ...strings, 'x-kubernetes-list-type': 'atomic' },
    externalIPs: strings,
    externalName: str,
    externalTrafficPolicy: str,
    healthCheckNodePort: int,
    internalTrafficPolicy: str,
    ipFamilies: { ...strings, 'x-kubernetes-list-type': 'atomic' },
    ipFamilyPolicy: str,
    loadBalancerClass: str,
    loadBalancerIP: str,
    loadBalancerSourceRanges: strings,
    ports: mergeList(
      obj({ appProtocol: str, name: str, nodePort: int, port: int, protocol: str, targetPort: { 'x-kubernetes-int-or-string': true } }),
      'port',
      ['port', 'protocol'],
    ),
    publishNotReadyAddresses: bool,
    selector: { ...stringMap, 'x-kubernetes-map-type': 'atomic' },
    sessionAffinity: str,
    sessionAffinityConfig: obj({ clientIP: obj({ timeoutSeconds: int }) }),
    trafficDistribution: str,
    type: str,
  }),
  status: obj({
    conditions: mergeList(condition, 'type', ['type']),
    loadBalancer: obj({
      ingress: {
        type: 'array',
        'x-kubernetes-list-type': 'atomic',
        items: obj({ hostname: str, ip: str, ipMode: str, ports: { type: 'array', 'x-kubernetes-list-type': 'atomic', items: obj({ error: str, port: int, protocol: str }) } }),
      },
    }),
  }),
});

const namespaceSchema: OpenApiSchema = obj({
  spec: obj({ finalizers: { ...strings, 'x-kubernetes-list-type': 'atomic' } }),
  status: obj({ conditions: mergeList(obj({ lastTransitionTime: time, message: str, reason: str, status: str, type: str }), 'type', ['type']), phase: str }),
});

const configMapSchema: OpenApiSchema = obj({ binaryData: stringMap, data: stringMap, immutable: bool });
const secretSchema: OpenApiSchema = obj({ data: stringMap, immutable: bool, stringData: stringMap, type: str });

/** The full schema of a kind: apiVersion, kind and metadata added to its own fields. */
function withEnvelope(s: OpenApiSchema): OpenApiSchema {
  return { ...s, properties: { ...s.properties, apiVersion: str, kind: str, metadata: objectMetaSchema } };
}

/**
 * Schemas by "<group>/<kind>" ('' for the core group), with the name the
 * real server's OpenAPI gives them.
 */
export const builtinSchemas: ReadonlyMap<string, { name: string; schema: OpenApiSchema }> = new Map([
  ['/Service', { name: 'io.k8s.api.core.v1.Service', schema: withEnvelope(serviceSchema) }],
  ['/Namespace', { name: 'io.k8s.api.core.v1.Namespace', schema: withEnvelope(namespaceSchema) }],
  ['/ConfigMap', { name: 'io.k8s.api.core.v1.ConfigMap', schema: withEnvelope(configMapSchema) }],
  ['/Secret', { name: 'io.k8s.api.core.v1.Secret', schema: withEnvelope(secretSchema) }],
  ['/Node', { name: 'io.k8s.api.core.v1.Node', schema: withEnvelope(schemaOfModel('V1Node')) }],
  ['/Pod', { name: 'io.k8s.api.core.v1.Pod', schema: withEnvelope(schemaOfModel('V1Pod')) }],
  ['/Event', { name: 'io.k8s.api.core.v1.Event', schema: withEnvelope(schemaOfModel('CoreV1Event')) }],
  ['discovery.k8s.io/EndpointSlice', { name: 'io.k8s.api.discovery.v1.EndpointSlice', schema: withEnvelope(schemaOfModel('V1EndpointSlice')) }],
  ['events.k8s.io/Event', { name: 'io.k8s.api.events.v1.Event', schema: withEnvelope(schemaOfModel('EventsV1Event')) }],
  ['coordination.k8s.io/Lease', { name: 'io.k8s.api.coordination.v1.Lease', schema: withEnvelope(schemaOfModel('V1Lease')) }],
]);

/** A CRD's schema with metadata checked as ObjectMeta, as the real server does. */
export function crdSchemaWithMeta(s: OpenApiSchema): OpenApiSchema {
  return { ...s, properties: { ...s.properties, apiVersion: str, kind: str, metadata: objectMetaSchema } };
}
