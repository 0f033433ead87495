// The timing math of SWIM with Lifeguard, as small pure functions so they can
// be checked against tables and reused by the simulator.

/**
 * Minimum suspicion timeout: grows with log10 of the cluster size so that a
 * suspicion has time to reach the suspect (and its refutation to come back)
 * as dissemination takes more rounds. memberlist uses the same shape.
 */
export function suspicionMinTimeout(suspicionMult: number, members: number, intervalMs: number): number {
  const scale = Math.max(1, Math.log10(Math.max(1, members)));
  return suspicionMult * scale * intervalMs;
}

/**
 * Lifeguard's dynamic suspicion timeout (Dadgar et al. 2018, section 4.2):
 * starts at max and falls logarithmically toward min as independent
 * confirmations arrive; with k expected confirmations it reaches min at k.
 */
export function suspicionTimeout(minMs: number, maxMs: number, expectedConfirmations: number, confirmations: number): number {
  if (expectedConfirmations < 1) return minMs;
  const frac = Math.log(confirmations + 1) / Math.log(expectedConfirmations + 1);
  const raw = Math.floor(maxMs - frac * (maxMs - minMs));
  return Math.max(minMs, raw);
}

/** How many times each broadcast is sent: mult * ceil(log10(n + 1)). */
export function retransmitLimit(retransmitMult: number, members: number): number {
  return retransmitMult * Math.ceil(Math.log10(members + 1));
}

/**
 * Push-pull carries the whole member list, so its cost grows with n; above
 * 32 members the period grows with log2(n / 32) to keep bytes per second
 * per member roughly flat.
 */
export function pushPullInterval(baseMs: number, members: number): number {
  const threshold = 32;
  if (members <= threshold) return baseMs;
  const mult = Math.ceil(Math.log2(members) - Math.log2(threshold)) + 1;
  return baseMs * mult;
}

/** Lifeguard local health: timeouts and intervals scale by (score + 1). */
export function scaleByHealth(ms: number, healthScore: number): number {
  return ms * (healthScore + 1);
}
