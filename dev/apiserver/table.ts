// Server-side printing: the meta.k8s.io Table a real API server returns when
// a client (kubectl get) asks for `application/json;as=Table;g=meta.k8s.io;v=v1`.
// Columns come from resource-catalog.ts; this file negotiates the media
// type, builds the rows and formats ages as the API server does.

import type { StoredObject } from './history.js';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableColumn {
  definition: ColumnDefinition;
  /** The cell of one object; `now` for ages. */
  cell(obj: StoredObject, now: Date): unknown;
}

/** The Table version a request's Accept header asks for, or undefined for plain JSON. */
export function tableVersionAccepted(accept: string | undefined): 'v1' | 'v1beta1' | undefined {
  if (!accept) return undefined;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim());
    const p = new Map(params.map((kv) => {
      const eq = kv.indexOf('=');
      return [kv.slice(0, eq).trim().toLowerCase(), kv.slice(eq + 1).trim()] as const;
    }));
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const as = p.get('as');
    // Plain JSON acceptable before any Table: the client prefers the object.
    if (as === undefined) return undefined;
    if (as === 'Table' && p.get('g') === 'meta.k8s.io' && (p.get('v') === 'v1' || p.get('v') === 'v1beta1')) return p.get('v') as 'v1' | 'v1beta1';
  }
  return undefined;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  version: 'v1' | 'v1beta1';
  includeObject: IncludeObject;
  /** Full objects carry this apiVersion (they are stored without it). */
  apiVersion: string;
  now: Date;
  /** Watch events after the first omit the column definitions, as the real server does. */
  withColumns?: boolean;
}

export function includeObjectParam(v: string | null): IncludeObject {
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** A Table of `items` (a list, one object, or the object of one watch event). */
export function toTable(
  columns: readonly TableColumn[],
  items: readonly StoredObject[],
  opts: TableOptions,
  listMeta: Record<string, unknown> = {},
): object {
  const gv = `meta.k8s.io/${opts.version}`;
  const rows = items.map((obj) => {
    const row: Record<string, unknown> = { cells: columns.map((c) => c.cell(obj, opts.now) ?? null) };
    if (opts.includeObject === 'Object') row['object'] = { ...obj, apiVersion: opts.apiVersion };
    if (opts.includeObject === 'Metadata') row['object'] = { kind: 'PartialObjectMetadata', apiVersion: gv, metadata: obj.metadata };
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: gv,
    metadata: listMeta,
    ...(opts.withColumns !== false && { columnDefinitions: columns.map((c) => c.definition) }),
    rows,
  };
}

/**
 * How long ago `since` was, the way kubectl's AGE column reads ("45s",
 * "3m12s", "2d4h"): the API server's rounding of Go's duration.HumanDuration.
 */
export function humanAge(since: string | undefined, now: Date): string {
  if (!since) return '<unknown>';
  const t = Date.parse(since);
  if (Number.isNaN(t)) return '<invalid>';
  const seconds = Math.floor((now.getTime() - t) / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}
