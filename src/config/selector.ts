// Kubernetes label selectors: parse + validate (as metav1.LabelSelectorAsSelector
// would), and a pure matcher. The matcher is what the election and the BGP
// advertiser use for node selectors, and the allocator for service and
// namespace selectors.

import { quote } from '../util/text.js';
import type { LabelSelector, LabelSelectorRequirement, SelectorOperator } from './model.js';
import type { Issues} from './reader.js';
import { asObj, at, checkKeys, idx, readList, readString, readStringList, readStringMap } from './reader.js';

export type Labels = Readonly<Record<string, string>>;

/** True when every matchLabels pair and every expression holds. The empty selector matches everything. */
export function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) {
    if (!Object.hasOwn(labels, k) || labels[k] !== v) return false;
  }
  for (const e of sel.matchExpressions) {
    const present = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!present || !e.values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (present && e.values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
    }
  }
  return true;
}

/**
 * The list semantics of nodeSelectors/serviceSelectors fields: an empty list
 * selects everything, otherwise any one selector matching is enough.
 */
export function anySelectorMatches(sels: readonly LabelSelector[], labels: Labels): boolean {
  return sels.length === 0 || sels.some((s) => selectorMatches(s, labels));
}

/** Canonical text, equal for equal selectors (used to find duplicates and in messages). */
export function formatSelector(sel: LabelSelector): string {
  const parts: string[] = [];
  for (const k of Object.keys(sel.matchLabels).sort()) parts.push(`${k}=${sel.matchLabels[k]}`);
  const exprs = sel.matchExpressions.map((e) => {
    const vals = [...e.values].sort().join(',');
    switch (e.operator) {
      case 'In':
        return `${e.key} in (${vals})`;
      case 'NotIn':
        return `${e.key} notin (${vals})`;
      case 'Exists':
        return e.key;
      case 'DoesNotExist':
        return `!${e.key}`;
    }
  });
  parts.push(...exprs.sort());
  return parts.join(',');
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * What is wrong with a Kubernetes qualified name (a label key, an annotation
 * key, a finalizer): an optional DNS-subdomain prefix of at most 253
 * characters and a '/', then a name of 1 to 63 characters [A-Za-z0-9-_.]
 * with an alphanumeric character at both ends. Checked in the API server's
 * order; each caller words the fault for its own readers.
 */
export type QualifiedNameFault =
  | { readonly part: 'whole'; readonly why: 'slashes' }
  | { readonly part: 'prefix' | 'name'; readonly why: 'empty' | 'too-long' | 'format' };

export function qualifiedNameFault(key: string): QualifiedNameFault | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return { part: 'whole', why: 'slashes' };
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0) return { part: 'prefix', why: 'empty' };
    if (prefix.length > 253) return { part: 'prefix', why: 'too-long' };
    if (!DNS_SUBDOMAIN.test(prefix)) return { part: 'prefix', why: 'format' };
  }
  const name = parts[parts.length - 1]!;
  if (name.length === 0) return { part: 'name', why: 'empty' };
  if (name.length > 63) return { part: 'name', why: 'too-long' };
  if (!NAME.test(name)) return { part: 'name', why: 'format' };
  return undefined;
}

/** What is wrong with a label value: empty, or 1 to 63 characters as a qualified name's name part. */
export function labelValueFault(value: string): 'too-long' | 'format' | undefined {
  if (value.length > 63) return 'too-long';
  if (value !== '' && !NAME.test(value)) return 'format';
  return undefined;
}

/** Why `key` is not a valid label key (Kubernetes qualified name), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const fault = qualifiedNameFault(key);
  if (fault === undefined) return undefined;
  if (fault.part === 'prefix') return `label key ${quote(key)} has an invalid prefix (want a DNS subdomain)`;
  return `label key ${quote(key)} is invalid (1-63 characters [A-Za-z0-9-_.], alphanumeric at both ends)`;
}

export function labelValueProblem(value: string): string | undefined {
  if (labelValueFault(value) === undefined) return undefined;
  return `label value ${quote(value)} is invalid (0-63 characters [A-Za-z0-9-_.], alphanumeric at both ends)`;
}

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** Field names: the CRDs use camelCase, the legacy ConfigMap kebab-case. */
export interface SelectorSpelling {
  readonly matchLabels: string;
  readonly matchExpressions: string;
}

export const CRD_SELECTOR: SelectorSpelling = { matchLabels: 'matchLabels', matchExpressions: 'matchExpressions' };
export const LEGACY_SELECTOR: SelectorSpelling = { matchLabels: 'match-labels', matchExpressions: 'match-expressions' };

export function parseSelector(issues: Issues, v: unknown, path: string, spelling: SelectorSpelling = CRD_SELECTOR): LabelSelector | undefined {
  const o = asObj(issues, v, path);
  if (!o) return v === undefined || v === null ? { matchLabels: {}, matchExpressions: [] } : undefined;
  const before = issues.count;
  checkKeys(issues, o, [spelling.matchLabels, spelling.matchExpressions], path);
  const matchLabels = readStringMap(issues, o, spelling.matchLabels, path);
  for (const [k, val] of Object.entries(matchLabels)) {
    const p = at(at(path, spelling.matchLabels), k);
    const kp = labelKeyProblem(k);
    if (kp) issues.add(p, 'invalid-selector', kp);
    const vp = labelValueProblem(val);
    if (vp) issues.add(p, 'invalid-selector', vp);
  }
  const exprPath = at(path, spelling.matchExpressions);
  const matchExpressions: LabelSelectorRequirement[] = [];
  const seen = new Set<string>();
  readList(issues, o, spelling.matchExpressions, path).forEach((raw, i) => {
    const p = idx(exprPath, i);
    const e = asObj(issues, raw, p);
    if (!e) return;
    checkKeys(issues, e, ['key', 'operator', 'values'], p);
    const key = readString(issues, e, 'key', p);
    const op = readString(issues, e, 'operator', p);
    const values = readStringList(issues, e, 'values', p, true);
    if (key === undefined) issues.add(at(p, 'key'), 'missing-field', 'key is required');
    else {
      const kp = labelKeyProblem(key);
      if (kp) issues.add(at(p, 'key'), 'invalid-selector', kp);
    }
    if (op === undefined) {
      issues.add(at(p, 'operator'), 'missing-field', 'operator is required');
      return;
    }
    if (!(OPERATORS as readonly string[]).includes(op)) {
      issues.add(at(p, 'operator'), 'invalid-selector', `operator ${quote(op)} is not one of In, NotIn, Exists, DoesNotExist`);
      return;
    }
    const operator = op as SelectorOperator;
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
      issues.add(at(p, 'values'), 'invalid-selector', `operator ${operator} needs at least one value`);
    }
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
      issues.add(at(p, 'values'), 'invalid-selector', `operator ${operator} takes no values`);
    }
    values.forEach((val, j) => {
      const vp = labelValueProblem(val);
      if (vp) issues.add(idx(at(p, 'values'), j), 'invalid-selector', vp);
    });
    if (key === undefined) return;
    const req = { key, operator, values };
    const text = formatSelector({ matchLabels: {}, matchExpressions: [req] });
    if (seen.has(text)) issues.add(p, 'duplicate-entry', `match expression ${JSON.stringify(text)} is listed twice`);
    seen.add(text);
    matchExpressions.push(req);
  });
  if (issues.count > before) return undefined;
  return { matchLabels, matchExpressions };
}

/** A list of selectors; identical selectors in one list are an error, as in MetalLB. */
export function parseSelectorList(
  issues: Issues,
  o: Record<string, unknown>,
  key: string,
  path: string,
  spelling: SelectorSpelling = CRD_SELECTOR,
): LabelSelector[] {
  const out: LabelSelector[] = [];
  const seen = new Map<string, number>();
  const p = at(path, key);
  readList(issues, o, key, path).forEach((raw, i) => {
    const sel = parseSelector(issues, raw, idx(p, i), spelling);
    if (!sel) return;
    const text = formatSelector(sel);
    const first = seen.get(text);
    if (first !== undefined) {
      issues.add(idx(p, i), 'duplicate-entry', `selector ${JSON.stringify(text)} repeats ${key}[${first}]`);
      return;
    }
    seen.set(text, i);
    out.push(sel);
  });
  return out;
}
