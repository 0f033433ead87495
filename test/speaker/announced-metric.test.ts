import t from 'tap';
import { Registry } from 'prom-client';
import { AnnouncedMetric, announcedSeries } from '../../src/speaker/announced-metric.js';
import { l2Services } from '../../src/speaker/announcement-status.js';
import type { Reconciled } from '../../src/speaker/speaker.js';

const decision = (ip: string, services: string[], interfaces: string[] | 'all') => [ip, { ip, pool: 'p', services, skippedServices: [], owner: 'node-a', interfaces, noOwner: undefined }] as const;

const reconciled = {
  result: { decisions: new Map([decision('192.0.2.1', ['default/a', 'default/b'], ['eth1', 'eth0']), decision('192.0.2.2', ['default/c'], 'all')]), members: [], problems: [] },
  announced: new Set(['192.0.2.1']),
  bgpServices: new Map([['default/c', ['r1']]]),
  inputs: { services: [{ namespace: 'default', name: 'c', labels: {}, ips: ['192.0.2.2', '2001:DB8::0:1'], externalTrafficPolicy: 'Cluster', endpoints: { serving: true } }] },
} as unknown as Reconciled;

t.test("metallb_speaker_announced: MetalLB's labels, one series per service, address and protocol", async (t) => {
  const series = announcedSeries(reconciled, 'node-a');
  t.same(series, [
    { ip: '192.0.2.1', node: 'node-a', protocol: 'layer2', service: 'default/a' },
    { ip: '192.0.2.1', node: 'node-a', protocol: 'layer2', service: 'default/b' },
    { ip: '192.0.2.2', node: 'node-a', protocol: 'bgp', service: 'default/c' },
    { ip: '2001:db8::1', node: 'node-a', protocol: 'bgp', service: 'default/c' },
  ]);
  const r = new Registry();
  const m = new AnnouncedMetric(r);
  m.update(series);
  t.match(await r.metrics(), /metallb_speaker_announced\{ip="192\.0\.2\.1",node="node-a",protocol="layer2",service="default\/a"\} 1/);
  m.update(series.slice(2));
  const text = await r.metrics();
  t.notMatch(text, /protocol="layer2"/, 'what is no longer announced goes');
  t.match(text, /ip="2001:db8::1"/);
});

t.test('layer-2 services of a reconcile: interfaces united and sorted, [] for every interface', async (t) => {
  t.same(l2Services(reconciled.result, new Set(['192.0.2.1', '192.0.2.2'])), new Map([['default/a', ['eth0', 'eth1']], ['default/b', ['eth0', 'eth1']], ['default/c', []]]));
});

t.test('metallb_speaker_announced: a series named again stays, one no longer named goes, one named anew comes', async (t) => {
  const r = new Registry();
  const m = new AnnouncedMetric(r);
  const l2 = (ip: string, service: string) => ({ ip, node: 'node-a', protocol: 'layer2' as const, service });
  const names = async (): Promise<string[]> => [...(await r.metrics()).matchAll(/ip="([^"]+)",node="node-a",protocol="layer2",service="([^"]+)"/g)].map((x) => `${x[1]} ${x[2]}`).sort();
  m.update([l2('192.0.2.1', 'default/a'), l2('192.0.2.2', 'default/b')]);
  t.same(await names(), ['192.0.2.1 default/a', '192.0.2.2 default/b']);
  m.update([l2('192.0.2.2', 'default/b'), l2('192.0.2.1', 'default/a')]);
  t.same(await names(), ['192.0.2.1 default/a', '192.0.2.2 default/b'], 'the same series in another order');
  m.update([l2('192.0.2.2', 'default/b'), l2('192.0.2.3', 'default/c')]);
  t.same(await names(), ['192.0.2.2 default/b', '192.0.2.3 default/c']);
  m.update([]);
  t.same(await names(), []);
  m.update([l2('192.0.2.1', 'default/a')]);
  t.same(await names(), ['192.0.2.1 default/a'], 'back after it went');
});
