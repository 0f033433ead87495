// One configured pool at run time: its free space per family and, per
// sharing key, the addresses in it already held under that key.
//
// The lowest address a service may get from a pool (MetalLB walks the pool
// and takes the first address that is free or shareable with it) is the
// smaller of two answers: the lowest free address (AddressSpace, O(log n)),
// and the lowest address already held under the service's own sharing key
// whose ports do not collide. The second list (`sharedUnder`) only holds
// addresses of that one key, so it is short in practice; it is kept sorted
// and the allocator walks it only up to the lowest free address.

import type { Pool } from '../config/model.js';
import type { Family } from '../net/index.js';
import { AddressSpace } from './address-space.js';
import type { Ordinal } from './address-space.js';

const NONE: readonly Ordinal[] = [];

function lowerBound(xs: readonly Ordinal[], v: Ordinal): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as Ordinal) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class PoolState {
  readonly pool: Pool;
  readonly spaces: Readonly<Record<Family, AddressSpace>>;
  /** `${sharingKey}\0${backendKey}\0${family}` -> sorted ordinals of the held addresses. */
  private readonly shared = new Map<string, Ordinal[]>();

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

  /** Records that the address at ordinal `o` is now held under a non-empty sharing key. */
  indexShared(sharing: string, backend: string, f: Family, o: Ordinal): void {
    const k = PoolState.slot(sharing, backend, f);
    const xs = this.shared.get(k) ?? [];
    const i = lowerBound(xs, o);
    if (xs[i] !== o) xs.splice(i, 0, o);
    this.shared.set(k, xs);
  }

  unindexShared(sharing: string, backend: string, f: Family, o: Ordinal): void {
    const k = PoolState.slot(sharing, backend, f);
    const xs = this.shared.get(k);
    if (!xs) return;
    const i = lowerBound(xs, o);
    if (xs[i] === o) xs.splice(i, 1);
    if (xs.length === 0) this.shared.delete(k);
  }

  /** Ordinals of the family-`f` addresses held under the sharing key and backend, ascending. */
  sharedUnder(f: Family, sharing: string, backend: string): readonly Ordinal[] {
    return this.shared.get(PoolState.slot(sharing, backend, f)) ?? NONE;
  }
}
