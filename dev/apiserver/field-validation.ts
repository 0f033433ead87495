// The API server's field validation (the fieldValidation query parameter of
// POST, PUT and PATCH): fields the kind's schema does not declare are
// dropped, with a warning (Warn, the default) or silently (Ignore), or the
// request is refused (Strict, what `kubectl apply` asks for).

import { badRequest } from './api-errors.js';
import { checkFields, type OpenApiSchema } from './openapi-schema.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export function fieldValidationParam(v: string | null): FieldValidation {
  if (v === null || v === '') return 'Warn';
  if (v === 'Ignore' || v === 'Warn' || v === 'Strict') return v;
  throw badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`);
}

export interface FieldValidationResult {
  /** The object to store: without undeclared fields, with the schema's defaults. */
  object: unknown;
  /** Warning texts for the response's Warning headers. */
  warnings: string[];
}

/** Checks `obj` against `schema` (none: nothing is checked). Throws a 400 in Strict mode. */
export function validateFields(obj: unknown, schema: OpenApiSchema | undefined, mode: FieldValidation): FieldValidationResult {
  if (schema === undefined) return { object: obj, warnings: [] };
  const { pruned, unknown } = checkFields(obj, schema);
  if (unknown.length === 0) return { object: pruned, warnings: [] };
  if (mode === 'Strict') throw badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  return { object: pruned, warnings: mode === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [] };
}
