// OpenAPI schemas of built-in kinds derived from client-node's generated
// models (each class lists its fields with their JSON names and types), so
// that every field of a Node or a Pod is declared without the double
// copying Kubernetes' OpenAPI document. The models carry no patch
// strategies; kinds that kubectl strategic-merge-patches in ways that
// matter get hand-written schemas (builtin-schemas.ts).

import * as k8s from '@kubernetes/client-node';
import type { OpenApiSchema } from './openapi-schema.js';

interface Model {
  getAttributeTypeMap(): { baseName: string; type: string; format: string }[];
}

function model(name: string): Model | undefined {
  const c = (k8s as unknown as Record<string, unknown>)[name];
  return typeof c === 'function' && 'getAttributeTypeMap' in c ? (c as unknown as Model) : undefined;
}

const leaves: Record<string, OpenApiSchema> = {
  string: { type: 'string' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  Date: { type: 'string', format: 'date-time' },
  V1MicroTime: { type: 'string', format: 'date-time' },
  IntOrString: { 'x-kubernetes-int-or-string': true },
  any: { 'x-kubernetes-preserve-unknown-fields': true },
  object: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
};

/** The schema of a client-node type name ("V1Node", "Array<V1Taint>", "{ [key: string]: string; }"). */
export function schemaOfModel(type: string, seen: ReadonlySet<string> = new Set()): OpenApiSchema {
  const leaf = leaves[type];
  if (leaf) return leaf;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return { type: 'array', items: schemaOfModel(array[1]!, seen) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { type: 'object', additionalProperties: schemaOfModel(map[1]!, seen) };
  const m = model(type);
  if (!m) throw new Error(`no client-node model named ${type}`);
  // Recursive types (JSONSchemaProps) stop at the second visit: anything below is accepted.
  if (seen.has(type)) return leaves['object']!;
  const inner = new Set([...seen, type]);
  return { type: 'object', properties: Object.fromEntries(m.getAttributeTypeMap().map((a) => [a.baseName, schemaOfModel(a.type, inner)])) };
}
