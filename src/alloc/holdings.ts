// Who holds which addresses: the allocator's bookkeeping. There is one entry
// per service and 100k services is an ordinary benchmark size, so it is kept
// lean: per service one Holding (a class, so all instances share one shape),
// its entry in `byService`, and per address one entry in `byAddress` keyed by
// the canonical text. An address held by one service maps to that service's
// Holding; only a shared address (allow-shared-ip) gets an array of holders.
//
// All holders of a shared address have the same sharing and backend keys:
// the allocator checks conflictAt before every placement, and a service that
// re-places itself leaves first. So those keys are read from any holder.

import type { Family } from '../net/index.js';
import type { Ordinal } from './address-space.js';
import type { Conflict, ReleaseResult } from './decisions.js';
import type { PoolState } from './pool-state.js';
import type { ServiceFamily } from './service.js';

/** What a service asks for, apart from addresses. */
export interface Claim {
  readonly service: string;
  readonly ports: readonly string[];
  readonly sharingKey: string;
  readonly backendKey: string;
}

/** Addresses in one pool, at most one per family, as ordinals of the pool's AddressSpaces. */
export interface Target {
  readonly pool: PoolState;
  readonly v4: Ordinal | undefined;
  readonly v6: Ordinal | undefined;
}

/**
 * A service's addresses: the claim, the pool, and per family the ordinal
 * and its canonical text (formatted once, here). Fields rather than arrays:
 * two fewer objects per service.
 */
export class Holding implements Claim, Target {
  readonly text4: string | undefined;
  readonly text6: string | undefined;

  constructor(
    readonly service: string,
    readonly ports: readonly string[],
    readonly sharingKey: string,
    readonly backendKey: string,
    readonly pool: PoolState,
    readonly v4: Ordinal | undefined,
    readonly v6: Ordinal | undefined,
  ) {
    this.text4 = v4 === undefined ? undefined : pool.spaces[4].textOf(v4);
    this.text6 = v6 === undefined ? undefined : pool.spaces[6].textOf(v6);
  }

  static of(claim: Claim, t: Target): Holding {
    return new Holding(claim.service, claim.ports, claim.sharingKey, claim.backendKey, t.pool, t.v4, t.v6);
  }

  get family(): ServiceFamily {
    return this.v4 === undefined ? 6 : this.v6 === undefined ? 4 : 'dual';
  }

  /** Canonical text of the addresses, IPv4 first (a new array each time). */
  get keys(): string[] {
    if (this.text4 === undefined) return [this.text6 as string];
    return this.text6 === undefined ? [this.text4] : [this.text4, this.text6];
  }
}

export class Ledger {
  private readonly byService = new Map<string, Holding>();
  private readonly byAddress = new Map<string, Holding | Holding[]>();

  get(service: string): Holding | undefined {
    return this.byService.get(service);
  }

  /** Every holding, sorted by service. */
  sorted(): Holding[] {
    return [...this.byService.values()].sort((a, b) => (a.service < b.service ? -1 : 1));
  }

  clear(): void {
    this.byService.clear();
    this.byAddress.clear();
  }

  /** Services holding the address with canonical text `key`, sorted. */
  holders(key: string): string[] {
    const use = this.byAddress.get(key);
    if (use === undefined) return [];
    return Array.isArray(use) ? use.map((x) => x.service).sort() : [use.service];
  }

  /** Whether some address of `h` is also held by another service. */
  isShared(h: Holding): boolean {
    const shared = (k: string | undefined): boolean => k !== undefined && Array.isArray(this.byAddress.get(k));
    return shared(h.text4) || shared(h.text6);
  }

  /** Why `claim` may not hold the address with canonical text `key`, given the other services on it. */
  conflictAt(claim: Claim, key: string): Conflict | undefined {
    const use = this.byAddress.get(key);
    if (use === undefined) return undefined;
    const holders = Array.isArray(use) ? use : [use];
    const others = holders.filter((x) => x.service !== claim.service);
    const names = others.map((x) => x.service).sort();
    const c = (reason: Conflict['reason'], ports: string[] = []): Conflict => ({ reason, ip: key, with: names, ports });
    const first = holders[0] as Holding;
    if (others.length > 0) {
      if (first.sharingKey === '') return c('not-shared');
      if (claim.sharingKey === '') return c('no-sharing-key');
      if (claim.sharingKey !== first.sharingKey) return c('sharing-key-mismatch');
      if (claim.backendKey !== first.backendKey) return c('backend-mismatch');
    }
    const taken = new Set(others.flatMap((o) => o.ports));
    const colliding = claim.ports.filter((p) => taken.has(p));
    return colliding.length > 0 ? c('port-collision', colliding) : undefined;
  }

  /** Records `h`, replacing what its service held. The caller has checked conflictAt for every address. */
  place(h: Holding): void {
    this.remove(h.service, undefined);
    if (h.v4 !== undefined) this.enter(h, 4, h.v4, h.text4 as string);
    if (h.v6 !== undefined) this.enter(h, 6, h.v6, h.text6 as string);
    this.byService.set(h.service, h);
  }

  /** Forgets what `service` holds; an address returns to its pool with its last holder. */
  unplace(service: string): ReleaseResult {
    const freed: string[] = [];
    const h = this.remove(service, freed);
    return { released: h ? h.keys : [], freed };
  }

  private remove(service: string, freed: string[] | undefined): Holding | undefined {
    const h = this.byService.get(service);
    if (h === undefined) return undefined;
    this.byService.delete(service);
    if (h.v4 !== undefined) this.leave(h, 4, h.v4, h.text4 as string, freed);
    if (h.v6 !== undefined) this.leave(h, 6, h.v6, h.text6 as string, freed);
    return h;
  }

  private enter(h: Holding, f: Family, o: Ordinal, key: string): void {
    const use = this.byAddress.get(key);
    if (use === undefined) {
      this.byAddress.set(key, h);
      h.pool.spaces[f].takeOrdinal(o);
      if (h.sharingKey !== '') h.pool.indexShared(h.sharingKey, h.backendKey, f, o);
    } else if (Array.isArray(use)) {
      use.push(h);
    } else {
      this.byAddress.set(key, [use, h]);
    }
  }

  private leave(h: Holding, f: Family, o: Ordinal, key: string, freed: string[] | undefined): void {
    const use = this.byAddress.get(key);
    if (Array.isArray(use)) {
      use.splice(use.indexOf(h), 1);
      if (use.length === 1) this.byAddress.set(key, use[0] as Holding);
      return;
    }
    if (use !== h) return;
    this.byAddress.delete(key);
    freed?.push(key);
    if (h.sharingKey !== '') h.pool.unindexShared(h.sharingKey, h.backendKey, f, o);
    h.pool.spaces[f].giveOrdinal(o);
  }
}
