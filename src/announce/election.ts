// The layer-2 election: for each service IP, walk the consistent-hash ring
// of live gossip members from the IP and take the first eligible member.
// Every speaker runs it on the same inputs and gets the same owners, so no
// coordination is needed; when a member dies only the IPs it owned move
// (docs/election.md).
//
// Pure: inputs in, decisions out. What it keeps between runs (the ring,
// rebuilt when the set of live members changes; each IP's decision, the
// part of its plan the decision does not say, and the arc of the ring its
// walk covered) only lets a run decide again just the IPs whose inputs
// changed: the result is that of a full run.

import type { L2DesiredState, L2Target } from './l2/index.js';
import type { MemberState } from '../cluster/messages.js';
import { EligibilityContext } from './election-eligibility.js';
import type { BlockCode, InputProblem, Interfaces, IpPlan, Participant, SkippedService, SkipReason } from './election-eligibility.js';
import type { ElectionInputs } from './election-inputs.js';
import { DEFAULT_VNODES, ketamaKeyHash, MemberRing, PointSet } from './election-ring.js';
import { changedMembers, memberFacts, samePlan } from './election-changes.js';
import { ServiceIndex, type IpGroup } from './election-service-index.js';
import type { ElectionNode } from './election-inputs.js';
import type { Config } from '../config/model.js';

export type NoOwnerCode = BlockCode | 'no-live-member' | 'no-eligible-member';

export interface Decision {
  /** Canonical text (RFC 5952 for IPv6). */
  readonly ip: string;
  /** The pool whose ranges hold the IP; undefined when none does. */
  readonly pool: string | undefined;
  /** Every service holding the IP, "namespace/name", sorted. */
  readonly services: readonly string[];
  /** Services holding the IP that take no part in its election, and why. */
  readonly skippedServices: readonly SkippedService[];
  readonly owner: string | undefined;
  /** Where the owner announces; [] without an owner. */
  readonly interfaces: Interfaces;
  /** Set exactly when there is no owner. */
  readonly noOwner: { readonly code: NoOwnerCode; readonly message: string } | undefined;
}

export interface ElectionResult {
  /** Canonical IP -> decision, iterated in address order (IPv4 first). */
  readonly decisions: ReadonlyMap<string, Decision>;
  /** The live members the ring was built over, sorted. */
  readonly members: readonly string[];
  /** Bad inputs that were left out (unparseable IPs, duplicate services). */
  readonly problems: readonly InputProblem[];
  /** How many IPs this run decided (all of them in a full run; the others kept their decision). */
  readonly decided: number;
}

export interface CandidateVerdict {
  readonly member: string;
  /** 1-based place in the ring walk from the IP. */
  readonly position: number;
  /** owner: elected; eligible: would be, were those before it gone; skipped: filtered out. */
  readonly verdict: 'owner' | 'eligible' | 'skipped';
  readonly reasons: readonly SkipReason[];
}

export interface Explanation {
  readonly decision: Decision;
  /** The IP's ketama hash: where the walk starts. */
  readonly keyHash: number;
  /** Every live member in ring order from the IP; empty when the election stopped before the ring. */
  readonly ring: readonly CandidateVerdict[];
  /** Nodes and gossip members that are not on the ring, sorted: dead/left members, and nodes with no member. */
  readonly notLive: readonly { readonly node: string; readonly state: MemberState | 'no-member' }[];
}

export interface ElectionOptions {
  /** Vnodes per member on the ring (4 points each). Every speaker must use the same. Default DEFAULT_VNODES. */
  readonly vnodes?: number;
  /** Ignore the exclude-from-external-load-balancers label (MetalLB's --ignore-exclude-lb). */
  readonly ignoreExcludeLB?: boolean;
}

function blockedDecision(plan: IpPlan, code: NoOwnerCode, message: string): Decision {
  return { ip: plan.ip, pool: plan.pool, services: plan.services, skippedServices: plan.skippedServices, owner: undefined, interfaces: [], noOwner: { code, message } };
}

function noEligibleMessage(members: number): string {
  return `none of the ${members} live member${members === 1 ? '' : 's'} is eligible (GET /status/ip/ADDRESS lists why)`;
}

/**
 * What one IP's last decision rests on. Part of the IP's group in the
 * service index (one object per held IP), so lean:
 * the plan is not kept (the decision says most of it, and planOf() gives it
 * back with the participants), and the numbers are 32-bit signed integers,
 * which V8 keeps in the object rather than as a boxed double apiece.
 */
interface IpState {
  /** The IP's ketama hash, as int32 (`| 0`; `>>> 0` gives it back): md5 is a good part of a full run's cost. */
  readonly hash: number;
  /** The plan's participants: what its decision does not say. */
  participants: readonly Participant[];
  /** Undefined only between the plan and the decision of one run. */
  decision: Decision | undefined;
  /** How the walk ended: ARC (stopped at `stop`), WALKED_ALL (visited every member), NO_WALK (the election stopped before the ring). */
  walk: number;
  /** With ARC: the point value where the walk stopped, as int32; the arc runs from the IP's hash to it. */
  stop: number;
}

const ARC = 0;
const WALKED_ALL = 1;
const NO_WALK = 2;

const NO_PARTICIPANTS: readonly Participant[] = Object.freeze([]);

/** A held IP: its services and its election state. */
type IpEntry = IpGroup & IpState;

const NOT_BLOCKED = new Set<NoOwnerCode>(['no-live-member', 'no-eligible-member']);

/** The plan `st`'s decision was made from (its ip, pool and services are the decision's; a blocked plan is a decision without an owner that says so). */
function planOf(st: IpState): IpPlan {
  const d = st.decision!;
  const blocked = d.noOwner && !NOT_BLOCKED.has(d.noOwner.code) ? { code: d.noOwner.code as BlockCode, message: d.noOwner.message } : undefined;
  return { ip: d.ip, pool: d.pool, services: d.services, skippedServices: d.skippedServices, participants: st.participants, blocked };
}

/** The inputs of the previous run, as far as the incremental path compares them. */
interface Previous {
  /** Live member name -> what the walk reads of it (memberFacts). */
  readonly facts: ReadonlyMap<string, string>;
  readonly nodes: ReadonlyMap<string, ElectionNode>;
  readonly config: Config;
  readonly decisions: ReadonlyMap<string, Decision>;
  /** No live member was ready: the ready rule stood aside everywhere. */
  readonly noneReady: boolean;
}

export interface ComputeOptions {
  /** Decide every IP again instead of only those whose inputs changed (benchmarks and tests compare the two). */
  readonly full?: boolean;
}

export class Election {
  private readonly ring: MemberRing;
  private readonly ignoreExcludeLB: boolean;
  /** The services by IP, and each IP's state with them. */
  private readonly services = new ServiceIndex<IpEntry>((ip, text, services) => ({
    ip,
    text,
    services,
    hash: ketamaKeyHash(text) | 0,
    participants: NO_PARTICIPANTS,
    decision: undefined,
    walk: NO_WALK,
    stop: 0,
  }));
  private previous: Previous | undefined;
  private readonly interfaceLists = new Map<string, readonly string[]>();

  constructor(opts: ElectionOptions = {}) {
    this.ring = new MemberRing(opts.vnodes ?? DEFAULT_VNODES);
    this.ignoreExcludeLB = opts.ignoreExcludeLB ?? false;
  }

  /** How many times the ring was rebuilt: once per change of the live member set. */
  get ringRebuilds(): number {
    return this.ring.rebuilds;
  }

  private prepare(inputs: ElectionInputs): EligibilityContext {
    this.ring.setMembers(memberFacts(inputs.members).keys());
    return this.context(inputs);
  }

  /** A context for `inputs`, on the election's own index when it holds their services (no index of every service per status request). */
  private context(inputs: ElectionInputs): EligibilityContext {
    return this.services.holds(inputs.services) ? new EligibilityContext(inputs, this.ignoreExcludeLB, this.services) : new EligibilityContext(inputs, this.ignoreExcludeLB);
  }

  /** Decides the IP of `st` from its plan, and records the arc of the ring its walk covered. */
  private decide(ctx: EligibilityContext, st: IpState, plan: IpPlan): void {
    st.participants = plan.participants;
    st.walk = NO_WALK;
    st.stop = 0;
    if (plan.blocked) {
      st.decision = blockedDecision(plan, plan.blocked.code, plan.blocked.message);
      return;
    }
    if (this.ring.members.length === 0) {
      st.decision = blockedDecision(plan, 'no-live-member', 'no gossip member is alive or suspect');
      return;
    }
    const { owner, whole } = ctx.owner(plan, (visit) => this.ring.walkFrom(st.hash >>> 0, visit));
    if (owner === undefined) {
      st.decision = blockedDecision(plan, 'no-eligible-member', noEligibleMessage(this.ring.members.length));
      st.walk = WALKED_ALL;
      return;
    }
    // A fallback to a member that is not ready read every member's flag.
    // lastStop is -1 when the walk went all the way round.
    const last = this.ring.lastStop;
    st.walk = whole || last < 0 ? WALKED_ALL : ARC;
    st.stop = st.walk === ARC ? last | 0 : 0;
    const interfaces = this.shared(ctx.verdict(plan, owner).interfaces);
    st.decision = { ip: plan.ip, pool: plan.pool, services: plan.services, skippedServices: plan.skippedServices, owner, interfaces, noOwner: undefined };
  }

  /** One array per distinct interface list, shared by every decision naming it (and by ownedBy's targets). */
  private shared(interfaces: Interfaces): Interfaces {
    if (interfaces === 'all') return interfaces;
    const key = interfaces.join('\0');
    let same = this.interfaceLists.get(key);
    if (!same) {
      if (this.interfaceLists.size >= 1024) this.interfaceLists.clear();
      this.interfaceLists.set(key, (same = Object.freeze([...interfaces])));
    }
    return same;
  }

  /**
   * Elects an owner for every IP held by a service. After the first run,
   * only the IPs whose inputs changed since the previous run are decided
   * again (docs/election.md, "Incremental runs"); the result is the one a
   * full run gives.
   */
  compute(inputs: ElectionInputs, opts: ComputeOptions = {}): ElectionResult {
    const facts = memberFacts(inputs.members);
    this.ring.setMembers(facts.keys());
    const touched = this.services.update(inputs.services);
    const ctx = new EligibilityContext(inputs, this.ignoreExcludeLB, this.services);
    const groups = this.services.groups;
    const prev = this.previous;
    // "No live member" blocks every IP alike, so leaving or reaching it is a full run.
    // So does the ready rule standing aside (nobody ready) or coming back: it changes every walk.
    const full = opts.full === true || prev === undefined || (prev.facts.size === 0) !== (facts.size === 0) || prev.noneReady !== ctx.noneReady;

    let redo: IpState[];
    let sameAddresses = false;
    if (full) {
      redo = [];
      for (const st of groups.values()) {
        this.decide(ctx, st, ctx.plan(st.text)!);
        redo.push(st);
      }
    } else {
      redo = this.changedSince(prev, inputs, ctx, facts, touched);
      sameAddresses = prev.decisions.size === groups.size && [...touched].every((ip) => prev.decisions.has(ip) === groups.has(ip));
    }

    let decisions: Map<string, Decision>;
    if (sameAddresses) {
      // Same keys: setting them again keeps the address order.
      decisions = new Map(prev!.decisions);
      for (const st of redo) decisions.set(st.decision!.ip, st.decision!);
    } else {
      decisions = new Map();
      for (const g of this.services.order()) decisions.set(g.text, g.decision!);
    }
    this.previous = { facts, nodes: inputs.nodes, config: inputs.config, decisions, noneReady: ctx.noneReady };
    return { decisions, members: this.ring.members, problems: this.services.problems, decided: redo.length };
  }

  /**
   * Decides again the IPs whose decision may differ from the previous
   * run's, and returns their states; the others keep theirs.
   */
  private changedSince(prev: Previous, inputs: ElectionInputs, ctx: EligibilityContext, facts: ReadonlyMap<string, string>, touched: ReadonlySet<string>): IpState[] {
    const groups = this.services.groups;
    const redo = new Set<IpState>();
    // Services and config change plans: who takes part, from which pool,
    // with which advertisements. An IP whose plan is the same walks the same.
    const replan = prev.config === inputs.config ? touched : groups.keys();
    for (const ip of replan) {
      if (!groups.has(ip)) continue;
      const plan = ctx.plan(ip)!;
      const st = groups.get(ip)!;
      if (st.decision && samePlan(planOf(st), plan)) {
        // The same plan from new objects (a new Config): later comparisons read the new ones.
        st.participants = plan.participants;
        continue;
      }
      this.decide(ctx, st, plan);
      redo.add(st);
    }
    // Members. A member gone from the ring moves only the IPs it owned: a
    // walk that skipped it meets the same members after it. Any other
    // change (a member joining, or changing in what eligibility reads)
    // moves only IPs whose walk passed it: those whose arc holds one of its
    // points. A walk that met every member without an owner is redone on
    // any change (its message counts the members).
    const changed = changedMembers(prev, facts, inputs.nodes);
    if (changed.length > 0) {
      const gone = new Set(changed.filter((m) => !facts.has(m)));
      const points = new PointSet(changed.filter((m) => !gone.has(m)).map((m) => this.ring.pointsOf(m)));
      for (const st of groups.values()) {
        if (st.walk === NO_WALK || redo.has(st)) continue;
        const owner = st.decision?.owner;
        if (st.walk === WALKED_ALL || (owner !== undefined && gone.has(owner)) || points.hitsArc(st.hash >>> 0, st.stop >>> 0)) {
          this.decide(ctx, st, planOf(st));
          redo.add(st);
        }
      }
    }
    return [...redo];
  }

  /**
   * Which of `ips` `member` may own by the eligibility rules alone, wherever
   * it stands on the ring: what a member that sees no other elects itself
   * for. Canonical texts; addresses no service holds are left out.
   */
  eligibleFor(member: string, ips: Iterable<string>, inputs: ElectionInputs): string[] {
    const ctx = this.context(inputs);
    const out: string[] = [];
    for (const ip of ips) {
      const canonical = ctx.held(ip);
      const plan = canonical === undefined ? undefined : ctx.plan(canonical);
      if (plan && !plan.blocked && ctx.eligible(plan, member)) out.push(plan.ip);
    }
    return out;
  }

  /**
   * The decision for one IP with the whole ring walk: every live member in
   * ring order and every reason it was passed over. Undefined when no
   * service holds the address (or it is not an address). The decision is
   * the one compute() makes from the same inputs.
   */
  explain(ip: string, inputs: ElectionInputs): Explanation | undefined {
    const ctx = this.prepare(inputs);
    const canonical = ctx.held(ip);
    if (canonical === undefined) return undefined;
    const plan = ctx.plan(canonical)!;
    // The decision comes from compute()'s own path; the walk below only
    // explains it (tests check that verdict() agrees with it).
    const probe: IpState = { hash: ketamaKeyHash(canonical) | 0, participants: NO_PARTICIPANTS, decision: undefined, walk: NO_WALK, stop: 0 };
    this.decide(ctx, probe, plan);
    const decision = probe.decision!;
    const walked = plan.blocked ? [] : this.ring.order(canonical);
    const ring = walked.map((member, i): CandidateVerdict => {
      const reasons = ctx.candidate(plan, member, decision.owner);
      const verdict = member === decision.owner ? 'owner' : reasons.length === 0 ? 'eligible' : 'skipped';
      return { member, position: i + 1, verdict, reasons };
    });
    return { decision, keyHash: probe.hash >>> 0, ring, notLive: notLive(inputs, this.ring.members) };
  }
}

function notLive(inputs: ElectionInputs, live: readonly string[]): Explanation['notLive'] {
  const onRing = new Set(live);
  const out = new Map<string, MemberState | 'no-member'>();
  for (const m of inputs.members) {
    if (onRing.has(m.name)) continue;
    const seen = out.get(m.name);
    // A name listed twice: keep the same one whatever the input order.
    if (seen === undefined || m.state < seen) out.set(m.name, m.state);
  }
  for (const name of inputs.nodes.keys()) if (!onRing.has(name) && !out.has(name)) out.set(name, 'no-member');
  return [...out.keys()].sort().map((node) => ({ node, state: out.get(node)! }));
}

/** The Announcer's target for "every interface": one object for every address. */
const ALL_INTERFACES: L2Target = Object.freeze({});
/** Targets per interface list: decisions with the same list share one. */
const targets = new WeakMap<readonly string[], L2Target>();

/** What `node` should announce, in the form the layer-2 Announcer's set() takes. */
export function ownedBy(result: ElectionResult, node: string): L2DesiredState {
  const out = new Map<string, L2Target>();
  for (const d of result.decisions.values()) {
    if (d.owner !== node) continue;
    if (d.interfaces === 'all') {
      out.set(d.ip, ALL_INTERFACES);
      continue;
    }
    let target = targets.get(d.interfaces);
    if (!target) targets.set(d.interfaces, (target = Object.freeze({ interfaces: d.interfaces })));
    out.set(d.ip, target);
  }
  return out;
}
