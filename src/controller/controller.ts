// The shoal controller: watches Services, Namespaces and the MetalLB
// configuration (IPAddressPools, or the legacy ConfigMap), keeps the
// allocator in step with them, and writes each LoadBalancer Service's
// addresses into its status. It only allocates; announcing is the speakers'
// job.
//
// Order of work, so that a restart never moves an address:
//   1. every informer lists (Services, Namespaces, configuration);
//   2. the first valid configuration gives the allocator its pools;
//   3. every address already in a Service's status is registered, oldest
//      Service first; what cannot be is reported as a conflict (plan.ts);
//   4. only then is every Service reconciled, pending ones allocated.
// Until a valid configuration exists nothing is allocated or written.
//
// Work runs through one keyed queue: a Service key per Service, and one key
// for the configuration, so a burst of changes to one object coalesces and a
// failed run is retried with backoff. Configuration changes go through
// ConfigStore: an invalid candidate is refused, logged, counted, reported as
// Warning Events on the objects at fault, and the last good configuration
// stays in force.

import type { KubeConfig, V1Namespace, V1Service } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { Allocator, classPredicate, type FamilyUsage } from '../alloc/index.js';
import { ConfigAcceptance, formatConfigError, type Config, type ConfigError } from '../config/index.js';
import type { BackoffPolicy } from '../util/backoff.js';
import { describeApiError } from '../kube/errors.js';
import { GossipSecretKeeper } from '../kube/gossip-secret.js';
import { EventRecorder, referenceTo } from '../kube/events.js';
import { Informer } from '../kube/informer.js';
import { objectKey, splitKey } from '../kube/object-key.js';
import { ipAddressPools, namespaces, services } from '../kube/resources.js';
import { desiredConfigurationState } from '../kube/configuration-state.js';
import { StatusObjectWriter, statusWriterMetrics } from '../kube/status-objects.js';
import { poolStatuses } from './pool-status.js';
import { ServiceStatusWriter, type StatusChange, type StatusWriteResult } from '../kube/status-writer.js';
import { RealClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { attributeErrors, ConfigSource, type ConfigCandidate, type ConfigSourceMode } from '../kube/config-source.js';
import { ControllerMetrics } from './metrics.js';
import { Reason, ServicePlanner, type Plan, type PlannedEvent, type ServiceState } from './plan.js';
import { POOL_ANNOTATION } from './service-view.js';
import type { ControllerStatus, RecentError } from './status.js';
import { WorkQueue } from './workqueue.js';
import { WrittenCache } from './written-cache.js';
import { DEFAULT_NAMESPACE } from '../kube/defaults.js';
import { parseWireTime, type Wire } from '../kube/wire.js';

export { DEFAULT_NAMESPACE };
/** The queue key of the configuration; Service keys always contain a slash. */
const CONFIG_KEY = 'config';
const RECENT_ERRORS = 20;
/** Kubernetes refuses Event messages above 1 KiB. */
const EVENT_MESSAGE_LIMIT = 1024;

type ConfigCandidateSource = (ConfigCandidate & { kind: 'config' })['source'];

export interface ControllerOptions {
  /** Namespace of the metallb.io objects and the legacy ConfigMap; default metallb-system. */
  namespace?: string;
  /** The spec.loadBalancerClass served; undefined serves only services without a class (MetalLB's default). */
  loadBalancerClass?: string;
  configSource?: ConfigSourceMode;
  /** Name of the legacy ConfigMap; default "config". */
  configMapName?: string;
  /** Metrics are registered here; default a new Registry. */
  registry?: Registry;
  clock?: Clock;
  random?: () => number;
  /** Wall-clock time for Events and the status page. */
  now?: () => Date;
  logger?: Logger;
  /** Services reconciled at the same time; default 4. */
  concurrency?: number;
  /** Pacing of reconcile retries; default 500 ms doubling to 2 min. */
  retryBackoff?: BackoffPolicy;
  /** Pacing of API retries in informers, the status writer and the event recorder; their defaults otherwise. */
  apiBackoff?: BackoffPolicy;
  /** Event source component; default "shoal-controller". */
  component?: string;
  /** Name of the speakers' gossip key Secret to create when missing (src/kube/gossip-secret.ts); undefined: leave Secrets alone. */
  gossipSecret?: string;
}

export class Controller {
  readonly registry: Registry;
  readonly metrics: ControllerMetrics;
  private readonly alloc: Allocator;
  private readonly planner: ServicePlanner;
  private readonly acceptance: ConfigAcceptance<ConfigCandidateSource>;
  private readonly services: Informer<Wire<V1Service>>;
  private readonly namespaceInformer: Informer<Wire<V1Namespace>>;
  private readonly config: ConfigSource;
  private readonly writer: ServiceStatusWriter;
  /** ConfigurationState and IPAddressPool status: coalesced, paced, never in the way of allocating. */
  private readonly statusObjects: StatusObjectWriter;
  private readonly poolStatusKeys = new Set<string>();
  private readonly written = new WrittenCache();
  private readonly recorder: EventRecorder;
  private readonly gossipSecret: GossipSecretKeeper | undefined;
  private readonly queue: WorkQueue;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly namespace: string;
  private readonly lbClass: string | undefined;
  private readonly recent: RecentError[] = [];
  private phase: 'new' | 'syncing' | 'running' | 'stopping' | 'stopped' = 'new';
  /** Existing status addresses registered: Services may be reconciled. */
  private registered = false;

  constructor(kc: KubeConfig, opts: ControllerOptions = {}) {
    this.namespace = opts.namespace ?? DEFAULT_NAMESPACE;
    this.lbClass = opts.loadBalancerClass;
    this.log = (opts.logger ?? silentLogger).child({ component: 'controller' });
    this.now = opts.now ?? (() => new Date());
    const clock = opts.clock ?? new RealClock();
    const common = {
      clock,
      ...(opts.random && { random: opts.random }),
      ...(opts.apiBackoff && { backoff: opts.apiBackoff }),
    };
    const isOurClass = classPredicate(opts.loadBalancerClass);
    this.alloc = new Allocator([], { isOurClass });
    this.planner = new ServicePlanner(this.alloc, isOurClass, this.now);
    this.services = new Informer(kc, services, { ...common, logger: this.log });
    this.namespaceInformer = new Informer(kc, namespaces, { ...common, logger: this.log });
    this.config = new ConfigSource(kc, {
      ...common,
      namespace: this.namespace,
      mode: opts.configSource ?? 'auto',
      kinds: [ipAddressPools],
      ...(opts.configMapName !== undefined && { configMapName: opts.configMapName }),
      logger: this.log,
    });
    this.writer = new ServiceStatusWriter(kc, { ...common, logger: this.log });
    this.registry = opts.registry ?? new Registry();
    this.statusObjects = new StatusObjectWriter(kc, {
      clock,
      ...(opts.random && { random: opts.random }),
      ...(opts.apiBackoff && { backoff: opts.apiBackoff }),
      logger: this.log,
      metrics: statusWriterMetrics(this.registry),
    });
    this.recorder = new EventRecorder(kc, { ...common, component: opts.component ?? 'shoal-controller', now: this.now, logger: this.log });
    this.gossipSecret =
      opts.gossipSecret === undefined
        ? undefined
        : new GossipSecretKeeper(kc, { ...common, namespace: this.namespace, name: opts.gossipSecret, logger: this.log });
    this.queue = new WorkQueue((key) => (key === CONFIG_KEY ? this.reconcileConfig() : this.reconcileService(key)), {
      clock,
      concurrency: opts.concurrency ?? 4,
      ...(opts.random && { random: opts.random }),
      ...(opts.retryBackoff && { backoff: opts.retryBackoff }),
      logger: this.log,
    });
    this.metrics = new ControllerMetrics(this.registry, {
      usage: () => this.alloc.usage(),
      servicesPerPool: () => {
        const counts = new Map<string, number>();
        for (const a of this.alloc.list()) counts.set(a.pool, (counts.get(a.pool) ?? 0) + 1);
        return counts;
      },
      serviceStates: () => this.serviceStates(),
      queue: () => ({ queued: this.queue.length, processing: this.queue.processing, retrying: this.queue.retrying }),
    });
    this.acceptance = new ConfigAcceptance({
      now: this.now,
      metrics: { stale: this.metrics.configStale, loaded: this.metrics.configLoaded, refused: this.metrics.configErrors },
    });

    const enqueue = (svc: Wire<V1Service>): void => {
      if (this.registered) this.queue.add(objectKey(svc));
    };
    this.services
      .onAdd((svc) => {
        this.written.observed(svc);
        enqueue(svc);
      })
      .onUpdate((svc) => {
        this.written.observed(svc);
        enqueue(svc);
      })
      .onDelete((svc) => {
        this.written.forget(objectKey(svc));
        this.recorder.forgetObject(referenceTo(services, svc));
        enqueue(svc);
      });
    this.namespaceInformer
      .onAdd((ns) => this.namespaceChanged(ns))
      .onUpdate((ns, old) => {
        if (JSON.stringify(ns.metadata?.labels ?? {}) !== JSON.stringify(old.metadata?.labels ?? {})) this.namespaceChanged(ns);
      });
    this.config.onChange(() => {
      if (this.phase === 'running') this.queue.add(CONFIG_KEY);
    });
  }

  /** Starts the informers and waits until they have listed; the rest of the work follows through the queue. */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new Error(`controller already ${this.phase}`);
    this.phase = 'syncing';
    this.log.info('starting', { namespace: this.namespace, loadBalancerClass: this.lbClass ?? null, configSource: this.config.mode });
    // The speakers wait for this Secret (their DaemonSet mounts it), not for allocation.
    this.gossipSecret?.start();
    this.services.start();
    this.namespaceInformer.start();
    this.config.start();
    await Promise.all([this.services.synced(), this.namespaceInformer.synced(), this.config.synced()]);
    if ((this.phase as string) !== 'syncing') return;
    this.phase = 'running';
    const missing = this.config.missingCrds();
    this.log.info('informers synced', { services: this.services.size, namespaces: this.namespaceInformer.size, ...(missing.length > 0 && { crdsNotInstalled: missing }) });
    this.queue.add(CONFIG_KEY);
  }

  /** Resolves when no work is queued or running (retries waiting out a backoff excepted). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Resolves when every Event recorded so far has been written or given up. */
  flushEvents(): Promise<void> {
    return this.recorder.flush();
  }

  /** Graceful stop: abandons write retries, lets running reconciles end, stops watching, flushes Events. */
  async stop(): Promise<void> {
    if (this.phase === 'stopping' || this.phase === 'stopped') return;
    this.phase = 'stopping';
    this.writer.close();
    this.statusObjects.close();
    await this.gossipSecret?.stop();
    await this.queue.stop();
    await Promise.all([this.services.stop(), this.namespaceInformer.stop(), this.config.stop()]);
    await this.recorder.close();
    this.phase = 'stopped';
    this.log.info('stopped');
  }

  /** What the Event correlator holds: bounded, and nothing about deleted Services (it forgets them). */
  eventCacheSizes(): ReturnType<EventRecorder['cacheSizes']> {
    return this.recorder.cacheSizes();
  }

  /** For /healthz: undefined when healthy. A missing or refused configuration is not ill health. */
  unhealthy(): string | undefined {
    if (this.phase === 'new' || this.phase === 'syncing') return 'waiting for the informers to list';
    if (this.phase !== 'running') return this.phase;
    return undefined;
  }

  status(): ControllerStatus {
    const usage = new Map(this.alloc.usage().map((u) => [u.pool, u]));
    const pools = this.acceptance.current?.pools ?? [];
    const cfg = this.acceptance.state;
    const records = this.planner.list();
    const allocations = new Map(this.alloc.list().map((a) => [a.service, a]));
    return {
      phase: this.phase,
      ready: this.registered,
      namespace: this.namespace,
      loadBalancerClass: this.lbClass ?? null,
      config: {
        mode: this.config.mode,
        configMap: this.config.configMapName,
        // A mixed candidate is always refused: only 'crd' or 'configmap' is ever in force.
        source: (cfg.source as 'crd' | 'configmap' | undefined) ?? null,
        generation: cfg.generation,
        loadedAt: cfg.loadedAt?.toISOString() ?? null,
        stale: cfg.stale,
        absent: cfg.absent ?? null,
        missingCrds: this.phase === 'running' ? this.config.missingCrds() : [],
        lastRefusal: cfg.lastRefusal
          ? { at: cfg.lastRefusal.at.toISOString(), source: cfg.lastRefusal.source, errors: cfg.lastRefusal.errors.map((e) => ({ ...e })) }
          : null,
      },
      pools: pools.map((p) => {
        const u = usage.get(p.name);
        const fam = (f: FamilyUsage | undefined) => ({ total: String(f?.total ?? 0n), assigned: String(f?.assigned ?? 0n), available: String(f?.available ?? 0n) });
        return {
          name: p.name,
          addresses: [...p.addresses],
          autoAssign: p.autoAssign,
          avoidBuggyIPs: p.avoidBuggyIPs,
          ipv4: fam(u?.ipv4),
          ipv6: fam(u?.ipv6),
          services: records.filter((r) => r.state === 'allocated' && r.pool === p.name).length,
        };
      }),
      services: records.map((r) => {
        const a = allocations.get(r.key);
        return {
          service: r.key,
          state: r.state,
          ips: [...r.ips],
          pool: r.pool ?? null,
          sharingKey: a && a.sharingKey !== '' ? a.sharingKey : null,
          sharedWith: a ? [...new Set(a.ips.flatMap((ip) => this.alloc.holders(ip)))].filter((s) => s !== r.key).sort() : [],
          problem: r.problem ? { ...r.problem } : null,
          since: r.since.toISOString(),
        };
      }),
      recentErrors: [...this.recent],
      gossipSecret: this.gossipSecret?.status ?? null,
      queue: { queued: this.queue.length, processing: this.queue.processing, retrying: this.queue.retrying },
    };
  }

  // ---- configuration -------------------------------------------------------

  private async reconcileConfig(): Promise<void> {
    this.metrics.updates.inc();
    const cand = this.config.candidate();
    if (cand.kind === 'none') {
      const verdict = this.acceptance.absent(cand.why);
      if (verdict.kind !== 'absent') return;
      if (verdict.current) this.log.warn('configuration gone; keeping the last good one', { why: verdict.why, generation: this.acceptance.state.generation });
      else this.log.info('waiting for a configuration; nothing is allocated meanwhile', { why: verdict.why, namespace: this.namespace });
      return;
    }
    const verdict = this.acceptance.offer(cand.source, cand.result);
    if (verdict.kind !== 'repeated') this.publishConfigurationState();
    switch (verdict.kind) {
      case 'refused':
        this.refused(cand, verdict.errors);
        return;
      case 'unchanged':
        if (verdict.recovered) this.log.info('configuration valid again, unchanged', { generation: this.acceptance.state.generation });
        return;
      case 'applied':
        this.apply(verdict.source, verdict.config, verdict.generation);
        return;
      case 'absent':
      case 'repeated':
        return;
    }
  }

  private refused(cand: ConfigCandidate & { kind: 'config' }, errors: readonly ConfigError[]): void {
    const generation = this.acceptance.state.generation;
    const kept = this.acceptance.current ? `keeping the configuration in force (generation ${generation})` : 'no configuration is in force, nothing is allocated';
    this.log.error(`configuration refused; ${kept}`, { source: cand.source, errorCount: errors.length, errors: errors.slice(0, 20).map(formatConfigError) });
    this.remember(undefined, `configuration refused (${errors.length} error(s)): ${formatConfigError(errors[0] as ConfigError)}`);
    const { byObject } = attributeErrors(errors, cand.objects);
    for (const [o, errs] of byObject) {
      const message = truncate(`Invalid configuration, ${kept}: ${errs.map(formatConfigError).join('; ')}`, EVENT_MESSAGE_LIMIT);
      this.recorder.event(referenceTo(o.type, o.obj), 'Warning', Reason.configInvalid, message);
    }
  }

  private apply(source: ConfigCandidateSource, config: Config, generation: number): void {
    const change = this.alloc.setPools(config.pools, config.poolIndex);
    this.log.info('configuration loaded', {
      generation,
      source,
      pools: config.pools.map((p) => p.name),
      stranded: change.stranded.length,
      moved: change.moved.length,
    });
    for (const s of change.stranded) this.log.warn('addresses left every pool; allocating anew', { service: s.service, ips: s.ips, pool: s.pool });
    for (const m of change.moved) this.log.info('addresses now belong to another pool', { service: m.service, from: m.from, to: m.to });
    this.planner.markStranded(change.stranded.map((s) => s.service));
    if (!this.registered) this.registerExisting();
    for (const key of this.services.keys().sort()) this.queue.add(key);
    this.publishPoolStatuses();
  }

  /** The ConfigurationState "controller": the last candidate accepted or refused. */
  private publishConfigurationState(): void {
    const desired = desiredConfigurationState(this.namespace, { kind: 'controller' }, this.acceptance.state);
    if (desired) this.statusObjects.set('configurationstate', desired);
  }

  /** IPAddressPool status counters of the pools in force (metallb.io objects only: ConfigMap pools have none). */
  private publishPoolStatuses(): void {
    const config = this.acceptance.current;
    const desired = config?.source === 'crd' ? poolStatuses(this.namespace, this.alloc.usage()) : new Map();
    for (const key of this.poolStatusKeys) if (!desired.has(key)) this.statusObjects.set(key, undefined);
    this.poolStatusKeys.clear();
    for (const [key, d] of desired) {
      this.statusObjects.set(key, d);
      this.poolStatusKeys.add(key);
    }
  }

  /** Step 3 of the start: every address already in a status, oldest Service first. */
  private registerExisting(): void {
    const created = (s: Wire<V1Service>): number => parseWireTime(s.metadata?.creationTimestamp) ?? 0;
    const list = this.services.list().sort((a, b) => created(a) - created(b) || (objectKey(a) < objectKey(b) ? -1 : 1));
    let conflicts = 0;
    for (const svc of list) {
      const events = this.planner.register(svc, this.namespaceLabels(svc.metadata?.namespace));
      for (const e of events) this.emit(e);
      if (events.length > 0) {
        conflicts++;
        this.log.warn('address in a status cannot be registered; left in place', { service: objectKey(svc), problem: this.planner.get(objectKey(svc))?.problem });
      }
    }
    this.registered = true;
    this.log.info('registered the addresses Services already have', { services: this.alloc.list().length, conflicts });
  }

  // ---- services ------------------------------------------------------------

  private async reconcileService(key: string): Promise<void> {
    if (!this.registered) return;
    this.metrics.updates.inc();
    const svc = this.written.latest(key, this.services.get(key));
    const plan = this.planner.plan(key, svc, this.namespaceLabels(splitKey(key).namespace));
    for (const e of plan.events) this.emit(e);
    if (plan.granted) {
      this.metrics.allocations.inc({ pool: plan.granted.pool }, plan.granted.ips.length);
      this.log.info('addresses assigned', { service: key, ips: plan.granted.ips, pool: plan.granted.pool });
    }
    if (plan.failure) {
      this.metrics.allocationFailures.inc({ code: plan.failure });
      this.log.warn('allocation failed', { service: key, code: plan.failure, problem: this.planner.get(key)?.problem?.message });
    }
    if (plan.freed) {
      for (const k of this.planner.waiting()) if (k !== key) this.queue.add(k);
    }
    if (plan.granted || plan.freed) this.publishPoolStatuses();
    // A deleted service (no svc) is planned with nothing to write.
    if (svc && (plan.ingress !== undefined || plan.poolAnnotation !== undefined)) {
      if (!(await this.write(key, svc, plan))) return;
    }
    this.planner.published(key);
  }

  /**
   * Writes what `plan` decided about `svc` in one request, from the object
   * the plan was made from. False when the controller is stopping; throws
   * (and the work queue retries the whole reconcile with backoff) when the
   * service changed meanwhile or the write failed.
   */
  private async write(key: string, svc: Wire<V1Service>, plan: Plan): Promise<boolean> {
    const change: StatusChange = {
      ...(plan.ingress !== undefined && { ingress: plan.ingress.map((ip) => ({ ip })) }),
      ...(plan.poolAnnotation !== undefined && { annotations: { [POOL_ANNOTATION]: plan.poolAnnotation } }),
    };
    const what = change.ingress && change.annotations ? 'status and annotation' : change.ingress ? 'status' : 'annotation';
    this.written.begin(key);
    let r: StatusWriteResult;
    try {
      r = await this.writer.write(svc, change);
      if (r.outcome === 'written') this.written.wrote(r.service);
    } finally {
      this.written.end(key);
    }
    switch (r.outcome) {
      case 'cancelled':
        return false;
      case 'written':
        this.log.info('service updated', { service: key, outcome: plan.outcome, ...(plan.ingress && { ingress: plan.ingress }), ...(plan.poolAnnotation !== undefined && { pool: plan.poolAnnotation }) });
        return true;
      case 'unchanged':
      case 'gone':
        return true;
      case 'conflict':
        // Optimistic concurrency at work, not a fault: decide again once the informer has the newer object.
        this.written.forget(key);
        this.log.info('service changed while being written; deciding again', { service: key });
        throw new Error(`${what} write for ${key} conflicted`, { cause: r.error });
      case 'failed': {
        this.written.forget(key);
        this.metrics.updateErrors.inc();
        const f = describeApiError(r.error);
        this.remember(key, `${what} write for ${key} failed: ${f.message}`);
        this.log.warn('service update failed; will retry', { service: key, status: f.status, error: f.message, attempts: r.attempts });
        throw new Error(`${what} write for ${key} failed after ${r.attempts} attempt(s)`, { cause: r.error });
      }
    }
  }

  private namespaceChanged(ns: Wire<V1Namespace>): void {
    if (!this.registered) return;
    const namespace = ns.metadata?.name;
    for (const key of this.services.keys()) if (splitKey(key).namespace === namespace) this.queue.add(key);
  }

  private namespaceLabels(namespace: string | undefined): Record<string, string> | undefined {
    return namespace === undefined ? undefined : this.namespaceInformer.getByName(namespace)?.metadata?.labels;
  }

  private emit(e: PlannedEvent): void {
    const svc = this.services.get(e.service);
    if (!svc) return;
    this.recorder.event(referenceTo(services, svc), e.type, e.reason, truncate(e.message, EVENT_MESSAGE_LIMIT));
  }

  private serviceStates(): Record<ServiceState, number> {
    const counts: Record<ServiceState, number> = { allocated: 0, pending: 0, conflict: 0 };
    for (const r of this.planner.list()) counts[r.state]++;
    return counts;
  }

  private remember(service: string | undefined, message: string): void {
    this.recent.push({ at: this.now().toISOString(), service: service ?? null, message });
    if (this.recent.length > RECENT_ERRORS) this.recent.splice(0, this.recent.length - RECENT_ERRORS);
  }
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}
