// The allocator: which Service holds which load-balancer addresses, following
// MetalLB's rules (controller/service.go + internal/allocator), with two
// deliberate differences, both for determinism: pools of equal standing are
// tried in name order (MetalLB: Go map order, i.e. random), and a pool's
// addresses are walked in numeric order (MetalLB: in the order its ranges are
// written). docs/config.md lists the rules.
//
// Pure and synchronous: no Kubernetes client, no clock, no randomness. The
// same calls in the same order always give the same state.

import type { Pool, PoolIndex } from '../config/model.js';
import { buildPoolIndex } from '../config/pool-index.js';
import { anySelectorMatches, selectorMatches } from '../config/selector.js';
import { namespacedKey } from '../kube/object-key.js';
import { canonicalIP, familyName, formatIP, otherFamily, parseIPDetailed, type Family, type IP } from '../net/index.js';
import type { Ordinal } from './address-space.js';
import { isBuggyIPv4 } from './buggy.js';
import type { AllocCode, Allocation, Conflict, Decision, Failure, Granted, PoolChange, PoolUsage, ReleaseResult } from './decisions.js';
import { Holding, Ledger } from './holdings.js';
import type { Claim, Target } from './holdings.js';
import { PoolState } from './pool-state.js';
import {
  annotation,
  Annotation,
  backendKey,
  requestedIPs,
  serviceFamily,
  servicePortKeys,
  sharingKey,
} from './service.js';
import type { FamilyInfo, ServiceFamily, ServiceInput } from './service.js';

/** Addresses located in one pool, and their text in the order they were given (the order conflicts are reported in). */
type Located = { ok: true; target: Target; keys: readonly string[] } | Failure;

type Families = FamilyInfo & { ok: true };

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

export class Allocator {
  private readonly isOurClass: (c: string | undefined) => boolean;
  private states = new Map<string, PoolState>();
  /** Pools in name order: the order pools of equal standing are tried. */
  private order: PoolState[] = [];
  /** Auto-assign pools with a serviceAllocation, by priority then name. */
  private restricted: PoolState[] = [];
  /** Auto-assign pools without one, by name. */
  private open: PoolState[] = [];
  private index: PoolIndex = buildPoolIndex([]);
  private readonly ledger = new Ledger();

  constructor(pools: readonly Pool[] = [], opts: AllocatorOptions = {}) {
    this.isOurClass = opts.isOurClass ?? classPredicate(undefined);
    this.setPools(pools);
  }

  // ---- configuration -------------------------------------------------------

  /**
   * Replaces the pools. Holdings whose addresses are still usable in one pool
   * stay (their pool name follows the addresses); the others are released
   * and reported in `stranded` so the controller allocates them again.
   * `index` is the pools' index when the caller has it (Config.poolIndex).
   */
  setPools(pools: readonly Pool[], index: PoolIndex = buildPoolIndex(pools)): PoolChange {
    const old = this.ledger.sorted().map((h) => ({ h, ips: addressesOf(h) }));
    this.states = new Map(pools.map((p) => [p.name, new PoolState(p)]));
    this.order = [...this.states.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.restricted = this.order.filter((st) => st.pool.serviceAllocation !== undefined && st.pool.autoAssign).sort((a, b) => rank(a) - rank(b));
    this.open = this.order.filter((st) => st.pool.serviceAllocation === undefined && st.pool.autoAssign);
    this.index = index;
    this.ledger.clear();
    const stranded: PoolChange['stranded'][number][] = [];
    const moved: PoolChange['moved'][number][] = [];
    for (const { h, ips } of old) {
      const where = this.locate(ips, undefined);
      if (!where.ok) {
        stranded.push({ service: h.service, ips: h.keys, pool: h.pool.name });
        continue;
      }
      if (where.target.pool.name !== h.pool.name) moved.push({ service: h.service, from: h.pool.name, to: where.target.pool.name });
      this.ledger.place(Holding.of(h, where.target));
    }
    return { stranded, moved };
  }

  // ---- queries -------------------------------------------------------------

  get(service: string): Allocation | undefined {
    const h = this.ledger.get(service);
    return h && toAllocation(h);
  }

  /** Every allocation, sorted by service. */
  list(): Allocation[] {
    return this.ledger.sorted().map(toAllocation);
  }

  /** Services holding an address (several when shared), sorted. */
  holders(ip: string): string[] {
    const text = canonicalIP(ip);
    return text === undefined ? [] : this.ledger.holders(text);
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
    return this.ledger.unplace(service);
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
    if (!familyFits(parsed.length === 2 ? 'dual' : (parsed[0] as IP).family, fam)) {
      return fail('requested-ip-family-mismatch', `${parsed.map(formatIP).join(', ')} does not match the service's IP families`);
    }
    return this.claimIPs(svc, namespacedKey(svc.namespace, svc.name), parsed);
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
    const key = namespacedKey(svc.namespace, svc.name);
    const fam = serviceFamily(svc);
    if (!fam.ok) return fail('unknown-ip-family', fam.message);
    if (fam.policy === 'RequireDualStack' && fam.family !== 'dual') {
      const { released } = this.ledger.unplace(key);
      return fail('dual-stack-unavailable', 'RequireDualStack but the service has a single IP family', { released });
    }
    // As in MetalLB, a family change drops the old addresses before anything else is looked at.
    let held = this.ledger.get(key);
    let replaced: Granted['replaced'];
    let released: readonly string[] = [];
    if (held && !familyFits(held.family, fam)) {
      replaced = { code: 'requested-ip-family-mismatch', message: `the service's IP families changed, dropping ${held.keys.join(', ')}` };
      released = this.ledger.unplace(key).released;
      held = undefined;
    }
    const req = requestedIPs(svc);
    if (!req.ok) return fail(req.code, req.message, { released });
    const wantPool = annotation(svc, Annotation.addressPool) ?? '';

    if (held) {
      const why = this.stillValid(svc, key, held, req.ips, wantPool);
      if (why === undefined) return this.keepOrExtend(svc, key, fam);
      replaced = why;
      released = this.ledger.unplace(key).released;
    }
    const d = this.allocateFresh(svc, key, fam, req.ips, req.family, wantPool);
    // Nothing released and nothing replaced (the usual case): d already says so.
    if (released.length === 0 && replaced === undefined) return d;
    if (!d.ok) return { ...d, released };
    return { ...d, released, ...(replaced ? { replaced } : {}) };
  }

  // ---- allocation logic ----------------------------------------------------

  private notOurs(svc: ServiceInput): Granted | undefined {
    const reason = svc.type !== 'LoadBalancer' ? 'not-load-balancer' : !this.isOurClass(svc.loadBalancerClass) ? 'foreign-class' : undefined;
    if (!reason) return undefined;
    const { released } = this.ledger.unplace(namespacedKey(svc.namespace, svc.name));
    return { ok: true, action: 'not-ours', ips: [], pool: undefined, shared: false, released, reason };
  }

  private stillValid(svc: ServiceInput, key: string, h: Holding, wanted: readonly IP[], wantPool: string): Granted['replaced'] {
    // A holding's addresses always lie, usable, in its pool (setPools re-locates them), so they need no locating again.
    const d = this.claim(svc, key, h, h.keys);
    if (!d.ok) return { code: d.code, message: `current addresses no longer valid: ${d.message}` };
    if (wantPool !== '' && h.pool.name !== wantPool) {
      return { code: 'requested-ip-pool-mismatch', message: `pool ${JSON.stringify(wantPool)} requested, addresses are from ${JSON.stringify(h.pool.name)}` };
    }
    const wantedKeys = wanted.map(formatIP);
    const heldKeys = h.keys;
    const sameIPs = wanted.length === heldKeys.length && wantedKeys.every((w) => heldKeys.includes(w));
    if (wanted.length > 0 && !sameIPs) {
      return { code: 'requested-ip-pool-mismatch', message: `addresses ${wantedKeys.join(', ')} requested, holding ${heldKeys.join(', ')}` };
    }
    return undefined;
  }

  /** A PreferDualStack dual-family service holding one address tries to add the other family from the same pool. */
  private keepOrExtend(svc: ServiceInput, key: string, fam: Families): Granted {
    const current = this.ledger.get(key) as Holding;
    const base: Granted = { ok: true, action: 'kept', ips: current.keys, pool: current.pool.name, shared: this.ledger.isShared(current), released: [] };
    if (!(fam.family === 'dual' && fam.policy === 'PreferDualStack' && current.family !== 'dual')) return base;
    const have = current.family;
    const other = otherFamily(have);
    const st = current.pool;
    const claim = this.claimOf(svc, key);
    const o = this.candidate(st, claim, other);
    if (o === undefined) {
      return { ...base, note: { code: st.hasFamily(other) ? 'pool-exhausted' : 'pool-lacks-family', message: `pool ${JSON.stringify(st.name)} has no free ${familyName(other)} address to add` } };
    }
    const now = this.place(claim, have === 4 ? { pool: st, v4: current.v4, v6: o } : { pool: st, v4: o, v6: current.v6 });
    return { ok: true, action: 'extended', ips: now.keys, pool: now.pool.name, shared: this.ledger.isShared(now), released: [] };
  }

  private allocateFresh(svc: ServiceInput, key: string, fam: Families, wanted: readonly IP[], wantedFamily: ServiceFamily | undefined, wantPool: string): Decision {
    if (wanted.length > 0) {
      if (wantedFamily !== fam.family) {
        return fail('requested-ip-family-mismatch', `requested ${wanted.map(formatIP).join(', ')} does not match the service's IP families`);
      }
      const d = this.claimIPs(svc, key, wanted);
      if (!d.ok) return d;
      if (wantPool !== '' && d.pool !== wantPool) {
        this.ledger.unplace(key);
        return fail('requested-ip-pool-mismatch', `requested ${wanted.map(formatIP).join(', ')} is in pool ${JSON.stringify(d.pool)}, not in the requested pool ${JSON.stringify(wantPool)}`);
      }
      return { ...d, action: 'allocated' };
    }
    const claim = this.claimOf(svc, key);
    if (wantPool !== '') {
      const st = this.states.get(wantPool);
      if (!st) return fail('pool-not-found', `requested pool ${JSON.stringify(wantPool)} does not exist`);
      if (!this.compatible(st.pool, svc)) return fail('pool-not-allowed', `pool ${JSON.stringify(wantPool)} is reserved for other namespaces or services`);
      const choice = this.best([st], undefined, claim, fam);
      if (!choice) {
        const missing = wantedFamilies(fam).filter((f) => !st.hasFamily(f));
        if (missing.length > 0 && (fam.family !== 'dual' || fam.policy === 'RequireDualStack')) {
          return fail('pool-lacks-family', `pool ${JSON.stringify(wantPool)} has no ${missing.map(familyName).join(' or ')} addresses`);
        }
        return fail('pool-exhausted', `pool ${JSON.stringify(wantPool)} has no free address for this service`);
      }
      return this.grant(claim, choice);
    }
    const found = this.best(this.restricted, svc, claim, fam) ?? this.best(this.open, undefined, claim, fam);
    if (found) return this.grant(claim, found);
    const all = [...this.restricted.filter((st) => this.compatible(st.pool, svc)), ...this.open];
    if (all.length === 0) return fail('no-auto-assign-pool', 'no pool allows automatic assignment to this service');
    const need = wantedFamilies(fam);
    const fits = all.some((st) => (fam.family === 'dual' && fam.policy !== 'RequireDualStack' ? need.some((f) => st.hasFamily(f)) : need.every((f) => st.hasFamily(f))));
    if (!fits) return fail('no-pool-for-family', `no pool this service may use has ${need.map(familyName).join(fam.policy === 'RequireDualStack' ? ' and ' : ' or ')} addresses`);
    return fail('no-pool-has-free-ip', 'every pool this service may use is full');
  }

  /**
   * MetalLB's findBestPoolForService and selectIPsForFamilyAndPolicy over
   * pools already in preference order (skipping those `svc`, when given,
   * may not use): the first pool with an address of every family wanted;
   * for PreferDualStack, failing that, the first with the primary family,
   * then the first with the other one.
   */
  private best(pools: readonly PoolState[], svc: ServiceInput | undefined, claim: Claim, fam: Families): Target | undefined {
    let primaryOnly: Target | undefined;
    let secondaryOnly: Target | undefined;
    for (const pool of pools) {
      if (svc && !this.compatible(pool.pool, svc)) continue;
      if (fam.family === 4 || fam.family === 6) {
        const o = this.candidate(pool, claim, fam.family);
        if (o !== undefined) return fam.family === 4 ? { pool, v4: o, v6: undefined } : { pool, v4: undefined, v6: o };
        continue;
      }
      const v4 = this.candidate(pool, claim, 4);
      const v6 = this.candidate(pool, claim, 6);
      if (v4 !== undefined && v6 !== undefined) return { pool, v4, v6 };
      if (fam.policy !== 'PreferDualStack') continue;
      const four = v4 === undefined ? undefined : { pool, v4, v6: undefined };
      const six = v6 === undefined ? undefined : { pool, v4: undefined, v6 };
      primaryOnly ??= fam.primary === 4 ? four : six;
      secondaryOnly ??= fam.primary === 4 ? six : four;
    }
    return primaryOnly ?? secondaryOnly;
  }

  /** The lowest address of family `f` in the pool that the claim could hold: free, or shareable with its holders. */
  private candidate(st: PoolState, claim: Claim, f: Family): Ordinal | undefined {
    const space = st.spaces[f];
    if (space.empty) return undefined;
    const free = space.lowestFreeOrdinal();
    if (claim.sharingKey === '') return free;
    for (const o of st.sharedUnder(f, claim.sharingKey, claim.backendKey)) {
      if (free !== undefined && o > free) break;
      if (!this.ledger.conflictAt(claim, space.textOf(o))) return o;
    }
    return free;
  }

  private grant(claim: Claim, target: Target): Granted {
    const h = this.place(claim, target);
    return { ok: true, action: 'allocated', ips: h.keys, pool: h.pool.name, shared: this.ledger.isShared(h), released: [] };
  }

  private place(claim: Claim, target: Target): Holding {
    const h = Holding.of(claim, target);
    this.ledger.place(h);
    return h;
  }

  /** MetalLB's Assign: the addresses must lie in one pool the service may use, and be free or shareable. */
  private claimIPs(svc: ServiceInput, key: string, ips: readonly IP[]): Granted | Failure {
    const where = this.locate(ips, annotation(svc, Annotation.ipAllocatedFromPool));
    return where.ok ? this.claim(svc, key, where.target, where.keys) : where;
  }

  /** Checks, in the order of `keys`, that the claim may hold the target's addresses, then holds them. */
  private claim(svc: ServiceInput, key: string, target: Target, keys: readonly string[]): Granted | Failure {
    if (!this.compatible(target.pool.pool, svc)) {
      return fail('pool-not-allowed', `pool ${JSON.stringify(target.pool.name)} is reserved for other namespaces or services`);
    }
    const claim = this.claimOf(svc, key);
    for (const k of keys) {
      const conflict = this.ledger.conflictAt(claim, k);
      if (conflict) return fail('ip-in-use', describeConflict(conflict), { conflict });
    }
    const h = this.place(claim, target);
    return { ok: true, action: 'kept', ips: h.keys, pool: h.pool.name, shared: this.ledger.isShared(h), released: [] };
  }

  private claimOf(svc: ServiceInput, key: string): Claim {
    return { service: key, ports: servicePortKeys(svc), sharingKey: sharingKey(svc), backendKey: backendKey(svc) };
  }

  /** The pool holding all the addresses as usable ones. */
  private locate(ips: readonly IP[], formerPool: string | undefined): Located {
    let pool: PoolState | undefined;
    const keys: string[] = [];
    for (const ip of ips) {
      const st = this.poolOf(ip);
      const text = formatIP(ip);
      if (!st) {
        if (formerPool && !this.states.has(formerPool)) {
          return fail('pool-removed', `${text} came from pool ${JSON.stringify(formerPool)}, which no longer exists`);
        }
        return fail('ip-not-in-any-pool', `${text} is not in any pool`);
      }
      if (st.pool.avoidBuggyIPs && isBuggyIPv4(ip)) {
        return fail('ip-avoided-as-buggy', `${text} ends in .0 or .255 and pool ${JSON.stringify(st.name)} avoids those`);
      }
      if (pool && pool !== st) return fail('requested-ips-span-pools', `${ips.map(formatIP).join(' and ')} are in different pools (${pool.name}, ${st.name})`);
      pool = st;
      keys.push(text);
    }
    const st = pool as PoolState;
    const at = (f: Family): Ordinal | undefined => {
      const ip = ips.find((x) => x.family === f);
      return ip && st.spaces[f].ordinalOf(ip.value);
    };
    return { ok: true, target: { pool: st, v4: at(4), v6: at(6) }, keys };
  }

  private poolOf(ip: IP): PoolState | undefined {
    const pool = this.index.poolOf(ip);
    return pool && this.states.get(pool.name);
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
}

/** A holding's addresses as values, IPv4 first. */
function addressesOf(h: Holding): IP[] {
  const out: IP[] = [];
  if (h.v4 !== undefined) out.push({ family: 4, value: h.pool.spaces[4].addressOf(h.v4) });
  if (h.v6 !== undefined) out.push({ family: 6, value: h.pool.spaces[6].addressOf(h.v6) });
  return out;
}

function toAllocation(h: Holding): Allocation {
  return { service: h.service, pool: h.pool.name, ips: h.keys, sharingKey: h.sharingKey, backendKey: h.backendKey, ports: h.ports };
}

/** Pools with a positive priority first (lower first), then priority 0; name order within a rank (stable sort). */
function rank(st: PoolState): number {
  const p = st.pool.serviceAllocation?.priority ?? 0;
  return p > 0 ? p : Number.MAX_SAFE_INTEGER;
}

/** MetalLB's serviceFamilyChanged, inverted: a PreferDualStack dual-family service may hold one family. */
function familyFits(held: ServiceFamily, fam: Families): boolean {
  return held === fam.family || (fam.family === 'dual' && fam.policy === 'PreferDualStack');
}

function wantedFamilies(fam: Families): Family[] {
  return fam.family === 'dual' ? [fam.primary, otherFamily(fam.primary)] : [fam.family];
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
