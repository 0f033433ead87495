// What the controller writes besides Services, as MetalLB's does: every
// IPAddressPool's status counters, kept current as addresses are assigned
// and freed, and the ConfigurationState "controller" saying whether the
// last configuration was accepted; failed writes are retried and never stop
// allocation.
import t from 'tap';
import { configurationStates, ipAddressPools, type CustomObject } from '../../src/kube/resources.js';
import { eventually } from '../dev/apiserver/support.js';
import { CONFIG_NS, harness } from './support.js';

const statusOf = (obj: unknown): Record<string, unknown> | undefined => (obj as CustomObject).status;

t.test('pool status counters follow allocation; ConfigurationState says Valid, then Invalid with the path', async (t) => {
  const h = await harness(t);
  h.pool('lan', ['192.0.2.0/30', '2001:db8::/126']);
  h.service('one', { spec: { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] } });
  const ctl = await h.start();
  await h.settled(ctl);
  const pool = (): Record<string, unknown> | undefined => statusOf(h.d.store.get(ipAddressPools, CONFIG_NS, 'lan'));
  await eventually(() => pool()?.['assignedIPv4'] === 1, `lan status (now ${JSON.stringify(pool())})`);
  t.same(pool(), { assignedIPv4: 1, assignedIPv6: 1, availableIPv4: 3, availableIPv6: 3 });
  const state = (): Record<string, unknown> | undefined => statusOf(h.d.store.get(configurationStates, CONFIG_NS, 'controller'));
  await eventually(() => state()?.['result'] === 'Valid', 'configuration state written');
  t.match(h.d.store.get(configurationStates, CONFIG_NS, 'controller'), {
    metadata: { labels: { 'metallb.io/component-type': 'controller' } },
    status: { result: 'Valid', conditions: [{ type: 'configReconcilerValid', status: 'True', reason: 'Reconciled' }] },
  });

  const metrics = await ctl.registry.metrics();
  for (const line of [
    'metallb_allocator_addresses_in_use_total{pool="lan"} 2',
    'metallb_allocator_ipv4_addresses_in_use_total{pool="lan"} 1',
    'metallb_allocator_addresses_total{pool="lan"} 8',
    'metallb_allocator_services_allocated_total{pool="lan"} 1',
    'metallb_k8s_client_config_loaded_bool 1',
    'metallb_k8s_client_config_stale_bool 0',
  ]) t.ok(metrics.includes(line), `MetalLB's name: ${line}`);
  t.match(metrics, /# TYPE metallb_k8s_client_updates_total counter\nmetallb_k8s_client_updates_total [1-9]/);

  h.deleteService('one');
  await eventually(() => pool()?.['assignedIPv4'] === 0, 'freed');
  t.same(pool(), { assignedIPv4: 0, assignedIPv6: 0, availableIPv4: 4, availableIPv6: 4 });

  h.pool('lan', ['192.0.2.0/30', '192.0.2.300']);
  await eventually(() => state()?.['result'] === 'Invalid', 'refusal published');
  t.match(state()?.['errorSummary'], /^IPAddressPool metallb-system\/lan spec\.addresses\[1\]/);
  t.match(state()?.['conditions'], [{ status: 'False', reason: 'ConfigurationError' }]);
});

t.test('status object writes that fail are retried; services are allocated meanwhile', async (t) => {
  const h = await harness(t);
  h.pool('lan', ['192.0.2.0/30']);
  h.d.faults.failNext({ verb: '*', resource: 'ipaddresspools.metallb.io/status', code: 503, count: 2 });
  h.d.faults.failNext({ verb: 'create', resource: 'configurationstates.metallb.io', code: 500, count: 2 });
  h.service('one');
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('one', ['192.0.2.0']);
  t.notOk(statusOf(h.d.store.get(ipAddressPools, CONFIG_NS, 'lan')), 'not written yet: waiting out its backoff');
  // Each poll that finds nothing yet moves the virtual clock past a backoff.
  const retried = <T>(check: () => T | undefined, what: string): Promise<T> =>
    eventually(() => check() ?? (h.clock.advance(1000), undefined), what);
  const found = (fn: () => unknown): unknown => {
    try {
      return fn();
    } catch {
      return undefined;
    }
  };
  await retried(() => (statusOf(h.d.store.get(ipAddressPools, CONFIG_NS, 'lan'))?.['assignedIPv4'] === 1 ? true : undefined), 'pool status after retries');
  await retried(() => found(() => h.d.store.get(configurationStates, CONFIG_NS, 'controller')), 'configuration state after retries');
  t.equal(h.d.faults.pendingFailures, 0, 'every injected failure was met');
});
