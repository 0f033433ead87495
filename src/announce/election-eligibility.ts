// Who may announce a service IP: the filters of the layer-2 election, and
// the same node and service rules for BGP (servicesEligibleOn), so both
// protocols apply one set of rules.
//
// Per IP (all the services holding it elect once):
// - the pool is the one whose ranges contain the IP (as MetalLB's speaker
//   resolves it; the ip-allocated-from-pool annotation is the controller's
//   note and can be stale after a pool is renamed);
// - a service takes part when some L2Advertisement of the pool selects it
//   (serviceSelectors) and it has a serving endpoint somewhere (MetalLB
//   announces nothing for a service without one, whatever its policy);
// - a node is eligible when it is known, not excluded, its network is
//   available, and for every taking part service: some L2Advertisement
//   selecting that service selects the node, and with externalTrafficPolicy
//   Local the node has a serving endpoint of it. One owner must be able to
//   carry every sharer's traffic, hence "every" (see docs/election.md).
// - it announces on the union of the interfaces those advertisements name;
//   any of them naming none means every interface.
//
// The ready rule (delayed failback): of the eligible members, the owner is
// the first on the ring that is ready (ElectionMember.ready is not false);
// when no eligible member is ready (a whole cluster starting at once), the
// first eligible member, so an address never goes unanswered while someone
// eligible is alive. Readiness is a preference, not a filter: it decides
// between eligible members and never makes an address ownerless. Every
// member reads the same gossiped flag, so every member elects alike.

import type { Config, L2Advertisement, Pool } from '../config/model.js';
import { anySelectorMatches } from '../config/selector.js';
import { formatIP, parseIPDetailed } from '../net/index.js';
import { EXCLUDE_LB_LABEL, isLive, serviceKeyOf } from './election-inputs.js';
import { ServiceIndex, type IpGroup } from './election-service-index.js';
import type { ElectionInputs, ElectionNode, ElectionService, ServiceEndpoints } from './election-inputs.js';

/** Why a ring member cannot own the IP. */
export type CandidateSkipCode = 'unknown-node' | 'excluded-label' | 'network-unavailable' | 'no-l2advertisement-selects-node' | 'no-ready-endpoint' | 'not-ready';

export interface SkipReason {
  readonly code: CandidateSkipCode;
  readonly detail: string;
}

/** Why a service holding the IP takes no part in its election. */
export type ServiceSkipCode = 'no-l2advertisement-selects-service' | 'no-serving-endpoint';

export interface SkippedService {
  readonly service: string;
  readonly code: ServiceSkipCode;
  readonly detail: string;
}

/** Why the election did not get to walk the ring for an IP. */
export type BlockCode = 'ip-not-in-any-pool' | 'no-l2advertisement-for-pool' | ServiceSkipCode | 'no-announceable-service';

export interface InputProblem {
  /** "namespace/name" of the service, "" when not about one. */
  readonly service: string;
  /** Where in that service: "ips[2]". */
  readonly field: string;
  readonly message: string;
}

/** Interfaces to announce on: a sorted list, or every interface. */
export type Interfaces = 'all' | readonly string[];

export interface Participant {
  readonly key: string;
  readonly ads: readonly L2Advertisement[];
  /** Nodes with a serving endpoint, for Local policy; undefined for Cluster. */
  readonly localNodes: ReadonlySet<string> | undefined;
}

export interface IpPlan {
  readonly ip: string;
  readonly pool: string | undefined;
  /** Every service holding the IP, sorted. */
  readonly services: readonly string[];
  readonly skippedServices: readonly SkippedService[];
  readonly participants: readonly Participant[];
  readonly blocked: { readonly code: BlockCode; readonly message: string } | undefined;
}

export interface NodeVerdict {
  readonly reasons: readonly SkipReason[];
  /** Meaningful when there are no reasons. */
  readonly interfaces: Interfaces;
}

interface PoolAds {
  readonly ads: readonly L2Advertisement[];
  readonly anyServiceSelectors: boolean;
}

/** Advertisements of one Config, indexed for lookups by name and pool. */
class ConfigIndex {
  readonly adsByName: ReadonlyMap<string, L2Advertisement>;
  private readonly poolAds = new Map<Pool, PoolAds>();

  constructor(config: Config) {
    this.adsByName = new Map(config.l2Advertisements.map((a) => [a.name, a]));
  }

  /** The L2Advertisements covering `pool`, and whether any of them selects services. */
  adsOf(pool: Pool): PoolAds {
    let ads = this.poolAds.get(pool);
    if (!ads) {
      const list = pool.l2Advertisements.map((n) => this.adsByName.get(n)).filter((a): a is L2Advertisement => a !== undefined);
      ads = { ads: list, anyServiceSelectors: list.some((a) => a.serviceSelectors.length > 0) };
      this.poolAds.set(pool, ads);
    }
    return ads;
  }
}

const configIndexes = new WeakMap<Config, ConfigIndex>();

function indexOf(config: Config): ConfigIndex {
  let idx = configIndexes.get(config);
  if (!idx) {
    idx = new ConfigIndex(config);
    configIndexes.set(config, idx);
  }
  return idx;
}

const list = (names: readonly string[]): string => names.join(', ');

const NO_SKIPPED: readonly SkippedService[] = Object.freeze([]);

// Endpoint node lists as sets, kept as long as the caller keeps the same
// endpoints object (the speaker replaces it only when the slices change).
const endpointSets = new WeakMap<ServiceEndpoints, ReadonlySet<string>>();

function endpointNodeSet(e: ServiceEndpoints): ReadonlySet<string> {
  let s = endpointSets.get(e);
  if (!s) {
    s = new Set(e.nodes);
    endpointSets.set(e, s);
  }
  return s;
}

// The rules both protocols apply.

/** Nodes that may carry the service's traffic: those with a serving endpoint under Local policy; undefined (any node) under Cluster. */
function localNodes(svc: ElectionService): ReadonlySet<string> | undefined {
  return svc.externalTrafficPolicy === 'Local' ? endpointNodeSet(svc.endpoints) : undefined;
}

/** The checks of a node that depend on no address: known, not excluded, network available. */
function nodeSkipReasons(node: ElectionNode | undefined, name: string, ignoreExcludeLB: boolean): SkipReason[] {
  if (!node) return [{ code: 'unknown-node', detail: `no Node named ${name}` }];
  const out: SkipReason[] = [];
  if (!ignoreExcludeLB && Object.hasOwn(node.labels, EXCLUDE_LB_LABEL)) {
    out.push({ code: 'excluded-label', detail: `node has the ${EXCLUDE_LB_LABEL} label` });
  }
  if (node.networkUnavailable) out.push({ code: 'network-unavailable', detail: 'node condition NetworkUnavailable is True' });
  return out;
}

/**
 * The services node `name` may advertise by BGP, where every eligible node
 * advertises (no election): the layer-2 election's node rules, and of the
 * services those with a serving endpoint and, under Local policy, one on
 * this node. BGPAdvertisements select among them afterwards (pools, node
 * and service selectors: bgp/config-adapter.ts).
 */
export function servicesEligibleOn(inputs: ElectionInputs, name: string, ignoreExcludeLB = false): ElectionService[] {
  if (nodeSkipReasons(inputs.nodes.get(name), name, ignoreExcludeLB).length > 0) return [];
  return inputs.services.filter((svc) => svc.endpoints.serving && (localNodes(svc)?.has(name) ?? true));
}

/** An eligible member passed over by the ready rule. */
export const NOT_READY: SkipReason = { code: 'not-ready', detail: 'not ready (warming up): it takes addresses back once its warm-up is over' };

/** Live members that say they are not ready yet (ElectionMember.ready === false), and whether that is every live member. */
function unreadyMembers(inputs: ElectionInputs): { unready: ReadonlySet<string>; all: boolean } {
  const unready = new Set<string>();
  const live = new Set<string>();
  for (const m of inputs.members) {
    if (!isLive(m.state)) continue;
    live.add(m.name);
    if (m.ready === false) unready.add(m.name);
  }
  return { unready, all: unready.size > 0 && unready.size === live.size };
}

const byServiceKey = (a: ElectionService, b: ElectionService): number => (serviceKeyOf(a) < serviceKeyOf(b) ? -1 : 1);

/**
 * One election run's view of the inputs: the services grouped by IP, and
 * caches for facts that do not depend on the IP (node checks, which
 * advertisement selects which node).
 */
export class EligibilityContext {
  private readonly index: ConfigIndex;
  private readonly groups: ReadonlyMap<string, IpGroup>;
  private readonly nodeChecks = new Map<string, readonly SkipReason[]>();
  private readonly adSelects = new Map<L2Advertisement, Map<string, boolean>>();
  private readonly unready: ReadonlySet<string>;
  /** No live member is ready (a whole cluster starting): the ready rule falls back everywhere. */
  readonly noneReady: boolean;

  /** `services`: the inputs' services grouped by IP, when the caller keeps them up to date (the election does). */
  constructor(
    private readonly inputs: ElectionInputs,
    private readonly ignoreExcludeLB: boolean,
    private readonly services: ServiceIndex = ServiceIndex.of(inputs.services),
  ) {
    this.index = indexOf(inputs.config);
    this.groups = services.groups;
    ({ unready: this.unready, all: this.noneReady } = unreadyMembers(inputs));
  }

  /** Bad inputs that were left out (unparseable IPs, duplicate services). */
  get problems(): readonly InputProblem[] {
    return this.services.problems;
  }

  /** Whether live member `name` is ready (says so, or says nothing). */
  ready(name: string): boolean {
    return !this.unready.has(name);
  }

  /**
   * The owner of the IP of `plan` by the eligibility rules and the ready
   * rule (see the header), along `walk`: a walk of the ring from the IP that
   * stops at the first member `visit` accepts. `owner` is undefined when no
   * member is eligible; `whole` says the answer depended on every member on
   * the ring (the ready walk found no one and the plain walk decided), which
   * an incremental run must know. The second walk happens only when no
   * eligible member is ready.
   */
  owner(plan: IpPlan, walk: (visit: (member: string) => boolean) => string | undefined): { owner: string | undefined; whole: boolean } {
    if (this.unready.size === 0 || this.noneReady) return { owner: walk((m) => this.eligible(plan, m)), whole: false };
    const ready = walk((m) => this.ready(m) && this.eligible(plan, m));
    if (ready !== undefined) return { owner: ready, whole: false };
    return { owner: walk((m) => this.eligible(plan, m)), whole: true };
  }

  /**
   * verdict() for the status walk: with NOT_READY for a member that is
   * eligible but not ready, when the ready rule decided the IP (its owner
   * is ready). When no eligible member is ready, readiness played no part
   * and nobody is said to be skipped for it.
   */
  candidate(plan: IpPlan, name: string, owner: string | undefined): readonly SkipReason[] {
    const { reasons } = this.verdict(plan, name);
    if (reasons.length > 0 || this.ready(name) || owner === undefined || !this.ready(owner)) return reasons;
    return [NOT_READY];
  }

  /** IPs held by some service, in address order (IPv4 first). */
  ips(): string[] {
    return this.services.order().map((g) => g.text);
  }

  /** The canonical text of `ip`, or undefined when no service holds it (or it is not an address). */
  held(ip: string): string | undefined {
    const parsed = parseIPDetailed(ip);
    if (!parsed.ok) return undefined;
    const text = formatIP(parsed.ip);
    return this.groups.has(text) ? text : undefined;
  }

  /** Which services of `ip` take part, from which pool; undefined when no service holds `ip` (canonical text). */
  plan(ip: string): IpPlan | undefined {
    const group = this.groups.get(ip);
    if (!group) return undefined;
    const sorted = group.services.length === 1 ? group.services : [...group.services].sort(byServiceKey);
    const services = sorted.map(serviceKeyOf);
    const pool = this.inputs.config.poolIndex.poolOf(group.ip);
    if (!pool) {
      const blocked = { code: 'ip-not-in-any-pool' as const, message: `${ip} is in no address pool of the configuration` };
      return { ip, pool: undefined, services, skippedServices: [], participants: [], blocked };
    }
    const poolAds = this.index.adsOf(pool);
    if (poolAds.ads.length === 0) {
      const blocked = { code: 'no-l2advertisement-for-pool' as const, message: `no L2Advertisement covers pool ${pool.name}` };
      return { ip, pool: pool.name, services, skippedServices: [], participants: [], blocked };
    }
    const skippedServices: SkippedService[] = [];
    // Sized up front: a plan's participants are kept per IP, and an array
    // grown by push() from empty holds room for 16.
    const participants: Participant[] = new Array<Participant>(sorted.length);
    let taking = 0;
    sorted.forEach((svc, i) => {
      const key = services[i]!;
      const ads = poolAds.anyServiceSelectors ? poolAds.ads.filter((a) => anySelectorMatches(a.serviceSelectors, svc.labels)) : poolAds.ads;
      if (ads.length === 0) {
        skippedServices.push({
          service: key,
          code: 'no-l2advertisement-selects-service',
          detail: `the serviceSelectors of ${list(poolAds.ads.map((a) => a.name))} (covering pool ${pool.name}) do not match ${key}`,
        });
      } else if (!svc.endpoints.serving) {
        skippedServices.push({ service: key, code: 'no-serving-endpoint', detail: `${key} has no ready or serving endpoint` });
      } else {
        participants[taking++] = { key, ads, localNodes: localNodes(svc) };
      }
    });
    participants.length = taking;
    let blocked: IpPlan['blocked'];
    if (participants.length === 0) {
      const codes = new Set(skippedServices.map((s) => s.code));
      blocked = {
        code: codes.size === 1 ? [...codes][0]! : 'no-announceable-service',
        message: skippedServices.map((s) => s.detail).join('; '),
      };
    }
    // Most IPs skip no service: they share one empty list (a plan is kept per IP).
    return { ip, pool: pool.name, services, skippedServices: skippedServices.length ? skippedServices : NO_SKIPPED, participants, blocked };
  }

  /** The IP-independent checks of a node: known, not excluded, network available. */
  private nodeReasons(name: string): readonly SkipReason[] {
    let reasons = this.nodeChecks.get(name);
    if (!reasons) {
      reasons = nodeSkipReasons(this.inputs.nodes.get(name), name, this.ignoreExcludeLB);
      this.nodeChecks.set(name, reasons);
    }
    return reasons;
  }

  private selects(ad: L2Advertisement, name: string, node: ElectionNode): boolean {
    let byNode = this.adSelects.get(ad);
    if (!byNode) {
      byNode = new Map();
      this.adSelects.set(ad, byNode);
    }
    let yes = byNode.get(name);
    if (yes === undefined) {
      yes = anySelectorMatches(ad.nodeSelectors, node.labels);
      byNode.set(name, yes);
    }
    return yes;
  }

  /**
   * Whether ring member `name` may own the IP of `plan`: the election's fast
   * path, run for every member walked past. verdict() makes the same checks
   * and says why.
   */
  eligible(plan: IpPlan, name: string): boolean {
    // Endpoints first: a Local service's walk passes over most members for
    // want of an endpoint, and that is the cheapest check.
    for (const p of plan.participants) if (p.localNodes && !p.localNodes.has(name)) return false;
    if (this.nodeReasons(name).length > 0) return false;
    const node = this.inputs.nodes.get(name)!;
    for (const p of plan.participants) {
      let selected = false;
      for (const a of p.ads) {
        if (this.selects(a, name, node)) {
          selected = true;
          break;
        }
      }
      if (!selected) return false;
    }
    return true;
  }

  /** Every reason `name` may not own the IP of `plan` (none when it may), and where it would announce. */
  verdict(plan: IpPlan, name: string): NodeVerdict {
    const reasons = [...this.nodeReasons(name)];
    const node = this.inputs.nodes.get(name);
    if (!node) return { reasons, interfaces: [] };
    const ifaces = new Set<string>();
    let every = false;
    const named = plan.participants.length > 1;
    for (const p of plan.participants) {
      const selecting = p.ads.filter((a) => this.selects(a, name, node));
      if (selecting.length === 0) {
        reasons.push({
          code: 'no-l2advertisement-selects-node',
          detail: `the nodeSelectors of ${list(p.ads.map((a) => a.name))}${named ? ` (for ${p.key})` : ''} do not match this node`,
        });
      }
      if (p.localNodes && !p.localNodes.has(name)) {
        reasons.push({ code: 'no-ready-endpoint', detail: `${p.key} has externalTrafficPolicy Local and no ready or serving endpoint on this node` });
      }
      for (const a of selecting) {
        if (a.interfaces.length === 0) every = true;
        else for (const i of a.interfaces) ifaces.add(i);
      }
    }
    if (reasons.length > 0) return { reasons, interfaces: [] };
    return { reasons, interfaces: every ? 'all' : [...ifaces].sort() };
  }
}
