// Typed reads from untrusted JSON/YAML values, collecting every problem with
// its path instead of stopping at the first. A field that is absent or null
// reads as undefined; a field of the wrong type is an error and also reads
// as undefined, so later checks do not pile spurious errors on top of it.

import { quote } from '../util/text.js';
import type { ConfigError, ConfigErrorCode } from './model.js';

export class Issues {
  readonly errors: ConfigError[] = [];

  add(path: string, code: ConfigErrorCode, message: string): void {
    this.errors.push({ path, code, message });
  }

  get count(): number {
    return this.errors.length;
  }
}

export type Obj = Record<string, unknown>;

const SIMPLE_KEY = /^[A-Za-z0-9_-]+$/;
const KEY_CHARS = 320;

/** Child path: `a.b`, or `Kind ns/name spec` + `.x`. Keys that are not plain words are quoted. */
export function at(path: string, key: string): string {
  // Label keys run to 317 characters; anything longer is cut in the path.
  const k = SIMPLE_KEY.test(key) ? key : quote(key, KEY_CHARS);
  if (path === '') return k;
  return SIMPLE_KEY.test(key) ? `${path}.${k}` : `${path}[${k}]`;
}

export function idx(path: string, i: number): string {
  return `${path}[${i}]`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string (${quote(v)})`;
  return `a ${typeof v} (${String(v)})`;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asObj(issues: Issues, v: unknown, path: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) {
    issues.add(path, 'wrong-type', `expected an object, got ${typeName(v)}`);
    return undefined;
  }
  return v;
}

/** Reports keys of `o` not in `allowed` (typos would otherwise be silently ignored). */
export function checkKeys(issues: Issues, o: Obj, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) issues.add(at(path, k), 'unknown-field', `unknown field ${quote(k, KEY_CHARS)}`);
  }
}

export function readString(issues: Issues, o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    issues.add(at(path, key), 'wrong-type', `expected a string, got ${typeName(v)}`);
    return undefined;
  }
  return v;
}

export function readBool(issues: Issues, o: Obj, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') {
    issues.add(at(path, key), 'wrong-type', `expected true or false, got ${typeName(v)}`);
    return undefined;
  }
  return v;
}

/** An integer in [min, max]; out-of-range values are reported with `code`. */
export function readInt(
  issues: Issues,
  o: Obj,
  key: string,
  path: string,
  min: number,
  max: number,
  code: ConfigErrorCode = 'invalid-value',
): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    issues.add(at(path, key), 'wrong-type', `expected an integer, got ${typeName(v)}`);
    return undefined;
  }
  if (v < min || v > max) {
    issues.add(at(path, key), code, `${v} is out of range ${min} to ${max}`);
    return undefined;
  }
  return v;
}

export function readList(issues: Issues, o: Obj, key: string, path: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    issues.add(at(path, key), 'wrong-type', `expected a list, got ${typeName(v)}`);
    return [];
  }
  return v;
}

/** A list of strings; non-strings are reported and dropped. Duplicates are reported when `unique`. */
export function readStringList(issues: Issues, o: Obj, key: string, path: string, unique = false): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const p = at(path, key);
  readList(issues, o, key, path).forEach((v, i) => {
    if (typeof v !== 'string') {
      issues.add(idx(p, i), 'wrong-type', `expected a string, got ${typeName(v)}`);
      return;
    }
    if (unique && seen.has(v)) {
      issues.add(idx(p, i), 'duplicate-entry', `${quote(v)} is listed twice`);
      return;
    }
    seen.add(v);
    out.push(v);
  });
  return out;
}

/** A string-to-string map (labels, matchLabels). */
export function readStringMap(issues: Issues, o: Obj, key: string, path: string): Record<string, string> {
  const m = asObj(issues, o[key], at(path, key));
  const out: Record<string, string> = {};
  if (!m) return out;
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') {
      issues.add(at(at(path, key), k), 'wrong-type', `expected a string, got ${typeName(v)}`);
      continue;
    }
    out[k] = v;
  }
  return out;
}
