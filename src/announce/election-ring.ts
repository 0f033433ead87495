// The consistent-hash ring of live gossip members that the layer-2 election
// walks. Points are ketama points made by the `hashring` package (md5 of
// "<member>-<vnode>", four 32-bit points per vnode); a key lands on the
// first point at or after its own ketama hash, wrapping at the top.
//
// Why not one `new HashRing(members)` per change:
// - With the array form, hashring gives each member
//   floor((1/n) * vnodes * n) vnodes, which floating point makes vnodes - 1
//   for some cluster sizes (n = 7, 14, 28, 49, ... at 40 vnodes). Going from
//   8 members to 7 would then drop a vnode from every survivor and move
//   addresses between members that are both still alive. A member's points
//   here depend only on its own name and the vnode count: they are made by a
//   one-member HashRing, where that fraction is exactly 1.
// - Rebuilding from scratch hashes every member again (100 members x 160
//   vnodes is 16,000 md5 digests, tens of ms) on the failover path. Points
//   are cached per member; a rebuild is a numeric sort of the cached points.
// - hashring's range() deduplicates with indexOf, quadratic in the members
//   walked; a Local-policy service can walk far. The walk here marks visited
//   members in a typed array.
// The test suite checks that the walk order equals hashring's own range()
// for the same members.

import { createHash } from 'node:crypto';
import HashRing from 'hashring';

/**
 * Vnodes per member (each gives 4 points). 160 (640 points a member) puts
 * 1,000 addresses on 10 members within a few percent of what a perfectly
 * uniform hash gives; docs/election.md has the measurements.
 */
export const DEFAULT_VNODES = 160;

/** More members joining at once than this and the continuum is sorted from scratch. */
const MAX_PATCHED_ADDITIONS = 8;

/** Room for the member rank below the point value in one exact double. */
const RANK_SPACE = 2 ** 20;

/** The ketama hash of a key: the first four bytes of its md5, little-endian (as hashring's hashValue). */
export function ketamaKeyHash(key: string): number {
  return createHash('md5').update(key).digest().readUInt32LE(0);
}

/** The ketama points of one member: depend on its name and the vnode count only. */
function memberPoints(name: string, vnodes: number): Float64Array {
  const ring = new HashRing([name], 'md5', { 'vnode count': vnodes, 'max cache size': 1 });
  // @types/hashring declares points() as an array; the package returns server -> points.
  const byServer = ring.points([name]) as unknown as Record<string, number[]>;
  return Float64Array.from(byServer[name] ?? []);
}

export class MemberRing {
  readonly vnodes: number;
  private names: readonly string[] = [];
  /** Point values, ascending; ties ordered by member rank (position in `names`). */
  private values = new Uint32Array(0);
  /** Member rank of each point. */
  private owners = new Uint32Array(0);
  /** Walk bookkeeping: member rank -> the walk that last saw it. */
  private seen = new Uint32Array(0);
  private walkId = 0;
  private readonly pointCache = new Map<string, Float64Array>();
  private rebuildCount = 0;
  private stopValue = -1;

  constructor(vnodes: number = DEFAULT_VNODES) {
    if (!Number.isInteger(vnodes) || vnodes < 1 || vnodes > 4096) throw new RangeError(`vnodes must be an integer from 1 to 4096, got ${vnodes}`);
    this.vnodes = vnodes;
  }

  /** The members on the ring, sorted. */
  get members(): readonly string[] {
    return this.names;
  }

  /**
   * The point value where the last walk stopped, or -1 when it visited
   * every member without stopping. The walk from hash h that stopped at
   * value v passed exactly the members with a point on the arc from h up
   * to v (wrapping at the top): what the incremental election keeps per
   * IP to know whose changes concern it (see walkedArcHits).
   */
  get lastStop(): number {
    return this.stopValue;
  }

  /** The ketama points of any member, on the ring or not (cached for those on it now or before the last change). */
  pointsOf(name: string): Float64Array {
    return this.pointCache.get(name) ?? memberPoints(name, this.vnodes);
  }

  /** How many times the continuum was rebuilt (the ring is rebuilt only when the member set changes). */
  get rebuilds(): number {
    return this.rebuildCount;
  }

  /**
   * Puts exactly these members on the ring (any order, duplicates ignored).
   * Returns true when the set changed and the continuum was rebuilt.
   */
  setMembers(members: Iterable<string>): boolean {
    const names = [...new Set(members)].sort();
    if (names.length === this.names.length && names.every((n, i) => n === this.names[i])) return false;
    if (names.length >= RANK_SPACE) throw new RangeError(`at most ${RANK_SPACE - 1} members, got ${names.length}`);
    // Keep the points of the previous members too: a member that just died
    // is the one most likely to come back.
    const keep = new Set([...this.names, ...names]);
    for (const cached of this.pointCache.keys()) {
      if (!keep.has(cached)) this.pointCache.delete(cached);
    }
    const perMember = names.map((n) => {
      let pts = this.pointCache.get(n);
      if (!pts) {
        pts = memberPoints(n, this.vnodes);
        this.pointCache.set(n, pts);
      }
      return pts;
    });
    const previous = new Set(this.names);
    const added = names.filter((n) => !previous.has(n));
    // A few members in or out (a death, a return): the sorted continuum is
    // patched in one pass; otherwise sorted from scratch. Both give the
    // same continuum.
    if (this.values.length > 0 && added.length <= MAX_PATCHED_ADDITIONS) this.patch(names, added);
    else this.sortAll(perMember);
    this.names = names;
    this.seen = new Uint32Array(names.length);
    this.walkId = 0;
    this.rebuildCount++;
    return true;
  }

  // value * RANK_SPACE + rank < 2^52: exact, and a plain numeric order
  // sorts by value, then by member rank on ties (as hashring's stable sort
  // does over members inserted in sorted order).

  private sortAll(perMember: readonly Float64Array[]): void {
    const total = perMember.reduce((s, p) => s + p.length, 0);
    const packed = new Float64Array(total);
    let i = 0;
    perMember.forEach((pts, rank) => {
      for (const v of pts) packed[i++] = v * RANK_SPACE + rank;
    });
    packed.sort();
    this.unpack(packed);
  }

  /** The continuum of `names` from the current one: drops the points of members gone, renumbers ranks, merges in those of `added`. */
  private patch(names: readonly string[], added: readonly string[]): void {
    const rankOf = new Map(names.map((n, i) => [n, i]));
    const remap = Int32Array.from(this.names, (n) => rankOf.get(n) ?? -1);
    const oldValues = this.values;
    const oldOwners = this.owners;
    let kept = 0;
    for (let j = 0; j < oldOwners.length; j++) if ((remap[oldOwners[j] as number] as number) >= 0) kept++;
    const incoming: number[] = [];
    for (const n of added) {
      const rank = rankOf.get(n)!;
      for (const v of this.pointCache.get(n)!) incoming.push(v * RANK_SPACE + rank);
    }
    const extra = Float64Array.from(incoming).sort();
    const total = kept + extra.length;
    const values = new Uint32Array(total);
    const owners = new Uint32Array(total);
    // Ranks keep their order (both name lists are sorted), so the kept
    // points stay sorted by (value, rank): a merge suffices.
    let i = 0;
    let x = 0;
    const put = (packed: number): void => {
      const rank = packed % RANK_SPACE;
      owners[i] = rank;
      values[i++] = (packed - rank) / RANK_SPACE;
    };
    for (let j = 0; j < oldOwners.length; j++) {
      const rank = remap[oldOwners[j] as number] as number;
      if (rank < 0) continue;
      const value = oldValues[j] as number;
      while (x < extra.length && (extra[x] as number) < value * RANK_SPACE + rank) put(extra[x++] as number);
      owners[i] = rank;
      values[i++] = value;
    }
    while (x < extra.length) put(extra[x++] as number);
    this.values = values;
    this.owners = owners;
  }

  private unpack(packed: Float64Array): void {
    const total = packed.length;
    this.values = new Uint32Array(total);
    this.owners = new Uint32Array(total);
    for (let j = 0; j < total; j++) {
      const p = packed[j] as number;
      const rank = p % RANK_SPACE;
      this.owners[j] = rank;
      this.values[j] = (p - rank) / RANK_SPACE;
    }
  }

  /** Index of the first point at or after `hash`, wrapping to 0 (hashring's find). */
  private start(hash: number): number {
    let lo = 0;
    let hi = this.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.values[mid] as number) < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.values.length ? 0 : lo;
  }

  /**
   * Visits the distinct members in ring order from `key`, each once, until
   * `visit` returns true. Returns the member it stopped at, or undefined.
   * `visit` must not walk this ring itself.
   */
  walk(key: string, visit: (member: string) => boolean): string | undefined {
    return this.walkFrom(ketamaKeyHash(key), visit);
  }

  /** walk() from a key's ketama hash, for callers that keep hashes of recurring keys. */
  walkFrom(hash: number, visit: (member: string) => boolean): string | undefined {
    const n = this.values.length;
    this.stopValue = -1;
    if (n === 0) return undefined;
    if (++this.walkId === 0xffffffff) {
      this.seen.fill(0);
      this.walkId = 1;
    }
    const id = this.walkId;
    let found = 0;
    const from = this.start(hash);
    for (let k = 0; k < n && found < this.names.length; k++) {
      const at = (from + k) % n;
      const rank = this.owners[at] as number;
      if (this.seen[rank] === id) continue;
      this.seen[rank] = id;
      found++;
      const name = this.names[rank] as string;
      if (visit(name)) {
        this.stopValue = this.values[at] as number;
        return name;
      }
    }
    return undefined;
  }

  /** Every member in ring order from `key`. */
  order(key: string): string[] {
    const out: string[] = [];
    this.walk(key, (m) => {
      out.push(m);
      return false;
    });
    return out;
  }
}

/**
 * The points of some members, to ask which walks passed any of them. A
 * walk that started at hash `from` and stopped at point value `to` passed
 * a member iff one of its points lies on the arc from `from` to `to`
 * inclusive, wrapping at the top (a point equal to `to` belongs to a member
 * tied with the owner: counted, so a tie never hides a change).
 */
export class PointSet {
  private readonly values: Float64Array;

  constructor(memberPoints: Iterable<Float64Array>) {
    const all: number[] = [];
    for (const pts of memberPoints) for (const v of pts) all.push(v);
    this.values = Float64Array.from(all).sort();
  }

  get size(): number {
    return this.values.length;
  }

  /** Whether a point lies on the arc [from, to] (from > to: the arc wraps past 2^32 - 1 to 0). */
  hitsArc(from: number, to: number): boolean {
    const v = this.values;
    const n = v.length;
    if (n === 0) return false;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((v[mid] as number) < from) lo = mid + 1;
      else hi = mid;
    }
    if (from <= to) return lo < n && (v[lo] as number) <= to;
    return lo < n || (v[0] as number) <= to;
  }
}

export interface Spread {
  /** Member -> how many keys it owns (every member listed, zeros included). */
  readonly counts: ReadonlyMap<string, number>;
  readonly max: number;
  readonly min: number;
  readonly mean: number;
  /** max / mean: 1 is perfectly even. */
  readonly maxOverMean: number;
}

/**
 * How evenly the ring spreads `keys` (service IPs, canonical text) over
 * `members` when every member is eligible: the figure bench/failover
 * reports for 1,000 VIPs on 10 members.
 */
export function ringSpread(members: readonly string[], keys: readonly string[], vnodes: number = DEFAULT_VNODES): Spread {
  const ring = new MemberRing(vnodes);
  ring.setMembers(members);
  const counts = new Map<string, number>(ring.members.map((m) => [m, 0]));
  for (const k of keys) {
    const owner = ring.walk(k, () => true);
    if (owner !== undefined) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  const values = [...counts.values()];
  const mean = values.length ? keys.length / values.length : 0;
  const max = values.length ? Math.max(...values) : 0;
  const min = values.length ? Math.min(...values) : 0;
  return { counts, max, min, mean, maxOverMean: mean > 0 ? max / mean : 0 };
}
