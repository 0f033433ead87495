// A set of BigInt points stored as disjoint, non-adjacent closed intervals in
// an AVL tree keyed by interval start.
//
// Why this shape: the allocator's hot question is "lowest point >= lo that is
// NOT in the set". Because stored intervals are maximal (adjacent intervals are
// always merged), the answer is `lo` itself when no interval covers it, or the
// end of the covering interval plus one, which is never covered. That is one
// floor search: O(log n) in the number of intervals n, independent of how
// many addresses a pool has. Sequential allocation keeps n tiny (one interval
// grows), and after random releases n is at most the number of holes.
// AVL over a red-black tree or a treap: simplest to get right with the
// in-place key edits below, deterministic, and the height bound
// (1.44 log2 n) is tight enough that no bulk-rebuild path is needed.

interface Node {
  start: bigint;
  end: bigint;
  left: Node | undefined;
  right: Node | undefined;
  height: number;
}

const h = (n: Node | undefined): number => (n ? n.height : 0);

function fix(n: Node): void {
  n.height = Math.max(h(n.left), h(n.right)) + 1;
}

function rotateRight(n: Node): Node {
  const l = n.left as Node;
  n.left = l.right;
  l.right = n;
  fix(n);
  fix(l);
  return l;
}

function rotateLeft(n: Node): Node {
  const r = n.right as Node;
  n.right = r.left;
  r.left = n;
  fix(n);
  fix(r);
  return r;
}

function balance(n: Node): Node {
  fix(n);
  const bf = h(n.left) - h(n.right);
  if (bf > 1) {
    const l = n.left as Node;
    if (h(l.left) < h(l.right)) n.left = rotateLeft(l);
    return rotateRight(n);
  }
  if (bf < -1) {
    const r = n.right as Node;
    if (h(r.right) < h(r.left)) n.right = rotateRight(r);
    return rotateLeft(n);
  }
  return n;
}

function insertNode(n: Node | undefined, start: bigint, end: bigint): Node {
  if (!n) return { start, end, left: undefined, right: undefined, height: 1 };
  if (start < n.start) n.left = insertNode(n.left, start, end);
  else n.right = insertNode(n.right, start, end);
  return balance(n);
}

function removeMin(n: Node): { root: Node | undefined; min: Node } {
  if (!n.left) return { root: n.right, min: n };
  const r = removeMin(n.left);
  n.left = r.root;
  return { root: balance(n), min: r.min };
}

function removeNode(n: Node | undefined, start: bigint): Node | undefined {
  if (!n) return undefined;
  if (start < n.start) n.left = removeNode(n.left, start);
  else if (start > n.start) n.right = removeNode(n.right, start);
  else {
    if (!n.left) return n.right;
    if (!n.right) return n.left;
    const { root, min } = removeMin(n.right);
    min.right = root;
    min.left = n.left;
    return balance(min);
  }
  return balance(n);
}

export interface Interval {
  readonly start: bigint;
  readonly end: bigint;
}

export class IntervalSet {
  private root: Node | undefined;
  private intervals = 0;
  private points = 0n;

  /** Number of stored (maximal) intervals. */
  get intervalCount(): number {
    return this.intervals;
  }

  /** Number of points in the set. */
  get size(): bigint {
    return this.points;
  }

  /** The interval with the greatest start <= x, if any. */
  private floor(x: bigint): Node | undefined {
    let n = this.root;
    let best: Node | undefined;
    while (n) {
      if (n.start <= x) {
        best = n;
        n = n.right;
      } else n = n.left;
    }
    return best;
  }

  /** The interval with the smallest start > x, if any. */
  private higher(x: bigint): Node | undefined {
    let n = this.root;
    let best: Node | undefined;
    while (n) {
      if (n.start > x) {
        best = n;
        n = n.left;
      } else n = n.right;
    }
    return best;
  }

  has(x: bigint): boolean {
    const f = this.floor(x);
    return f !== undefined && x <= f.end;
  }

  /** Lowest point >= lo that is not in the set. */
  lowestAbsentFrom(lo: bigint): bigint {
    const f = this.floor(lo);
    return f !== undefined && lo <= f.end ? f.end + 1n : lo;
  }

  /** Adds a closed interval none of whose points is in the set yet. */
  addRange(start: bigint, end: bigint): void {
    if (end < start) throw new RangeError(`empty interval ${start}-${end}`);
    const f = this.floor(end);
    if (f && f.end >= start) throw new RangeError(`interval ${start}-${end} overlaps ${f.start}-${f.end}`);
    this.points += end - start + 1n;
    const left = f && f.end + 1n === start ? f : undefined;
    const right = this.higher(end);
    const touchesRight = right !== undefined && right.start === end + 1n;
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

  add(x: bigint): void {
    this.addRange(x, x);
  }

  /** Removes a point that is in the set. */
  delete(x: bigint): void {
    const f = this.floor(x);
    if (!f || x > f.end) throw new RangeError(`point ${x} is not in the set`);
    this.points -= 1n;
    if (f.start === f.end) {
      this.root = removeNode(this.root, f.start);
      this.intervals--;
    } else if (x === f.start) {
      f.start = x + 1n;
    } else if (x === f.end) {
      f.end = x - 1n;
    } else {
      const oldEnd = f.end;
      f.end = x - 1n;
      this.root = insertNode(this.root, x + 1n, oldEnd);
      this.intervals++;
    }
  }

  /** In-order intervals (for tests and debugging). */
  toArray(): Interval[] {
    const out: Interval[] = [];
    const walk = (n: Node | undefined): void => {
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
