// Plain counters of what a member sent, received and dropped. Kept as
// numbers (cheap enough for a 5,000-member simulation); metrics.ts exposes
// them to Prometheus and the status endpoint shows them.

export const dropReasons = [
  'truncated',
  'malformed',
  'bad-field',
  'bad-version',
  'unknown-type',
  'oversized',
  'unsealed',
  'decrypt-failed',
  'sealed-without-key',
  'wrong-target',
  'indirect-overload',
  'member-limit',
  'member-rate',
  'stranger',
  'address-taken',
  'address-conflict',
  'implausible-incarnation',
  'replayed',
  'too-old',
  'too-new',
  'meta-too-large',
  'internal-error',
] as const;
export type DropReason = (typeof dropReasons)[number];

export interface ClusterCounters {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  messagesReceived: number;
  streamsSent: number;
  streamsReceived: number;
  streamErrors: number;
  probes: number;
  probesFailed: number;
  indirectProbes: number;
  refutes: number;
  suspicionsRaised: number;
  deathsDeclared: number;
  staleUpdates: number;
  /** Times this member sent its own state to every member itself (refutations it cannot win second-hand). */
  fanouts: number;
  /** Names we were told of that never answered our probe, forgotten. */
  forgotten: number;
  dropped: Record<DropReason, number>;
}

export function newCounters(): ClusterCounters {
  return {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    messagesReceived: 0,
    streamsSent: 0,
    streamsReceived: 0,
    streamErrors: 0,
    probes: 0,
    probesFailed: 0,
    indirectProbes: 0,
    refutes: 0,
    suspicionsRaised: 0,
    deathsDeclared: 0,
    staleUpdates: 0,
    fanouts: 0,
    forgotten: 0,
    dropped: Object.fromEntries(dropReasons.map((r) => [r, 0])) as Record<DropReason, number>,
  };
}
