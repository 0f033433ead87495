// Capped exponential backoff with jitter, and a sleep on an injected Clock.
// Jitter spreads the retries of many clients after a shared failure (an API
// server restart) instead of having them return in lockstep.

import type { Clock } from '../util/clock.js';

export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialMs: number;
  /** No delay exceeds this. */
  maxMs: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** Fraction of the delay that is random, 0..1; default 0.5 (delay in [d/2, d]). */
  jitter?: number;
}

export function validateBackoff(p: BackoffPolicy): void {
  if (!(p.initialMs > 0) || !(p.maxMs >= p.initialMs)) {
    throw new Error(`backoff: need 0 < initialMs <= maxMs, got initialMs=${p.initialMs} maxMs=${p.maxMs}`);
  }
  if (p.factor !== undefined && !(p.factor >= 1)) throw new Error(`backoff: factor must be >= 1, got ${p.factor}`);
  if (p.jitter !== undefined && !(p.jitter >= 0 && p.jitter <= 1)) throw new Error(`backoff: jitter must be in [0, 1], got ${p.jitter}`);
}

/** Delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number): number {
  const factor = p.factor ?? 2;
  const jitter = p.jitter ?? 0.5;
  const exp = Math.min(p.maxMs, p.initialMs * Math.pow(factor, Math.max(0, attempt)));
  return exp * (1 - jitter * random());
}

/** Resolves after `ms` on `clock`; resolves early (with false) if `signal` aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
