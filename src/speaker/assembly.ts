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
import type { Address } from '../cluster/address.js';
import type { Cluster } from '../cluster/cluster.js';
import { registerClusterMetrics } from '../cluster/metrics.js';
import { clusterStatusSection } from '../cluster/status.js';
import type { AllowList } from '../status/access.js';
import { StatusServer, type StatusSection } from '../status/server.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { encryptionSection, warnWhileUnencrypted, type EncryptionStatus } from './gossip-key.js';
import { createLayer2, type Layer2Settings } from './layer2.js';
import { Layer2Guard } from './layer2-guard.js';
import { ReassertOnReturn } from './reassert-on-return.js';
import { Speaker, type LocalOwnershipChange } from './speaker.js';
import { layer2Section } from './status.js';
import type { World } from './world.js';

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
  layer2: Layer2Settings;
  bgp?: BgpSpeaker;
  /** BGP passwords, "namespace/name" -> password. */
  secrets?: () => ReadonlyMap<string, string>;
  onLocalChange?: (change: LocalOwnershipChange) => void;
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
  private readonly reassert: ReassertOnReturn | undefined;
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
    this.l2 = createLayer2(opts.layer2, clock, log, registry, (e) => this.layer2Event(e));
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
    });
    this.guard = new Layer2Guard({ node: opts.node, self: opts.self, clock, logger: log, cluster, speaker: this.speaker, l2, seeds: opts.seeds });
    this.reassert = l2 && new ReassertOnReturn({ node: opts.node, cluster, speaker: this.speaker, l2, logger: log });
    const speaker = this.speaker;
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
    this.reassert?.stop();
    // A stopping speaker is, as far as BGP can tell, restarting (a rolling
    // update, a drained node): peers with graceful restart keep its routes.
    await this.opts.bgp?.shutdown({ message: 'shoal speaker stopping', restart: true });
    await this.opts.cluster.leave(this.opts.leaveTimeoutMs);
    this.l2?.close();
    await Promise.all([this.opts.close?.(), this.opts.cluster.shutdown(), this.status.close()]);
  }

  private layer2Event(e: AnnouncerEvent): void {
    if (e.type === 'link') {
      this.log.info(e.carrying ? 'link carrying' : 'link not carrying', { interface: e.interface });
      this.guard.link(e.interface, e.carrying);
    } else if (e.type === 'gratuitous' || e.type === 'announce' || e.type === 'withdraw') {
      this.log.debug(`layer2 ${e.type}`, { protocol: e.protocol, interface: e.interface, ip: e.ip });
    }
  }
}
