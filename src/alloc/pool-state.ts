// One configured pool at run time: its free space per family and, per
// sharing key, the addresses in it already held under that key.
//
// The lowest address a service may get from a pool (MetalLB walks the pool
// and takes the first address that is free or shareable with it) is the
// smaller of two answers: the lowest free address (AddressSpace, O(log n)),
// and the lowest address already held under the service's own sharing key
// whose ports do not collide. The second list only holds addresses of that
// one key, so it is short in practice; it is kept sorted and walked only up
// to the lowest free address.

import type { Pool } from '../config/model.js';
import { AddressSpace } from './address-space.js';
import type { Family } from './ip.js';

function lowerBound(xs: readonly bigint[], v: bigint): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as bigint) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class PoolState {
  readonly pool: Pool;
  readonly spaces: Readonly<Record<Family, AddressSpace>>;
  /** `${sharingKey}\0${backendKey}\0${family}` -> sorted held addresses. */
  private readonly shared = new Map<string, bigint[]>();

  constructor(pool: Pool) {
    this.pool = pool;
    this.spaces = {
      4: new AddressSpace(4, pool.ranges, pool.avoidBuggyIPs),
      6: new AddressSpace(6, pool.ranges, pool.avoidBuggyIPs),
    };
  }

  get name(): string {
    return this.pool.name;
  }

  hasFamily(f: Family): boolean {
    return !this.spaces[f].empty;
  }

  private static slot(sharing: string, backend: string, f: Family): string {
    return `${sharing}\0${backend}\0${f}`;
  }

  /** Records that `value` is now held under a non-empty sharing key. */
  indexShared(sharing: string, backend: string, f: Family, value: bigint): void {
    const k = PoolState.slot(sharing, backend, f);
    const xs = this.shared.get(k) ?? [];
    const i = lowerBound(xs, value);
    if (xs[i] !== value) xs.splice(i, 0, value);
    this.shared.set(k, xs);
  }

  unindexShared(sharing: string, backend: string, f: Family, value: bigint): void {
    const k = PoolState.slot(sharing, backend, f);
    const xs = this.shared.get(k);
    if (!xs) return;
    const i = lowerBound(xs, value);
    if (xs[i] === value) xs.splice(i, 1);
    if (xs.length === 0) this.shared.delete(k);
  }

  /**
   * Lowest address of family `f` this service could hold: free, or held
   * under its sharing key with `shareable(value)` true (ports do not collide).
   */
  lowestCandidate(f: Family, sharing: string, backend: string, shareable: (value: bigint) => boolean): bigint | undefined {
    const free = this.spaces[f].lowestFree();
    if (sharing === '') return free;
    for (const v of this.shared.get(PoolState.slot(sharing, backend, f)) ?? []) {
      if (free !== undefined && v > free) break;
      if (shareable(v)) return v;
    }
    return free;
  }
}
