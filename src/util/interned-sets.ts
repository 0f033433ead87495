// Small immutable sets of names, one object per distinct content. Ten
// thousand addresses announced on the same one or two interfaces then
// share a single set instead of holding ten thousand (a V8 Set costs a few
// hundred bytes however few its members).

/** More distinct sets than this and the table starts over (old sets stay valid, only sharing is lost). */
const MAX_SETS = 4096;

export class InternedSets {
  private readonly byKey = new Map<string, ReadonlySet<string>>();
  static readonly EMPTY: ReadonlySet<string> = new Set<string>();

  /** The shared set holding exactly `names`. */
  of(names: Iterable<string>): ReadonlySet<string> {
    const sorted = [...new Set(names)].sort();
    if (sorted.length === 0) return InternedSets.EMPTY;
    const key = sorted.join('\0');
    let set = this.byKey.get(key);
    if (!set) {
      if (this.byKey.size >= MAX_SETS) this.byKey.clear();
      set = new Set(sorted);
      this.byKey.set(key, set);
    }
    return set;
  }

  /** `set` with `name` added. */
  with(set: ReadonlySet<string> | undefined, name: string): ReadonlySet<string> {
    if (set?.has(name)) return set;
    return this.of([...(set ?? []), name]);
  }

  /** `set` without `name`. */
  without(set: ReadonlySet<string>, name: string): ReadonlySet<string> {
    if (!set.has(name)) return set;
    return this.of([...set].filter((n) => n !== name));
  }
}
