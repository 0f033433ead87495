// Shared helpers for tests that drive client-node against the API server double.

import { startApiServerDouble, type ApiServerDouble, type ApiServerDoubleOptions } from '../../../dev/apiserver/server.js';
import type { Wire } from '../../../src/kube/wire.js';

/**
 * Waits until `check` returns a value other than undefined/false, polling
 * while I/O proceeds. The limit only bounds a broken test; nothing asserts
 * how long it took. It is generous because a child process that loads
 * client-node has been seen to need more than 10 s on a shared, loaded
 * machine.
 */
export async function eventually<T>(check: () => T | undefined | false, what: string, limitMs = 45_000): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets pending I/O callbacks and timers of zero delay run. */
export function settle(ms = 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Starts a double that closes when the test ends. */
export async function double(
  t: { teardown(fn: () => unknown): void },
  opts: ApiServerDoubleOptions = {},
): Promise<ApiServerDouble> {
  const d = await startApiServerDouble(opts);
  t.teardown(() => d.close());
  return d;
}

/** The parsed Status of a client-node ApiException. */
export function statusOf(err: unknown): { code?: number; reason?: string; message?: string; details?: Record<string, unknown> } {
  const body = (err as { body?: unknown }).body;
  return typeof body === 'string' ? JSON.parse(body) : (body as object);
}

/** Runs `fn`, expecting it to reject; returns what it rejected with. */
export async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/**
 * A client-node model (what its typed calls return) as the API server sent
 * it: JSON, timestamps as RFC 3339 strings. shoal's own code reads objects
 * in this form (src/kube/wire.ts).
 */
export function asSent<T>(model: T): Wire<T> {
  return JSON.parse(JSON.stringify(model)) as Wire<T>;
}
