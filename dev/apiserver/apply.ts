// Loading manifests into the double's store, as `kubectl apply` would for the
// kinds shoal knows: create or replace the object, then its status through
// the status subresource. Used by `shoal-dev apiserver --objects` and tests.
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { apiVersionOf, builtinResources, metallbResources, type ResourceType } from '../../src/kube/resources.js';
import type { ObjectStore } from './store.js';

const ALL: readonly ResourceType[] = [...builtinResources, ...metallbResources];

/** The resource type of an object by apiVersion and kind, or undefined. */
export function typeOf(obj: { apiVersion?: unknown; kind?: unknown }): ResourceType | undefined {
  return ALL.find((t) => t.kind === obj.kind && [t.version, ...t.otherVersions].some((v) => apiVersionOf(t, v) === obj.apiVersion));
}

/** Creates the object, or replaces the stored one of the same name; status goes through /status. */
export function applyObject(store: ObjectStore, obj: KubernetesObject & { status?: unknown }): void {
  const type = typeOf(obj);
  if (!type) throw new Error(`${String(obj.apiVersion)} ${String(obj.kind)} is not a kind the double serves`);
  const name = obj.metadata?.name;
  if (!name) throw new Error(`${obj.kind} without metadata.name`);
  const ns = type.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
  let current: KubernetesObject | undefined;
  try {
    current = store.get(type, ns, name) as KubernetesObject;
  } catch {
    current = undefined;
  }
  if (current) store.update(type, ns, name, { ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata?.resourceVersion } });
  else store.create(type, ns, obj);
  if (obj.status !== undefined && type.statusSubresource) {
    const stored = structuredClone(store.get(type, ns, name)) as Record<string, unknown>;
    stored['status'] = obj.status;
    store.update(type, ns, name, stored, { subresource: 'status' });
  }
}

/** Every document of a YAML text, in order. */
export function applyYaml(store: ObjectStore, text: string, source = 'input'): number {
  let n = 0;
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length) throw new Error(`${source} document ${i}: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as KubernetesObject | null;
    if (!obj) continue;
    try {
      applyObject(store, obj);
    } catch (err) {
      throw new Error(`${source} document ${i} (${String(obj.kind)} ${obj.metadata?.name ?? '?'}): ${(err as Error).message}`, { cause: err });
    }
    n++;
  }
  return n;
}
