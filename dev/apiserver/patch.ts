// The three patch formats client-node sends: JSON merge patch (RFC 7386),
// JSON patch (RFC 6902) and Kubernetes strategic merge patch. All are pure
// functions over JSON values; failures throw ApiError with the code a real
// server answers (422 for a patch that does not apply, 400 for a malformed
// one). Inputs are never mutated.

import { ApiError, badRequest } from './api-errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T extends Json>(v: T): T {
  return structuredClone(v);
}

/** RFC 7386: objects merge recursively, null removes a member, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: Json;
  from?: string;
}

function cannotApply(message: string): ApiError {
  // The real server reports a patch that does not fit the object as 422 Invalid.
  return new ApiError(422, 'Invalid', message);
}

function parsePointer(ptr: string): string[] {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw badRequest(`json patch: path "${ptr}" must start with '/'`);
  return ptr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, forAdd: boolean, ptr: string): number {
  if (forAdd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw cannotApply(`json patch: "${token}" is not an array index in path "${ptr}"`);
  const i = Number(token);
  if (forAdd ? i > length : i >= length) throw cannotApply(`json patch: index ${i} out of range in path "${ptr}"`);
  return i;
}

function parentOf(doc: Json, tokens: string[], ptr: string): Json {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, ptr)]!;
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t]!;
    else throw cannotApply(`json patch: path "${ptr}" does not exist`);
  }
  return cur;
}

function getAt(doc: Json, ptr: string): Json {
  const tokens = parsePointer(ptr);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, ptr);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false, ptr)]!;
  if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) return parent[last]!;
  throw cannotApply(`json patch: path "${ptr}" does not exist`);
}

function removeAt(doc: Json, ptr: string): Json {
  const tokens = parsePointer(ptr);
  if (tokens.length === 0) throw cannotApply('json patch: cannot remove the whole document');
  const parent = parentOf(doc, tokens, ptr);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) return parent.splice(arrayIndex(last, parent.length, false, ptr), 1)[0]!;
  if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) {
    const v = parent[last]!;
    delete parent[last];
    return v;
  }
  throw cannotApply(`json patch: path "${ptr}" does not exist`);
}

function addAt(doc: Json, ptr: string, value: Json): Json {
  const tokens = parsePointer(ptr);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, ptr);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, ptr), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw cannotApply(`json patch: parent of "${ptr}" is not a container`);
  return doc;
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]!));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k]!, b[k]!));
  }
  return false;
}

/** RFC 6902, operations applied in order to a copy; the whole patch fails if one step does. */
export function jsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch)) throw badRequest('json patch: the body must be a JSON array of operations');
  let doc = clone(target);
  patch.forEach((raw, n) => {
    if (!isObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string') {
      throw badRequest(`json patch: operation ${n} needs string "op" and "path"`);
    }
    const op = raw as unknown as JsonPatchOp;
    const needValue = (): Json => {
      if (!('value' in raw)) throw badRequest(`json patch: operation ${n} (${op.op}) needs a "value"`);
      return clone(raw['value']!);
    };
    const needFrom = (): string => {
      if (typeof raw['from'] !== 'string') throw badRequest(`json patch: operation ${n} (${op.op}) needs a "from"`);
      return raw['from'];
    };
    switch (op.op) {
      case 'add': doc = addAt(doc, op.path, needValue()); break;
      case 'remove': removeAt(doc, op.path); break;
      case 'replace': {
        const v = needValue();
        if (op.path === '') { doc = v; break; }
        removeAt(doc, op.path);
        doc = addAt(doc, op.path, v);
        break;
      }
      case 'move': {
        const from = needFrom();
        if (op.path.startsWith(from + '/')) throw cannotApply(`json patch: cannot move "${from}" into its own child "${op.path}"`);
        const v = removeAt(doc, from);
        doc = addAt(doc, op.path, v);
        break;
      }
      case 'copy': doc = addAt(doc, op.path, clone(getAt(doc, needFrom()))); break;
      case 'test':
        if (!deepEqual(getAt(doc, op.path), needValue())) throw cannotApply(`json patch: test of "${op.path}" failed`);
        break;
      default:
        throw badRequest(`json patch: unknown operation "${String(raw['op'])}" at ${n}`);
    }
  });
  return doc;
}

/**
 * How one list field merges under a strategic merge patch, from the
 * patchStrategy / patchMergeKey tags of the Kubernetes Go types. Lists not
 * named are atomic: the patch replaces them, as the real server does.
 */
export type ListStrategy = { mergeKey: string } | { primitiveMerge: true };
/** Keyed by dotted field path from the object root, list elements not indexed: "spec.containers.ports". */
export type PatchSchema = Readonly<Record<string, ListStrategy>>;

const directive = '$patch';
const retainKeys = '$retainKeys';
const deletePrefix = '$deleteFromPrimitiveList/';
const orderPrefix = '$setElementOrder/';

/** Kubernetes strategic merge patch for the field strategies in `schema`. */
export function strategicMergePatch(target: Json, patch: Json, schema: PatchSchema): Json {
  if (!isObject(patch)) throw badRequest('strategic merge patch: the body must be a JSON object');
  return mergeMap(isObject(target) ? target : {}, patch, '', schema) ?? {};
}

function mergeMap(orig: JsonObject, patch: JsonObject, path: string, schema: PatchSchema): JsonObject | undefined {
  const mode = patch[directive];
  if (mode === 'delete') return undefined;
  let out: JsonObject;
  if (mode === 'replace') {
    out = {};
  } else if (mode !== undefined) {
    throw badRequest(`strategic merge patch: unknown $patch "${String(mode)}" at "${path || '.'}"`);
  } else {
    out = { ...orig };
  }
  const retain = patch[retainKeys];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw badRequest(`strategic merge patch: $retainKeys at "${path || '.'}" must be a list`);
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  const orders = new Map<string, Json[]>();
  for (const [k, v] of Object.entries(patch)) {
    if (k === directive || k === retainKeys) continue;
    if (k.startsWith(orderPrefix)) {
      if (!Array.isArray(v)) throw badRequest(`strategic merge patch: ${k} must be a list`);
      orders.set(k.slice(orderPrefix.length), v);
      continue;
    }
    if (k.startsWith(deletePrefix)) {
      const field = k.slice(deletePrefix.length);
      const cur = out[field];
      if (!Array.isArray(v)) throw badRequest(`strategic merge patch: ${k} must be a list`);
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    const childPath = path ? `${path}.${k}` : k;
    if (v === null) { delete out[k]; continue; }
    const cur = out[k];
    if (isObject(v)) {
      const merged = mergeMap(isObject(cur) ? cur : {}, v, childPath, schema);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = mergeList(Array.isArray(cur) ? cur : [], v, childPath, schema);
    } else {
      out[k] = v;
    }
  }
  for (const [field, order] of orders) {
    const cur = out[field];
    if (Array.isArray(cur)) out[field] = applyOrder(cur, order, schema[path ? `${path}.${field}` : field]);
  }
  return out;
}

function mergeList(orig: Json[], patch: Json[], path: string, schema: PatchSchema): Json[] {
  const strategy = schema[path];
  // A list-level {"$patch": "replace"} element replaces the list with the other elements.
  if (patch.some((e) => isObject(e) && e[directive] === 'replace' && Object.keys(e).length === 1)) {
    return clone(patch.filter((e) => !(isObject(e) && e[directive] === 'replace')));
  }
  if (!strategy) return clone(patch);
  if ('primitiveMerge' in strategy) {
    const out = [...orig];
    for (const v of patch) if (!out.some((x) => deepEqual(x, v))) out.push(clone(v));
    return out;
  }
  const key = strategy.mergeKey;
  const out = orig.map((e) => clone(e));
  for (const p of patch) {
    if (!isObject(p) || !(key in p)) {
      throw new ApiError(422, 'Invalid', `strategic merge patch: element of "${path}" has no merge key "${key}"`);
    }
    const idx = out.findIndex((e) => isObject(e) && deepEqual(e[key]!, p[key]!));
    if (p[directive] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) {
      const merged = mergeMap(out[idx] as JsonObject, p, path, schema);
      if (merged === undefined) out.splice(idx, 1);
      else out[idx] = merged;
    } else {
      const fresh = mergeMap({}, p, path, schema);
      if (fresh !== undefined) out.push(fresh);
    }
  }
  return out;
}

function applyOrder(list: Json[], order: Json[], strategy: ListStrategy | undefined): Json[] {
  const keyOf = (e: Json): Json => (strategy && 'mergeKey' in strategy && isObject(e) ? e[strategy.mergeKey] ?? null : e);
  const ordered: Json[] = [];
  const rest = [...list];
  for (const o of order) {
    const want = isObject(o) && strategy && 'mergeKey' in strategy ? o[strategy.mergeKey] ?? null : o;
    const i = rest.findIndex((e) => deepEqual(keyOf(e), want));
    if (i >= 0) ordered.push(rest.splice(i, 1)[0]!);
  }
  return [...ordered, ...rest];
}

/** Patch strategies of the metadata every kind shares. */
export const metadataPatchSchema: PatchSchema = {
  'metadata.finalizers': { primitiveMerge: true },
  'metadata.ownerReferences': { mergeKey: 'uid' },
};
