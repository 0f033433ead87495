// The subset of OpenAPI v3 schemas the double serves and checks objects
// against: CRD schemas as written, and the built-in ones of
// builtin-schemas.ts. The check is the API server's field validation
// (the fieldValidation query parameter): which fields of an object no
// schema declares. Types and values are not checked here.

export interface OpenApiSchema {
  type?: string;
  description?: string;
  format?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema | boolean;
  items?: OpenApiSchema;
  required?: string[];
  enum?: unknown[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  default?: unknown;
  [extension: string]: unknown;
}

/** What a schema makes of an object: the object without undeclared fields and with defaults, and the undeclared fields' paths. */
export interface FieldCheck {
  pruned: unknown;
  /** "spec.foo", "spec.ports[0].bar", in document order. */
  unknown: string[];
}

/**
 * Finds the fields of `value` that `schema` does not declare (fields under
 * x-kubernetes-preserve-unknown-fields are all declared) and a copy of
 * `value` without them and with the schema's defaults filled in: what the
 * API server stores.
 */
export function checkFields(value: unknown, schema: OpenApiSchema): FieldCheck {
  const unknown: string[] = [];
  return { pruned: walk(value, schema, '', unknown), unknown };
}

function walk(value: unknown, schema: OpenApiSchema, path: string, out: string[]): unknown {
  if (value === null || typeof value !== 'object' || schema['x-kubernetes-int-or-string']) return value;
  if (Array.isArray(value)) return schema.items ? value.map((v, i) => walk(v, schema.items!, `${path}[${i}]`, out)) : value;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const kept: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = path === '' ? key : `${path}.${key}`;
    const declared = schema.properties?.[key];
    if (declared) kept[key] = walk(v, declared, at, out);
    else if (typeof schema.additionalProperties === 'object') kept[key] = walk(v, schema.additionalProperties, at, out);
    else if (preserve || schema.additionalProperties === true) kept[key] = v;
    else out.push(at);
  }
  // Structural defaulting: a declared field that is absent takes its schema default.
  for (const [key, declared] of Object.entries(schema.properties ?? {})) {
    if (kept[key] === undefined && declared.default !== undefined) kept[key] = structuredClone(declared.default);
  }
  return kept;
}
