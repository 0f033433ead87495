// Which pool an address is in. The allocator asks it of every address a
// Service requests or already holds, the election of every address it elects
// an owner for: one sorted list of ranges and a binary search, O(log n) in
// the number of ranges however large they are.

import { compareRanges, normalizeRanges, type IP, type IPRange } from '../net/index.js';
import type { Pool, PoolIndex } from './model.js';

interface Entry {
  readonly range: IPRange;
  readonly pool: Pool;
}

/** Throws when two pools overlap: a validated Config never has them (assemble refuses them first). */
export function buildPoolIndex(pools: readonly Pool[]): PoolIndex {
  // Merged per pool: one pool may list overlapping or adjacent entries.
  const entries: Entry[] = pools.flatMap((pool) => normalizeRanges(pool.ranges).map((range) => ({ range, pool })));
  entries.sort((a, b) => compareRanges(a.range, b.range));
  for (let i = 1; i < entries.length; i++) {
    const [a, b] = [entries[i - 1]!, entries[i]!];
    if (a.range.family === b.range.family && b.range.first <= a.range.last) {
      throw new Error(`pools ${a.pool.name} and ${b.pool.name} overlap: pass pools from a validated Config`);
    }
  }
  return {
    poolOf(ip: IP): Pool | undefined {
      let lo = 0;
      let hi = entries.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const e = entries[mid]!;
        if (e.range.family < ip.family || (e.range.family === ip.family && e.range.last < ip.value)) lo = mid + 1;
        else if (e.range.family > ip.family || e.range.first > ip.value) hi = mid - 1;
        else return e.pool;
      }
      return undefined;
    },
  };
}
