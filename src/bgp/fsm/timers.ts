// The timing arithmetic of a BGP session as pure functions, so that each
// rule is tested on its own with a table.

import { exponentialDelay } from '../../util/backoff.js';

/** RFC 4271 8.2.2: the hold timer while waiting for the peer's OPEN; 4 minutes suggested. */
export const OPEN_HOLD_TIME_MS = 240_000;

/**
 * RFC 4271 4.2 and 6.2: the hold time is the smaller of the two offered;
 * 0 means no keepalives and no hold timer; 1 and 2 seconds are refused.
 * Returns seconds, or undefined when the peer's offer is unacceptable.
 */
export function negotiateHoldTime(localSeconds: number, peerSeconds: number): number | undefined {
  if (peerSeconds === 1 || peerSeconds === 2) return undefined;
  return Math.min(localSeconds, peerSeconds);
}

/**
 * Keepalive period: the configured one, never above a third of the
 * negotiated hold time (RFC 4271 10 suggests one third), 0 when the hold
 * time is 0.
 */
export function keepaliveIntervalMs(holdSeconds: number, configuredSeconds?: number): number {
  if (holdSeconds === 0) return 0;
  const third = (holdSeconds * 1000) / 3;
  return configuredSeconds === undefined ? third : Math.min(configuredSeconds * 1000, third);
}

/** RFC 4271 10: timers are jittered by a random factor between 0.75 and 1. */
export function jittered(ms: number, random: () => number): number {
  return ms * (0.75 + 0.25 * random());
}

export interface ConnectRetryPolicy {
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * Delay before the next connection attempt after `failures` consecutive
 * failures (1 for the first): the shared exponential backoff from minMs,
 * capped at maxMs, with the RFC 4271 jitter so that many speakers that lost
 * the same router do not reconnect in step.
 */
export function backoffMs(failures: number, policy: ConnectRetryPolicy, random: () => number): number {
  return jittered(exponentialDelay(failures - 1, { initialMs: policy.minMs, maxMs: policy.maxMs }), random);
}
