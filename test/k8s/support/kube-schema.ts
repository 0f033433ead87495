// Offline validation of built-in Kubernetes objects, the two checks an API
// server makes on `kubectl apply` (whose default is --validate=strict):
//
// 1. The object against the Kubernetes OpenAPI schema of its kind: types,
//    required fields, enums, formats. kubernetes-models ships these schemas
//    compiled into validators.
// 2. Strict field validation: a field the kind does not have is an error,
//    not silently dropped. kubernetes-models' validators allow unknown
//    fields, so this walks the generated model classes of
//    @kubernetes/client-node instead, whose attribute maps list every field
//    of every kind.
import * as k8s from '@kubernetes/client-node';
import type { Manifest } from './manifests.js';

interface AttributeMap {
  getAttributeTypeMap(): { name: string; baseName: string; type: string }[];
}

const LEAVES = new Set(['string', 'number', 'boolean', 'Date', 'any', 'object', 'IntOrString']);

function modelClass(type: string): AttributeMap | undefined {
  const c = (k8s as unknown as Record<string, unknown>)[type];
  return typeof c === 'function' && 'getAttributeTypeMap' in c ? (c as unknown as AttributeMap) : undefined;
}

/** Paths of the fields client-node's model of `type` does not know, under `path`. */
export function unknownFields(value: unknown, type: string, path = ''): string[] {
  if (value === null || value === undefined || LEAVES.has(type)) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1] as string, `${path}[${i}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    return typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1] as string, `${path}.${k}`)) : [];
  }
  const cls = modelClass(type);
  if (!cls) throw new Error(`no client-node model ${type} (at ${path || 'the root'})`);
  if (typeof value !== 'object' || Array.isArray(value)) return [];
  const attrs = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([k, v]) => {
    const t = attrs.get(k);
    return t === undefined ? [`${path}.${k}`.replace(/^\./, '')] : unknownFields(v, t, `${path}.${k}`);
  });
}

/** client-node's model name for an object: V1Deployment, V1CustomResourceDefinition, ... */
export function modelName(obj: Manifest): string {
  const version = obj.apiVersion.split('/').pop() ?? '';
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${obj.kind}`;
}

/** kubernetes-models' module path for an object's kind. */
function modelsModule(obj: Manifest): string {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  return `kubernetes-models/${group ? `${group}/` : ''}${version}/${obj.kind}`;
}

/** Every schema violation and unknown field of a built-in object; empty when valid. */
export async function builtinProblems(obj: Manifest): Promise<string[]> {
  const problems: string[] = [];
  const mod = (await import(modelsModule(obj))) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[obj.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${obj.kind} in ${modelsModule(obj)}`);
  try {
    new Model(obj).validate();
  } catch (err) {
    problems.push(`schema: ${(err as Error).message}`);
  }
  problems.push(...unknownFields(obj, modelName(obj)).map((p) => `unknown field ${p}`));
  return problems;
}
