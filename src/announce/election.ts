// The layer-2 election: for each service IP, walk the consistent-hash ring
// of live gossip members from the IP and take the first eligible member.
// Every speaker runs it on the same inputs and gets the same owners, so no
// coordination is needed; when a member dies only the IPs it owned move
// (docs/election.md).
//
// Pure: inputs in, decisions out. The only state is the ring, rebuilt when
// the set of live members changes.

import type { L2DesiredState, L2Target } from './l2/index.js';
import type { MemberState } from '../cluster/messages.js';
import { EligibilityContext } from './election-eligibility.js';
import type { BlockCode, InputProblem, Interfaces, IpPlan, SkippedService, SkipReason } from './election-eligibility.js';
import { isLive } from './election-inputs.js';
import type { ElectionInputs } from './election-inputs.js';
import { DEFAULT_VNODES, ketamaKeyHash, MemberRing } from './election-ring.js';

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

const decisionBase = (plan: IpPlan): Pick<Decision, 'ip' | 'pool' | 'services' | 'skippedServices'> => ({
  ip: plan.ip,
  pool: plan.pool,
  services: plan.services,
  skippedServices: plan.skippedServices,
});

function blockedDecision(plan: IpPlan, code: NoOwnerCode, message: string): Decision {
  return { ...decisionBase(plan), owner: undefined, interfaces: [], noOwner: { code, message } };
}

function noEligibleMessage(members: number): string {
  return `none of the ${members} live member${members === 1 ? '' : 's'} is eligible (GET /status/ip/ADDRESS lists why)`;
}

export class Election {
  private readonly ring: MemberRing;
  private readonly ignoreExcludeLB: boolean;
  private hashes = new Map<string, number>();

  constructor(opts: ElectionOptions = {}) {
    this.ring = new MemberRing(opts.vnodes ?? DEFAULT_VNODES);
    this.ignoreExcludeLB = opts.ignoreExcludeLB ?? false;
  }

  /** How many times the ring was rebuilt: once per change of the live member set. */
  get ringRebuilds(): number {
    return this.ring.rebuilds;
  }

  private prepare(inputs: ElectionInputs): EligibilityContext {
    const live: string[] = [];
    for (const m of inputs.members) if (isLive(m.state)) live.push(m.name);
    this.ring.setMembers(live);
    return new EligibilityContext(inputs, this.ignoreExcludeLB);
  }

  private decide(ctx: EligibilityContext, plan: IpPlan): Decision {
    if (plan.blocked) return blockedDecision(plan, plan.blocked.code, plan.blocked.message);
    if (this.ring.members.length === 0) return blockedDecision(plan, 'no-live-member', 'no gossip member is alive or suspect');
    const hash = this.keyHash(plan.ip);
    const owner = ctx.owner(plan, (visit) => this.ring.walkFrom(hash, visit));
    if (owner === undefined) return blockedDecision(plan, 'no-eligible-member', noEligibleMessage(this.ring.members.length));
    return { ...decisionBase(plan), owner, interfaces: ctx.verdict(plan, owner).interfaces, noOwner: undefined };
  }

  /** The ketama hash of an IP, kept while some service holds the IP: md5 is a good part of a run's cost. */
  private keyHash(ip: string): number {
    let h = this.hashes.get(ip);
    if (h === undefined) {
      h = ketamaKeyHash(ip);
      this.hashes.set(ip, h);
    }
    return h;
  }

  /** Elects an owner for every IP held by a service. */
  compute(inputs: ElectionInputs): ElectionResult {
    const ctx = this.prepare(inputs);
    const ips = ctx.ips();
    const previous = this.hashes;
    this.hashes = new Map();
    for (const ip of ips) {
      const h = previous.get(ip);
      if (h !== undefined) this.hashes.set(ip, h);
    }
    const decisions = new Map<string, Decision>();
    for (const ip of ips) decisions.set(ip, this.decide(ctx, ctx.plan(ip)!));
    return { decisions, members: this.ring.members, problems: ctx.problems };
  }

  /**
   * Which of `ips` `member` may own by the eligibility rules alone, wherever
   * it stands on the ring: what a member that sees no other elects itself
   * for. Canonical texts; addresses no service holds are left out.
   */
  eligibleFor(member: string, ips: Iterable<string>, inputs: ElectionInputs): string[] {
    const ctx = new EligibilityContext(inputs, this.ignoreExcludeLB);
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
    const decision = this.decide(ctx, plan);
    const walked = plan.blocked ? [] : this.ring.order(canonical);
    const ring = walked.map((member, i): CandidateVerdict => {
      const reasons = ctx.candidate(plan, member, decision.owner);
      const verdict = member === decision.owner ? 'owner' : reasons.length === 0 ? 'eligible' : 'skipped';
      return { member, position: i + 1, verdict, reasons };
    });
    return { decision, keyHash: ketamaKeyHash(canonical), ring, notLive: notLive(inputs, this.ring.members) };
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

/** What `node` should announce, in the form the layer-2 Announcer's set() takes. */
export function ownedBy(result: ElectionResult, node: string): L2DesiredState {
  const out = new Map<string, L2Target>();
  for (const d of result.decisions.values()) {
    if (d.owner !== node) continue;
    out.set(d.ip, d.interfaces === 'all' ? {} : { interfaces: d.interfaces });
  }
  return out;
}
