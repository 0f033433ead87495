// Kubernetes mode: a DaemonSet pod on the host network. It watches
// Services, EndpointSlices, Nodes and the metallb.io configuration, gossips
// with the other speaker pods, announces the service IPs the election gives
// its node (layer 2) and advertises the ones it is eligible for to its BGP
// peers.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import type { LiveConflict } from '../announce/fencing/fence.js';
import { BgpSpeaker } from '../bgp/speaker.js';
import { VERSION } from '../cli/version.js';
import type { Address } from '../net/index.js';
import type { TimingProfile } from '../cluster/options.js';
import { launchMember } from '../cluster/launch.js';
import type { ConfigSourceMode } from '../kube/defaults.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { EventRecorder, referenceTo } from '../kube/events.js';
import { Informer } from '../kube/informer.js';
import { namespacedKey } from '../kube/object-key.js';
import { configMaps, services } from '../kube/resources.js';
import { desiredConfigurationState } from '../kube/configuration-state.js';
import { StatusObjectWriter, statusWriterMetrics } from '../kube/status-objects.js';
import type { AllowList } from '../status/access.js';
import { statusListen } from '../status/listen.js';
import { RealClock } from '../util/clock.js';
import { createLogger, type Logger, type LogLevel } from '../util/log.js';
import { AnnouncementStatus, l2Services } from './announcement-status.js';
import { AnnouncedMetric, announcedSeries } from './announced-metric.js';
import { AnnounceFailures } from './announce-failures.js';
import { SpeakerAssembly } from './assembly.js';
import type { FencingSettings } from './fencing-settings.js';
import { EXCLUDE_L2_CONFIGMAP, ExcludeL2List, formatExcludeError } from './exclude-l2.js';
import { kubeGossipKey } from './gossip-key.js';
import { KubeWorld } from './kube-world.js';
import type { Layer2Mode } from './layer2-mode.js';
import type { LocalOwnershipChange } from './speaker.js';
import { bgpSection } from './status.js';
import { FailbackWarmUp } from './warm-up.js';
import type { Wire } from '../kube/wire.js';

export interface KubeSpeakerOptions {
  node: string;
  /** shoal's namespace: configuration, Secrets, speaker pods. */
  namespace: string;
  /** undefined: in-cluster, then $KUBECONFIG, then ~/.kube/config. */
  kubeconfigPath: string | undefined;
  gossipBind: Address;
  /** The gossip address others reach; undefined: the bind address (or the first non-loopback one). */
  advertise: Address | undefined;
  /** This pod's IP (host network: the node's), for a Node object that lists no address. */
  podIP: string | undefined;
  gossipProfile: TimingProfile;
  /** The key file (the mounted memberlist Secret); without it the speaker refuses to start unless insecureGossip. */
  gossipKeyPath: string | undefined;
  insecureGossip: boolean;
  peerSelector: string;
  lbClass: string | undefined;
  /** MetalLB's --ignore-exclude-lb. */
  ignoreExcludeLB?: boolean;
  configSource: ConfigSourceMode;
  /** Status listen addresses; undefined: the gossip advertise address and loopback. */
  status: readonly Address[] | undefined;
  statusAllow: AllowList;
  bgpListen: Address;
  layer2: Layer2Mode;
  /** Split-brain settings (--conflict-resolution, --reassert-interval, --heal-burst, --quorum, --failback-delay). */
  fencing: FencingSettings;
  leaveTimeoutMs: number;
  logLevel: LogLevel;
}

export interface RunningSpeaker {
  readonly log: Logger;
  stop(): Promise<void>;
}

function describeChange(c: LocalOwnershipChange, node: string): { reason: string; message: string } {
  return c.taken
    ? { reason: 'nodeAssigned', message: `announcing from node "${node}" with protocol "layer2"` }
    : { reason: 'nodeUnassigned', message: `node "${node}" stopped announcing ${c.ip}${c.to ? `; "${c.to}" announces it now` : ''}` };
}

function describeConflict(c: LiveConflict, node: string): { reason: string; message: string } {
  const who = c.member ? `node "${c.member}" (${c.mac})` : `a host outside the cluster (${c.mac})`;
  const outcome: Record<LiveConflict['resolution'], string> = {
    won: `node "${node}" keeps it and re-announces`,
    yielded: `node "${node}" stopped answering for it`,
    'unknown-host': 'not contested: fix the address conflict on the network',
    probe: 'the probe was answered',
    reported: 'conflict resolution is off',
  };
  return { reason: c.member ? 'SplitBrain' : 'AddressConflict', message: `${who} claims ${c.ip} on ${c.interface}; ${outcome[c.resolution]}` };
}

export async function startKubeSpeaker(o: KubeSpeakerOptions): Promise<RunningSpeaker> {
  const node = o.node;
  // Before anything connects: without a key (or --insecure-gossip) the speaker does not start.
  const { keyring, status: encryption } = await kubeGossipKey(o.gossipKeyPath, o.insecureGossip, o.namespace);
  const log = createLogger({ level: o.logLevel, fields: { node } });
  const clock = new RealClock();
  const { kubeConfig, source } = loadKubeConfig(o.kubeconfigPath ? { kubeconfigPath: o.kubeconfigPath } : {});
  log.info('speaker starting', { version: VERSION, kubeconfig: source, namespace: o.namespace });

  const meta = FailbackWarmUp.startMeta({ version: VERSION }, o.fencing.failbackDelayMs);
  const { cluster, advertise } = await launchMember({
    name: node,
    bind: o.gossipBind,
    ...(o.advertise ? { advertise: o.advertise } : {}),
    profile: o.gossipProfile,
    ...(keyring ? { keyring } : {}),
    meta,
    logger: log,
  });

  const registry = new Registry();
  const world = new KubeWorld({
    kubeConfig,
    namespace: o.namespace,
    node,
    configSource: o.configSource,
    lbClass: o.lbClass,
    peerSelector: o.peerSelector,
    podIP: o.podIP,
    clock,
    logger: log,
    registry,
  });
  const bgp = new BgpSpeaker({ clock, logger: log, registry, listen: { address: o.bgpListen.host, port: o.bgpListen.port } });
  const events = new EventRecorder(kubeConfig, { component: 'shoal-speaker', host: node, clock, logger: log });
  world.onServiceDeleted((svc) => events.forgetObject(referenceTo(services, svc)));
  const statusWriter = new StatusObjectWriter(kubeConfig, { clock, logger: log, metrics: statusWriterMetrics(registry) });
  const announcementStatus = new AnnouncementStatus({ node, namespace: o.namespace, writer: statusWriter, pod: () => world.ownPod(), logger: log });
  const seeds = (): Address[] => world.seedHosts().map((host) => ({ host, port: o.gossipBind.port }));
  const assembly: SpeakerAssembly = new SpeakerAssembly({
    node,
    clock,
    logger: log,
    registry,
    cluster,
    self: advertise,
    seeds,
    world,
    meta,
    layer2: { mode: o.layer2 },
    fencing: o.fencing,
    // Conflicts are the Service's problem to see: a Warning on each service holding the address.
    onConflict: (c, keys) => {
      const { reason, message } = describeConflict(c, node);
      for (const key of keys) {
        const svc = world.service(key);
        if (svc) events.event(referenceTo(services, svc), 'Warning', reason, message);
      }
    },
    bgp,
    ...(o.ignoreExcludeLB ? { ignoreExcludeLB: true } : {}),
    secrets: () => world.passwords(),
    onLocalChange: (c) => {
      const { reason, message } = describeChange(c, node);
      for (const key of c.services) {
        const svc = world.service(key);
        if (svc) events.event(referenceTo(services, svc), 'Normal', reason, message);
      }
    },
    // Once: --insecure-gossip says it is meant; /status keeps saying it.
    encryption: { status: encryption, warnEveryMs: undefined },
    status: {
      listen: statusListen(o.status, advertise.host),
      allow: o.statusAllow,
      sections: [
        bgpSection(
          () => bgp.status(),
          () => [...assembly.speaker.problems, ...(bgp.listenError ? [`not listening for peers (${bgp.listenError}): passive peers cannot connect`] : [])],
        ),
        { name: 'config', json: () => ({ loaded: world.config !== undefined, errors: world.configErrors }), text: () => configText(world) },
      ],
      unhealthy: () => (world.hasSynced ? undefined : 'informers have not listed yet'),
    },
    leaveTimeoutMs: o.leaveTimeoutMs,
    close: async () => {
      statusWriter.close();
      await Promise.all([world.stop(), excludeInformer.stop(), events.close()]);
    },
  });
  // ServiceL2Status / ServiceBGPStatus, and nodeAssigned Events for BGP as
  // MetalLB sends them when a service starts being advertised from here.
  let advertised: ReadonlyMap<string, readonly string[]> = new Map();
  const announcedMetric = new AnnouncedMetric(registry);
  const failures = new AnnounceFailures();
  assembly.speaker.onReconcile((r) => {
    announcedMetric.update(announcedSeries(r, node));
    const placements = assembly.l2?.status().ips ?? [];
    for (const f of failures.update(node, placements)) {
      log.warn('address cannot be announced', { ip: f.ip, reason: f.message });
      for (const key of r.result.decisions.get(f.ip)?.services ?? []) {
        const svc = world.service(key);
        if (svc) events.event(referenceTo(services, svc), 'Warning', 'announceFailed', f.message);
      }
    }
    announcementStatus.update({ l2: l2Services(r.result, r.announced), bgp: r.bgpServices });
    for (const key of r.bgpServices.keys()) {
      const svc = advertised.has(key) ? undefined : world.service(key);
      if (svc) events.event(referenceTo(services, svc), 'Normal', 'nodeAssigned', `announcing from node "${node}" with protocol "bgp"`);
    }
    advertised = r.bgpServices;
  });
  await assembly.serveStatus();

  // The layer-2 exclusion list (ConfigMap metallb-excludel2); a bad one is refused, the last good one stays.
  const exclude = new ExcludeL2List();
  const excludeInformer = new Informer(kubeConfig, configMaps, { clock, logger: log, namespace: o.namespace, fieldSelector: `metadata.name=${EXCLUDE_L2_CONFIGMAP}` });
  const onExclude = (cm: Wire<V1ConfigMap> | undefined): void => {
    const verdict = exclude.offer(cm?.data, `ConfigMap ${namespacedKey(o.namespace, EXCLUDE_L2_CONFIGMAP)}`);
    if (verdict.kind === 'applied') {
      log.info('layer-2 interface exclusion list in force', { source: cm ? EXCLUDE_L2_CONFIGMAP : 'default', patterns: verdict.patterns.map((p) => p.source) });
      assembly.l2?.setExcludeInterfaces(verdict.patterns);
    } else if (verdict.kind === 'refused') {
      const errors = verdict.errors.map(formatExcludeError);
      log.error('layer-2 interface exclusion list refused; keeping the last good one', { errors, inForce: exclude.patterns.map((p) => p.source) });
      if (cm) events.event(referenceTo(configMaps, cm), 'Warning', 'InvalidExcludeL2', `Refused, keeping the last good list: ${errors.join('; ')}`.slice(0, 1024));
    }
  };
  excludeInformer.onAdd((cm) => onExclude(cm)).onUpdate((cm) => onExclude(cm)).onDelete(() => onExclude(undefined));
  excludeInformer.start();

  world.onConfigVerdict((state) => {
    const desired = desiredConfigurationState(o.namespace, { kind: 'speaker', node }, state);
    if (desired) statusWriter.set('configurationstate', desired);
  });
  world.start();
  await world.synced();
  log.info('informers synced', { config: world.config !== undefined });
  await announcementStatus.adopt();
  assembly.run();
  world.onSeedsChange(() => {
    // A speaker that is still alone tries the new pods at once.
    if (cluster.liveMembers().length <= 1) void cluster.join(seeds());
  });
  return { log, stop: () => assembly.stop() };
}

function configText(world: KubeWorld): string {
  const lines = [`config: ${world.config ? `loaded (${world.config.source}, ${world.config.pools.length} pool(s), ${world.config.peers.length} peer(s))` : 'none yet'}`];
  for (const e of world.configErrors) lines.push(`refused: ${e}`);
  return lines.join('\n');
}
