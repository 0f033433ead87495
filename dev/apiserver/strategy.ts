// Per-kind behaviour of the real API server's registry: how names are
// checked, what a create resets, which fields validation insists on, how a
// status write differs from a spec write, how strategic merge patch treats
// lists. Only what shoal's kinds need, one entry per kind.

import { familyFromName, ipFamily } from '../../src/net/index.js';
import type { FieldError } from './api-errors.js';
import { valueAt } from './object-path.js';
import { metadataPatchSchema, type PatchSchema } from './patch.js';
import { createServiceStrategy } from './service-strategy.js';
import type { ServiceAllocator } from './service-ips.js';
import type { NameRule } from './validation.js';
import { isValidIp, nameProblem } from './validation.js';
import type { ResourceType } from '../../src/kube/resources.js';

export type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

export interface KindStrategy {
  nameRule: NameRule;
  /** PUT of a missing object creates it (leases, events). */
  allowCreateOnUpdate: boolean;
  /** A PUT without metadata.resourceVersion overwrites; false: it is refused (leases). */
  allowUnconditionalUpdate: boolean;
  /**
   * For built-in kinds a status write keeps the request's metadata and the
   * stored spec; for custom resources it changes nothing but status.
   */
  statusWriteKeepsMetadata: boolean;
  /** metadata.generation counts spec changes (custom resources). */
  tracksGeneration: boolean;
  /** Strategic merge patch list strategies; absent: the server answers 415 (custom resources). */
  patchSchema?: PatchSchema;
  /** DELETE answers with the deleted object rather than a Success Status. */
  deleteReturnsObject: boolean;
  /** Defaults and resets on create (e.g. status cleared for kinds with a status subresource). */
  prepareForCreate?(obj: Obj): void;
  /** Defaults on update; `old` is the stored object. Status has already been carried over. */
  prepareForUpdate?(obj: Obj, old: Obj): void;
  /** Defaults applied to a status write's result. */
  prepareForStatusUpdate?(obj: Obj, old: Obj): void;
  validate?(obj: Obj, old: Obj | undefined): FieldError[];
  validateStatus?(obj: Obj): FieldError[];
  /** Takes what the object needs (cluster IPs, node ports); returns errors and takes nothing on failure. */
  allocate?(obj: Obj, old: Obj | undefined): FieldError[];
  /** Gives back what a deleted object held. */
  release?(obj: Obj): void;
}

const base: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  statusWriteKeepsMetadata: true,
  tracksGeneration: false,
  patchSchema: metadataPatchSchema,
  deleteReturnsObject: false,
};

const conditionsByType = { mergeKey: 'type' } as const;

function namespaceStrategy(): KindStrategy {
  return {
    ...base,
    nameRule: 'dns1123-label',
    deleteReturnsObject: true,
    patchSchema: { ...metadataPatchSchema, 'status.conditions': conditionsByType, 'spec.finalizers': { primitiveMerge: true } },
    prepareForCreate(obj) {
      obj['spec'] = { finalizers: ['kubernetes'], ...(obj['spec'] as object | undefined) };
      obj['status'] = { phase: 'Active' };
    },
  };
}

function nodeStrategy(): KindStrategy {
  return {
    ...base,
    patchSchema: {
      ...metadataPatchSchema,
      'status.conditions': conditionsByType,
      'status.addresses': { mergeKey: 'type' },
      'spec.podCIDRs': { primitiveMerge: true },
    },
  };
}

function podStrategy(): KindStrategy {
  return {
    ...base,
    deleteReturnsObject: true,
    patchSchema: {
      ...metadataPatchSchema,
      'spec.containers': { mergeKey: 'name' },
      'spec.containers.ports': { mergeKey: 'containerPort' },
      'spec.containers.env': { mergeKey: 'name' },
      'spec.containers.volumeMounts': { mergeKey: 'mountPath' },
      'spec.initContainers': { mergeKey: 'name' },
      'spec.volumes': { mergeKey: 'name' },
      'spec.imagePullSecrets': { mergeKey: 'name' },
      'status.conditions': conditionsByType,
      'status.podIPs': { mergeKey: 'ip' },
    },
    prepareForCreate(obj) {
      obj['status'] = { phase: 'Pending' };
    },
    validate(obj) {
      const containers = valueAt(obj, 'spec.containers');
      if (!Array.isArray(containers) || containers.length === 0) {
        return [{ field: 'spec.containers', type: 'FieldValueRequired', detail: '' }];
      }
      return [];
    },
    validateStatus(obj) {
      const errs: FieldError[] = [];
      const podIP = valueAt(obj, 'status.podIP');
      if (typeof podIP === 'string' && podIP !== '' && !isValidIp(podIP)) {
        errs.push({ field: 'status.podIP', type: 'FieldValueInvalid', detail: `${JSON.stringify(podIP)}: must be a valid IP address` });
      }
      return errs;
    },
  };
}

function coreEventStrategy(): KindStrategy {
  return {
    ...base,
    nameRule: 'dns1123-subdomain',
    allowCreateOnUpdate: true,
    patchSchema: metadataPatchSchema,
    validate(obj) {
      // The real server insists an event lives in its object's namespace, or
      // in "default" (or no namespace) for cluster-scoped objects.
      const errs: FieldError[] = [];
      const ns = (obj.metadata['namespace'] as string | undefined) ?? '';
      const involvedNs = (valueAt(obj, 'involvedObject.namespace') as string | undefined) ?? '';
      if (involvedNs === '') {
        if (ns !== '' && ns !== 'default') {
          errs.push({ field: 'involvedObject.namespace', type: 'FieldValueInvalid', detail: `"": does not match event.namespace` });
        }
      } else if (involvedNs !== ns) {
        errs.push({ field: 'involvedObject.namespace', type: 'FieldValueInvalid', detail: `${JSON.stringify(involvedNs)}: does not match event.namespace` });
      }
      const type = obj['type'];
      if (type !== undefined && type !== 'Normal' && type !== 'Warning') {
        errs.push({ field: 'type', type: 'FieldValueNotSupported', detail: `${JSON.stringify(type)}: supported values: "Normal", "Warning"` });
      }
      return errs;
    },
  };
}

function endpointSliceStrategy(): KindStrategy {
  return {
    ...base,
    validate(obj) {
      const t = obj['addressType'];
      if (t === undefined) return [{ field: 'addressType', type: 'FieldValueRequired', detail: '' }];
      if (t !== 'IPv4' && t !== 'IPv6' && t !== 'FQDN') {
        return [{ field: 'addressType', type: 'FieldValueNotSupported', detail: `${JSON.stringify(t)}: supported values: "FQDN", "IPv4", "IPv6"` }];
      }
      const errs: FieldError[] = [];
      const eps = obj['endpoints'];
      if (Array.isArray(eps)) {
        eps.forEach((ep: unknown, i) => {
          const addrs = valueAt(ep, 'addresses');
          if (!Array.isArray(addrs) || addrs.length === 0) {
            errs.push({ field: `endpoints[${i}].addresses`, type: 'FieldValueRequired', detail: 'must contain at least 1 address' });
          } else if (t !== 'FQDN') {
            addrs.forEach((a: unknown, j) => {
              if (typeof a !== 'string' || ipFamily(a) !== familyFromName(t as string)) {
                errs.push({ field: `endpoints[${i}].addresses[${j}]`, type: 'FieldValueInvalid', detail: `${JSON.stringify(a)}: must be a valid ${t} address` });
              }
            });
          }
        });
      }
      return errs;
    },
  };
}

function leaseStrategy(): KindStrategy {
  // Two candidates must not both win a lease: every update names the version it read.
  return { ...base, allowCreateOnUpdate: true, allowUnconditionalUpdate: false };
}

function customResourceStrategy(): KindStrategy {
  const s: KindStrategy = {
    ...base,
    statusWriteKeepsMetadata: false,
    tracksGeneration: true,
    deleteReturnsObject: true,
    prepareForCreate(obj) {
      // With the status subresource enabled, a create cannot set status.
      delete obj['status'];
    },
  };
  delete s.patchSchema;
  return s;
}

export function createStrategies(types: readonly ResourceType[], allocator: ServiceAllocator): Map<ResourceType, KindStrategy> {
  const out = new Map<ResourceType, KindStrategy>();
  for (const t of types) {
    const id = `${t.group}/${t.plural}`;
    let s: KindStrategy;
    switch (id) {
      case '/namespaces': s = namespaceStrategy(); break;
      case '/nodes': s = nodeStrategy(); break;
      case '/services': s = createServiceStrategy(base, allocator); break;
      case '/pods': s = podStrategy(); break;
      case '/events': s = coreEventStrategy(); break;
      case 'discovery.k8s.io/endpointslices': s = endpointSliceStrategy(); break;
      case 'coordination.k8s.io/leases': s = leaseStrategy(); break;
      case 'events.k8s.io/events': s = { ...base, allowCreateOnUpdate: true }; break;
      default: s = !t.builtin ? customResourceStrategy() : { ...base };
    }
    out.set(t, s);
  }
  return out;
}

export function nameProblemFor(s: KindStrategy, name: string): string | undefined {
  return nameProblem(name, s.nameRule);
}
