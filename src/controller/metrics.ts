// The controller's Prometheus metrics, registered on the caller's Registry.
// Pool figures and the client counters are MetalLB's: each shoal_allocator_*
// and shoal_k8s_client_* metric is also published under MetalLB's own name
// (metallb_allocator_*, metallb_k8s_client_*, `_total` suffixes on gauges
// included, internal/allocator/stats.go and internal/k8s/controllers/stats.go),
// so MetalLB's dashboards and alerts work unchanged; the rest is shoal's own. Pool gauges are computed at scrape time from the
// allocator, so a removed pool disappears from the output with it.

import { Counter, Gauge, type Registry } from 'prom-client';
import { usageNumber, type PoolUsage } from '../alloc/index.js';
import { registerTwin } from '../util/metric-twin.js';
import type { ServiceState } from './plan.js';

export interface ControllerMetricsView {
  usage(): readonly PoolUsage[];
  /** Services holding addresses, per pool. */
  servicesPerPool(): ReadonlyMap<string, number>;
  serviceStates(): Readonly<Record<ServiceState, number>>;
  queue(): { readonly queued: number; readonly processing: number; readonly retrying: number };
}

const POOL_FIGURES: readonly [string, string, (u: PoolUsage) => bigint][] = [
  ['shoal_allocator_addresses_total', 'Usable IP addresses, per pool', (u) => u.ipv4.total + u.ipv6.total],
  ['shoal_allocator_ipv4_addresses_total', 'Usable IPv4 addresses, per pool', (u) => u.ipv4.total],
  ['shoal_allocator_ipv6_addresses_total', 'Usable IPv6 addresses, per pool', (u) => u.ipv6.total],
  ['shoal_allocator_addresses_in_use_total', 'IP addresses in use, per pool', (u) => u.ipv4.assigned + u.ipv6.assigned],
  ['shoal_allocator_ipv4_addresses_in_use_total', 'IPv4 addresses in use, per pool', (u) => u.ipv4.assigned],
  ['shoal_allocator_ipv6_addresses_in_use_total', 'IPv6 addresses in use, per pool', (u) => u.ipv6.assigned],
  ['shoal_allocator_addresses_available', 'IP addresses still free, per pool', (u) => u.ipv4.available + u.ipv6.available],
  ['shoal_allocator_ipv4_addresses_available', 'IPv4 addresses still free, per pool', (u) => u.ipv4.available],
  ['shoal_allocator_ipv6_addresses_available', 'IPv6 addresses still free, per pool', (u) => u.ipv6.available],
];

export class ControllerMetrics {
  readonly allocations: Counter<'pool'>;
  readonly allocationFailures: Counter<'code'>;
  readonly updates: Counter;
  readonly updateErrors: Counter;
  readonly configLoaded: Gauge;
  readonly configStale: Gauge;
  readonly configErrors: Counter;

  constructor(registry: Registry, view: ControllerMetricsView) {
    const registers = [registry];
    for (const [name, help, pick] of POOL_FIGURES) {
      const g = new Gauge({
        name,
        help,
        labelNames: ['pool'],
        registers,
        collect(this: Gauge<'pool'>) {
          this.reset();
          for (const u of view.usage()) this.set({ pool: u.pool }, usageNumber(pick(u)));
        },
      });
      if (!name.endsWith('_available')) registerTwin(registry, g, name.replace(/^shoal_/, 'metallb_'));
    }
    const servicesAllocated = new Gauge({
      name: 'shoal_allocator_services_allocated_total',
      help: 'Services holding addresses, per pool',
      labelNames: ['pool'],
      registers,
      collect(this: Gauge<'pool'>) {
        this.reset();
        const counts = view.servicesPerPool();
        for (const u of view.usage()) this.set({ pool: u.pool }, counts.get(u.pool) ?? 0);
      },
    });
    registerTwin(registry, servicesAllocated, 'metallb_allocator_services_allocated_total');
    new Gauge({
      name: 'shoal_controller_services',
      help: 'LoadBalancer services of this controller: allocated, pending (no address), conflict (status addresses that cannot be registered)',
      labelNames: ['state'],
      registers,
      collect(this: Gauge<'state'>) {
        for (const [state, n] of Object.entries(view.serviceStates())) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'shoal_controller_work_items',
      help: 'Work queue keys: queued, processing, or retrying after a failure',
      labelNames: ['state'],
      registers,
      collect(this: Gauge<'state'>) {
        for (const [state, n] of Object.entries(view.queue())) this.set({ state }, n);
      },
    });
    this.allocations = new Counter({ name: 'shoal_controller_allocations_total', help: 'Addresses handed out, per pool', labelNames: ['pool'], registers });
    this.allocationFailures = new Counter({
      name: 'shoal_controller_allocation_failures_total',
      help: 'Services that could not get an address, by allocator code (counted when the reason changes)',
      labelNames: ['code'],
      registers,
    });
    this.updates = new Counter({ name: 'shoal_k8s_client_updates_total', help: 'Service and configuration changes processed', registers });
    this.updateErrors = new Counter({ name: 'shoal_k8s_client_update_errors_total', help: 'Service and configuration changes whose processing failed (retried with backoff)', registers });
    this.configLoaded = new Gauge({ name: 'shoal_k8s_client_config_loaded_bool', help: '1 once a configuration has been loaded', registers });
    this.configStale = new Gauge({ name: 'shoal_k8s_client_config_stale_bool', help: '1 while running on an older configuration because the latest one was refused', registers });
    this.configErrors = new Counter({ name: 'shoal_k8s_client_config_errors_total', help: 'Configuration candidates refused as invalid', registers });
    this.configLoaded.set(0);
    this.configStale.set(0);
    registerTwin(registry, this.updates, 'metallb_k8s_client_updates_total');
    registerTwin(registry, this.updateErrors, 'metallb_k8s_client_update_errors_total');
    registerTwin(registry, this.configLoaded, 'metallb_k8s_client_config_loaded_bool');
    registerTwin(registry, this.configStale, 'metallb_k8s_client_config_stale_bool');
  }
}
