// Sets of integer points stored as disjoint, non-adjacent closed intervals in
// an AVL tree keyed by interval start. Two point types share one
// implementation: `NumberIntervalSet` (safe integers, the allocator's hot
// path: no BigInt arithmetic, no allocation per query) and `IntervalSet`
// (BigInt, for positions no double can hold exactly, such as the far end of
// an IPv6 /64).
//
// Why this shape: the allocator's hot question is "lowest point >= lo that is
// NOT in the set". Because stored intervals are maximal (adjacent intervals are
// always merged), the answer is `lo` itself when no interval covers it, or the
// end of the covering interval plus one, which is never covered. That is one
// floor search: O(log n) in the number of intervals n, independent of how
// many points the set spans. Sequential allocation keeps n tiny (one interval
// grows), and after random releases n is at most the number of holes.
// AVL over a red-black tree or a treap: simplest to get right with the
// in-place key edits below, deterministic, and the height bound
// (1.44 log2 n) is tight enough that no bulk-rebuild path is needed.

type Point = number | bigint;

interface Node<P extends Point> {
  start: P;
  end: P;
  left: Node<P> | undefined;
  right: Node<P> | undefined;
  height: number;
}

const h = (n: Node<Point> | undefined): number => (n ? n.height : 0);

function fix(n: Node<Point>): void {
  n.height = Math.max(h(n.left), h(n.right)) + 1;
}

function rotateRight<P extends Point>(n: Node<P>): Node<P> {
  const l = n.left as Node<P>;
  n.left = l.right;
  l.right = n;
  fix(n);
  fix(l);
  return l;
}

function rotateLeft<P extends Point>(n: Node<P>): Node<P> {
  const r = n.right as Node<P>;
  n.right = r.left;
  r.left = n;
  fix(n);
  fix(r);
  return r;
}

function balance<P extends Point>(n: Node<P>): Node<P> {
  fix(n);
  const bf = h(n.left) - h(n.right);
  if (bf > 1) {
    const l = n.left as Node<P>;
    if (h(l.left) < h(l.right)) n.left = rotateLeft(l);
    return rotateRight(n);
  }
  if (bf < -1) {
    const r = n.right as Node<P>;
    if (h(r.right) < h(r.left)) n.right = rotateRight(r);
    return rotateLeft(n);
  }
  return n;
}

function insertNode<P extends Point>(n: Node<P> | undefined, start: P, end: P): Node<P> {
  if (!n) return { start, end, left: undefined, right: undefined, height: 1 };
  if (start < n.start) n.left = insertNode(n.left, start, end);
  else n.right = insertNode(n.right, start, end);
  return balance(n);
}

/** `n` without its leftmost node. */
function removeMin<P extends Point>(n: Node<P>): Node<P> | undefined {
  if (!n.left) return n.right;
  n.left = removeMin(n.left);
  return balance(n);
}

function removeNode<P extends Point>(n: Node<P> | undefined, start: P): Node<P> | undefined {
  if (!n) return undefined;
  if (start < n.start) n.left = removeNode(n.left, start);
  else if (start > n.start) n.right = removeNode(n.right, start);
  else {
    if (!n.left) return n.right;
    if (!n.right) return n.left;
    let min = n.right;
    while (min.left) min = min.left;
    min.right = removeMin(n.right);
    min.left = n.left;
    return balance(min);
  }
  return balance(n);
}

export interface Interval<P extends Point = bigint> {
  readonly start: P;
  readonly end: P;
}

abstract class PointSet<P extends Point> {
  private root: Node<P> | undefined;
  private intervals = 0;
  private points: P;

  protected constructor(zero: P) {
    this.points = zero;
  }

  /** x + 1 */
  protected abstract next(x: P): P;
  /** x - 1 */
  protected abstract prev(x: P): P;
  /** count + (end - start + 1) */
  protected abstract grow(count: P, start: P, end: P): P;

  /** Number of stored (maximal) intervals. */
  get intervalCount(): number {
    return this.intervals;
  }

  /** Number of points in the set. */
  get size(): P {
    return this.points;
  }

  /** The interval with the greatest start <= x, if any. */
  private floor(x: P): Node<P> | undefined {
    let n = this.root;
    let best: Node<P> | undefined;
    while (n) {
      if (n.start <= x) {
        best = n;
        n = n.right;
      } else n = n.left;
    }
    return best;
  }

  /** The interval with the smallest start > x, if any. */
  private higher(x: P): Node<P> | undefined {
    let n = this.root;
    let best: Node<P> | undefined;
    while (n) {
      if (n.start > x) {
        best = n;
        n = n.left;
      } else n = n.right;
    }
    return best;
  }

  has(x: P): boolean {
    const f = this.floor(x);
    return f !== undefined && x <= f.end;
  }

  /** Lowest point >= lo that is not in the set. */
  lowestAbsentFrom(lo: P): P {
    const f = this.floor(lo);
    return f !== undefined && lo <= f.end ? this.next(f.end) : lo;
  }

  /** Adds a closed interval none of whose points is in the set yet. */
  addRange(start: P, end: P): void {
    if (end < start) throw new RangeError(`empty interval ${start}-${end}`);
    const f = this.floor(end);
    if (f && f.end >= start) throw new RangeError(`interval ${start}-${end} overlaps ${f.start}-${f.end}`);
    this.points = this.grow(this.points, start, end);
    const left = f && this.next(f.end) === start ? f : undefined;
    const after = this.next(end);
    const right = this.higher(end);
    const touchesRight = right !== undefined && right.start === after;
    if (left && touchesRight) {
      left.end = right.end;
      this.root = removeNode(this.root, right.start);
      this.intervals--;
    } else if (left) {
      left.end = end;
    } else if (touchesRight) {
      // Lowering the key keeps the order: nothing lies between f.end and start.
      right.start = start;
    } else {
      this.root = insertNode(this.root, start, end);
      this.intervals++;
    }
  }

  add(x: P): void {
    this.addRange(x, x);
  }

  /** Removes a point that is in the set. */
  delete(x: P): void {
    const f = this.floor(x);
    if (!f || x > f.end) throw new RangeError(`point ${x} is not in the set`);
    this.points = this.prev(this.points);
    if (f.start === f.end) {
      this.root = removeNode(this.root, f.start);
      this.intervals--;
    } else if (x === f.start) {
      f.start = this.next(x);
    } else if (x === f.end) {
      f.end = this.prev(x);
    } else {
      const oldEnd = f.end;
      f.end = this.prev(x);
      this.root = insertNode(this.root, this.next(x), oldEnd);
      this.intervals++;
    }
  }

  /** In-order intervals (for tests and debugging). */
  toArray(): Interval<P>[] {
    const out: Interval<P>[] = [];
    const walk = (n: Node<P> | undefined): void => {
      if (!n) return;
      walk(n.left);
      out.push({ start: n.start, end: n.end });
      walk(n.right);
    };
    walk(this.root);
    return out;
  }

  /** Tree height, for the balance test. */
  get height(): number {
    return h(this.root);
  }
}

/** Points are BigInts: any size. */
export class IntervalSet extends PointSet<bigint> {
  constructor() {
    super(0n);
  }
  protected next(x: bigint): bigint {
    return x + 1n;
  }
  protected prev(x: bigint): bigint {
    return x - 1n;
  }
  protected grow(count: bigint, start: bigint, end: bigint): bigint {
    return count + (end - start + 1n);
  }
}

/** Points are integers below 2^53 - 1, so every x + 1 is exact. */
export class NumberIntervalSet extends PointSet<number> {
  constructor() {
    super(0);
  }
  protected next(x: number): number {
    return x + 1;
  }
  protected prev(x: number): number {
    return x - 1;
  }
  protected grow(count: number, start: number, end: number): number {
    return count + (end - start + 1);
  }
}
