// A controller under test: the API server double (dual-stack service CIDRs),
// objects set up through its store, the controller on a virtual clock, and
// readers for what the controller wrote (status, annotations, Events, the
// audit log of requests).

import type { V1Service } from '@kubernetes/client-node';
import { startApiServerDouble, type ApiServerDouble } from '../../dev/apiserver/server.js';
import { Controller, type ControllerOptions } from '../../src/controller/index.js';
import { POOL_ANNOTATION } from '../../src/controller/service-view.js';
import { configMaps, coreEvents, ipAddressPools, namespaces, services, type ResourceType } from '../../src/kube/resources.js';
import { VirtualClock } from '../../src/util/clock.js';
import { eventually } from '../dev/apiserver/support.js';

export const CONFIG_NS = 'metallb-system';
export const fast = { initialMs: 100, maxMs: 1000, jitter: 0 };

type Obj = Record<string, unknown>;

export interface ServiceSpec {
  ns?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  spec?: Obj;
  /** Ports as [port, protocol]; default [[80, 'TCP']]. */
  ports?: [number, string?][];
}

export interface EventView {
  readonly object: string;
  readonly kind: string;
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
}

export class Harness {
  readonly clock = new VirtualClock();
  private readonly controllers: Controller[] = [];

  constructor(readonly d: ApiServerDouble) {}

  /** A controller on the virtual clock, stopped when the test ends (or by stopController). */
  async start(opts: ControllerOptions = {}): Promise<Controller> {
    const ctl = new Controller(this.d.kubeConfig(), { clock: this.clock, random: () => 0.5, apiBackoff: fast, retryBackoff: fast, ...opts });
    this.controllers.push(ctl);
    await ctl.start();
    return ctl;
  }

  /** Waits until `ctl` has a configuration in force and has reconciled everything queued. */
  async settled(ctl: Controller): Promise<void> {
    await eventually(() => ctl.status().ready, 'controller ready');
    await ctl.idle();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
  }

  pool(name: string, addresses: string[], spec: Obj = {}, labels: Record<string, string> = {}): void {
    const body = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: CONFIG_NS, labels }, spec: { addresses, ...spec } };
    this.upsert(ipAddressPools, CONFIG_NS, name, body);
  }

  deletePool(name: string): void {
    this.d.store.delete(ipAddressPools, CONFIG_NS, name);
  }

  configMap(config: string, name = 'config'): void {
    this.upsert(configMaps, CONFIG_NS, name, { metadata: { name, namespace: CONFIG_NS }, data: { config } });
  }

  namespace(name: string, labels: Record<string, string> = {}): void {
    this.upsert(namespaces, undefined, name, { metadata: { name, labels } });
  }

  service(name: string, s: ServiceSpec = {}): void {
    const ns = s.ns ?? 'default';
    const ports = (s.ports ?? [[80, 'TCP']]).map(([port, protocol], i) => ({ name: `p${i}`, port, protocol: protocol ?? 'TCP' }));
    this.d.store.create(services, ns, {
      metadata: { name, namespace: ns, annotations: s.annotations ?? {}, labels: s.labels ?? {} },
      spec: { type: 'LoadBalancer', ports, selector: { app: name }, ...s.spec },
    });
  }

  /** Changes a service's spec or metadata (a PUT of the main resource: status is kept). */
  editService(name: string, edit: (svc: Obj) => void, ns = 'default'): void {
    const cur = structuredClone(this.d.store.get(services, ns, name)) as Obj;
    edit(cur);
    this.d.store.update(services, ns, name, cur);
  }

  /** Makes a service a ClusterIP one, dropping what only a LoadBalancer may have. */
  toClusterIP(name: string, ns = 'default'): void {
    this.editService(name, (s) => {
      const spec = s['spec'] as Obj;
      spec['type'] = 'ClusterIP';
      delete spec['allocateLoadBalancerNodePorts'];
      delete spec['externalTrafficPolicy'];
      for (const p of spec['ports'] as Obj[]) delete p['nodePort'];
    }, ns);
  }

  deleteService(name: string, ns = 'default'): void {
    this.d.store.delete(services, ns, name);
  }

  /** Writes a status directly, as a previous controller would have. */
  setIngress(name: string, ips: string[], ns = 'default', annotations: Record<string, string> = {}): void {
    const cur = structuredClone(this.d.store.get(services, ns, name)) as Obj & { metadata: Obj };
    cur['status'] = { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } };
    cur.metadata['annotations'] = { ...(cur.metadata['annotations'] as Obj), ...annotations };
    this.d.store.update(services, ns, name, cur, { subresource: 'status' });
  }

  get(name: string, ns = 'default'): V1Service {
    return this.d.store.get(services, ns, name) as V1Service;
  }

  ingress(name: string, ns = 'default'): string[] {
    return (this.get(name, ns).status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
  }

  poolOf(name: string, ns = 'default'): string | undefined {
    return this.get(name, ns).metadata?.annotations?.[POOL_ANNOTATION];
  }

  /**
   * Waits until the controller has published `ips` (in order) for the service:
   * the ingress, and the pool annotation present with addresses, absent without.
   */
  async waitIngress(name: string, ips: string[], ns = 'default'): Promise<void> {
    await eventually(
      () => JSON.stringify(this.ingress(name, ns)) === JSON.stringify(ips) && (this.poolOf(name, ns) !== undefined) === ips.length > 0,
      `${ns}/${name} ingress ${JSON.stringify(ips)} (now ${JSON.stringify(this.ingress(name, ns))}, pool ${this.poolOf(name, ns)})`,
    );
  }

  /** Core Events written so far, optionally only those about `name`. */
  events(name?: string): EventView[] {
    return this.d.store
      .list(coreEvents)
      .items.map((e) => e as unknown as Obj & { involvedObject: Obj })
      .filter((e) => name === undefined || e.involvedObject['name'] === name)
      .map((e) => ({
        object: `${String(e.involvedObject['namespace'] ?? '')}/${String(e.involvedObject['name'])}`,
        kind: String(e.involvedObject['kind']),
        type: String(e['type']),
        reason: String(e['reason']),
        message: String(e['message']),
        count: Number(e['count'] ?? 1),
      }));
  }

  reasons(name: string): string[] {
    return this.events(name).map((e) => e.reason);
  }

  /** Status subresource writes (the audit log counts each request). */
  statusWrites(): number {
    return this.d.requests.filter((r) => r.resource === 'services/status' && r.verb === 'update').length;
  }

  private upsert(type: ResourceType, ns: string | undefined, name: string, body: Obj): void {
    let exists = true;
    try {
      this.d.store.get(type, ns, name);
    } catch {
      exists = false;
    }
    if (exists) this.d.store.update(type, ns, name, body);
    else this.d.store.create(type, ns, body);
  }
}

/** A double with dual-stack service CIDRs and the config namespace; controllers stop, then the double closes, when the test ends. */
export async function harness(t: { teardown(fn: () => unknown): void }): Promise<Harness> {
  const d = await startApiServerDouble({ serviceCidrs: ['10.96.0.0/16', 'fd00:10:96::/112'] });
  const h = new Harness(d);
  h.namespace(CONFIG_NS);
  t.teardown(async () => {
    await h.stopAll();
    await d.close();
  });
  return h;
}

/** Reconciles run so far (the shoal_k8s_client_updates_total counter). */
export async function reconciles(ctl: Controller): Promise<number> {
  return (await ctl.metrics.updates.get()).values[0]?.value ?? 0;
}

/** Waits until the controller has run more than `than` reconciles. */
export async function reconciledPast(ctl: Controller, than: number): Promise<void> {
  // Bounds a broken test only; generous for a loaded machine.
  const until = Date.now() + 45_000;
  while ((await reconciles(ctl)) <= than) {
    if (Date.now() > until) throw new Error(`gave up waiting for a reconcile past ${than}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Everything a test needs to see what the controller did: events flushed, queue idle. */
export async function quiesce(ctl: Controller): Promise<void> {
  await ctl.idle();
  await ctl.flushEvents();
}
