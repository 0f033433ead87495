// client-node hands out two shapes of the same object: its list calls return
// model classes (timestamps as Date), its Watch hands raw JSON (timestamps as
// strings). Informers pass watch objects through the same deserializer the
// list calls use, so a cache never mixes the two.
//
// The deserializer is not in client-node's public index; it is imported from
// the generated models directly. The package has no "exports" map, so the
// path is stable within ^1.x, and test/kube/typed.test.ts fails loudly if it
// ever moves.

import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceType } from './resources.js';

/** The object as client-node's typed API would return it: a model instance for built-ins, JSON for custom resources. */
export function toModel<T extends KubernetesObject>(type: ResourceType<T>, raw: unknown): T {
  if (type.model === undefined) return raw as T;
  return ObjectSerializer.deserialize(raw, type.model, '') as T;
}
