// The addresses of one pool in one family, and which of them are taken.
//
// Addresses are handled by ordinal: the position of an address among the
// pool's addresses in ascending order. Ranges are sorted and merged first, so
// ordinal order is address order and the gaps between ranges take no room.
// Ordinals below NEAR_LIMIT (2^53 - 1) are numbers: every ordinal of an IPv4
// pool, and every IPv6 ordinal the lowest-free search can reach (going past
// them would take 2^53 holdings). Only an address requested far into a huge
// IPv6 pool (the top half of a /64, say) has a BigInt ordinal. So allocating,
// formatting and releasing do no BigInt arithmetic, and a /64 costs what a
// /28 costs: nothing is enumerated.
//
// Taken ordinals (held by services, or .0/.255 addresses of an
// avoid-buggy-ips pool once the search has stepped on them) live in interval
// sets, `near` for number ordinals and `far` for BigInt ones. "Lowest free
// address" is one lowestAbsentFrom(0) query, O(log n) in the number of holes,
// however many ranges the pool has and however big they are.
//
// Buggy addresses are reserved lazily, not up front: a /8 has 131,072 of
// them, the IPv4 space 2^25. Each is reserved at most once, when the search
// first lands on it, so the cost is amortised into the allocations that walk
// past it (at most 2 extra steps per 254 addresses handed out).

import { formatIP, formatIPv4Number, formatIPv6Plus, ipv6Groups, normalizeRanges, rangeSize, type Family, type IPRange } from '../net/index.js';
import { buggyCount, isBuggyIPv4 } from './buggy.js';
import { IntervalSet, NumberIntervalSet } from './interval-set.js';

/** An address's position in its AddressSpace: a number below NEAR_LIMIT, a BigInt from there on (one form per value, so === compares). */
export type Ordinal = number | bigint;

const NEAR_LIMIT = Number.MAX_SAFE_INTEGER;
const NEAR_LIMIT_BIG = BigInt(NEAR_LIMIT);

/** One merged range and where its addresses start among the ordinals. */
interface Segment {
  readonly first: bigint;
  readonly last: bigint;
  readonly start: bigint;
  /** `start` as a number: exact below NEAR_LIMIT, and above it still greater than every near ordinal. */
  readonly startNum: number;
  /** IPv4: `first` as a number. */
  readonly firstNum: number;
  /** IPv6: the groups of `first`, to format near addresses without BigInt. */
  readonly firstGroups: readonly number[];
}

export class AddressSpace {
  readonly family: Family;
  readonly ranges: readonly IPRange[];
  readonly avoidBuggyIPs: boolean;
  /** Usable addresses: all addresses of the ranges minus avoided buggy ones. */
  readonly total: bigint;
  private readonly segments: readonly Segment[];
  /** Number of ordinals, all addresses of the ranges. */
  private readonly size: bigint;
  /** Near ordinals are [0, nearEnd). */
  private readonly nearEnd: number;
  private readonly near = new NumberIntervalSet();
  private readonly far: IntervalSet | undefined;
  private held = 0;

  constructor(family: Family, ranges: readonly IPRange[], avoidBuggyIPs: boolean) {
    this.family = family;
    this.ranges = normalizeRanges(ranges.filter((r) => r.family === family));
    this.avoidBuggyIPs = avoidBuggyIPs && family === 4;
    let total = 0n;
    let start = 0n;
    const segments: Segment[] = [];
    for (const r of this.ranges) {
      segments.push({
        first: r.first,
        last: r.last,
        start,
        startNum: Number(start),
        firstNum: family === 4 ? Number(r.first) : 0,
        firstGroups: family === 6 ? ipv6Groups(r.first) : [],
      });
      start += rangeSize(r);
      total += rangeSize(r) - (this.avoidBuggyIPs ? buggyCount(r) : 0n);
    }
    this.segments = segments;
    this.size = start;
    this.total = total;
    this.nearEnd = start < NEAR_LIMIT_BIG ? Number(start) : NEAR_LIMIT;
    this.far = start > NEAR_LIMIT_BIG ? new IntervalSet() : undefined;
  }

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** Addresses held by services. */
  get assigned(): bigint {
    return BigInt(this.held);
  }

  get available(): bigint {
    return this.total - this.assigned;
  }

  // ---- ordinals: what the allocator works with ------------------------------

  /** The ordinal of an address of the ranges (buggy or not), else undefined. */
  ordinalOf(value: bigint): Ordinal | undefined {
    const seg = this.segmentOfAddress(value);
    if (!seg) return undefined;
    const o = seg.start + (value - seg.first);
    return o < NEAR_LIMIT_BIG ? Number(o) : o;
  }

  addressOf(o: Ordinal): bigint {
    const seg = this.segmentOf(o);
    return seg.first + (typeof o === 'number' ? BigInt(o - seg.startNum) : o - seg.start);
  }

  /** Canonical text of the address at `o`. */
  textOf(o: Ordinal): string {
    if (typeof o === 'bigint') return formatIP({ family: this.family, value: this.addressOf(o) });
    const seg = this.segmentOf(o);
    return this.family === 4 ? formatIPv4Number(seg.firstNum + (o - seg.startNum)) : formatIPv6Plus(seg.firstGroups, o - seg.startNum);
  }

  /** Lowest usable ordinal no service holds, if any. */
  lowestFreeOrdinal(): Ordinal | undefined {
    let from = 0;
    for (;;) {
      const o = this.near.lowestAbsentFrom(from);
      if (o >= this.nearEnd) break;
      if (!this.buggy(o)) return o;
      this.near.add(o);
      from = o + 1;
    }
    if (!this.far) return undefined;
    const o = this.far.lowestAbsentFrom(NEAR_LIMIT_BIG);
    return o < this.size ? o : undefined;
  }

  /** Marks a usable, free ordinal as held. */
  takeOrdinal(o: Ordinal): void {
    this.checkUsable(o);
    if (typeof o === 'number') this.near.add(o);
    else (this.far as IntervalSet).add(o);
    this.held++;
  }

  /** Returns a held ordinal to the free space. */
  giveOrdinal(o: Ordinal): void {
    this.checkUsable(o);
    if (typeof o === 'number') this.near.delete(o);
    else (this.far as IntervalSet).delete(o);
    this.held--;
  }

  // ---- addresses -------------------------------------------------------------

  /** Whether `value` is an address of this pool a service may hold. */
  usable(value: bigint): boolean {
    if (this.avoidBuggyIPs && isBuggyIPv4({ family: 4, value })) return false;
    return this.inRanges(value);
  }

  inRanges(value: bigint): boolean {
    return this.segmentOfAddress(value) !== undefined;
  }

  /** Lowest usable address no service holds, if any. */
  lowestFree(): bigint | undefined {
    const o = this.lowestFreeOrdinal();
    return o === undefined ? undefined : this.addressOf(o);
  }

  /** Marks a usable, free address as held. */
  take(value: bigint): void {
    this.takeOrdinal(this.usableOrdinal(value));
  }

  /** Returns a held address to the free space. */
  give(value: bigint): void {
    this.giveOrdinal(this.usableOrdinal(value));
  }

  // ---- internals -------------------------------------------------------------

  private usableOrdinal(value: bigint): Ordinal {
    const o = this.usable(value) ? this.ordinalOf(value) : undefined;
    if (o === undefined) throw new RangeError(`address ${value} is not usable in this space`);
    return o;
  }

  private checkUsable(o: Ordinal): void {
    const ok = typeof o === 'number' ? Number.isInteger(o) && o >= 0 && o < this.nearEnd && !this.buggy(o) : o >= NEAR_LIMIT_BIG && o < this.size;
    if (!ok) throw new RangeError(`ordinal ${o} is not a usable address of this space`);
  }

  /** Whether near ordinal `o` is a .0/.255 address this space avoids. */
  private buggy(o: number): boolean {
    if (!this.avoidBuggyIPs) return false;
    const seg = this.segmentOf(o);
    const low = (seg.firstNum + (o - seg.startNum)) & 255;
    return low === 0 || low === 255;
  }

  /** The segment holding ordinal `o` (which must be < size). */
  private segmentOf(o: Ordinal): Segment {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const seg = segs[mid] as Segment;
      if ((typeof o === 'number' ? seg.startNum : seg.start) <= o) lo = mid;
      else hi = mid - 1;
    }
    return segs[lo] as Segment;
  }

  private segmentOfAddress(value: bigint): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const seg = this.segments[mid] as Segment;
      if (value < seg.first) hi = mid - 1;
      else if (value > seg.last) lo = mid + 1;
      else return seg;
    }
    return undefined;
  }
}
