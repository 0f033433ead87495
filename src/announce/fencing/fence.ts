// The split-brain fence: turns the claims the layer-2 responders see into
// what this node does about them, by the rule in rule.ts.
//
//  - a member we beat: we keep answering and re-assert at once (a burst,
//    at most one per address per BURST_INTERVAL_MS) so clients it pulled
//    away come back;
//  - a member that beats us: we yield the address (the announcer stops
//    answering it at once) for as long as its claims keep coming, but only
//    while that member is out of our view: a member we see alive shares
//    our election, so its claim is a moment of handover (its last burst as
//    it lets go, its first as it takes over) and the election decides, not
//    this rule (yielding there could leave an address with no answerer:
//    the claimant releasing it, we yielded to it); a yield
//    lapses `yieldMs` after the last claim seen, so a winner that dies does
//    not leave the address unanswered for good, and ends at once when the
//    winner comes back into our view (the election is then the arbiter
//    again) or the address stops being ours;
//  - a host outside the cluster: reported (log, metric, status, event),
//    never fought: no bursts beyond the normal re-assertion.
// With resolution off, every claim is only reported.

import { Counter, Gauge, type Registry } from 'prom-client';

import type { Clock, TimerHandle } from '../../util/clock.js';
import { SpellLog } from '../../util/log-spell.js';
import type { Logger } from '../../util/log.js';
import type { MacAddress } from '../l2/mac.js';
import type { L2Claim, L2Protocol } from '../l2/verdict.js';
import { ClaimResolver, type Claimant } from './rule.js';

/** How a conflict stands, for /status and the metric label. Append-only. */
export type ConflictResolution =
  /** We beat a member to the address and re-asserted. */
  | 'won'
  /** A member beat us; we stopped answering. */
  | 'yielded'
  /** A host outside the cluster claims the address; reported, not fought. */
  | 'unknown-host'
  /** A host probes for the address (ARP probe, DAD); answered and reported. */
  | 'probe'
  /** Resolution is off: reported only. */
  | 'reported';

export interface LiveConflict {
  readonly ip: string;
  readonly protocol: L2Protocol;
  readonly interface: string;
  /** The claimant's MAC. */
  readonly mac: MacAddress;
  /**
   * The member that MAC belongs to, if any, as of the latest claim: a
   * claim can come before the claimant's MACs reach us by gossip (a member
   * starting up, not yet in our view), and the conflict is then put right
   * by the next claim rather than left on an unknown host.
   */
  member: string | undefined;
  /** When it was first seen (clock ms) and last seen. */
  readonly since: number;
  lastSeen: number;
  resolution: ConflictResolution;
}

export interface FenceAnnouncer {
  setYielded(ips: Iterable<string>): void;
  reassert(ips: Iterable<string>, delaysMs?: readonly number[]): void;
}

export interface FenceOptions {
  self: string;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  l2: FenceAnnouncer;
  /** Who a MAC belongs to (MacDirectory.attribute). */
  attribute: (mac: MacAddress) => Claimant;
  /** Whether a member is alive (or suspect) in this member's gossip view; default: never. */
  inView?: (member: string) => boolean;
  /** false: detect and report only. */
  resolve: boolean;
  /** How long a yield outlives the winner's last claim seen; longer than the winner's re-assertion cycle. */
  yieldMs: number;
  /** The winner's re-assertion rounds after beating a claimant (ms after the claim). */
  winBurstMs?: readonly number[];
  /** Told when a conflict starts, changes resolution or is attributed to another member (for Kubernetes Events). */
  onConflict?: (c: LiveConflict) => void;
}

export const DEFAULT_WIN_BURST_MS: readonly number[] = [0, 500, 2000];
/** A winner re-asserts an address at most this often in answer to claims, so a claimant that will not yield cannot make us flood. */
const BURST_INTERVAL_MS = 5000;
/** An unknown host's claims on one address are logged at most this often. */
const REPORT_INTERVAL_MS = 30_000;

interface Yield {
  winner: string;
  timer: TimerHandle;
}

export class Fence {
  private readonly resolver: ClaimResolver;
  private readonly log: Logger;
  private readonly yields = new Map<string, Yield>();
  /** "ip|mac" -> conflict, while claims keep coming. */
  private readonly live = new Map<string, LiveConflict & { timer: TimerHandle }>();
  private readonly lastBurst = new Map<string, number>();
  private readonly lastReport = new Map<string, number>();
  /** One per message: a healed split brain contests thousands of addresses at once. */
  private readonly spells: Record<'won' | 'yield' | 'member' | 'outsider', SpellLog>;
  private readonly conflicts: Counter<'address' | 'resolution'>;
  private readonly liveGauge: Gauge;
  private readonly winBurstMs: readonly number[];
  private closed = false;

  constructor(private readonly o: FenceOptions) {
    if (!(o.yieldMs > 0) || !Number.isFinite(o.yieldMs)) throw new RangeError(`yieldMs must be a positive number of ms, got ${o.yieldMs}`);
    this.resolver = new ClaimResolver(o.self);
    this.log = o.logger.child({ module: 'announce/fencing' });
    this.spells = {
      won: new SpellLog(this.log, 'warn', 'split brain: another member claims an address we announce; we keep it and re-assert', o.clock),
      yield: new SpellLog(this.log, 'warn', 'split brain: another member claims an address we announce; yielding it', o.clock),
      member: new SpellLog(this.log, 'error', 'another member claims an address we announce', o.clock),
      outsider: new SpellLog(this.log, 'error', 'a host outside the cluster claims an address we announce (an IP conflict on the network): not fighting it', o.clock),
    };
    this.winBurstMs = o.winBurstMs ?? DEFAULT_WIN_BURST_MS;
    const registers = [o.registry];
    // The address label is bounded by the addresses this node announces:
    // claims on any other are not conflicts.
    this.conflicts = new Counter({
      name: 'shoal_l2_conflicts_total',
      help: 'Conflicts seen over an address this node announces (another host claiming it), by how each was resolved',
      labelNames: ['address', 'resolution'],
      registers,
    });
    this.liveGauge = new Gauge({ name: 'shoal_l2_conflicts_live', help: 'Conflicts with claims seen within the yield window', registers });
  }

  /** A claim the responders saw on `ip`, which this node announces or yielded. */
  claim(ip: string, protocol: L2Protocol, iface: string, claim: L2Claim): void {
    if (this.closed) return;
    const claimant = this.o.attribute(claim.mac);
    if (claimant.kind === 'self' || (claimant.kind === 'member' && claimant.name === this.o.self)) return;
    const member = claimant.kind === 'member' ? claimant.name : undefined;
    let resolution: ConflictResolution;
    if (claim.probe) resolution = 'probe';
    else if (!this.o.resolve) resolution = 'reported';
    else if (member !== undefined && this.o.inView?.(member)) {
      // Views agree on the claimant: the election is the arbiter and says this address is ours.
      resolution = 'won';
    } else {
      const r = this.resolver.resolve(ip, claimant);
      resolution = r === 'win' ? 'won' : r === 'yield' ? 'yielded' : 'unknown-host';
    }
    this.record({ ip, protocol, interface: iface, mac: claim.mac, member, resolution });
    if (resolution === 'won') this.burst(ip);
    else if (resolution === 'yielded') this.yieldTo(ip, member!);
  }

  /** A member came back into our view: the election decides again between us, so yields to it end. */
  memberReturned(name: string): void {
    const ended = [...this.yields].filter(([, y]) => y.winner === name).map(([ip]) => ip);
    if (ended.length === 0) return;
    this.log.info('member back in view: yielded addresses answered again, as the election decides', { member: name, addresses: ended.length });
    for (const ip of ended) this.endYield(ip, false);
    this.pushYields();
  }

  /** After each reconcile: yields on addresses this node no longer owns end. */
  owned(ips: ReadonlySet<string>): void {
    const ended = [...this.yields.keys()].filter((ip) => !ips.has(ip));
    for (const ip of ended) this.endYield(ip, false);
    if (ended.length) this.pushYields();
  }

  /** Addresses currently yielded, and to whom. */
  yielded(): ReadonlyMap<string, string> {
    return new Map([...this.yields].map(([ip, y]) => [ip, y.winner]));
  }

  status(): { ip: string; protocol: L2Protocol; interface: string; mac: string; member: string | undefined; sinceMs: number; lastSeenMs: number; resolution: ConflictResolution }[] {
    const now = this.o.clock.now();
    return [...this.live.values()].map((c) => ({
      ip: c.ip,
      protocol: c.protocol,
      interface: c.interface,
      mac: c.mac,
      member: c.member,
      sinceMs: Math.round(now - c.since),
      lastSeenMs: Math.round(now - c.lastSeen),
      resolution: c.resolution,
    }));
  }

  close(): void {
    this.closed = true;
    for (const spell of Object.values(this.spells)) spell.close();
    for (const y of this.yields.values()) this.o.clock.clearTimeout(y.timer);
    for (const c of this.live.values()) this.o.clock.clearTimeout(c.timer);
    this.yields.clear();
    this.live.clear();
    this.liveGauge.set(0);
  }

  private record(c: Omit<LiveConflict, 'since' | 'lastSeen'>): void {
    const key = `${c.ip}|${c.mac}`;
    const now = this.o.clock.now();
    const existing = this.live.get(key);
    const expire = (): TimerHandle =>
      this.o.clock.setTimeout(() => {
        this.live.delete(key);
        this.liveGauge.set(this.live.size);
      }, this.o.yieldMs);
    if (existing) {
      existing.lastSeen = now;
      this.o.clock.clearTimeout(existing.timer);
      existing.timer = expire();
      const attributed = existing.member !== c.member;
      existing.member = c.member;
      if (existing.resolution === c.resolution) {
        // Same resolution, now named: the observer hears of the member; nothing new to count.
        if (attributed) this.notify(existing);
        return;
      }
      existing.resolution = c.resolution;
      this.started(existing);
      return;
    }
    const entry = { ...c, since: now, lastSeen: now, timer: expire() };
    this.live.set(key, entry);
    this.liveGauge.set(this.live.size);
    this.started(entry);
  }

  /** A conflict began or changed resolution: count, log (rate-limited) and tell the observer. */
  private started(c: LiveConflict): void {
    this.conflicts.inc({ address: c.ip, resolution: c.resolution });
    const fields = { ip: c.ip, interface: c.interface, protocol: c.protocol, mac: c.mac, ...(c.member ? { member: c.member } : {}), resolution: c.resolution };
    if (c.resolution === 'unknown-host' || c.resolution === 'probe' || c.resolution === 'reported') {
      const key = `${c.ip}|${c.mac}`;
      const last = this.lastReport.get(key);
      const now = this.o.clock.now();
      if (last === undefined || now - last >= REPORT_INTERVAL_MS) {
        this.lastReport.set(key, now);
        this.spells[c.member ? 'member' : 'outsider'].add(c.ip, fields);
      }
    } else {
      this.spells[c.resolution === 'won' ? 'won' : 'yield'].add(c.ip, fields);
    }
    this.notify(c);
  }

  private notify(c: LiveConflict): void {
    try {
      this.o.onConflict?.(c);
    } catch (err) {
      this.log.warn('conflict observer threw', { error: err });
    }
  }

  private burst(ip: string): void {
    const now = this.o.clock.now();
    const last = this.lastBurst.get(ip);
    if (last !== undefined && now - last < BURST_INTERVAL_MS) return;
    this.lastBurst.set(ip, now);
    this.o.l2.reassert([ip], this.winBurstMs);
  }

  private yieldTo(ip: string, winner: string): void {
    const existing = this.yields.get(ip);
    if (existing) this.o.clock.clearTimeout(existing.timer);
    const timer = this.o.clock.setTimeout(() => {
      this.log.info('yield lapsed: no claim from the winner lately, answering again', { ip, winner });
      this.endYield(ip, true);
      this.pushYields();
    }, this.o.yieldMs);
    this.yields.set(ip, { winner, timer });
    if (!existing || existing.winner !== winner) this.pushYields();
  }

  private endYield(ip: string, lapsed: boolean): void {
    const y = this.yields.get(ip);
    if (!y) return;
    if (!lapsed) this.o.clock.clearTimeout(y.timer);
    this.yields.delete(ip);
  }

  private pushYields(): void {
    this.o.l2.setYielded(this.yields.keys());
  }
}
