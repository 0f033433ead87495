// One speaker process, whatever feeds it (Kubernetes or a file): gossip
// member, layer-2 announcer, election core, the guard that holds layer 2
// while this member's view is stale (start-up, link outage, lost
// everyone), re-assertion when a member comes back, status endpoint, and
// the order things stop in. Each mode (kube-mode.ts, file-mode.ts) builds
// its world and gossip member and hands them here.

import { collectDefaultMetrics, type Registry } from 'prom-client';
import { announcementsSection, ipStatusResource } from '../announce/election-status.js';
import type { Announcer, AnnouncerEvent } from '../announce/l2/index.js';
import type { BgpSpeaker } from '../bgp/speaker.js';
import type { LiveConflict } from '../announce/fencing/fence.js';
import type { Address } from '../net/index.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Meta } from '../cluster/messages.js';
import { registerClusterMetrics } from '../cluster/metrics.js';
import { clusterStatusSection } from '../cluster/status.js';
import type { AllowList } from '../status/access.js';
import { StatusServer, type StatusSection } from '../status/server.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { SpeakerFencing } from './fencing.js';
import type { FencingSettings } from './fencing-settings.js';
import { encryptionSection, warnWhileUnencrypted, type EncryptionStatus } from './gossip-key.js';
import { createLayer2, type Layer2Settings } from './layer2.js';
import { Layer2Guard } from './layer2-guard.js';
import { MemberMeta } from './member-meta.js';
import { ReassertOnReturn } from './reassert-on-return.js';
import { Speaker, type LocalOwnershipChange } from './speaker.js';
import { fencingSection, layer2Section } from './status.js';
import { FailbackWarmUp } from './warm-up.js';
import type { World } from './world.js';

/**
 * The debug lines of the announcer's per-address events, as constants: a
 * gratuitous round comes for every address every few seconds, and a message
 * built for each would be made even when the logger's level drops the line.
 */
const LAYER2_EVENT_MESSAGES = { announce: 'layer2 announce', withdraw: 'layer2 withdraw', gratuitous: 'layer2 gratuitous' } as const;

export interface SpeakerAssemblyOptions {
  node: string;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Launched, not started. */
  cluster: Cluster;
  /** This member's gossip address. */
  self: Address;
  /** The gossip seeds, read at every (re)join. */
  seeds: () => readonly Address[];
  world: World;
  /** The mode's own gossip metadata, as given to launchMember; the interface MACs are added to it. */
  meta: Meta;
  layer2: Layer2Settings;
  /** Split-brain settings: conflict resolution, re-assertion, the heal burst, quorum and the failback warm-up. */
  fencing: FencingSettings;
  /** A split-brain conflict on an address started or changed resolution, with the services holding the address. */
  onConflict?: (c: LiveConflict, services: readonly string[]) => void;
  bgp?: BgpSpeaker;
  /** BGP passwords, "namespace/name" -> password. */
  secrets?: () => ReadonlyMap<string, string>;
  onLocalChange?: (change: LocalOwnershipChange) => void;
  /** MetalLB's --ignore-exclude-lb (see SpeakerOptions). */
  ignoreExcludeLB?: boolean;
  /** Whether gossip is sealed; unencrypted gossip is warned about at start and every `warnEveryMs` (once when undefined). */
  encryption: { status: EncryptionStatus; warnEveryMs: number | undefined };
  status: {
    listen: readonly Address[];
    /** Sources served besides the host itself; default every source. */
    allow?: AllowList;
    /** Sections after the gossip, encryption, announcements and layer-2 ones. */
    sections?: StatusSection[];
    unhealthy?: () => string | undefined;
  };
  /** How long a graceful leave may take. */
  leaveTimeoutMs: number;
  /** Closes the mode's own parts, last, with the gossip member and the status server. */
  close?: () => Promise<void>;
}

export class SpeakerAssembly {
  readonly speaker: Speaker;
  readonly l2: Announcer | undefined;
  readonly guard: Layer2Guard;
  /** This member's gossip metadata: set the mode's entries through it, never with cluster.setMeta. */
  readonly meta: MemberMeta;
  readonly warmUp: FailbackWarmUp;
  private readonly reassert: ReassertOnReturn | undefined;
  private readonly fencing: SpeakerFencing | undefined;
  private readonly status: StatusServer;
  private readonly log: Logger;
  private stopWarning: () => void = () => {};

  constructor(private readonly opts: SpeakerAssemblyOptions) {
    const { cluster, clock, logger: log, registry } = opts;
    this.log = log;
    collectDefaultMetrics({ register: registry });
    registerClusterMetrics(cluster, registry);
    // Membership changes in the log, for operators and for the failover benchmark's timeline.
    cluster.onEvent((e) => log.info('member event', { event: e.kind, member: e.member.name, state: e.member.state, previous: e.previous, incarnation: e.member.incarnation }));
    const fencing = opts.fencing;
    this.meta = new MemberMeta(cluster, opts.meta);
    this.l2 = createLayer2({ ...opts.layer2, reassertMs: fencing.reassertMs }, clock, log, registry, (e) => this.layer2Event(e));
    const l2 = this.l2;
    this.speaker = new Speaker({
      node: opts.node,
      cluster,
      world: opts.world,
      clock,
      logger: log,
      registry,
      ...(l2 ? { l2 } : {}),
      ...(opts.bgp ? { bgp: opts.bgp } : {}),
      ...(opts.secrets ? { secrets: opts.secrets } : {}),
      ...(opts.onLocalChange ? { onLocalChange: opts.onLocalChange } : {}),
      // The seeds are the floor of the known membership for a member that has just started.
      ...(fencing.quorum ? { quorum: { expected: () => this.otherSeeds() } } : {}),
      ...(opts.ignoreExcludeLB ? { ignoreExcludeLB: true } : {}),
    });
    this.warmUp = new FailbackWarmUp({ delayMs: fencing.failbackDelayMs, clock, logger: log, meta: this.meta, registry });
    const warmUp = this.warmUp;
    this.guard = new Layer2Guard({
      node: opts.node,
      self: opts.self,
      clock,
      logger: log,
      cluster,
      speaker: this.speaker,
      l2,
      seeds: opts.seeds,
      onHold: (hold) => warmUp.guarded(hold),
    });
    this.reassert = l2 && new ReassertOnReturn({ node: opts.node, cluster, speaker: this.speaker, l2, logger: log, burstMs: fencing.healBurstMs });
    const speaker = this.speaker;
    this.fencing =
      l2 &&
      new SpeakerFencing({
        node: opts.node,
        clock,
        logger: log,
        registry,
        settings: fencing,
        cluster,
        l2,
        meta: this.meta,
        onConflict: (c) => opts.onConflict?.(c, speaker.result?.decisions.get(c.ip)?.services ?? []),
      });
    const fence = this.fencing;
    if (fence) speaker.onReconcile((r) => fence.reconciled(r));
    this.status = new StatusServer({
      listen: opts.status.listen,
      ...(opts.status.allow ? { allow: opts.status.allow } : {}),
      registry,
      clock,
      logger: log,
      sections: [
        clusterStatusSection(cluster),
        encryptionSection(opts.encryption.status),
        announcementsSection(() => speaker.result, opts.node, speaker.tracker),
        layer2Section(
          () => l2?.status(),
          () => this.guard.status(),
        ),
        ...(fence ? [fence.section()] : []),
        fencingSection(
          () => warmUp.status(),
          () => (fencing.quorum ? (speaker.quorum() ?? 'not counted yet') : undefined),
        ),
        ...(opts.status.sections ?? []),
      ],
      subResources: [ipStatusResource((ip) => (speaker.inputs ? speaker.election.explain(ip, speaker.inputs) : undefined))],
      ...(opts.status.unhealthy ? { unhealthy: opts.status.unhealthy } : {}),
    });
  }

  /** Serves /status, /metrics and /healthz. */
  async serveStatus(): Promise<void> {
    await this.status.start();
    const allow = this.opts.status.allow?.cidrs ?? [];
    this.log.info('status endpoint listening', { urls: this.status.urls(), ...(allow.length ? { allow } : {}) });
  }

  /** Starts layer 2, gossip and the election, and joins through the seeds; layer 2 is held until the join is done. */
  run(): void {
    this.stopWarning = warnWhileUnencrypted(this.opts.encryption.status, this.opts.clock, this.log, this.opts.encryption.warnEveryMs);
    this.l2?.start();
    this.opts.cluster.start();
    this.guard.start();
    this.reassert?.start();
    this.fencing?.start();
    this.speaker.start();
  }

  /**
   * Stops in the order that spares clients a gap: BGP withdraws first (the
   * routers move traffic to the other nodes; peers with graceful restart
   * keep the routes instead, for the next process); the leave is announced while
   * layer 2 still answers (the others take over with gratuitous ARP while we
   * still answer); then the sockets close.
   */
  async stop(): Promise<void> {
    this.stopWarning();
    this.speaker.stop();
    this.guard.stop();
    this.warmUp.stop();
    this.reassert?.stop();
    this.fencing?.stop();
    // A stopping speaker is, as far as BGP can tell, restarting (a rolling
    // update, a drained node): peers with graceful restart keep its routes.
    await this.opts.bgp?.shutdown({ message: 'shoal speaker stopping', restart: true });
    await this.opts.cluster.leave(this.opts.leaveTimeoutMs);
    this.l2?.close();
    await Promise.all([this.opts.close?.(), this.opts.cluster.shutdown(), this.status.close()]);
  }

  /** Distinct seeds other than this member. */
  private otherSeeds(): number {
    const self = this.opts.self;
    return new Set(this.opts.seeds().filter((s) => s.host !== self.host || s.port !== self.port).map((s) => `${s.host} ${s.port}`)).size;
  }

  private layer2Event(e: AnnouncerEvent): void {
    this.fencing?.layer2Event(e);
    if (e.type === 'link') {
      this.log.info(e.carrying ? 'link carrying' : 'link not carrying', { interface: e.interface });
      this.guard.link(e.interface, e.carrying);
    } else if (e.type === 'gratuitous' || e.type === 'announce' || e.type === 'withdraw') {
      this.log.debug(LAYER2_EVENT_MESSAGES[e.type], { protocol: e.protocol, interface: e.interface, ip: e.ip });
    }
  }
}
