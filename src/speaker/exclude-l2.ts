// The layer-2 interface exclusion list, configured MetalLB's way: the
// ConfigMap metallb-excludel2 in shoal's namespace, key excludel2.yaml,
// holding `announcedInterfacesToExclude: [regexp, ...]`. Without the
// ConfigMap (or the key) the default list applies: MetalLB's, lxc.* included.
// A list with a bad entry is refused as a whole, every error with its path,
// and the last good list stays in force.

import { parse } from 'yaml';
import { DEFAULT_EXCLUDED_INTERFACES } from '../announce/l2/interfaces.js';

export const EXCLUDE_L2_CONFIGMAP = 'metallb-excludel2';
export const EXCLUDE_L2_KEY = 'excludel2.yaml';

export interface ExcludeError {
  readonly path: string;
  readonly message: string;
}

export type ExcludeParse = { readonly ok: true; readonly patterns: readonly RegExp[] } | { readonly ok: false; readonly errors: readonly ExcludeError[] };

/** The list a ConfigMap's data gives; `where` names the ConfigMap in paths ("ConfigMap metallb-system/metallb-excludel2"). */
export function parseExcludeL2(data: Readonly<Record<string, string>> | undefined, where: string): ExcludeParse {
  const text = data?.[EXCLUDE_L2_KEY];
  const base = `${where} data["${EXCLUDE_L2_KEY}"]`;
  if (text === undefined) return { ok: true, patterns: DEFAULT_EXCLUDED_INTERFACES };
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return { ok: false, errors: [{ path: base, message: `not YAML: ${(err as Error).message.split('\n')[0]}` }] };
  }
  if (doc === null || doc === undefined) return { ok: true, patterns: DEFAULT_EXCLUDED_INTERFACES };
  if (typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, errors: [{ path: base, message: 'expected a mapping with announcedInterfacesToExclude' }] };
  const list = (doc as Record<string, unknown>)['announcedInterfacesToExclude'];
  const path = `${base}.announcedInterfacesToExclude`;
  if (list === undefined || list === null) return { ok: true, patterns: [] };
  if (!Array.isArray(list)) return { ok: false, errors: [{ path, message: 'expected a list of regular expressions' }] };
  const errors: ExcludeError[] = [];
  const patterns: RegExp[] = [];
  list.forEach((entry: unknown, i) => {
    if (typeof entry !== 'string' || entry === '') {
      errors.push({ path: `${path}[${i}]`, message: `expected a non-empty string, got ${JSON.stringify(entry)}` });
      return;
    }
    try {
      patterns.push(new RegExp(entry));
    } catch (err) {
      errors.push({ path: `${path}[${i}]`, message: `bad regular expression ${JSON.stringify(entry)}: ${(err as Error).message}` });
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, patterns };
}

export const formatExcludeError = (e: ExcludeError): string => `${e.path}: ${e.message}`;

/** Keeps the list in force: the default until a valid ConfigMap says otherwise; a refused one changes nothing. */
export class ExcludeL2List {
  private current: readonly RegExp[] = DEFAULT_EXCLUDED_INTERFACES;
  private lastRefusal: string | undefined;

  get patterns(): readonly RegExp[] {
    return this.current;
  }

  /**
   * A new candidate (undefined data: the ConfigMap is gone, back to the
   * default). 'applied' when the list in force changed, 'refused' with the
   * errors for a new refusal, 'unchanged' otherwise (a repeat refusal too).
   */
  offer(data: Readonly<Record<string, string>> | undefined, where: string): { kind: 'applied'; patterns: readonly RegExp[] } | { kind: 'refused'; errors: readonly ExcludeError[] } | { kind: 'unchanged' } {
    const r = parseExcludeL2(data, where);
    if (!r.ok) {
      const key = JSON.stringify(r.errors);
      if (key === this.lastRefusal) return { kind: 'unchanged' };
      this.lastRefusal = key;
      return { kind: 'refused', errors: r.errors };
    }
    this.lastRefusal = undefined;
    const same = r.patterns.length === this.current.length && r.patterns.every((p, i) => p.source === this.current[i]?.source);
    if (same) return { kind: 'unchanged' };
    this.current = r.patterns;
    return { kind: 'applied', patterns: r.patterns };
  }
}
