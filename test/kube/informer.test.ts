import t from 'tap';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { Informer, type InformerOptions } from '../../src/kube/informer.js';
import { configMaps, ipAddressPools, services, type CustomObject, type ResourceType } from '../../src/kube/resources.js';
import { VirtualClock } from '../../src/util/clock.js';
import type { ApiServerDouble } from '../../dev/apiserver/server.js';
import { double, eventually, settle } from '../dev/apiserver/support.js';
import type { Wire, KubeObject } from '../../src/kube/wire.js';

const ns = 'default';
const fast = { initialMs: 100, maxMs: 1000, jitter: 0 };

function track<T extends KubeObject>(inf: Informer<T>): string[] {
  const log: string[] = [];
  inf.onAdd((o) => log.push(`add ${o.metadata?.name}`));
  inf.onUpdate((o, old) => log.push(`update ${o.metadata?.name} ${old.metadata?.resourceVersion}->${o.metadata?.resourceVersion}`));
  inf.onDelete((o) => log.push(`delete ${o.metadata?.name}`));
  return log;
}

function informer<T extends KubeObject>(
  t: { teardown(fn: () => unknown): void },
  d: ApiServerDouble,
  type: ResourceType<T>,
  opts: InformerOptions = {},
): Informer<T> {
  const inf = new Informer(d.kubeConfig(), type, { backoff: fast, random: () => 0.5, ...opts });
  t.teardown(() => inf.stop());
  return inf;
}

/** A synced configmaps informer whose watch connection has just been cut. */
async function cutOff(t: Parameters<typeof informer>[0], d: ApiServerDouble, clock: VirtualClock): Promise<{ inf: Informer<Wire<V1ConfigMap>>; log: string[] }> {
  const inf = informer(t, d, configMaps, { clock });
  const log = track(inf);
  inf.start();
  await inf.synced();
  await eventually(() => d.watchCount('configmaps') === 1, 'watching');
  d.dropWatches({ mode: 'reset' });
  await eventually(() => clock.pending > 0 && inf.stats().errors === 1, 'restart scheduled');
  return { inf, log };
}

const lists = (d: ApiServerDouble, resource: string): number => d.requests.filter((r) => r.verb === 'list' && r.resource === resource && r.code === 200).length;

t.test('synced() waits for the full list; handlers see add, update (with old), delete in order', async (t) => {
  const d = await double(t);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  for (const n of ['a', 'b', 'c']) await core.createNamespacedService({ namespace: ns, body: { metadata: { name: n }, spec: { ports: [{ port: 80 }] } } });
  const inf = informer(t, d, services, { pageSize: 2 });
  const log = track(inf);
  let sizeAtSync = -1;
  inf.start();
  t.throws(() => inf.start(), /already started/);
  await inf.synced().then(() => { sizeAtSync = inf.size; });
  t.equal(sizeAtSync, 3, 'the whole list is in the cache when synced() resolves');
  t.ok(inf.hasSynced);
  t.equal(lists(d, 'services'), 2, 'listed in pages of 2');
  const a = inf.get('default/a')!;
  t.type(a.metadata?.creationTimestamp, 'string', 'the cache holds objects as sent: a timestamp is a string');
  t.equal(inf.getByName('b', ns)?.metadata?.name, 'b');
  const changed = await core.replaceNamespacedService({ namespace: ns, name: 'a', body: { metadata: { name: 'a', resourceVersion: a.metadata?.resourceVersion, labels: { x: 'y' } }, spec: a.spec } });
  await core.deleteNamespacedService({ namespace: ns, name: 'b' });
  await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'd' }, spec: { ports: [{ port: 80 }] } } });
  await eventually(() => log.length === 6, 'six events');
  t.same(log, ['add a', 'add b', 'add c', `update a ${a.metadata?.resourceVersion}->${changed.metadata?.resourceVersion}`, 'delete b', 'add d']);
  t.equal(inf.get('default/a')!.metadata?.creationTimestamp, a.metadata?.creationTimestamp, 'watch objects as sent too: the same string');
  t.same(inf.keys().sort(), ['default/a', 'default/c', 'default/d']);
  d.sendBookmarks();
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'unrelated' } } });
  d.sendBookmarks();
  await eventually(() => inf.resourceVersion === String(d.store.resourceVersion), 'bookmarks carry the informer past unrelated writes');
});

t.test('namespace, label and field selectors scope the cache', async (t) => {
  const d = await double(t);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'other' } } });
  const mk = (namespace: string, name: string, labels: Record<string, string>): Promise<V1ConfigMap> => core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels } } });
  await mk(ns, 'a', { app: 'shoal' });
  await mk(ns, 'b', { app: 'other' });
  await mk('other', 'c', { app: 'shoal' });
  const inf = informer(t, d, configMaps, { namespace: ns, labelSelector: 'app=shoal' });
  const named = informer(t, d, configMaps, { fieldSelector: 'metadata.name=c' });
  inf.start();
  named.start();
  await Promise.all([inf.synced(), named.synced()]);
  t.same(inf.keys(), ['default/a']);
  t.same(named.keys(), ['other/c']);
  const b = await core.readNamespacedConfigMap({ namespace: ns, name: 'b' });
  await core.replaceNamespacedConfigMap({ namespace: ns, name: 'b', body: { ...b, metadata: { ...b.metadata, labels: { app: 'shoal' } } } });
  await eventually(() => inf.size === 2, 'b entered the selection');
});

t.test('restarts with backoff after a connection reset and resumes without re-listing', async (t) => {
  const d = await double(t);
  const clock = new VirtualClock();
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  const { inf, log } = await cutOff(t, d, clock);
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'during-outage' } } });
  await settle();
  t.same(log, [], 'nothing while down');
  t.equal(d.watchCount('configmaps'), 0);
  clock.advance(99);
  await settle();
  t.equal(d.watchCount('configmaps'), 0, 'waits out the backoff');
  clock.advance(1);
  await eventually(() => log.length === 1, 'missed event delivered after the restart');
  t.same(log, ['add during-outage']);
  t.equal(lists(d, 'configmaps'), 1, 'resumed from its resourceVersion');
  t.match(inf.stats(), { restarts: 1, errors: 1 });
});

t.test('a 410 after an outage re-lists and reports what changed meanwhile', async (t) => {
  const d = await double(t);
  const clock = new VirtualClock();
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  for (const n of ['keep', 'gone', 'edit']) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: n } } });
  const { inf, log } = await cutOff(t, d, clock);
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'gone' });
  const e = await core.readNamespacedConfigMap({ namespace: ns, name: 'edit' });
  await core.replaceNamespacedConfigMap({ namespace: ns, name: 'edit', body: { ...e, data: { v: '2' } } });
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'new' } } });
  d.store.compact();
  clock.advance(100);
  await eventually(() => log.length === 6, 'changes reported');
  t.same(log.slice(3).map((l) => l.split(' ').slice(0, 2).join(' ')).sort(), ['add new', 'delete gone', 'update edit']);
  t.equal(lists(d, 'configmaps'), 2, 're-listed once');
  t.same(inf.keys().sort(), ['default/edit', 'default/keep', 'default/new']);
});

t.test('list failures keep synced() waiting until a retry succeeds', async (t) => {
  const d = await double(t);
  const clock = new VirtualClock();
  d.faults.failNext({ verb: 'list', resource: 'services', code: 503, count: 2 });
  const inf = informer(t, d, services, { clock });
  let synced = false;
  inf.start();
  void inf.synced().then(() => { synced = true; });
  await eventually(() => inf.stats().errors === 1 && clock.pending > 0, 'first failure');
  clock.advance(100);
  await eventually(() => inf.stats().errors === 2 && clock.pending > 0, 'second failure');
  t.notOk(synced);
  clock.advance(199);
  await settle();
  t.equal(inf.stats().lists, 2, 'backoff doubled');
  clock.advance(1);
  await eventually(() => synced, 'synced after the third list');
  t.equal(d.faults.pendingFailures, 0);
});

t.test('metallb.io types: absent CRD counts as synced and empty, then appears', async (t) => {
  const d = await double(t, { installCustomResources: false });
  const clock = new VirtualClock();
  const inf = informer(t, d, ipAddressPools, { clock });
  const log = track(inf);
  inf.start();
  await inf.synced();
  t.notOk(inf.installed);
  t.equal(inf.size, 0);
  d.store.install(ipAddressPools);
  d.store.create(ipAddressPools, ns, { metadata: { name: 'pool' }, spec: { addresses: ['192.0.2.0/28'] } });
  await eventually(() => clock.pending > 0, 'retry scheduled');
  clock.advance(100);
  await eventually(() => log.length === 1, 'pool seen');
  t.ok(inf.installed);
  const pool = inf.getByName('pool', ns) as CustomObject;
  t.same(pool.spec, { addresses: ['192.0.2.0/28'] });
  d.store.uninstall(ipAddressPools);
  // Seen either as DELETED events or, if the watch was being re-opened, as a 404 and an empty re-list.
  await eventually(() => { clock.advance(1000); return log.length === 2; }, 'CRD removal deletes its objects');
  t.same(log, ['add pool', 'delete pool']);
  const required = informer(t, d, ipAddressPools, { clock, optional: false });
  required.start();
  await eventually(() => required.stats().errors === 1, '404');
  t.notOk(required.hasSynced, 'a required type does not count as synced while absent');
});

t.test('a CRD removed while disconnected: the watch 404s, the informer re-lists and empties its cache', async (t) => {
  const d = await double(t);
  const clock = new VirtualClock();
  d.store.create(ipAddressPools, ns, { metadata: { name: 'pool' }, spec: {} });
  const inf = informer(t, d, ipAddressPools, { clock });
  const log = track(inf);
  inf.start();
  await inf.synced();
  await eventually(() => d.watchCount('ipaddresspools') === 1, 'watching');
  d.dropWatches({ mode: 'reset' });
  await eventually(() => inf.stats().errors === 1 && clock.pending > 0, 'restart scheduled');
  d.store.uninstall(ipAddressPools);
  clock.advance(100);
  await eventually(() => inf.stats().errors === 2 && clock.pending > 0, 'watch answered 404');
  t.same(log, ['add pool'], 'a 404 on watch alone deletes nothing');
  clock.advance(200);
  await eventually(() => log.length === 2, 'emptied by the re-list');
  t.same(log, ['add pool', 'delete pool']);
  t.notOk(inf.installed);
  t.equal(inf.size, 0);
});

t.test('a watch that outlives its timeout is presumed dead and replaced', async (t) => {
  const d = await double(t);
  const clock = new VirtualClock();
  const inf = informer(t, d, configMaps, { clock, watchTimeoutSeconds: 600 });
  inf.start();
  await inf.synced();
  await eventually(() => d.watchCount('configmaps') === 1, 'watching');
  clock.advance(600_000 + 29_999);
  await settle();
  t.equal(inf.stats().errors, 0);
  clock.advance(1);
  await eventually(() => inf.stats().errors === 1, 'deadline fired');
  clock.advance(100);
  await eventually(() => inf.stats().watches === 2, 'new watch opened');
});

t.test('a throwing handler does not stop the informer; stop() ends everything', async (t) => {
  const d = await double(t);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  const inf = informer(t, d, configMaps);
  const seen: string[] = [];
  inf.onAdd(() => { throw new Error('handler bug'); });
  inf.onAdd((o) => seen.push(o.metadata!.name!));
  inf.start();
  await inf.synced();
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } });
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'y' } } });
  await eventually(() => seen.length === 2, 'both seen');
  await inf.stop();
  await eventually(() => d.watchCount() === 0, 'watch closed');
  const requests = d.requests.length;
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'z' } } });
  await settle(50);
  t.equal(d.requests.length, requests + 1, 'no requests from a stopped informer');
  t.equal(inf.stats().errors, 0, 'stopping is not an error');
  const never = informer(t, d, configMaps);
  d.faults.failNext({ verb: 'list', code: 500, count: 100 });
  never.start();
  const sync = never.synced();
  await never.stop();
  await t.rejects(sync, /stopped before it synced/);
  d.faults.clear();
});

t.test('cached objects carry no managedFields, whether listed or watched', async (t) => {
  const d = await double(t);
  // The double drops managedFields on write, as it tracks no field
  // managers; here it serves them on every list and watch, as a real
  // API server does.
  const managed = [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:ports': {} } } }];
  const withManaged = <O extends { metadata: Record<string, unknown> }>(o: O): O => ({ ...o, metadata: { ...o.metadata, managedFields: managed } });
  const store = d.store;
  const list = store.list.bind(store);
  const watch = store.watch.bind(store);
  store.list = (type, opts) => {
    const r = list(type, opts);
    return { ...r, items: r.items.map(withManaged) };
  };
  store.watch = (type, opts, sink) => watch(type, opts, { event: (change, obj) => sink.event(change, withManaged(obj)), end: () => sink.end() });
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'listed' }, spec: { ports: [{ port: 80 }] } } });
  t.ok((await core.listNamespacedService({ namespace: ns })).items[0]?.metadata?.managedFields, 'the server does send managedFields');
  const inf = informer(t, d, services);
  inf.start();
  await inf.synced();
  await eventually(() => d.watchCount('services') === 1, 'watching');
  await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'watched' }, spec: { ports: [{ port: 80 }] } } });
  await eventually(() => inf.size === 2, 'the watched service cached');
  t.equal(inf.get('default/listed')?.metadata?.managedFields, undefined, 'dropped from a listed object');
  t.equal(inf.get('default/watched')?.metadata?.managedFields, undefined, 'dropped from a watched object');
  t.equal(inf.get('default/watched')?.metadata?.name, 'watched', 'the rest is kept');
});
