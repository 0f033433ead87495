// Configuration handling: an invalid candidate never replaces the one in
// force (log, Event, metric, carry on), the legacy ConfigMap, the rule for
// both sources at once, pool changes, namespace selectors.
import t from 'tap';
import { bgpPeers, configMaps } from '../../src/kube/resources.js';
import { createLogger } from '../../src/util/log.js';
import { eventually } from '../dev/apiserver/support.js';
import { CONFIG_NS, harness, quiesce } from './support.js';

const legacy = (range: string): string => `address-pools:\n  - name: my-ip-space\n    protocol: layer2\n    addresses:\n      - ${range}\n`;

t.test('an invalid configuration is kept out: the good one stays, Warning Event, metrics; a fixed one applies', async (t) => {
  const h = await harness(t);
  h.pool('a', ['192.0.2.0/28']);
  h.service('one');
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', sink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const ctl = await h.start({ logger });
  await h.settled(ctl);
  await h.waitIngress('one', ['192.0.2.0']);
  t.match(ctl.status().config, { source: 'crd', generation: 1, stale: false, lastRefusal: null });

  // B: a second pool overlapping the first; then, on top, the first pool's range broken.
  h.pool('b', ['192.0.2.8/29']);
  await eventually(() => ctl.status().config.lastRefusal?.errors.length === 1, 'first candidate refused');
  h.pool('a', ['192.0.2.0/28', '192.0.2.300']);
  await eventually(() => ctl.status().config.lastRefusal?.errors.length === 2, 'second candidate refused');
  t.ok(ctl.status().config.stale);
  const cfg = ctl.status().config;
  t.equal(cfg.generation, 1, 'still the first configuration');
  t.match(lines.filter((l) => l['level'] === 'error'), [
    { msg: 'configuration refused; keeping the configuration in force (generation 1)', errorCount: 1 },
    { msg: 'configuration refused; keeping the configuration in force (generation 1)', errorCount: 2, errors: [/192\.0\.2\.300/, /overlaps/] },
  ], 'said so in the log, once per distinct candidate');
  t.match(cfg.lastRefusal?.errors, [{ code: 'invalid-range', path: /^IPAddressPool metallb-system\/a spec\.addresses\[1\]/ }, { code: 'overlapping-ranges' }]);
  let metrics = await ctl.registry.metrics();
  t.match(metrics, /shoal_k8s_client_config_stale_bool 1/);
  t.match(metrics, /shoal_k8s_client_config_errors_total 2/, 'two invalid candidates: the overlap, then the overlap and the bad range');
  t.match(metrics, /shoal_k8s_client_config_loaded_bool 1/);
  // The controller carries on with A: the old address stays, a new service is served from A.
  h.service('two');
  await h.waitIngress('two', ['192.0.2.1']);
  t.same(h.ingress('one'), ['192.0.2.0']);
  await quiesce(ctl);
  const warnings = h.events().filter((e) => e.reason === 'ConfigInvalid');
  t.same(warnings.map((e) => [e.kind, e.object, e.type]).sort(), [['IPAddressPool', `${CONFIG_NS}/a`, 'Warning'], ['IPAddressPool', `${CONFIG_NS}/b`, 'Warning']]);
  t.match(warnings.find((e) => e.object.endsWith('/a'))?.message, /keeping the configuration in force \(generation 1\).*"192\.0\.2\.300" is not an IP range/);

  // C: fixed. Applies as generation 2; pool b is usable.
  h.pool('a', ['192.0.2.0/29']);
  await eventually(() => ctl.status().config.generation === 2, 'fixed configuration applied');
  t.notOk(ctl.status().config.stale);
  metrics = await ctl.registry.metrics();
  t.match(metrics, /shoal_k8s_client_config_stale_bool 0/);
  t.match(metrics, /shoal_k8s_client_update_errors_total 0/, 'no write failed along the way');
  h.service('three', { annotations: { 'metallb.io/address-pool': 'b' } });
  await h.waitIngress('three', ['192.0.2.8']);
  t.same([h.ingress('one'), h.ingress('two')], [['192.0.2.0'], ['192.0.2.1']], 'nothing moved');
});

t.test('the legacy ConfigMap; both sources at once are refused until the ConfigMap goes', async (t) => {
  const h = await harness(t);
  h.configMap(legacy('192.0.2.240/28'));
  h.service('web');
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('web', ['192.0.2.240']);
  t.equal(h.poolOf('web'), 'my-ip-space');
  t.match(ctl.status().config, { source: 'configmap', generation: 1 });
  t.match(ctl.status().pools, [{ name: 'my-ip-space', autoAssign: true, ipv4: { total: '16', assigned: '1', available: '15' } }]);

  // Migration: the converted objects appear one by one; none takes effect while the ConfigMap exists.
  h.pool('my-ip-space', ['192.0.2.240/28']);
  await eventually(() => ctl.status().config.stale, 'mixed sources refused');
  t.match(ctl.status().config.lastRefusal?.errors, [{ code: 'mixed-sources', message: /1 metallb\.io object\(s\) exist \(they are valid on their own\)/ }]);
  h.service('api');
  await h.waitIngress('api', ['192.0.2.241']);
  t.equal(h.poolOf('api'), 'my-ip-space');
  await quiesce(ctl);
  t.match(h.events('config'), [{ kind: 'ConfigMap', type: 'Warning', reason: 'ConfigInvalid', message: /delete the ConfigMap/ }]);

  // Deleting the ConfigMap switches to the objects in one step; the addresses stay.
  h.d.store.delete(configMaps, CONFIG_NS, 'config');
  await eventually(() => ctl.status().config.source === 'crd', 'switched to the metallb.io objects');
  t.match(ctl.status().config, { generation: 2, stale: false });
  await ctl.idle();
  t.same([h.ingress('web'), h.ingress('api')], [['192.0.2.240'], ['192.0.2.241']]);
});

t.test('--config-source picks one source and ignores the other', async (t) => {
  const h = await harness(t);
  h.configMap(legacy('192.0.2.240/28'));
  h.pool('crd-pool', ['198.51.100.0/28']);
  h.service('web');
  const crdOnly = await h.start({ configSource: 'crd' });
  await h.settled(crdOnly);
  await h.waitIngress('web', ['198.51.100.0']);
  await crdOnly.stop();
  h.deleteService('web');
  h.service('web2');
  const mapOnly = await h.start({ configSource: 'configmap', concurrency: 1 });
  await h.settled(mapOnly);
  await h.waitIngress('web2', ['192.0.2.240']);
  t.equal(mapOnly.status().config.source, 'configmap');
});

t.test('without any configuration nothing is allocated; the first valid one registers, then allocates', async (t) => {
  const h = await harness(t);
  h.service('kept');
  h.setIngress('kept', ['192.0.2.9']);
  h.service('new');
  const ctl = await h.start();
  await ctl.idle();
  t.match(ctl.status(), { ready: false, config: { source: null, absent: /neither metallb\.io objects nor the legacy ConfigMap exist/ } });
  t.equal(h.statusWrites(), 0, 'nothing written');
  // An invalid first configuration changes nothing either.
  h.pool('p', ['192.0.2.0/33']);
  await eventually(() => ctl.status().config.lastRefusal !== null, 'refused');
  t.notOk(ctl.status().ready);
  h.pool('p', ['192.0.2.0/28']);
  await h.waitIngress('new', ['192.0.2.0']);
  await h.waitIngress('kept', ['192.0.2.9']);
  // Deleting every configuration object keeps the last good configuration.
  h.deletePool('p');
  await eventually(() => ctl.status().config.stale, 'stale');
  t.match(ctl.status().config, { source: 'crd', generation: 1, absent: /neither/ });
  h.service('later');
  await h.waitIngress('later', ['192.0.2.1']);
});

t.test('a pool change strands services: new addresses where there is room, a failure Event and a cleared status where not', async (t) => {
  const h = await harness(t);
  h.pool('old', ['192.0.2.0/30']);
  h.pool('spare', ['198.51.100.0/31'], { autoAssign: false });
  for (const n of ['s1', 's2', 's3']) h.service(n);
  h.service('kept', { annotations: { 'metallb.io/address-pool': 'spare' } });
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('s3', ['192.0.2.2']);
  await h.waitIngress('kept', ['198.51.100.0']);
  h.deletePool('old');
  h.pool('new', ['203.0.113.0/31']);
  await eventually(() => ctl.status().services.filter((s) => s.state === 'pending').length === 1, 'one without room');
  await ctl.idle();
  const got = ['s1', 's2', 's3'].map((n) => h.ingress(n));
  t.same(got.flat().sort(), ['203.0.113.0', '203.0.113.1'], 'two re-allocated from the new pool');
  const failed = ['s1', 's2', 's3'].find((n) => h.ingress(n).length === 0) as string;
  await h.waitIngress(failed, []);
  await quiesce(ctl);
  t.match(h.events(failed).map((e) => e.reason), ['IPAllocated', 'AllocationFailed']);
  t.same(h.ingress('kept'), ['198.51.100.0'], 'a service of an unchanged pool is untouched');
});

t.test('namespace labels feed serviceAllocation.namespaceSelectors', async (t) => {
  const h = await harness(t);
  h.pool('team', ['192.0.2.0/28'], { serviceAllocation: { namespaceSelectors: [{ matchLabels: { team: 'a' } }] } });
  h.namespace('apps');
  h.service('web', { ns: 'apps' });
  const ctl = await h.start();
  await h.settled(ctl);
  await eventually(() => ctl.status().services[0]?.state === 'pending', 'no pool admits the namespace');
  h.namespace('apps', { team: 'a' });
  await h.waitIngress('web', ['192.0.2.0'], 'apps');
});

t.test('only IPAddressPools count, as for MetalLB\'s controller: a broken BGPPeer does not hold up allocation', async (t) => {
  const h = await harness(t);
  h.pool('a', ['192.0.2.0/30']);
  h.d.store.create(bgpPeers, CONFIG_NS, { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'broken', namespace: CONFIG_NS }, spec: { myASN: 0, peerAddress: 'not-an-ip' } });
  h.service('web');
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('web', ['192.0.2.0']);
  h.pool('a', ['198.51.100.0/30']);
  await eventually(() => ctl.status().config.generation === 2, 'pool change applied');
  await h.waitIngress('web', ['198.51.100.0']);
  t.match(ctl.status().config, { stale: false, lastRefusal: null });
});
