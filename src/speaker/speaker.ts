// The speaker core, the same in Kubernetes and file mode: whenever gossip
// membership or the world changes, run the election, announce this node's
// addresses in layer 2, and give its BGP peers the routes it is eligible
// for. Membership changes reconcile on the next tick (failover latency);
// world changes are coalesced over a few milliseconds (bursts of Service or
// EndpointSlice updates cost one election).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { formatIP, parseIP } from '../net/index.js';
import { Election, ownedBy, type ElectionResult } from '../announce/election.js';
import { servicesEligibleOn } from '../announce/election-eligibility.js';
import type { ElectionInputs } from '../announce/election-inputs.js';
import { OwnershipTracker, type OwnershipChange } from '../announce/election-status.js';
import type { Announcer, L2DesiredState } from '../announce/l2/index.js';
import { peersForNode, routesForNode, type AnnouncedAddress } from '../bgp/config-adapter.js';
import type { BgpSpeaker } from '../bgp/speaker.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Config } from '../config/model.js';
import { namespacedKey } from '../kube/object-key.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { emptyQuorumMemory, observeQuorum, type QuorumCount, type QuorumMemory } from './quorum.js';
import { withReadiness } from './readiness.js';
import { BatchLog } from '../util/log-batch.js';
import type { World } from './world.js';

/** An ownership change involving this node, with the services it affects. */
export interface LocalOwnershipChange extends OwnershipChange {
  readonly services: readonly string[];
  /** true: this node starts announcing the IP; false: it stops. */
  readonly taken: boolean;
}

/** What a reconcile decided, for observers (Speaker.onReconcile). */
export interface Reconciled {
  readonly inputs: ElectionInputs;
  readonly result: ElectionResult;
  /** What layer 2 was given to announce. */
  readonly announced: ReadonlySet<string>;
  /** Services advertised over BGP from this node -> the peers they go to (names, sorted). */
  readonly bgpServices: ReadonlyMap<string, readonly string[]>;
}

export interface SpeakerOptions {
  node: string;
  cluster: Cluster;
  world: World;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Layer-2 responder; undefined runs the election without answering ARP/NDP (status shows what would be announced). */
  l2?: Announcer;
  bgp?: BgpSpeaker;
  /** Secrets for BGP passwords, "namespace/name" -> password. */
  secrets?: () => ReadonlyMap<string, string>;
  /** Told of every change of what this node announces in layer 2. */
  onLocalChange?: (change: LocalOwnershipChange) => void;
  /**
   * MetalLB's --ignore-exclude-lb: nodes labelled
   * node.kubernetes.io/exclude-from-external-load-balancers stay eligible,
   * in layer 2 and BGP alike. Every speaker must be given the same value,
   * or their elections disagree.
   */
  ignoreExcludeLB?: boolean;
  /** Coalescing delay for world changes. Default 20 ms. */
  settleMs?: number;
  /**
   * The quorum setting (quorum.ts); undefined: off. While this member sees
   * no majority of the last known membership alive, layer 2 announces no
   * address it did not announce already.
   */
  quorum?: {
    /** Other members this one was configured to join (its seeds but itself): the floor of the known membership. */
    expected: () => number;
    /** Default QUORUM_FORGET_MS. */
    forgetAfterMs?: number;
  };
  wallNow?: () => number;
}

export class Speaker {
  readonly election: Election;
  readonly tracker: OwnershipTracker;
  private latest: ElectionResult | undefined;
  private latestInputs: ElectionInputs | undefined;
  private timer: TimerHandle | undefined;
  private timerUrgent = false;
  private lastPeersKey = '';
  private bgpProblems: readonly string[] = [];
  private bgpStarted = false;
  private running = false;
  /** While set, layer 2 announces only these of the addresses it owns (see restrictLayer2). */
  private kept: ReadonlySet<string> | undefined;
  /** What the last reconcile gave layer 2 to announce. */
  private lastAnnounced: ReadonlySet<string> = new Set();
  private quorumMemory: QuorumMemory = emptyQuorumMemory;
  private quorumCount: QuorumCount | undefined;
  private quorumTimer: TimerHandle | undefined;
  /** What the last reconcile advertised over BGP, per service. */
  private bgpServices: ReadonlyMap<string, readonly string[]> = new Map();
  private readonly reconciled: ((r: Reconciled) => void)[] = [];
  private readonly log: Logger;
  /** What this node starts and stops announcing, one summary line a reconcile (each address at debug). */
  private readonly taking: BatchLog;
  private readonly releasing: BatchLog;
  private readonly metrics: {
    reconciles: Counter;
    duration: Histogram;
    changes: Counter<'direction'>;
    /** With the quorum setting only. */
    quorum: Gauge<'count'> | undefined;
  };

  constructor(private readonly opts: SpeakerOptions) {
    this.log = opts.logger.child({ component: 'speaker' });
    this.election = new Election({ ignoreExcludeLB: opts.ignoreExcludeLB ?? false });
    this.taking = new BatchLog(this.log, 'announcing');
    this.releasing = new BatchLog(this.log, 'stopped announcing');
    this.tracker = new OwnershipTracker(opts.wallNow ?? Date.now);
    const registers = [opts.registry];
    this.metrics = {
      reconciles: new Counter({ name: 'shoal_speaker_reconciles_total', help: 'Elections run by this speaker.', registers }),
      duration: new Histogram({
        name: 'shoal_speaker_reconcile_seconds',
        help: 'Time of one election and the announcing that follows.',
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
        registers,
      }),
      changes: new Counter({
        name: 'shoal_speaker_ownership_changes_total',
        help: 'Service IPs this node started (taken) or stopped (released) announcing in layer 2.',
        labelNames: ['direction'],
        registers,
      }),
      quorum: opts.quorum
        ? new Gauge({
            name: 'shoal_speaker_quorum_members',
            help: 'The quorum as this member counts it: live members (count="live") of the last known membership (count="known"), this member included.',
            labelNames: ['count'],
            registers,
          })
        : undefined,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.opts.cluster.onEvent(() => this.request(true));
    this.opts.world.onChange(() => this.request(false));
    this.request(true);
  }

  /** The most recent election, for status. */
  get result(): ElectionResult | undefined {
    return this.latest;
  }

  get inputs(): ElectionInputs | undefined {
    return this.latestInputs;
  }

  get problems(): readonly string[] {
    return this.bgpProblems;
  }

  /**
   * While this member's view of the cluster cannot be trusted (it has not
   * joined yet, or it was cut off), it could elect itself for addresses
   * their owners still announce. Restricted, layer 2 announces only the
   * owned addresses in `kept` (what was announced before the view went
   * stale); undefined lifts the restriction. The election still runs, for
   * status and BGP. Layer2Guard decides when.
   */
  restrictLayer2(kept: ReadonlySet<string> | undefined): void {
    if (this.kept === kept) return;
    this.kept = kept;
    this.request(true);
  }

  /** The addresses the last reconcile gave layer 2 to announce (canonical text). */
  announced(): ReadonlySet<string> {
    return this.lastAnnounced;
  }

  /** Called after every reconcile that ran an election. */
  onReconcile(fn: (r: Reconciled) => void): void {
    this.reconciled.push(fn);
  }

  /** Schedules a reconcile: on the next tick when urgent, else after the settle delay. */
  request(urgent: boolean): void {
    if (!this.running) return;
    if (this.timer && (this.timerUrgent || !urgent)) return;
    this.opts.clock.clearTimeout(this.timer);
    this.timerUrgent = urgent;
    this.timer = this.opts.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.reconcile();
      },
      urgent ? 0 : (this.opts.settleMs ?? 20),
    );
  }

  /** Runs the election and makes announcements match it. */
  reconcile(): void {
    if (!this.running) return;
    const started = performance.now();
    // The ready flag travels in the metadata; the election reads it as a member's.
    const inputs = this.opts.world.inputs(withReadiness(this.opts.cluster.members()));
    this.metrics.reconciles.inc();
    if (!inputs) {
      // No usable configuration yet: announce nothing rather than guess.
      this.announce(new Map());
      return;
    }
    const result = this.election.compute(inputs);
    this.latest = result;
    this.latestInputs = inputs;
    const me = this.opts.node;
    const kept = this.kept;
    const noQuorum = this.observeQuorum(inputs) === false;
    if (kept || noQuorum) {
      // Ownership changes are reported once the view is fresh again (or
      // the quorum back): what the election says meanwhile may be an
      // artefact of a stale or partial view.
      const owned = ownedBy(result, me);
      const before = this.lastAnnounced;
      this.announce(new Map([...owned].filter(([ip]) => (!kept || kept.has(ip)) && (!noQuorum || before.has(ip)))));
      if (this.opts.bgp) this.reconcileBgp(inputs.config, inputs, result);
      this.notify(inputs, result);
      return;
    }
    for (const change of this.tracker.update(result)) {
      if (change.from !== me && change.to !== me) continue;
      const taken = change.to === me;
      const services = result.decisions.get(change.ip)?.services ?? [];
      this.metrics.changes.inc({ direction: taken ? 'taken' : 'released' });
      (taken ? this.taking : this.releasing).add(change.ip, { ip: change.ip, services, from: change.from, to: change.to });
      this.opts.onLocalChange?.({ ...change, services, taken });
    }
    this.releasing.flush();
    this.taking.flush();
    this.announce(ownedBy(result, me));
    if (this.opts.bgp) this.reconcileBgp(inputs.config, inputs, result);
    this.metrics.duration.observe((performance.now() - started) / 1000);
    this.notify(inputs, result);
  }

  /** The quorum as the last reconcile found it; undefined when the setting is off or no election ran. */
  quorum(): QuorumCount | undefined {
    return this.quorumCount;
  }

  /** Whether this member sees a majority; undefined when the setting is off. Wakes to re-count when a lost member is forgotten. */
  private observeQuorum(inputs: ElectionInputs): boolean | undefined {
    const q = this.opts.quorum;
    if (!q) return undefined;
    const now = this.opts.clock.now();
    const { memory, count } = observeQuorum(this.quorumMemory, {
      members: inputs.members,
      self: this.opts.node,
      now,
      expected: q.expected(),
      ...(q.forgetAfterMs !== undefined ? { forgetAfterMs: q.forgetAfterMs } : {}),
    });
    if (this.quorumCount && this.quorumCount.majority !== count.majority) {
      const fields = { live: count.live, known: count.known };
      if (count.majority) this.log.info('quorum: a majority of the known members is alive again; taking over as the election says', fields);
      else this.log.warn('quorum lost: fewer than a majority of the known members alive; keeping what this member announces, taking over nothing', fields);
    }
    this.quorumMemory = memory;
    this.quorumCount = count;
    this.metrics.quorum?.set({ count: 'live' }, count.live);
    this.metrics.quorum?.set({ count: 'known' }, count.known);
    this.opts.clock.clearTimeout(this.quorumTimer);
    this.quorumTimer = undefined;
    if (!count.majority && count.nextForget !== undefined) {
      this.quorumTimer = this.opts.clock.setTimeout(() => {
        this.quorumTimer = undefined;
        this.request(true);
      }, Math.max(0, count.nextForget - now));
    }
    return count.majority;
  }

  private announce(desired: L2DesiredState): void {
    this.lastAnnounced = new Set(desired.keys());
    this.opts.l2?.set(desired);
  }

  private notify(inputs: ElectionInputs, result: ElectionResult): void {
    for (const fn of this.reconciled) {
      try {
        fn({ inputs, result, announced: this.lastAnnounced, bgpServices: this.bgpServices });
      } catch (err) {
        this.log.error('reconcile observer failed', { error: err });
      }
    }
  }

  /**
   * BGP: every eligible node advertises (no election), by the election's
   * own rules (servicesEligibleOn); the BGPAdvertisements then pick pools,
   * node and service selectors.
   */
  private reconcileBgp(config: Config, inputs: ElectionInputs, result: ElectionResult): void {
    const bgp = this.opts.bgp!;
    const self = this.opts.world.self();
    const node = inputs.nodes.get(self.name);
    const ctx = { name: self.name, labels: node?.labels ?? self.labels, ipv4: self.ipv4, ipv6: self.ipv6, secrets: this.opts.secrets?.() ?? new Map<string, string>() };
    const peers = peersForNode(config, ctx);
    const key = JSON.stringify(peers.value);
    const problems = [...peers.problems];
    if (key !== this.lastPeersKey) {
      this.lastPeersKey = key;
      // The listener on port 179 opens with the first peer, so a layer-2-only
      // install never binds it.
      if (peers.value.length > 0 && !this.bgpStarted) {
        this.bgpStarted = true;
        bgp.start().catch((err: unknown) => this.log.error('BGP could not start (port 179 taken, or no privilege to bind it?)', { error: err }));
      }
      bgp.setPeers(peers.value).then(
        (p) => p.length && this.log.warn('BGP peer problems', { problems: p }),
        (err: unknown) => this.log.error('setting BGP peers failed', { error: err }),
      );
    }
    const announced: AnnouncedAddress[] = [];
    const byService = new Map<string, readonly string[]>();
    for (const svc of servicesEligibleOn(inputs, self.name, this.opts.ignoreExcludeLB ?? false)) {
      const own: AnnouncedAddress[] = [];
      for (const text of svc.ips) {
        const parsed = parseIP(text);
        const ip = parsed && formatIP(parsed);
        const pool = ip && result.decisions.get(ip)?.pool;
        if (ip && pool) own.push({ ip, pool, serviceLabels: svc.labels });
      }
      announced.push(...own);
      // Which peers carry this service (ServiceBGPStatus, nodeAssigned Events).
      const to = Object.entries(routesForNode(config, ctx, peers.value, own).value).filter(([, r]) => r.length > 0).map(([peer]) => peer).sort();
      if (to.length > 0) byService.set(namespacedKey(svc.namespace, svc.name), to);
    }
    this.bgpServices = byService;
    const routes = routesForNode(config, ctx, peers.value, announced);
    problems.push(...routes.problems);
    bgp.setRoutes(routes.value);
    this.bgpProblems = problems;
  }

  stop(): void {
    this.running = false;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.opts.clock.clearTimeout(this.quorumTimer);
    this.quorumTimer = undefined;
  }
}
