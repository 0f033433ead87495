// Kubernetes mode's world: informers on Services, EndpointSlices, Nodes, the
// metallb.io configuration (or the legacy ConfigMap), the Secrets that hold
// BGP passwords and the other speaker pods (gossip seeds). Indexes are
// updated per event so that one election's inputs cost no re-scan of the
// cluster; an invalid configuration never replaces the last good one.
import type { KubeConfig, V1EndpointSlice, V1Node, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import { Counter, Gauge, type Registry } from 'prom-client';
import { electionNode, endpointsFromSlices, type ElectionMember, type ElectionNode, type ElectionService } from '../announce/election-inputs.js';
import type { AcceptanceState } from '../config/acceptance.js';
import { ConfigAcceptance, formatConfigError, type Config } from '../config/index.js';
import { ConfigSource, type ConfigSourceMode } from '../kube/config-source.js';
import { namespacedKey, objectKey } from '../kube/object-key.js';
import { Informer } from '../kube/informer.js';
import { endpointSlices, nodes, pods, secrets, services } from '../kube/resources.js';
import { ipFamily } from '../net/index.js';
import { registerTwin } from '../util/metric-twin.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { SelfNode, World } from './world.js';
import type { Wire, KubeObject } from '../kube/wire.js';

export interface KubeWorldOptions {
  kubeConfig: KubeConfig;
  /** shoal's namespace: configuration, Secrets and speaker pods live here. */
  namespace: string;
  node: string;
  configSource: ConfigSourceMode;
  /** Only services of this loadBalancerClass; undefined: only services without one (MetalLB's default). */
  lbClass: string | undefined;
  /** Label selector of the speaker pods, for gossip seeds. */
  peerSelector: string;
  /** Fallback address of this node when its Node object lists none. */
  podIP: string | undefined;
  clock: Clock;
  logger: Logger;
  registry: Registry;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The election's view of a Service, or undefined when the speaker has nothing to do with it. */
export function serviceInput(svc: Wire<V1Service>, slices: Iterable<Wire<V1EndpointSlice>>, lbClass: string | undefined): ElectionService | undefined {
  const spec = svc.spec;
  if (spec?.type !== 'LoadBalancer') return undefined;
  if ((spec.loadBalancerClass ?? undefined) !== lbClass) return undefined;
  const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0) return undefined;
  return {
    namespace: svc.metadata?.namespace ?? '',
    name: svc.metadata?.name ?? '',
    labels: svc.metadata?.labels ?? {},
    ips,
    externalTrafficPolicy: spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    endpoints: endpointsFromSlices(slices),
  };
}

/** A node's InternalIP addresses by family (the first of each). */
export function nodeAddresses(node: Wire<V1Node> | undefined): { ipv4: string | undefined; ipv6: string | undefined } {
  const internal = (node?.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
  return { ipv4: internal.find((a) => ipFamily(a) === 4), ipv6: internal.find((a) => ipFamily(a) === 6) };
}

export class KubeWorld implements World {
  private readonly acceptance: ConfigAcceptance;
  private readonly serviceInformer: Informer<Wire<V1Service>>;
  private readonly sliceInformer: Informer<Wire<V1EndpointSlice>>;
  private readonly nodeInformer: Informer<Wire<V1Node>>;
  private readonly secretInformer: Informer<Wire<V1Secret>>;
  private readonly podInformer: Informer<Wire<V1Pod>>;
  private readonly configSource: ConfigSource;
  /** service key -> slice key -> slice */
  private readonly slicesByService = new Map<string, Map<string, Wire<V1EndpointSlice>>>();
  private readonly serviceInputs = new Map<string, ElectionService>();
  private readonly electionNodes = new Map<string, ElectionNode>();
  private readonly listeners: (() => void)[] = [];
  private readonly seedListeners: (() => void)[] = [];
  private readonly deletedServiceListeners: ((svc: Wire<V1Service>) => void)[] = [];
  private readonly verdictListeners: ((state: AcceptanceState) => void)[] = [];
  private readonly log: Logger;

  constructor(private readonly opts: KubeWorldOptions) {
    this.log = opts.logger.child({ component: 'kube-world' });
    const common = { clock: opts.clock, logger: opts.logger };
    this.serviceInformer = new Informer(opts.kubeConfig, services, common);
    this.sliceInformer = new Informer(opts.kubeConfig, endpointSlices, common);
    this.nodeInformer = new Informer(opts.kubeConfig, nodes, common);
    this.secretInformer = new Informer(opts.kubeConfig, secrets, { ...common, namespace: opts.namespace });
    this.podInformer = new Informer(opts.kubeConfig, pods, { ...common, namespace: opts.namespace, labelSelector: opts.peerSelector });
    this.configSource = new ConfigSource(opts.kubeConfig, { namespace: opts.namespace, mode: opts.configSource, ...common });
    const registers = [opts.registry];
    const stale = new Gauge({ name: 'shoal_speaker_config_stale', help: '1 when the latest configuration was refused or went away and the speaker runs on the last good one.', registers });
    const loaded = new Gauge({ name: 'metallb_k8s_client_config_loaded_bool', help: '1 once a configuration has been loaded (MetalLB\'s name)', registers });
    loaded.set(0);
    registerTwin(opts.registry, stale, 'metallb_k8s_client_config_stale_bool');
    this.acceptance = new ConfigAcceptance({
      metrics: {
        stale,
        loaded,
        refused: new Counter({ name: 'shoal_speaker_config_errors_total', help: 'Configuration candidates refused as invalid.', registers }),
        applied: new Counter({ name: 'shoal_speaker_config_loaded_total', help: 'Configurations that came into force.', registers }),
      },
    });

    this.serviceInformer
      .onAdd((s) => this.refreshService(objectKey(s)))
      .onUpdate((s) => this.refreshService(objectKey(s)))
      .onDelete((s) => {
        this.refreshService(objectKey(s));
        for (const fn of this.deletedServiceListeners) fn(s);
      });
    const onSlice = (slice: Wire<V1EndpointSlice>, deleted: boolean): void => {
      const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (!svc) return;
      const key = namespacedKey(slice.metadata?.namespace, svc);
      let slices = this.slicesByService.get(key);
      if (!slices) this.slicesByService.set(key, (slices = new Map()));
      if (deleted) slices.delete(objectKey(slice));
      else slices.set(objectKey(slice), slice);
      if (slices.size === 0) this.slicesByService.delete(key);
      this.refreshService(key);
    };
    this.sliceInformer
      .onAdd((s) => onSlice(s, false))
      .onUpdate((s) => onSlice(s, false))
      .onDelete((s) => onSlice(s, true));
    const onNode = (n: Wire<V1Node>, deleted: boolean): void => {
      const name = n.metadata?.name ?? '';
      if (deleted) this.electionNodes.delete(name);
      else this.electionNodes.set(name, electionNode(n));
      this.changed();
    };
    this.nodeInformer
      .onAdd((n) => onNode(n, false))
      .onUpdate((n) => onNode(n, false))
      .onDelete((n) => onNode(n, true));
    this.secretInformer.onAdd(() => this.changed()).onUpdate(() => this.changed()).onDelete(() => this.changed());
    const seeds = (): void => {
      for (const fn of this.seedListeners) fn();
    };
    this.podInformer.onAdd(seeds).onUpdate(seeds).onDelete(seeds);
    this.configSource.onChange(() => this.reloadConfig());
  }

  start(): void {
    for (const inf of this.informers()) inf.start();
    this.configSource.start();
  }

  async synced(): Promise<void> {
    await Promise.all([...this.informers().map((inf) => inf.synced()), this.configSource.synced()]);
    this.reloadConfig();
  }

  get hasSynced(): boolean {
    return this.informers().every((inf) => inf.hasSynced);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers().map((inf) => inf.stop()), this.configSource.stop()]);
  }

  get config(): Config | undefined {
    return this.acceptance.current;
  }

  get configErrors(): readonly string[] {
    return this.acceptance.errors.map(formatConfigError);
  }

  inputs(members: readonly ElectionMember[]) {
    const config = this.acceptance.current;
    if (!config) return undefined;
    return { members, nodes: this.electionNodes, config, services: [...this.serviceInputs.values()] };
  }

  self(): SelfNode {
    const node = this.nodeInformer.getByName(this.opts.node);
    const addrs = nodeAddresses(node);
    const pod = this.opts.podIP;
    return {
      name: this.opts.node,
      labels: node?.metadata?.labels ?? {},
      ipv4: addrs.ipv4 ?? (pod && ipFamily(pod) === 4 ? pod : undefined),
      ipv6: addrs.ipv6 ?? (pod && ipFamily(pod) === 6 ? pod : undefined),
    };
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Told the acceptance state after every new verdict on a configuration candidate (ConfigurationState). */
  onConfigVerdict(fn: (state: AcceptanceState) => void): void {
    this.verdictListeners.push(fn);
  }

  /** Gossip seeds: the addresses of the other speaker pods (host network: their nodes' addresses). */
  seedHosts(): string[] {
    return this.podInformer
      .list()
      .filter((p) => p.spec?.nodeName !== this.opts.node && p.status?.podIP && !p.metadata?.deletionTimestamp)
      .map((p) => p.status!.podIP!)
      .sort();
  }

  /** Told each Service deleted, after the world has let it go (service() no longer finds it). */
  onServiceDeleted(fn: (svc: Wire<V1Service>) => void): void {
    this.deletedServiceListeners.push(fn);
  }

  onSeedsChange(fn: () => void): void {
    this.seedListeners.push(fn);
  }

  /** BGP passwords from Secrets in shoal's namespace, "namespace/name" -> password. */
  passwords(): Map<string, string> {
    const out = new Map<string, string>();
    for (const s of this.secretInformer.list()) {
      const pw = s.data?.['password'];
      if (pw !== undefined) out.set(objectKey(s), Buffer.from(pw, 'base64').toString('utf8'));
    }
    return out;
  }

  /** This node's speaker Pod (it matches the peer selector), for owner references. */
  ownPod(): Wire<V1Pod> | undefined {
    return this.podInformer.list().find((p) => p.spec?.nodeName === this.opts.node && !p.metadata?.deletionTimestamp);
  }

  /** The Service object, for Events about it. */
  service(key: string): Wire<V1Service> | undefined {
    return this.serviceInformer.get(key);
  }

  private refreshService(key: string): void {
    const svc = this.serviceInformer.get(key);
    const input = svc && serviceInput(svc, this.slicesByService.get(key)?.values() ?? [], this.opts.lbClass);
    const before = this.serviceInputs.get(key);
    if (input) this.serviceInputs.set(key, input);
    else this.serviceInputs.delete(key);
    if (before || input) this.changed();
  }

  private reloadConfig(): void {
    if (!this.configSource.hasSynced) return;
    const candidate = this.configSource.candidate();
    const verdict = candidate.kind === 'none' ? this.acceptance.absent(candidate.why) : this.acceptance.offer(candidate.source, candidate.result);
    if (verdict.kind !== 'repeated') for (const fn of this.verdictListeners) fn(this.acceptance.state);
    switch (verdict.kind) {
      case 'absent':
        this.log.warn('no configuration found; keeping the last good one', { why: verdict.why, running: verdict.current !== undefined });
        return;
      case 'refused':
        this.log.error('configuration refused; keeping the last good one', { errors: verdict.errors.map(formatConfigError), running: verdict.current !== undefined });
        return;
      case 'applied':
        this.log.info('configuration loaded', { source: verdict.source, pools: verdict.config.pools.length, peers: verdict.config.peers.length });
        this.changed();
        return;
      case 'unchanged':
        if (verdict.recovered) this.log.info('configuration valid again, unchanged');
        return;
      case 'repeated':
        return;
    }
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  private informers(): Informer<KubeObject>[] {
    return [this.serviceInformer, this.sliceInformer, this.nodeInformer, this.secretInformer, this.podInformer] as Informer<KubeObject>[];
  }
}
