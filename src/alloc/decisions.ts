// Allocator outcomes as values with stable codes: the controller turns them
// into Service Events and status, tests assert on them. Codes are
// append-only; rename nothing.

export type AllocCode =
  // service input
  | 'unknown-ip-family'
  | 'dual-stack-unavailable'
  | 'invalid-requested-ip'
  | 'conflicting-ip-requests'
  | 'requested-ip-family-mismatch'
  // where an address belongs
  | 'ip-not-in-any-pool'
  | 'ip-avoided-as-buggy'
  | 'pool-removed'
  | 'requested-ips-span-pools'
  | 'requested-ip-pool-mismatch'
  | 'pool-not-found'
  | 'pool-not-allowed'
  // availability
  | 'ip-in-use'
  | 'pool-lacks-family'
  | 'pool-exhausted'
  | 'no-auto-assign-pool'
  | 'no-pool-for-family'
  | 'no-pool-has-free-ip';

/** Why an address could not be shared with the services already on it. */
export interface Conflict {
  readonly reason: 'not-shared' | 'no-sharing-key' | 'sharing-key-mismatch' | 'backend-mismatch' | 'port-collision';
  readonly ip: string;
  /** The services already on the address (sorted namespace/name). */
  readonly with: readonly string[];
  /** For port-collision: the colliding "PROTO/port" entries. */
  readonly ports: readonly string[];
}

export interface Failure {
  readonly ok: false;
  readonly code: AllocCode;
  readonly message: string;
  readonly conflict?: Conflict;
  /** Addresses the service held before and lost in this decision. */
  readonly released: readonly string[];
}

export interface Allocation {
  readonly service: string;
  readonly pool: string;
  /** Canonical text, IPv4 before IPv6. */
  readonly ips: readonly string[];
  readonly sharingKey: string;
  readonly backendKey: string;
  readonly ports: readonly string[];
}

export interface Granted {
  readonly ok: true;
  /**
   * allocated: new addresses; kept: the service keeps what it held;
   * extended: a PreferDualStack service kept its address and got one of the
   * other family; not-ours: not a LoadBalancer of our class (anything it
   * held is in `released`).
   */
  readonly action: 'allocated' | 'kept' | 'extended' | 'not-ours';
  readonly ips: readonly string[];
  readonly pool: string | undefined;
  /** Some address is also held by another service. */
  readonly shared: boolean;
  readonly released: readonly string[];
  /** Why the previous addresses were dropped before allocating new ones. */
  readonly replaced?: { readonly code: AllocCode; readonly message: string };
  /** Something the controller may want to surface (e.g. the second family of a PreferDualStack service is not available yet). */
  readonly note?: { readonly code: AllocCode; readonly message: string };
  /** For not-ours. */
  readonly reason?: 'not-load-balancer' | 'foreign-class';
}

export type Decision = Granted | Failure;

export interface FamilyUsage {
  /** Usable addresses (avoided .0/.255 excluded). BigInt: a /64 has 2^64. */
  readonly total: bigint;
  /** Distinct addresses held by at least one service. */
  readonly assigned: bigint;
  readonly available: bigint;
}

export interface PoolUsage {
  readonly pool: string;
  readonly ipv4: FamilyUsage;
  readonly ipv6: FamilyUsage;
}

/** A gauge value: exact below 2^53, nearest double above (a /64's 2^64 prints as 1.8446744073709552e19). */
export function usageNumber(v: bigint): number {
  return Number(v);
}

export interface ReleaseResult {
  /** Addresses the service held. */
  readonly released: readonly string[];
  /** Of those, the ones no other service holds any more (really back in the pool). */
  readonly freed: readonly string[];
}

export interface PoolChange {
  /** Services whose addresses left every pool: released, to be allocated again. */
  readonly stranded: readonly { readonly service: string; readonly ips: readonly string[]; readonly pool: string }[];
  /** Services whose addresses now belong to another pool (renamed or re-cut pools). */
  readonly moved: readonly { readonly service: string; readonly from: string; readonly to: string }[];
}
