// The allocator: which Service holds which load-balancer addresses, following
// MetalLB's rules (controller/service.go + internal/allocator), with two
// deliberate differences, both for determinism: pools of equal standing are
// tried in name order (MetalLB: Go map order, i.e. random), and a pool's
// addresses are walked in numeric order (MetalLB: in the order its ranges are
// written). docs/config.md lists the rules.
//
// Pure and synchronous: no Kubernetes client, no clock, no randomness. The
// same calls in the same order always give the same state.

import type { Pool } from '../config/model.js';
import { anySelectorMatches, selectorMatches } from '../config/selector.js';
import type { AllocCode, Allocation, Conflict, Decision, Failure, Granted, PoolChange, PoolUsage, ReleaseResult } from './decisions.js';
import { compareIP, familyName, formatIP, isBuggyIPv4, parseIPDetailed } from './ip.js';
import type { Family, IP } from './ip.js';
import { PoolState } from './pool-state.js';
import {
  annotation,
  Annotation,
  backendKey,
  portKeys,
  requestedIPs,
  serviceFamily,
  serviceKey,
  sharingKey,
} from './service.js';
import type { FamilyInfo, ServiceFamily, ServiceInput } from './service.js';

interface Holding {
  readonly service: string;
  readonly pool: string;
  readonly ips: readonly IP[];
  /** Canonical text of `ips`, formatted once. */
  readonly keys: readonly string[];
  readonly ports: readonly string[];
  readonly sharingKey: string;
  readonly backendKey: string;
}

interface IPUse {
  readonly sharingKey: string;
  readonly backendKey: string;
  /** Usually one entry: an array beats a Set on memory and speed at this size. Ports are read from the holdings. */
  readonly services: string[];
}

type Placement = Omit<Holding, 'keys'>;

interface Claim {
  readonly service: string;
  readonly ports: readonly string[];
  readonly sharingKey: string;
  readonly backendKey: string;
}

type Located = { ok: true; pool: PoolState } | Failure;

export interface AllocatorOptions {
  /**
   * Whether a service's spec.loadBalancerClass is ours. Default: only
   * services without a class (MetalLB without --lb-class).
   */
  readonly isOurClass?: (loadBalancerClass: string | undefined) => boolean;
}

/** The predicate for a controller started with a load-balancer class (undefined: class-less services only). */
export function classPredicate(ourClass: string | undefined): (c: string | undefined) => boolean {
  return (c) => c === ourClass;
}

const fail = (code: AllocCode, message: string, extra: Partial<Failure> = {}): Failure => ({ ok: false, code, message, released: [], ...extra });

const keyOf = (ip: IP): string => formatIP(ip);

export class Allocator {
  private readonly isOurClass: (c: string | undefined) => boolean;
  private states = new Map<string, PoolState>();
  /** Pools in name order: the order pools of equal standing are tried. */
  private order: PoolState[] = [];
  /** Auto-assign pools with a serviceAllocation, by priority then name. */
  private restricted: PoolState[] = [];
  /** Auto-assign pools without one, by name. */
  private open: PoolState[] = [];
  /** Every pool range, sorted, for address -> pool lookups in O(log n). */
  private index: { family: Family; first: bigint; last: bigint; pool: PoolState }[] = [];
  private readonly holdings = new Map<string, Holding>();
  private readonly uses = new Map<string, IPUse>();

  constructor(pools: readonly Pool[] = [], opts: AllocatorOptions = {}) {
    this.isOurClass = opts.isOurClass ?? classPredicate(undefined);
    this.setPools(pools);
  }

  // ---- configuration -------------------------------------------------------

  /**
   * Replaces the pools. Holdings whose addresses are still usable in one pool
   * stay (their pool name follows the addresses); the others are released
   * and reported in `stranded` so the controller allocates them again.
   */
  setPools(pools: readonly Pool[]): PoolChange {
    this.states = new Map(pools.map((p) => [p.name, new PoolState(p)]));
    this.order = [...this.states.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.restricted = this.order.filter((st) => st.pool.serviceAllocation !== undefined && st.pool.autoAssign).sort((a, b) => rank(a) - rank(b));
    this.open = this.order.filter((st) => st.pool.serviceAllocation === undefined && st.pool.autoAssign);
    this.index = [];
    for (const st of this.order) {
      for (const f of [4, 6] as const) for (const r of st.spaces[f].ranges) this.index.push({ family: f, first: r.first, last: r.last, pool: st });
    }
    this.index.sort((a, b) => (a.family !== b.family ? a.family - b.family : a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    for (let i = 1; i < this.index.length; i++) {
      const [a, b] = [this.index[i - 1], this.index[i]] as [(typeof this.index)[number], (typeof this.index)[number]];
      if (a.family === b.family && b.first <= a.last) {
        throw new Error(`pools ${a.pool.name} and ${b.pool.name} overlap: pass pools from a validated Config`);
      }
    }
    const old = [...this.holdings.values()].sort((a, b) => (a.service < b.service ? -1 : 1));
    this.holdings.clear();
    this.uses.clear();
    const stranded: PoolChange['stranded'][number][] = [];
    const moved: PoolChange['moved'][number][] = [];
    for (const h of old) {
      const where = this.locate(h.ips, undefined);
      if (!where.ok) {
        stranded.push({ service: h.service, ips: h.keys, pool: h.pool });
        continue;
      }
      if (where.pool.name !== h.pool) moved.push({ service: h.service, from: h.pool, to: where.pool.name });
      this.place({ ...h, pool: where.pool.name });
    }
    return { stranded, moved };
  }

  // ---- queries -------------------------------------------------------------

  get(service: string): Allocation | undefined {
    const h = this.holdings.get(service);
    return h && toAllocation(h);
  }

  /** Every allocation, sorted by service. */
  list(): Allocation[] {
    return [...this.holdings.values()].sort((a, b) => (a.service < b.service ? -1 : 1)).map(toAllocation);
  }

  /** Services holding an address (several when shared), sorted. */
  holders(ip: string): string[] {
    const r = parseIPDetailed(ip);
    const use = r.ok ? this.uses.get(keyOf(r.ip)) : undefined;
    return use ? [...use.services].sort() : [];
  }

  usage(): PoolUsage[] {
    return this.order.map((st) => {
      const fam = (f: Family) => ({ total: st.spaces[f].total, assigned: st.spaces[f].assigned, available: st.spaces[f].available });
      return { pool: st.name, ipv4: fam(4), ipv6: fam(6) };
    });
  }

  // ---- the three operations ------------------------------------------------

  /** Forgets a service (deleted). Shared addresses return to the pool only with their last user. */
  release(service: string): ReleaseResult {
    return this.unplace(service);
  }

  /**
   * Registers addresses a service already has in its status (controller
   * restart). Conflicts are reported, never resolved here: an address held by
   * another service without a compatible sharing key, an address in no pool
   * (or in a pool that was removed: the service's ip-allocated-from-pool
   * annotation names a pool that is gone), a pool the service may not use.
   */
  assign(svc: ServiceInput, ips: readonly string[]): Decision {
    const notOurs = this.notOurs(svc);
    if (notOurs) return notOurs;
    const parsed: IP[] = [];
    for (const t of ips) {
      const r = parseIPDetailed(t.trim());
      if (!r.ok) return fail('invalid-requested-ip', `status address ${JSON.stringify(t)}: ${r.reason}`);
      parsed.push(r.ip);
    }
    if (parsed.length === 0 || parsed.length > 2 || (parsed.length === 2 && parsed[0]?.family === parsed[1]?.family)) {
      return fail('invalid-requested-ip', `${JSON.stringify(ips)} is not one address or one of each family`);
    }
    const fam = serviceFamily(svc);
    if (!fam.ok) return fail('unknown-ip-family', fam.message);
    if (!familyFits(parsed, fam)) {
      return fail('requested-ip-family-mismatch', `${parsed.map(keyOf).join(', ')} does not match the service's IP families`);
    }
    return this.claim(svc, parsed);
  }

  /**
   * Brings a service to its desired allocation (MetalLB's convergeBalancer):
   * keeps what it holds when that is still valid (same requested IPs and pool,
   * same family, pool still allowed, sharing still compatible with its new
   * ports and keys), otherwise releases it and allocates afresh from the
   * requested IPs, the requested pool, or the pools it may auto-assign from.
   */
  allocate(svc: ServiceInput): Decision {
    const notOurs = this.notOurs(svc);
    if (notOurs) return notOurs;
    const key = serviceKey(svc);
    const fam = serviceFamily(svc);
    if (!fam.ok) return fail('unknown-ip-family', fam.message);
    if (fam.policy === 'RequireDualStack' && fam.family !== 'dual') {
      const { released } = this.unplace(key);
      return fail('dual-stack-unavailable', 'RequireDualStack but the service has a single IP family', { released });
    }
    // As in MetalLB, a family change drops the old addresses before anything else is looked at.
    let held = this.holdings.get(key);
    let replaced: Granted['replaced'];
    let released: readonly string[] = [];
    if (held && !familyFits(held.ips, fam)) {
      replaced = { code: 'requested-ip-family-mismatch', message: `the service's IP families changed, dropping ${held.keys.join(', ')}` };
      released = this.unplace(key).released;
      held = undefined;
    }
    const req = requestedIPs(svc);
    if (!req.ok) return fail(req.code, req.message, { released });
    const wantPool = annotation(svc, Annotation.addressPool) ?? '';

    if (held) {
      const why = this.stillValid(svc, held, req.ips, wantPool);
      if (why === undefined) return this.keepOrExtend(svc, held, fam);
      replaced = why;
      released = this.unplace(key).released;
    }
    const d = this.allocateFresh(svc, fam, req.ips, req.family, wantPool);
    if (!d.ok) return { ...d, released };
    return { ...d, released, ...(replaced ? { replaced } : {}) };
  }

  // ---- allocation logic ----------------------------------------------------

  private notOurs(svc: ServiceInput): Granted | undefined {
    const reason = svc.type !== 'LoadBalancer' ? 'not-load-balancer' : !this.isOurClass(svc.loadBalancerClass) ? 'foreign-class' : undefined;
    if (!reason) return undefined;
    const { released } = this.unplace(serviceKey(svc));
    return { ok: true, action: 'not-ours', ips: [], pool: undefined, shared: false, released, reason };
  }

  private stillValid(svc: ServiceInput, h: Holding, wanted: readonly IP[], wantPool: string): Granted['replaced'] {
    const d = this.claim(svc, h.ips);
    if (!d.ok) return { code: d.code, message: `current addresses no longer valid: ${d.message}` };
    if (wantPool !== '' && h.pool !== wantPool) {
      return { code: 'requested-ip-pool-mismatch', message: `pool ${JSON.stringify(wantPool)} requested, addresses are from ${JSON.stringify(h.pool)}` };
    }
    const sameIPs = wanted.length === h.ips.length && wanted.every((w) => h.ips.some((x) => compareIP(w, x) === 0));
    if (wanted.length > 0 && !sameIPs) {
      return { code: 'requested-ip-pool-mismatch', message: `addresses ${wanted.map(keyOf).join(', ')} requested, holding ${h.keys.join(', ')}` };
    }
    return undefined;
  }

  /** A PreferDualStack dual-family service holding one address tries to add the other family from the same pool. */
  private keepOrExtend(svc: ServiceInput, h: Holding, fam: FamilyInfo & { ok: true }): Granted {
    const current = this.holdings.get(h.service) as Holding;
    const base: Granted = { ok: true, action: 'kept', ips: current.keys, pool: current.pool, shared: this.isShared(current), released: [] };
    if (!(fam.family === 'dual' && fam.policy === 'PreferDualStack' && current.ips.length === 1)) return base;
    const have = (current.ips[0] as IP).family;
    const other: Family = have === 4 ? 6 : 4;
    const st = this.states.get(current.pool) as PoolState;
    const claim = this.claimOf(svc);
    const v = st.hasFamily(other) ? st.lowestCandidate(other, claim.sharingKey, claim.backendKey, (x) => !this.conflictAt(claim, keyOf({ family: other, value: x }))) : undefined;
    if (v === undefined) {
      return { ...base, note: { code: st.hasFamily(other) ? 'pool-exhausted' : 'pool-lacks-family', message: `pool ${JSON.stringify(st.name)} has no free ${familyName(other)} address to add` } };
    }
    const ips = [...current.ips, { family: other, value: v }].sort(compareIP);
    this.place({ ...claim, pool: st.name, ips });
    const now = this.holdings.get(h.service) as Holding;
    return { ok: true, action: 'extended', ips: now.keys, pool: now.pool, shared: this.isShared(now), released: [] };
  }

  private allocateFresh(svc: ServiceInput, fam: FamilyInfo & { ok: true }, wanted: IP[], wantedFamily: ServiceFamily | undefined, wantPool: string): Decision {
    if (wanted.length > 0) {
      if (wantedFamily !== fam.family) {
        return fail('requested-ip-family-mismatch', `requested ${wanted.map(keyOf).join(', ')} does not match the service's IP families`);
      }
      const d = this.claim(svc, wanted);
      if (!d.ok) return d;
      if (wantPool !== '' && d.pool !== wantPool) {
        this.unplace(serviceKey(svc));
        return fail('requested-ip-pool-mismatch', `requested ${wanted.map(keyOf).join(', ')} is in pool ${JSON.stringify(d.pool)}, not in the requested pool ${JSON.stringify(wantPool)}`);
      }
      return { ...d, action: 'allocated' };
    }
    const claim = this.claimOf(svc);
    if (wantPool !== '') {
      const st = this.states.get(wantPool);
      if (!st) return fail('pool-not-found', `requested pool ${JSON.stringify(wantPool)} does not exist`);
      if (!this.compatible(st.pool, svc)) return fail('pool-not-allowed', `pool ${JSON.stringify(wantPool)} is reserved for other namespaces or services`);
      const ips = this.pick(this.candidates(st, claim), fam);
      if (!ips) {
        const missing = wantedFamilies(fam).filter((f) => !st.hasFamily(f));
        if (missing.length > 0 && (fam.family !== 'dual' || fam.policy === 'RequireDualStack')) {
          return fail('pool-lacks-family', `pool ${JSON.stringify(wantPool)} has no ${missing.map(familyName).join(' or ')} addresses`);
        }
        return fail('pool-exhausted', `pool ${JSON.stringify(wantPool)} has no free address for this service`);
      }
      return this.grant(claim, st, ips);
    }
    const pinned = this.restricted.length > 0 ? this.restricted.filter((st) => this.compatible(st.pool, svc)) : this.restricted;
    const open = this.open;
    for (const group of [pinned, open]) {
      const found = this.best(group, claim, fam);
      if (found) return this.grant(claim, found.st, found.ips);
    }
    const all = [...pinned, ...open];
    if (all.length === 0) return fail('no-auto-assign-pool', 'no pool allows automatic assignment to this service');
    const need = wantedFamilies(fam);
    const fits = all.some((st) => (fam.family === 'dual' && fam.policy !== 'RequireDualStack' ? need.some((f) => st.hasFamily(f)) : need.every((f) => st.hasFamily(f))));
    if (!fits) return fail('no-pool-for-family', `no pool this service may use has ${need.map(familyName).join(fam.policy === 'RequireDualStack' ? ' and ' : ' or ')} addresses`);
    return fail('no-pool-has-free-ip', 'every pool this service may use is full');
  }

  /** MetalLB's findBestPoolForService over pools already in preference order. */
  private best(pools: readonly PoolState[], claim: Claim, fam: FamilyInfo & { ok: true }): { st: PoolState; ips: IP[] } | undefined {
    let primaryOnly: { st: PoolState; ips: IP[] } | undefined;
    let secondaryOnly: { st: PoolState; ips: IP[] } | undefined;
    const secondary: Family = fam.primary === 4 ? 6 : 4;
    for (const st of pools) {
      const c = this.candidates(st, claim);
      if (fam.family !== 'dual') {
        if (c[fam.family] !== undefined) return { st, ips: this.pick(c, fam) as IP[] };
        continue;
      }
      if (c[4] !== undefined && c[6] !== undefined) return { st, ips: this.pick(c, fam) as IP[] };
      if (fam.policy !== 'PreferDualStack') continue;
      if (c[fam.primary] !== undefined) primaryOnly ??= { st, ips: this.pick(c, fam) as IP[] };
      if (c[secondary] !== undefined) secondaryOnly ??= { st, ips: this.pick(c, fam) as IP[] };
    }
    return primaryOnly ?? secondaryOnly;
  }

  /** The lowest address of each family this claim could hold in the pool. */
  private candidates(st: PoolState, claim: Claim): Partial<Record<Family, bigint>> {
    const out: Partial<Record<Family, bigint>> = {};
    for (const f of [4, 6] as const) {
      if (!st.hasFamily(f)) continue;
      const v = st.lowestCandidate(f, claim.sharingKey, claim.backendKey, (x) => !this.conflictAt(claim, keyOf({ family: f, value: x })));
      if (v !== undefined) out[f] = v;
    }
    return out;
  }

  /** MetalLB's selectIPsForFamilyAndPolicy. */
  private pick(c: Partial<Record<Family, bigint>>, fam: FamilyInfo & { ok: true }): IP[] | undefined {
    const ip = (f: Family): IP | undefined => (c[f] === undefined ? undefined : { family: f, value: c[f] });
    if (fam.family !== 'dual') {
      const one = ip(fam.family);
      return one && [one];
    }
    const v4 = ip(4);
    const v6 = ip(6);
    if (v4 && v6) return [v4, v6];
    if (fam.policy === 'PreferDualStack') {
      const one = v4 ?? v6;
      return one && [one];
    }
    return undefined;
  }

  private grant(claim: Claim, st: PoolState, ips: IP[]): Granted {
    this.place({ ...claim, pool: st.name, ips });
    const h = this.holdings.get(claim.service) as Holding;
    return { ok: true, action: 'allocated', ips: h.keys, pool: st.name, shared: this.isShared(h), released: [] };
  }

  /** MetalLB's Assign: the addresses must lie in one pool the service may use, and be free or shareable. */
  private claim(svc: ServiceInput, ips: readonly IP[]): Granted | Failure {
    const where = this.locate(ips, annotation(svc, Annotation.ipAllocatedFromPool));
    if (!where.ok) return where;
    if (!this.compatible(where.pool.pool, svc)) {
      return fail('pool-not-allowed', `pool ${JSON.stringify(where.pool.name)} is reserved for other namespaces or services`);
    }
    const claim = this.claimOf(svc);
    for (const ip of ips) {
      const conflict = this.conflictAt(claim, keyOf(ip));
      if (conflict) return fail('ip-in-use', describeConflict(conflict), { conflict });
    }
    this.place({ ...claim, pool: where.pool.name, ips: [...ips].sort(compareIP) });
    const h = this.holdings.get(claim.service) as Holding;
    return { ok: true, action: 'kept', ips: h.keys, pool: h.pool, shared: this.isShared(h), released: [] };
  }

  private claimOf(svc: ServiceInput): Claim {
    return { service: serviceKey(svc), ports: portKeys(svc), sharingKey: sharingKey(svc), backendKey: backendKey(svc) };
  }

  /** The pool holding all the addresses as usable ones. */
  private locate(ips: readonly IP[], formerPool: string | undefined): Located {
    let pool: PoolState | undefined;
    for (const ip of ips) {
      const st = this.poolOf(ip);
      const text = keyOf(ip);
      if (!st) {
        if (formerPool && !this.states.has(formerPool)) {
          return fail('pool-removed', `${text} came from pool ${JSON.stringify(formerPool)}, which no longer exists`);
        }
        return fail('ip-not-in-any-pool', `${text} is not in any pool`);
      }
      if (st.pool.avoidBuggyIPs && isBuggyIPv4(ip)) {
        return fail('ip-avoided-as-buggy', `${text} ends in .0 or .255 and pool ${JSON.stringify(st.name)} avoids those`);
      }
      if (pool && pool !== st) return fail('requested-ips-span-pools', `${ips.map(keyOf).join(' and ')} are in different pools (${pool.name}, ${st.name})`);
      pool = st;
    }
    return { ok: true, pool: pool as PoolState };
  }

  private poolOf(ip: IP): PoolState | undefined {
    let lo = 0;
    let hi = this.index.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = this.index[mid] as (typeof this.index)[number];
      if (e.family < ip.family || (e.family === ip.family && e.last < ip.value)) lo = mid + 1;
      else if (e.family > ip.family || e.first > ip.value) hi = mid - 1;
      else return e.pool;
    }
    return undefined;
  }

  /** serviceAllocation: namespace constraint (list or selectors) and service selectors must both admit the service. */
  private compatible(pool: Pool, svc: ServiceInput): boolean {
    const sa = pool.serviceAllocation;
    if (!sa) return true;
    if (sa.namespaces.length > 0 || sa.namespaceSelectors.length > 0) {
      const nsLabels = svc.namespaceLabels ?? {};
      if (!sa.namespaces.includes(svc.namespace) && !sa.namespaceSelectors.some((s) => selectorMatches(s, nsLabels))) return false;
    }
    return anySelectorMatches(sa.serviceSelectors, svc.labels ?? {});
  }

  /** Why `claim` may not hold the address, given the other services on it. */
  private conflictAt(claim: Claim, ipKey: string): Conflict | undefined {
    const use = this.uses.get(ipKey);
    if (!use) return undefined;
    const others = use.services.filter((s) => s !== claim.service).sort();
    const c = (reason: Conflict['reason'], ports: string[] = []): Conflict => ({ reason, ip: ipKey, with: others, ports });
    if (others.length > 0) {
      if (use.sharingKey === '') return c('not-shared');
      if (claim.sharingKey === '') return c('no-sharing-key');
      if (claim.sharingKey !== use.sharingKey) return c('sharing-key-mismatch');
      if (claim.backendKey !== use.backendKey) return c('backend-mismatch');
    }
    const taken = new Set(others.flatMap((o) => this.holdings.get(o)?.ports ?? []));
    const colliding = claim.ports.filter((p) => taken.has(p));
    return colliding.length > 0 ? c('port-collision', colliding) : undefined;
  }

  private isShared(h: Holding): boolean {
    return h.keys.some((k) => (this.uses.get(k)?.services.length ?? 0) > 1);
  }

  // ---- state changes -------------------------------------------------------

  private place(p: Placement): void {
    this.unplace(p.service);
    const h: Holding = { ...p, keys: p.ips.map(keyOf) };
    const st = this.states.get(h.pool) as PoolState;
    h.ips.forEach((ip, i) => {
      const k = h.keys[i] as string;
      let use = this.uses.get(k);
      if (!use) {
        use = { sharingKey: h.sharingKey, backendKey: h.backendKey, services: [] };
        this.uses.set(k, use);
        st.spaces[ip.family].take(ip.value);
        if (h.sharingKey !== '') st.indexShared(h.sharingKey, h.backendKey, ip.family, ip.value);
      }
      // An existing use has other services on it whose keys equal ours (conflictAt was checked by the caller).
      use.services.push(h.service);
    });
    this.holdings.set(h.service, h);
  }

  private unplace(service: string): ReleaseResult {
    const h = this.holdings.get(service);
    if (!h) return { released: [], freed: [] };
    this.holdings.delete(service);
    const st = this.states.get(h.pool);
    const freed: string[] = [];
    h.ips.forEach((ip, i) => {
      const k = h.keys[i] as string;
      const use = this.uses.get(k);
      if (!use) return;
      use.services.splice(use.services.indexOf(service), 1);
      if (use.services.length > 0) return;
      this.uses.delete(k);
      freed.push(k);
      if (st) {
        if (use.sharingKey !== '') st.unindexShared(use.sharingKey, use.backendKey, ip.family, ip.value);
        st.spaces[ip.family].give(ip.value);
      }
    });
    return { released: h.keys, freed };
  }
}

function toAllocation(h: Holding): Allocation {
  return { service: h.service, pool: h.pool, ips: h.keys, sharingKey: h.sharingKey, backendKey: h.backendKey, ports: h.ports };
}

/** Pools with a positive priority first (lower first), then priority 0; name order within a rank (stable sort). */
function rank(st: PoolState): number {
  const p = st.pool.serviceAllocation?.priority ?? 0;
  return p > 0 ? p : Number.MAX_SAFE_INTEGER;
}

/** MetalLB's serviceFamilyChanged, inverted: a PreferDualStack dual-family service may hold one family. */
function familyFits(ips: readonly IP[], fam: FamilyInfo & { ok: true }): boolean {
  const held: ServiceFamily = ips.length === 2 ? 'dual' : (ips[0] as IP).family;
  return held === fam.family || (fam.family === 'dual' && fam.policy === 'PreferDualStack');
}

function wantedFamilies(fam: FamilyInfo & { ok: true }): Family[] {
  return fam.family === 'dual' ? [fam.primary, fam.primary === 4 ? 6 : 4] : [fam.family];
}

function describeConflict(c: Conflict): string {
  const who = c.with.join(', ');
  switch (c.reason) {
    case 'not-shared':
      return `${c.ip} is held by ${who}, which does not allow sharing`;
    case 'no-sharing-key':
      return `${c.ip} is held by ${who}; this service has no allow-shared-ip key`;
    case 'sharing-key-mismatch':
      return `${c.ip} is held by ${who} under a different allow-shared-ip key`;
    case 'backend-mismatch':
      return `${c.ip} is held by ${who}; sharing needs externalTrafficPolicy Cluster on both, or Local on both with the same pod selector`;
    case 'port-collision':
      return `${c.ip} is held by ${who}, which already uses ${c.ports.join(', ')}`;
  }
}
