// The speaker's Kubernetes view through the real client-node informers
// against the API server double: services with their endpoints become
// election inputs, the configuration is kept from bad updates, and the
// other speaker pods are the gossip seeds.
import { Registry } from 'prom-client';
import t from 'tap';
import { endpointSlices, ipAddressPools, l2Advertisements, namespaces, nodes, pods, secrets, services } from '../../src/kube/resources.js';
import { KubeWorld } from '../../src/speaker/kube-world.js';
import { RealClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { double, eventually } from '../dev/apiserver/support.js';

const NS = 'metallb-system';

t.test('services, endpoints, nodes, config, passwords and seeds', async (t) => {
  const d = await double(t);
  const s = d.store;
  s.create(namespaces, undefined, { metadata: { name: NS } });
  s.create(ipAddressPools, NS, { metadata: { name: 'pool', namespace: NS }, spec: { addresses: ['192.0.2.0/28'] } });
  s.create(l2Advertisements, NS, { metadata: { name: 'l2', namespace: NS }, spec: {} });
  s.create(nodes, undefined, {
    metadata: { name: 'n1', labels: { zone: 'a' } },
    status: { addresses: [{ type: 'InternalIP', address: '192.0.2.201' }, { type: 'InternalIP', address: '2001:db8::201' }] },
  });
  s.create(nodes, undefined, { metadata: { name: 'n2', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }, status: { conditions: [{ type: 'NetworkUnavailable', status: 'True' }] } });
  const lb = (name: string, spec: Record<string, unknown> = {}) =>
    s.create(services, 'default', { metadata: { name, namespace: 'default', labels: { app: name } }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name }, ...spec } });
  const ingress = (name: string, ips: string[]) => {
    const cur = structuredClone(s.get(services, 'default', name)) as Record<string, unknown>;
    cur['status'] = { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } };
    s.update(services, 'default', name, cur, { subresource: 'status' });
  };
  lb('web', { externalTrafficPolicy: 'Local' });
  ingress('web', ['192.0.2.1']);
  lb('other-class', { loadBalancerClass: 'example.org/lb' });
  ingress('other-class', ['192.0.2.2']);
  lb('pending');
  s.create(endpointSlices, 'default', {
    metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['198.51.100.1'], nodeName: 'n1', conditions: { ready: true } },
      { addresses: ['198.51.100.2'], nodeName: 'n2', conditions: { ready: false } },
    ],
  });
  s.create(secrets, NS, { metadata: { name: 'bgp-pw', namespace: NS }, data: { password: Buffer.from('s3cret').toString('base64') } });
  for (const [name, node, ip] of [['speaker-1', 'n1', '192.0.2.201'], ['speaker-2', 'n2', '192.0.2.202']] as const) {
    s.create(pods, NS, { metadata: { name, namespace: NS, labels: { app: 'shoal', component: 'speaker' } }, spec: { nodeName: node, containers: [{ name: 'x', image: 'x' }] } });
    // As the kubelet does: the pod IP arrives through the status subresource.
    const cur = structuredClone(s.get(pods, NS, name)) as Record<string, unknown>;
    cur['status'] = { podIP: ip };
    s.update(pods, NS, name, cur, { subresource: 'status' });
  }

  const registry = new Registry();
  const world = new KubeWorld({
    kubeConfig: d.kubeConfig(),
    namespace: NS,
    node: 'n1',
    configSource: 'auto',
    lbClass: undefined,
    peerSelector: 'app=shoal,component=speaker',
    podIP: undefined,
    clock: new RealClock(),
    logger: silentLogger,
    registry,
  });
  let changes = 0;
  world.onChange(() => changes++);
  world.start();
  t.teardown(() => world.stop());
  await world.synced();

  const inputs = world.inputs([{ name: 'n1', state: 'alive' }])!;
  t.ok(inputs, 'a configuration is in force');
  t.same(inputs.config.pools.map((p) => p.name), ['pool']);
  const svcs = [...inputs.services];
  t.same(svcs.map((x) => x.name), ['web'], 'only our class, only with an address');
  t.same(svcs[0]!.endpoints, { serving: true, nodes: ['n1'] }, 'endpoints from the slice: ready ones only');
  t.equal(svcs[0]!.externalTrafficPolicy, 'Local');
  t.same(inputs.nodes.get('n1'), { labels: { zone: 'a' }, networkUnavailable: false });
  t.equal(inputs.nodes.get('n2')?.networkUnavailable, true);
  t.same(world.self(), { name: 'n1', labels: { zone: 'a' }, ipv4: '192.0.2.201', ipv6: '2001:db8::201' }, 'own labels and InternalIPs');
  t.same(world.passwords(), new Map([['metallb-system/bgp-pw', 's3cret']]));
  t.same(world.seedHosts(), ['192.0.2.202'], 'the other speaker pod, not our own');

  // A new address arrives, then an endpoint moves: each is a change.
  const before = changes;
  ingress('pending', ['192.0.2.3']);
  await eventually(() => [...(world.inputs([])?.services ?? [])].some((x) => x.name === 'pending'), 'the newly addressed service');
  t.ok(changes > before, 'listeners were told');

  // A bad configuration is refused and the good one stays.
  s.create(ipAddressPools, NS, { metadata: { name: 'bad', namespace: NS }, spec: { addresses: ['192.0.2.300/24'] } });
  await eventually(() => world.configErrors.length > 0, 'the refusal');
  t.same(world.inputs([])!.config.pools.map((p) => p.name), ['pool'], 'the last good configuration is kept');
  t.match(world.configErrors[0], /192\.0\.2\.300/);
  t.match(await registry.getSingleMetricAsString('shoal_speaker_config_stale'), /shoal_speaker_config_stale 1/);
  s.delete(ipAddressPools, NS, 'bad');
  await eventually(() => world.configErrors.length === 0, 'recovery');
  t.match(await registry.getSingleMetricAsString('shoal_speaker_config_stale'), /shoal_speaker_config_stale 0/);

  // A deleted Service is told once, after the world let it go (the speaker
  // then forgets its Events about it: kube-mode.ts).
  const deleted: string[] = [];
  world.onServiceDeleted((svc) => deleted.push(`${svc.metadata?.name}:${world.service(`default/${svc.metadata?.name}`) === undefined ? 'gone' : 'still known'}`));
  s.delete(services, 'default', 'pending');
  await eventually(() => deleted.length > 0, 'the deletion');
  t.same(deleted, ['pending:gone']);
});
