import { Registry } from 'prom-client';
import t from 'tap';

import { L2Metrics } from '../../../src/announce/l2/metrics.js';

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

t.test('gratuitous frames counted as numbers show in both counters when read, once', async (t) => {
  const registry = new Registry();
  const m = new L2Metrics(registry);
  m.countGratuitous('ndp', 'eth0', '2001:db8::1', 1);
  m.countGratuitous('ndp', 'eth0', '2001:db8::1', 1);
  m.countGratuitous('arp', 'eth1', '192.0.2.1', 2);
  t.equal(await value(registry, 'shoal_l2_gratuitous_sent_total', { protocol: 'ndp', interface: 'eth0' }), 2);
  t.equal(await value(registry, 'shoal_l2_gratuitous_sent_total', { protocol: 'arp', interface: 'eth1' }), 2);
  t.equal(await value(registry, 'metallb_layer2_gratuitous_sent', { ip: '2001:db8::1' }), 2);
  t.equal(await value(registry, 'metallb_layer2_gratuitous_sent', { ip: '192.0.2.1' }), 2);
  // Read again: nothing is added twice.
  t.match(await registry.metrics(), /metallb_layer2_gratuitous_sent\{ip="2001:db8::1"\} 2\n/);
  t.match(await registry.metrics(), /shoal_l2_gratuitous_sent_total\{protocol="ndp",interface="eth0"\} 2\n/);
  m.countGratuitous('ndp', 'eth0', '2001:db8::1', 1);
  t.match(await registry.metrics(), /metallb_layer2_gratuitous_sent\{ip="2001:db8::1"\} 3\n/);
  t.match(await registry.metrics(), /shoal_l2_gratuitous_sent_total\{protocol="ndp",interface="eth0"\} 3\n/);
});
