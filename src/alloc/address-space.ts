// The addresses of one pool in one family, and which of them are taken.
//
// Design: one IntervalSet over the whole family space holds every address
// that cannot be handed out right now: the gaps between the pool's ranges
// (filled once, at construction: ranges + 1 intervals), the addresses held by
// services, and the .0/.255 addresses of an avoid-buggy-ips pool once the
// search has stepped on them. "Lowest free address of the pool" is then a
// single lowestAbsentFrom(poolStart) query, O(log n) however many ranges the
// pool has, however big they are, and however fragmented the holdings are.
//
// Buggy addresses are reserved lazily, not up front: a /8 has 131,072 of
// them, the IPv4 space 2^25. Each is reserved at most once, when the search
// first lands on it, so the cost is amortised into the allocations that walk
// past it (at most 2 extra steps per 254 addresses handed out).

import { FAMILY_MAX, isBuggyIPv4 } from './ip.js';
import type { Family } from './ip.js';
import { IntervalSet } from './interval-set.js';
import { buggyCount, normalizeRanges, rangeSize } from './range.js';
import type { IPRange } from './range.js';

export class AddressSpace {
  readonly family: Family;
  readonly ranges: readonly IPRange[];
  readonly avoidBuggyIPs: boolean;
  /** Usable addresses: all addresses of the ranges minus avoided buggy ones. */
  readonly total: bigint;
  private readonly blocked = new IntervalSet();
  private held = 0n;

  constructor(family: Family, ranges: readonly IPRange[], avoidBuggyIPs: boolean) {
    this.family = family;
    this.ranges = normalizeRanges(ranges.filter((r) => r.family === family));
    this.avoidBuggyIPs = avoidBuggyIPs && family === 4;
    let total = 0n;
    let cursor = 0n;
    for (const r of this.ranges) {
      total += rangeSize(r) - (this.avoidBuggyIPs ? buggyCount(r) : 0n);
      if (r.first > cursor) this.blocked.addRange(cursor, r.first - 1n);
      cursor = r.last + 1n;
    }
    if (this.ranges.length > 0 && cursor <= FAMILY_MAX[family]) this.blocked.addRange(cursor, FAMILY_MAX[family]);
    this.total = total;
  }

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** Addresses held by services. */
  get assigned(): bigint {
    return this.held;
  }

  get available(): bigint {
    return this.total - this.held;
  }

  /** Whether `value` is an address of this pool a service may hold. */
  usable(value: bigint): boolean {
    if (this.avoidBuggyIPs && isBuggyIPv4({ family: 4, value })) return false;
    return this.inRanges(value);
  }

  inRanges(value: bigint): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid] as IPRange;
      if (value < r.first) hi = mid - 1;
      else if (value > r.last) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Lowest usable address no service holds, if any. */
  lowestFree(): bigint | undefined {
    const first = this.ranges[0];
    if (!first) return undefined;
    const max = FAMILY_MAX[this.family];
    let from = first.first;
    for (;;) {
      const v = this.blocked.lowestAbsentFrom(from);
      if (v > max) return undefined;
      if (!(this.avoidBuggyIPs && isBuggyIPv4({ family: 4, value: v }))) return v;
      this.blocked.add(v);
      from = v + 1n;
    }
  }

  /** Marks a usable, free address as held. */
  take(value: bigint): void {
    if (!this.usable(value)) throw new RangeError(`address ${value} is not usable in this space`);
    this.blocked.add(value);
    this.held++;
  }

  /** Returns a held address to the free space. */
  give(value: bigint): void {
    if (!this.usable(value)) throw new RangeError(`address ${value} is not usable in this space`);
    this.blocked.delete(value);
    this.held--;
  }
}
