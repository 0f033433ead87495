// The status object writer through client-node against the API server
// double: shapes and labels as MetalLB writes them, deletion, adoption
// after a restart, pacing of a 1,000-service failover, and failures
// (503, 409, API down) retried without holding other objects up.

import t from 'tap';
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { ApiServerDouble } from '../../dev/apiserver/server.js';
import { configurationStates, ipAddressPools, namespaces, serviceBgpStatuses, serviceL2Statuses, type CustomObject } from '../../src/kube/resources.js';
import { keepTransitionTimes, StatusObjectWriter, type StatusObjectWriterOptions } from '../../src/kube/status-objects.js';
import { desiredConfigurationState } from '../../src/kube/configuration-state.js';
import { AnnouncementStatus, LABEL_NODE } from '../../src/speaker/announcement-status.js';
import { desiredStatuses } from '../support/announcement-status.js';
import { poolStatuses } from '../../src/controller/pool-status.js';
import { ConfigAcceptance, parseLegacyConfig } from '../../src/config/index.js';
import { VirtualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { double } from '../dev/apiserver/support.js';

const NS = 'metallb-system';

interface Setup {
  d: ApiServerDouble;
  clock: VirtualClock;
  writer: StatusObjectWriter;
  /** Virtual time of every request the writer made. */
  times: number[];
}

async function setup(t: Parameters<typeof double>[0], opts: StatusObjectWriterOptions = {}, d?: ApiServerDouble): Promise<Setup> {
  if (!d) {
    d = await double(t);
    d.store.create(namespaces, undefined, { metadata: { name: NS } });
  }
  const clock = new VirtualClock();
  const times: number[] = [];
  const writer = new StatusObjectWriter(d.kubeConfig(), {
    clock,
    random: () => 0,
    backoff: { initialMs: 1000, maxMs: 8000, jitter: 0 },
    metrics: { requests: { inc: () => times.push(clock.now()) } },
    ...opts,
  });
  t.teardown(() => writer.close());
  return { d, clock, writer, times };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs the writer's timers (virtual) and requests (real I/O) until nothing is due before `limitMs` from now. */
async function drive(s: Setup, limitMs = 600_000): Promise<void> {
  const end = s.clock.now() + limitMs;
  for (;;) {
    while (s.writer.stats.writing) await turn();
    await turn();
    if (s.writer.stats.writing) continue;
    const next = s.clock.nextAt();
    if (next === undefined || next > end) return;
    s.clock.advance(Math.max(0, next - s.clock.now()));
  }
}

const list = (d: ApiServerDouble, type = serviceL2Statuses): CustomObject[] => d.store.list(type, { namespace: NS }).items as CustomObject[];

const services = (n: number): Map<string, readonly string[]> => new Map(Array.from({ length: n }, (_, i) => [`default/svc-${i}`, [] as string[]]));

t.test('ServiceL2Status and ServiceBGPStatus as MetalLB writes them, then deleted when no longer announced', async (t) => {
  const s = await setup(t);
  const owner: V1OwnerReference = { apiVersion: 'v1', kind: 'Pod', name: 'speaker-x', uid: 'u-1' };
  const pub = new AnnouncementStatus({ node: 'node-a', namespace: NS, writer: s.writer, pod: () => ({ metadata: { name: owner.name, uid: owner.uid } }), logger: silentLogger });
  pub.update({ l2: new Map([['web/front', ['eth0', 'eth1']]]), bgp: new Map([['web/front', ['router-b', 'router-a']]]) });
  await drive(s);
  const [l2] = list(s.d);
  t.match(l2, {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'ServiceL2Status',
    metadata: {
      namespace: NS,
      name: /^l2-/,
      labels: { 'metallb.io/node': 'node-a', 'metallb.io/service-name': 'front', 'metallb.io/service-namespace': 'web' },
      ownerReferences: [owner],
    },
    status: { node: 'node-a', serviceName: 'front', serviceNamespace: 'web', interfaces: [{ name: 'eth0' }, { name: 'eth1' }] },
  });
  const [bgp] = list(s.d, serviceBgpStatuses);
  t.match(bgp, { kind: 'ServiceBGPStatus', metadata: { name: /^bgp-/ }, status: { node: 'node-a', serviceName: 'front', serviceNamespace: 'web', peers: ['router-a', 'router-b'] } });

  pub.update({ l2: new Map([['web/front', []]]), bgp: new Map() });
  await drive(s);
  t.same(list(s.d)[0]?.status, { node: 'node-a', serviceName: 'front', serviceNamespace: 'web' }, 'every interface: no list, as MetalLB');
  t.equal(list(s.d)[0]?.metadata?.name, l2?.metadata?.name, 'updated in place');
  t.equal(list(s.d, serviceBgpStatuses).length, 0, 'no longer advertised: deleted');
  pub.update({ l2: new Map(), bgp: new Map() });
  await drive(s);
  t.equal(list(s.d).length, 0);
  t.same(s.writer.keys(), [], 'nothing left tracked');
});

t.test('a restarted speaker adopts its objects: keeps what is still true, deletes the rest, leaves other nodes alone', async (t) => {
  const first = await setup(t);
  const desired = (node: string, svcs: string[]) => desiredStatuses(node, NS, undefined, { l2: new Map(svcs.map((k) => [k, []])), bgp: new Map() });
  for (const [k, v] of [...desired('node-a', ['default/a', 'default/b']), ...desired('node-b', ['default/c'])]) first.writer.set(`${v.labels?.[LABEL_NODE]}:${k}`, v);
  await drive(first);
  t.equal(list(first.d).length, 3);
  first.writer.close();

  const second = await setup(t, {}, first.d);
  const pub = new AnnouncementStatus({ node: 'node-a', namespace: NS, writer: second.writer, pod: () => undefined, logger: silentLogger });
  await pub.adopt();
  // Until the speaker has decided what it announces, what it left stays.
  await drive(second);
  t.equal(list(second.d).length, 3, 'nothing deleted before the first update');
  t.equal(second.times.length, 0, 'nothing written before the first update');
  pub.update({ l2: new Map([['default/a', []]]), bgp: new Map() });
  await drive(second);
  const names = list(second.d).map((o) => `${o.metadata?.labels?.[LABEL_NODE]} ${o.metadata?.labels?.['metallb.io/service-name']}`).sort();
  t.same(names, ['node-a a', 'node-b c']);
  t.equal(second.times.length, 1, 'one request: the delete of b; a was already right');
});

t.test('what a restart adopts but nobody claims (a second object for one service, one without a service label) goes at the first update', async (t) => {
  const s = await setup(t);
  const leftover = (name: string, labels: Record<string, string>) =>
    s.d.store.create(serviceL2Statuses, NS, { apiVersion: 'metallb.io/v1beta1', kind: 'ServiceL2Status', metadata: { name, namespace: NS, labels }, status: {} });
  const svc = { [LABEL_NODE]: 'node-a', 'metallb.io/service-name': 'a', 'metallb.io/service-namespace': 'default' };
  leftover('l2-one', svc);
  leftover('l2-two', svc);
  leftover('l2-nameless', { [LABEL_NODE]: 'node-a' });
  const pub = new AnnouncementStatus({ node: 'node-a', namespace: NS, writer: s.writer, pod: () => undefined, logger: silentLogger });
  await pub.adopt();
  await drive(s);
  t.equal(list(s.d).length, 3, 'held until the speaker has decided');
  pub.update({ l2: new Map([['default/a', []]]), bgp: new Map() });
  await drive(s);
  const left = list(s.d);
  t.equal(left.length, 1, 'one object for the service');
  t.same(left[0]?.status, { node: 'node-a', serviceName: 'a', serviceNamespace: 'default' });
  t.same(s.writer.keys(), ['l2:default/a'], 'only the claimed key is tracked');
});

t.test('a failover of 1,000 services is paced: no virtual second sees more than the burst plus the rate', async (t) => {
  const s = await setup(t, { writesPerSecond: 20, burst: 30 });
  const pub = new AnnouncementStatus({ node: 'node-a', namespace: NS, writer: s.writer, pod: () => undefined, logger: silentLogger });
  pub.update({ l2: services(1000), bgp: new Map() });
  // While the first writes go out, the failover flaps: half the services leave and come back.
  await drive(s, 500);
  pub.update({ l2: new Map([...services(1000)].slice(500)), bgp: new Map() });
  pub.update({ l2: services(1000), bgp: new Map() });
  await drive(s);
  t.equal(list(s.d).length, 1000, 'every service has its status');
  t.ok(list(s.d).every((o) => (o.status as { node?: string }).node === 'node-a'));
  const perSecond = new Map<number, number>();
  for (const at of s.times) perSecond.set(Math.floor(at / 1000), (perSecond.get(Math.floor(at / 1000)) ?? 0) + 1);
  const peak = Math.max(...perSecond.values());
  t.ok(peak <= 30 + 20, `peak ${peak} requests in one virtual second`);
  t.equal(s.times.length, 2000, 'one create and one status write per object: the flap cost nothing');
  t.ok(s.clock.now() >= (2000 - 30) / 20 * 1000, `spread over ${s.clock.now() / 1000} virtual seconds`);
});

t.test('failures are retried with backoff and never hold up other objects', async (t) => {
  const s = await setup(t);
  s.d.faults.failNext({ verb: 'create', resource: 'servicel2statuses.metallb.io', code: 503 });
  const desired = desiredStatuses('node-a', NS, undefined, { l2: services(2), bgp: new Map() });
  const entries = [...desired];
  const [k0, d0] = entries[0]!;
  const [k1, d1] = entries[1]!;
  s.writer.set(k0, d0);
  await drive(s, 0);
  t.equal(s.writer.stats.retrying, 1, 'the first waits out its backoff');
  s.writer.set(k1, d1);
  await drive(s, 500);
  t.same(list(s.d).map((o) => o.metadata?.labels?.['metallb.io/service-name']), ['svc-1'], 'the second went ahead meanwhile');
  t.equal(s.writer.stats.retrying, 1);
  await drive(s);
  t.equal(list(s.d).length, 2, 'both written in the end');
  t.equal(s.d.faults.pendingFailures, 0);
  t.equal(s.writer.stats.failures, 1);

  // 409: someone else wrote the object; read it again and write over it.
  const obj = list(s.d)[0]!;
  const edited = structuredClone(obj) as CustomObject;
  (edited.status as Record<string, unknown>)['node'] = 'intruder';
  s.d.store.update(serviceL2Statuses, NS, obj.metadata!.name!, edited, { subresource: 'status' });
  const key = [...desired].find(([, v]) => v.labels?.['metallb.io/service-name'] === obj.metadata?.labels?.['metallb.io/service-name'])![0];
  s.writer.set(key, { ...desired.get(key)!, status: { ...desired.get(key)!.status, interfaces: [{ name: 'eth9' }] } });
  await drive(s);
  t.match(s.d.store.get(serviceL2Statuses, NS, obj.metadata!.name!), { status: { node: 'node-a', interfaces: [{ name: 'eth9' }] } }, 'conflict resolved by re-reading');
  t.ok(s.d.requests.some((r) => r.resource === 'servicel2statuses.metallb.io/status' && r.code === 409), 'a 409 was met');
});

t.test('the API down: writes wait and go through once it is back', async (t) => {
  const s = await setup(t);
  const d = s.d;
  d.faults.failNext({ verb: '*', resource: '*', code: 500, count: 4 });
  const desired = desiredStatuses('node-a', NS, undefined, { l2: services(1), bgp: new Map() });
  for (const [k, v] of desired) s.writer.set(k, v);
  await drive(s);
  t.equal(list(d).length, 1);
  t.equal(s.writer.stats.failures, 4);
});

t.test('IPAddressPool status: only the status of an existing pool is written, MetalLB field names', async (t) => {
  const s = await setup(t);
  s.d.store.create(ipAddressPools, NS, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'lan', namespace: NS }, spec: { addresses: ['192.0.2.0/28'] } });
  const usage = [
    { pool: 'lan', ipv4: { total: 16n, assigned: 3n, available: 13n }, ipv6: { total: 0n, assigned: 0n, available: 0n } },
    { pool: 'gone', ipv4: { total: 1n, assigned: 0n, available: 1n }, ipv6: { total: 2n ** 64n, assigned: 1n, available: 2n ** 64n - 1n } },
  ];
  for (const [k, v] of poolStatuses(NS, usage)) s.writer.set(k, v);
  await drive(s);
  t.same(s.d.store.get(ipAddressPools, NS, 'lan').status, { assignedIPv4: 3, assignedIPv6: 0, availableIPv4: 13, availableIPv6: 0 });
  t.same((s.d.store.get(ipAddressPools, NS, 'lan') as CustomObject).spec, { addresses: ['192.0.2.0/28'] }, 'spec untouched');
  t.equal(s.d.store.list(ipAddressPools, { namespace: NS }).items.length, 1, 'a pool without an object is not created');
  t.equal(poolStatuses(NS, usage).get('pool:gone')?.status['availableIPv6'], Number.MAX_SAFE_INTEGER, 'a /64 reports the largest exact JSON integer');
});

t.test('ConfigurationState: Valid, then Invalid with every error and its path, last good kept', async (t) => {
  const s = await setup(t);
  const acc = new ConfigAcceptance({ now: () => new Date('2026-12-03T10:00:00.123Z') });
  const component = { kind: 'speaker', node: 'node-a' } as const;
  t.equal(desiredConfigurationState(NS, component, acc.state), undefined, 'nothing judged yet: no object');
  acc.offer('configmap', parseLegacyConfig('address-pools: [{name: lan, protocol: layer2, addresses: [198.51.100.0/28]}]'));
  s.writer.set('cs', desiredConfigurationState(NS, component, acc.state));
  await drive(s);
  t.match(s.d.store.get(configurationStates, NS, 'speaker-node-a'), {
    metadata: { labels: { 'metallb.io/component-type': 'speaker', 'metallb.io/node-name': 'node-a' } },
    status: { result: 'Valid', conditions: [{ type: 'configReconcilerValid', status: 'True', reason: 'Reconciled', lastTransitionTime: '2026-12-03T10:00:00Z' }] },
  });
  acc.offer('configmap', parseLegacyConfig('address-pools: [{name: lan, protocol: layer2, addresses: [198.51.100.0/99]}]'));
  s.writer.set('cs', desiredConfigurationState(NS, component, acc.state));
  await drive(s);
  const st = (s.d.store.get(configurationStates, NS, 'speaker-node-a') as CustomObject).status as Record<string, unknown>;
  t.equal(st['result'], 'Invalid');
  t.match(st['errorSummary'], /^address-pools\[0\]\.addresses\[0\]: /, 'the path of the error');
  t.match(st['conditions'], [{ status: 'False', reason: 'ConfigurationError' }]);
  t.ok(acc.current, 'the last good configuration stays in force');
});

t.test('a condition keeps its lastTransitionTime while its status stays: a restart into the same verdict writes nothing', async (t) => {
  const live = JSON.stringify({ result: 'Valid', conditions: [{ type: 'configReconcilerValid', status: 'True', reason: 'Reconciled', lastTransitionTime: '2026-01-01T00:00:00Z' }] });
  const same = { result: 'Valid', conditions: [{ type: 'configReconcilerValid', status: 'True', reason: 'Reconciled', lastTransitionTime: '2026-12-03T10:00:00Z' }] };
  t.equal(JSON.stringify(keepTransitionTimes(same, live)), live, 'same status: the live time is kept, nothing differs');
  const changed = { result: 'Invalid', conditions: [{ type: 'configReconcilerValid', status: 'False', reason: 'ConfigurationError', lastTransitionTime: '2026-12-03T10:00:00Z' }] };
  t.same(keepTransitionTimes(changed, live), changed, 'a transition takes the new time');
  t.same(keepTransitionTimes({ assignedIPv4: 1 }, live), { assignedIPv4: 1 }, 'no conditions: as given');
  t.same(keepTransitionTimes(same, undefined), same, 'nothing live: as given');
});

t.test('an object no longer wanted while its create is in flight is deleted once the create lands, not left behind', async (t) => {
  // Service churn: a speaker starts announcing a Service, and the Service is
  // deleted before the ServiceL2Status create returns. Forgetting the key at
  // once lost the object the create was making: one orphan per such race.
  const s = await setup(t);
  const [[key, desired]] = [...desiredStatuses('node-a', NS, undefined, { l2: services(1), bgp: new Map() })] as [[string, Parameters<StatusObjectWriter['set']>[1]]];
  s.writer.set(key, desired);
  await turn(); // the pump runs and sends the create; its answer takes more than one turn
  t.equal(s.times.length, 0, 'the create has not answered yet');
  t.ok(s.writer.stats.writing, 'the create is in flight');
  s.writer.set(key, undefined);
  await drive(s);
  t.same(list(s.d), [], 'no ServiceL2Status left for a Service no longer announced');
  t.same(s.writer.keys(), [], 'nothing left tracked');

  // The same race with a create that fails: nothing to delete, and the key is not kept either.
  s.d.faults.failNext({ verb: 'create', resource: 'servicel2statuses.metallb.io', code: 503 });
  s.writer.set(key, desired);
  await turn();
  t.ok(s.writer.stats.writing, 'the failing create is in flight');
  s.writer.set(key, undefined);
  await drive(s);
  t.equal(s.d.faults.pendingFailures, 0, 'the create did fail');
  t.same(list(s.d), [], 'nothing created');
  t.same(s.writer.keys(), [], 'nothing left tracked after the backoff');
});

t.test('an object wanted again while its delete is in flight is created again once the delete lands, not lost', async (t) => {
  // An address released and taken back within moments (two members finishing
  // their warm-up at once): the delete of the ServiceL2Status is in flight when
  // the same object is wanted again. Judged against the object being deleted,
  // the new wish looked settled, and the speaker announced with no status.
  const s = await setup(t);
  const [[key, desired]] = [...desiredStatuses('node-a', NS, undefined, { l2: services(1), bgp: new Map() })] as [[string, Parameters<StatusObjectWriter['set']>[1]]];
  s.writer.set(key, desired);
  await drive(s);
  t.equal(list(s.d).length, 1, 'created');
  s.writer.set(key, undefined);
  await turn(); // the pump runs and sends the delete
  t.ok(s.writer.stats.writing, 'the delete is in flight');
  s.writer.set(key, desired);
  await drive(s);
  t.equal(list(s.d).length, 1, 'the ServiceL2Status is there again');
  t.match(list(s.d)[0], { status: { node: 'node-a', serviceName: 'svc-0' } });
});
