// The baseline: MetalLB's way of finding a free address, without the rest of
// its allocator. Walk the pool from its first address and test each one
// against the set of used addresses (MetalLB keys a Go map by ip.String();
// a Set of BigInt here is cheaper than that, so the baseline is flattered,
// not handicapped). Cost per allocation grows with how full the pool is.

import type { Family, IPRange } from '../../src/net/index.js';

export class NaiveAllocator {
  private readonly used: Record<Family, Set<bigint>> = { 4: new Set(), 6: new Set() };
  private readonly ranges: readonly IPRange[];

  constructor(ranges: readonly IPRange[]) {
    this.ranges = ranges;
  }

  allocate(f: Family): bigint | undefined {
    const used = this.used[f];
    for (const r of this.ranges) {
      if (r.family !== f) continue;
      for (let v = r.first; v <= r.last; v++) {
        if (!used.has(v)) {
          used.add(v);
          return v;
        }
      }
    }
    return undefined;
  }

  /** Marks an address used without searching (fast-forwarding to a state the walk would reach anyway). */
  take(f: Family, v: bigint): void {
    this.used[f].add(v);
  }

  release(f: Family, v: bigint): void {
    this.used[f].delete(v);
  }
}
