// MetalLB's avoid-buggy-ips: addresses ending in .0 or .255 are dropped by
// some old consumer devices (smurf protection gone wrong), so pools that ask
// skip them. IPv4 only.

import type { IP, IPRange } from '../net/index.js';

export function isBuggyIPv4(ip: IP): boolean {
  if (ip.family !== 4) return false;
  const low = ip.value & 0xffn;
  return low === 0n || low === 255n;
}

/** How many v in [first, last] have v mod m == c (0 <= c < m). */
function countCongruent(first: bigint, last: bigint, c: bigint, m: bigint): bigint {
  // Number of such v in [0, x] is floor((x - c) / m) + 1 for x >= c, else 0.
  const upTo = (x: bigint): bigint => (x < c ? 0n : (x - c) / m + 1n);
  return upTo(last) - (first === 0n ? 0n : upTo(first - 1n));
}

/** Addresses ending in .0 or .255 inside an IPv4 range (0 for IPv6). */
export function buggyCount(r: IPRange): bigint {
  if (r.family !== 4) return 0n;
  return countCongruent(r.first, r.last, 0n, 256n) + countCongruent(r.first, r.last, 255n, 256n);
}
