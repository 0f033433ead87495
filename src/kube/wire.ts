// Objects as the API server sends them. shoal keeps what it reads as the
// JSON that arrived (lists, watches and write answers alike) and never runs
// it through client-node's model deserializer: that deserializer names all
// of client-node's ~700 model classes, and loading them costs every
// process megabytes of heap it would spend on nothing else (docs/speaker.md,
// "Memory"). client-node's model interfaces still describe the fields of
// the objects shoal reads; their date-time fields differ, RFC 3339 strings
// on the wire where the interfaces say Date, and Wire<T> says so to the
// type checker. (A few fields the models rename, such as a list's
// `continue`, which V1ListMeta calls `_continue`, Wire<T> does not fix:
// list.ts reads lists by the wire's names.)

import type { KubernetesObject } from '@kubernetes/client-node';

export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

/** Any Kubernetes object as sent: apiVersion, kind, metadata. */
export type KubeObject = Wire<KubernetesObject>;

/** Milliseconds since the epoch of an RFC 3339 time from the API; undefined when absent or not a time. */
export function parseWireTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** metav1.Time as the API writes it: RFC 3339 in whole seconds. */
export function formatWireTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}
