// Who keeps an address that two members announce at once (split brain: each
// elected itself from a view that no longer includes the other). Both
// claimants see each other's frames on the wire and must settle it without
// a round trip, so the rule is a function of what both know for certain:
// the address and the two member names. Neither knows the other's
// membership view (gossip between them is what failed), so a rule that
// weighed views, such as "the side that sees a majority wins", could not be
// evaluated the same way on both sides; docs/election.md has the reasoning.
//
// The two names are placed on the election's own consistent-hash ring (each
// member's points depend only on its name) and walked from the address: the
// first one met wins. Symmetric by construction, and the winner is the
// claimant a healed cluster containing both would prefer, so the heal moves
// nothing when the healed owner is one of the two.

import { MemberRing } from '../election-ring.js';
import type { MacAddress } from '../l2/mac.js';

/** Who a claim on the wire comes from, as the MAC directory attributes it. */
export type Claimant =
  /** A gossip member other than us. */
  | { kind: 'member'; name: string }
  /** One of our own interfaces (two of our links on one segment hear each other). */
  | { kind: 'self' }
  /** A MAC no member has gossiped: a host outside the cluster. */
  | { kind: 'unknown'; mac: MacAddress };

/**
 * What this member does about a claim on an address it announces:
 * - `win`: keep answering, re-assert so clients come back;
 * - `yield`: stop answering while the winner keeps claiming;
 * - `unknown-host`: report it, keep answering at the normal rate, never fight;
 * - `ignore`: the claim is our own.
 */
export type Resolution = 'win' | 'yield' | 'unknown-host' | 'ignore';

/** The winner of a claim contest between two distinct members for one address. */
export function claimWinner(address: string, a: string, b: string, ring: MemberRing = new MemberRing()): string {
  if (a === b) throw new RangeError(`a contest needs two claimants, got "${a}" twice`);
  ring.setMembers([a, b]);
  const first = ring.walk(address, () => true);
  // A ring of two members always yields one; the fallback only keeps the type honest.
  return first ?? (a < b ? a : b);
}

/** The decision of member `self` on a claim for `address` by `claimant`. */
export function resolveClaim(address: string, self: string, claimant: Claimant, ring?: MemberRing): Resolution {
  switch (claimant.kind) {
    case 'self':
      return 'ignore';
    case 'unknown':
      return 'unknown-host';
    case 'member':
      if (claimant.name === self) return 'ignore';
      return claimWinner(address, self, claimant.name, ring) === self ? 'win' : 'yield';
  }
}

/** resolveClaim with one ring kept across calls, so each member's points are hashed once. */
export class ClaimResolver {
  private readonly ring = new MemberRing();

  constructor(private readonly self: string) {}

  resolve(address: string, claimant: Claimant): Resolution {
    return resolveClaim(address, this.self, claimant, this.ring);
  }
}
