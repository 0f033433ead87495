// Name, label and address checks of the real API server, as far as they keep
// tests honest: an object the double accepts must be one a real server
// would accept too (the reverse is not promised: schemas are checked for
// undeclared fields only, in field-validation.ts).

import { labelValueFault, qualifiedNameFault } from '../../src/config/selector.js';
import { parseIP } from '../../src/net/index.js';
import type { FieldError } from './api-errors.js';

const label1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const label1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_FORMAT = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const LABEL_FORMAT = "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label' | 'path-segment';

/** Why `name` breaks `rule`, or undefined when it is fine. */
export function nameProblem(name: string, rule: NameRule): string | undefined {
  switch (rule) {
    case 'dns1123-label':
      if (name.length > 63) return 'must be no more than 63 characters';
      if (!label1123.test(name)) {
        return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
      }
      return undefined;
    case 'dns1035-label':
      if (name.length > 63) return 'must be no more than 63 characters';
      if (!label1035.test(name)) {
        return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
      }
      return undefined;
    case 'dns1123-subdomain':
      return subdomainProblem(name);
    case 'path-segment':
      if (name === '.' || name === '..') return `may not be '${name}'`;
      if (name.includes('/') || name.includes('%')) return "may not contain '/' or '%'";
      return undefined;
  }
}

function subdomainProblem(name: string): string | undefined {
  if (name.length > 253) return 'must be no more than 253 characters';
  if (!name.split('.').every((part) => label1123.test(part))) return SUBDOMAIN_FORMAT;
  return undefined;
}

/** A label or annotation key (shoal's own check), in the API server's words. */
export function qualifiedNameProblem(key: string): string | undefined {
  const fault = qualifiedNameFault(key);
  if (fault === undefined) return undefined;
  if (fault.part === 'whole') return "a qualified name must have at most one '/'";
  const limit = fault.part === 'prefix' ? 253 : 63;
  switch (fault.why) {
    case 'empty':
      return `${fault.part} part must be non-empty`;
    case 'too-long':
      return `${fault.part} part must be no more than ${limit} characters`;
    case 'format':
      return fault.part === 'prefix' ? `prefix part ${SUBDOMAIN_FORMAT}` : `name part must consist of ${LABEL_FORMAT}`;
  }
}

export function labelValueProblem(value: string): string | undefined {
  switch (labelValueFault(value)) {
    case undefined:
      return undefined;
    case 'too-long':
      return 'must be no more than 63 characters';
    case 'format':
      return `a valid label must be an empty string or consist of ${LABEL_FORMAT}`;
  }
}

function checkStringMap(
  field: string,
  value: unknown,
  keyProblem: (k: string) => string | undefined,
  valueProblem: (v: string) => string | undefined,
): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [{ field, type: 'FieldValueInvalid', detail: 'must be a map of strings' }];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(value)) {
    const kp = keyProblem(k);
    if (kp) errs.push({ field, type: 'FieldValueInvalid', detail: `${JSON.stringify(k)}: ${kp}` });
    const vp = typeof v === 'string' ? valueProblem(v) : 'value must be a string';
    if (vp) errs.push({ field, type: 'FieldValueInvalid', detail: `${JSON.stringify(v)}: ${vp}` });
  }
  return errs;
}

/** Metadata checks every kind shares: labels, annotations, finalizers. */
export function validateObjectMeta(meta: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [
    ...checkStringMap('metadata.labels', meta['labels'], qualifiedNameProblem, labelValueProblem),
    // Annotation keys follow the label key rules case-insensitively; values are free text.
    ...checkStringMap('metadata.annotations', meta['annotations'], (k) => qualifiedNameProblem(k.toLowerCase()), () => undefined),
  ];
  const finalizers = meta['finalizers'];
  if (finalizers !== undefined && finalizers !== null) {
    if (!Array.isArray(finalizers) || !finalizers.every((f) => typeof f === 'string')) {
      errs.push({ field: 'metadata.finalizers', type: 'FieldValueInvalid', detail: 'must be a list of strings' });
    } else {
      finalizers.forEach((f: string, i) => {
        const p = qualifiedNameProblem(f);
        if (p) errs.push({ field: `metadata.finalizers[${i}]`, type: 'FieldValueInvalid', detail: `${JSON.stringify(f)}: ${p}` });
      });
    }
  }
  return errs;
}

/** An IP literal as the API accepts it: no zone, no leading zeros in IPv4, IPv4-mapped IPv6 allowed. */
export function isValidIp(s: string): boolean {
  return parseIP(s, { mapped: 'keep' }) !== undefined;
}
