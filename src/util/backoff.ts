// Capped exponential backoff as pure arithmetic. Randomness comes in as a
// function so that tests pin it; each caller keeps its own spread rule where
// a protocol prescribes one (BGP's RFC 4271 jitter) and uses the downward
// jitter here otherwise. Jitter spreads the retries of many clients after a
// shared failure (an API server restart, a router reboot) instead of having
// them return in lockstep.

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

/**
 * The delay before retry number `attempt` (0 for the first) before any
 * jitter: initialMs grown by the factor per attempt, never above maxMs.
 * A huge attempt count overflows to Infinity and so lands on the cap.
 */
export function exponentialDelay(attempt: number, p: Pick<BackoffPolicy, 'initialMs' | 'maxMs' | 'factor'>): number {
  return Math.min(p.maxMs, p.initialMs * Math.pow(p.factor ?? 2, Math.max(0, attempt)));
}

/** The exponential delay for `attempt`, shortened at random by up to the policy's jitter fraction. */
export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number): number {
  return exponentialDelay(attempt, p) * (1 - (p.jitter ?? 0.5) * random());
}
