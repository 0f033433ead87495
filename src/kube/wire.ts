// Objects as the API server sends them. shoal keeps what it reads as the
// JSON that arrived (lists, watches and write answers alike) and never runs
// it through client-node's model deserializer: that deserializer names all
// of client-node's ~700 model classes, and loading them costs every
// process megabytes of heap it would spend on nothing else (docs/speaker.md,
// "Memory"). client-node's model interfaces still describe the fields; only
// their date-time fields differ, which are RFC 3339 strings on the wire
// where the interfaces say Date. Wire<T> says so to the type checker.

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
export function wireTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** metav1.Time as the API writes it: RFC 3339 in whole seconds. */
export function toWireTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}
