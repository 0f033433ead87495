// Validating custom resources against a CRD's openAPIV3Schema offline, with
// the semantics a Kubernetes API server gives that schema where they differ
// from plain JSON Schema:
//
// - unknown fields are errors (kubectl's default, --validate=strict; with
//   it off the server prunes them, which for a typo is no better);
// - defaults are applied before validation;
// - x-kubernetes-list-type `set` lists may not repeat an item, `map` lists
//   may not repeat a key;
// - x-kubernetes-validations (CEL) rules run, transition rules (those using
//   oldSelf) only on an update where the old value exists;
// - formats int32 and int64 bound integers.
//
// structuralProblems() checks the rules that make a schema "structural",
// without which the API server refuses the CRD (every node typed, no
// properties next to additionalProperties, list types on the right item
// types, no JSON Schema features Kubernetes forbids).
import * as k8s from '@kubernetes/client-node';
import { run, parse as parseCel, isCelError, type CelInput } from '@bufbuild/cel';
import { Ajv, type AnySchemaObject, type ErrorObject, type SchemaValidateFunction } from 'ajv';

export type Schema = Record<string, unknown>;

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  schema: { openAPIV3Schema: Schema };
  subresources?: { status?: object };
}

export interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string };
    scope: string;
    versions: CrdVersion[];
    conversion?: { strategy: string };
  };
}

const FORBIDDEN = ['$ref', '$schema', 'definitions', 'additionalItems', 'dependencies', 'patternProperties', 'id'];
const SCALARS = new Set(['string', 'integer', 'number', 'boolean']);
const SCHEMA_KEYS = new Set(k8s.V1JSONSchemaProps.getAttributeTypeMap().map((a) => a.baseName));
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why the schema is not structural (or uses CEL that does not parse); empty when fine. */
export function structuralProblems(schema: Schema, path = 'openAPIV3Schema', inValueValidation = false): string[] {
  const out: string[] = [];
  const bad = (msg: string): void => {
    out.push(`${path}: ${msg}`);
  };
  for (const k of Object.keys(schema)) if (!SCHEMA_KEYS.has(k)) bad(`unknown schema keyword ${k}`);
  for (const k of FORBIDDEN) if (k in schema) bad(`${k} is not allowed in a structural schema`);
  if (schema['uniqueItems'] === true) bad('uniqueItems: true is not allowed (use x-kubernetes-list-type: set)');
  const type = schema['type'] as string | undefined;
  const untyped = schema['x-kubernetes-int-or-string'] === true || schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (inValueValidation) {
    for (const k of ['type', 'default', 'nullable', 'additionalProperties', 'description']) if (k in schema) bad(`${k} is not allowed inside allOf/anyOf/oneOf/not`);
  } else if (!type && !untyped) bad('no type');
  if ('properties' in schema && 'additionalProperties' in schema) bad('properties and additionalProperties together');
  if (type === 'array') {
    const items = schema['items'];
    if (typeof items !== 'object' || items === null || Array.isArray(items)) bad('an array needs one items schema');
  }
  const listType = schema['x-kubernetes-list-type'];
  const items = schema['items'] as Schema | undefined;
  if (listType !== undefined) {
    if (type !== 'array') bad('x-kubernetes-list-type on a non-array');
    if (!['atomic', 'set', 'map'].includes(listType as string)) bad(`x-kubernetes-list-type ${String(listType)}`);
    if (listType === 'set' && !SCALARS.has(items?.['type'] as string)) bad('a set needs scalar items');
    if (listType === 'map') {
      const keys = schema['x-kubernetes-list-map-keys'] as string[] | undefined;
      const props = (items?.['properties'] ?? {}) as Record<string, Schema>;
      const required = (items?.['required'] ?? []) as string[];
      if (items?.['type'] !== 'object') bad('a map list needs object items');
      if (!keys?.length) bad('a map list needs x-kubernetes-list-map-keys');
      for (const key of keys ?? []) {
        if (!props[key]) bad(`map key ${key} is not a property of the items`);
        else if (!required.includes(key) && !('default' in props[key])) bad(`map key ${key} must be required or defaulted`);
      }
    }
  } else if ('x-kubernetes-list-map-keys' in schema) bad('x-kubernetes-list-map-keys without x-kubernetes-list-type: map');
  if ('x-kubernetes-map-type' in schema && type !== 'object') bad('x-kubernetes-map-type on a non-object');
  if (Array.isArray(schema['enum']) && type && SCALARS.has(type)) {
    for (const v of schema['enum'] as unknown[]) if (!matchesType(v, type)) bad(`enum value ${JSON.stringify(v)} is not a ${type}`);
  }
  for (const rule of (schema['x-kubernetes-validations'] ?? []) as { rule: string; message?: string }[]) {
    try {
      parseCel(rule.rule);
    } catch (err) {
      bad(`CEL rule does not parse: ${rule.rule}: ${(err as Error).message}`);
    }
    if (!rule.message) bad(`CEL rule without a message: ${rule.rule}`);
  }
  for (const [name, sub] of Object.entries((schema['properties'] ?? {}) as Record<string, Schema>)) {
    out.push(...structuralProblems(sub, `${path}.${name}`, inValueValidation));
  }
  if (items && !Array.isArray(items)) out.push(...structuralProblems(items, `${path}[]`, inValueValidation));
  const ap = schema['additionalProperties'];
  if (typeof ap === 'object' && ap !== null) out.push(...structuralProblems(ap as Schema, `${path}{}`, inValueValidation));
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    for (const [i, sub] of ((schema[k] ?? []) as Schema[]).entries()) out.push(...structuralProblems(sub, `${path}.${k}[${i}]`, true));
  }
  if (schema['not']) out.push(...structuralProblems(schema['not'] as Schema, `${path}.not`, true));
  return out;
}

function matchesType(v: unknown, type: string): boolean {
  if (type === 'integer') return Number.isInteger(v);
  if (type === 'number') return typeof v === 'number';
  return typeof v === type;
}

/** JSON -> CEL input: objects become maps, integers CEL ints (bigint), as the API server types them. */
function toCel(v: unknown): CelInput {
  if (Array.isArray(v)) return v.map(toCel);
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'object' && v !== null) return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  // What is left of JSON: strings, booleans, non-integral numbers, null.
  return v as string | boolean | number | null;
}

function atPointer(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The schema as plain JSON Schema for ajv, with Kubernetes' strictness spelled out. */
function toJsonSchema(node: Schema, root = false): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    // The root's metadata is ObjectMeta, which the API server checks itself.
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([n, s]) => [n, root && n === 'metadata' ? s : toJsonSchema(s)]));
    else if (k === 'items' || k === 'additionalProperties' || k === 'not') out[k] = typeof v === 'object' ? toJsonSchema(v as Schema) : v;
    else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') out[k] = (v as Schema[]).map((x) => toJsonSchema(x));
    else if (k === 'nullable') continue;
    else out[k] = v;
  }
  if (node['nullable'] === true && typeof node['type'] === 'string') out['type'] = [node['type'], 'null'];
  if (node['x-kubernetes-list-type'] === 'set') out['uniqueItems'] = true;
  // An object field the schema does not name is unknown (pruned, or with
  // strict field validation refused), properties listed or not.
  if (node['type'] === 'object' && !('additionalProperties' in node) && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    out['additionalProperties'] = false;
  }
  return out;
}

export type ResourceValidator = (obj: unknown, old?: unknown) => string[];

/** A validator for custom resources of one version of the CRD. */
export function crdValidator(crd: Crd, versionName: string): ResourceValidator {
  const version = crd.spec.versions.find((v) => v.name === versionName);
  if (!version) throw new Error(`${crd.metadata.name} has no version ${versionName}`);
  let oldRoot: unknown;
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false, allowUnionTypes: true });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  for (const keyword of ['x-kubernetes-map-type', 'x-kubernetes-list-type', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource']) {
    ajv.addKeyword({ keyword, schemaType: ['string', 'boolean'] });
  }
  const listMapKeys: SchemaValidateFunction = function listMapKeys(this: unknown, keys: string[], data: unknown[]): boolean {
    const seen = new Set<string>();
    for (const item of data) {
      const key = JSON.stringify(keys.map((k) => (item as Record<string, unknown>)[k]));
      if (seen.has(key)) {
        (listMapKeys as { errors?: Partial<ErrorObject>[] }).errors = [{ keyword: 'x-kubernetes-list-map-keys', message: `duplicate entry for key ${key}`, params: {} }];
        return false;
      }
      seen.add(key);
    }
    return true;
  } as SchemaValidateFunction;
  ajv.addKeyword({ keyword: 'x-kubernetes-list-map-keys', type: 'array', schemaType: 'array', validate: listMapKeys, errors: true });
  const cel: SchemaValidateFunction = function cel(this: unknown, rules: { rule: string; message: string }[], data: unknown, _p?: AnySchemaObject, ctx?: { instancePath: string }): boolean {
    const errors: Partial<ErrorObject>[] = [];
    const pointer = ctx?.instancePath ?? '';
    for (const { rule, message } of rules) {
      const transition = /\boldSelf\b/.test(rule);
      const oldValue = transition ? atPointer(oldRoot, pointer) : undefined;
      if (transition && oldValue === undefined) continue;
      const bindings: Record<string, CelInput> = { self: toCel(data) };
      if (transition) bindings['oldSelf'] = toCel(oldValue);
      const result = run(rule, bindings);
      if (isCelError(result)) errors.push({ keyword: 'x-kubernetes-validations', message: `rule ${rule} failed to evaluate: ${result.message}`, params: {} });
      else if (result !== true) errors.push({ keyword: 'x-kubernetes-validations', message, params: {} });
    }
    (cel as { errors?: Partial<ErrorObject>[] }).errors = errors;
    return errors.length === 0;
  } as SchemaValidateFunction;
  ajv.addKeyword({ keyword: 'x-kubernetes-validations', schemaType: 'array', validate: cel, errors: true });
  const validate = ajv.compile(toJsonSchema(version.schema.openAPIV3Schema, true));
  const apiVersion = `${crd.spec.group}/${version.name}`;
  return (obj: unknown, old?: unknown): string[] => {
    const copy = structuredClone(obj) as Record<string, unknown>;
    const problems: string[] = [];
    if (copy['apiVersion'] !== apiVersion) problems.push(`apiVersion ${JSON.stringify(copy['apiVersion'])} is not ${apiVersion}`);
    if (copy['kind'] !== crd.spec.names.kind) problems.push(`kind ${JSON.stringify(copy['kind'])} is not ${crd.spec.names.kind}`);
    const name = (copy['metadata'] as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) problems.push(`metadata.name ${JSON.stringify(name)} is not a DNS subdomain`);
    oldRoot = old;
    try {
      if (!validate(copy)) {
        for (const e of validate.errors ?? []) {
          const extra = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
          // A pattern's text is kilobytes long: name the fault, not the regex.
          const message = e.keyword === 'pattern' ? "must match the field's pattern" : (e.message ?? e.keyword);
          problems.push(`${e.instancePath || '/'}: ${message}${extra}`);
        }
      }
    } finally {
      oldRoot = undefined;
    }
    return problems;
  };
}
