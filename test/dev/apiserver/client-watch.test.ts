// client-node's Watch and makeInformer against the double: resume from a
// resourceVersion, bookmarks, 410 Gone and re-list, server-side timeouts,
// dropped connections.

import t from 'tap';
import { request } from 'node:http';
import { CoreV1Api, makeInformer, Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { configMaps } from '../../../src/kube/resources.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { double, eventually, settle } from './support.js';

const ns = 'default';
const path = `/api/v1/namespaces/${ns}/configmaps`;

interface Seen {
  events: { type: string; name?: string; rv?: string; obj: Record<string, unknown> }[];
  done: unknown[];
}

async function watch(w: Watch, params: Record<string, string | number | boolean>, p = path): Promise<{ seen: Seen; abort: () => void }> {
  const seen: Seen = { events: [], done: [] };
  const ctl = await w.watch(p, params, (type, obj: Record<string, unknown> & { metadata?: { name?: string; resourceVersion?: string } }) => {
    seen.events.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion, obj });
  }, (err) => seen.done.push(err));
  return { seen, abort: () => ctl.abort() };
}

const cm = (name: string, labels?: Record<string, string>): V1ConfigMap => ({ metadata: { name, ...(labels && { labels }) }, data: {} });

t.test('watch from a resourceVersion sees exactly the later changes, in order', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('before') });
  const list = await core.listNamespacedConfigMap({ namespace: ns });
  const { seen, abort } = await watch(new Watch(kc), { resourceVersion: list.metadata!.resourceVersion! });
  t.teardown(abort);
  const a = await core.createNamespacedConfigMap({ namespace: ns, body: cm('a') });
  await core.replaceNamespacedConfigMap({ namespace: ns, name: 'a', body: { ...a, data: { k: 'v' } } });
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'a' });
  await eventually(() => seen.events.length === 3, 'three events');
  t.same(seen.events.map((e) => `${e.type} ${e.name}`), ['ADDED a', 'MODIFIED a', 'DELETED a']);
  const rvs = seen.events.map((e) => Number(e.rv));
  t.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, 'resourceVersions increase, the DELETED one too');
  t.equal(seen.events[0]!.obj['kind'], 'ConfigMap', 'watch objects carry kind');
});

t.test('bookmarks only when asked for, carrying the current resourceVersion', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const withB = await watch(new Watch(kc), { allowWatchBookmarks: true, resourceVersion: '0' });
  const without = await watch(new Watch(kc), { resourceVersion: '0' });
  t.teardown(() => { withB.abort(); without.abort(); });
  await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } } });
  await eventually(() => d.watchCount('configmaps') === 2, 'both watches open');
  d.sendBookmarks();
  await eventually(() => withB.seen.events.length === 1, 'a bookmark');
  await settle();
  t.same(without.seen.events, [], 'no bookmark without allowWatchBookmarks');
  const b = withB.seen.events[0]!;
  t.equal(b.type, 'BOOKMARK');
  t.equal(b.rv, String(d.store.resourceVersion), 'bookmark moves the client past unrelated writes');
  t.same(Object.keys(b.obj).sort(), ['apiVersion', 'kind', 'metadata']);
});

t.test('a compacted resourceVersion ends the watch with a 410 Expired ERROR event', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const old = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('x') });
  d.store.compact();
  const { seen } = await watch(new Watch(kc), { resourceVersion: old });
  await eventually(() => seen.done.length === 1, 'watch ended');
  t.equal(seen.events.length, 1);
  t.equal(seen.events[0]!.type, 'ERROR');
  t.match(seen.events[0]!.obj, { kind: 'Status', code: 410, reason: 'Expired', message: /too old resource version/ });
  t.equal(seen.done[0], null, 'the stream ended cleanly after the error event');
});

t.test('server-side timeout ends the watch, with a last bookmark', async (t) => {
  const clock = new VirtualClock();
  const d = await double(t, { clock });
  const kc = d.kubeConfig();
  const b = await watch(new Watch(kc), { timeoutSeconds: 30, allowWatchBookmarks: true });
  const plain = await watch(new Watch(kc), { timeoutSeconds: 60 });
  await eventually(() => d.watchCount() === 2, 'watches open');
  clock.advance(29_999);
  await settle();
  t.same(b.seen.done, [], 'not before its time');
  clock.advance(1);
  await eventually(() => b.seen.done.length === 1, 'first watch ended');
  t.same(b.seen.events.map((e) => e.type), ['BOOKMARK']);
  t.same(plain.seen.done, []);
  clock.advance(30_000);
  await eventually(() => plain.seen.done.length === 1, 'second watch ended');
  t.same(plain.seen.events, []);
  t.equal(d.watchCount(), 0);
});

t.test('default server timeout and periodic bookmarks follow the injected clock', async (t) => {
  const clock = new VirtualClock();
  const d = await double(t, { clock, defaultWatchTimeoutSeconds: 100, bookmarkIntervalMs: 10_000, random: () => 0.5 });
  const w = await watch(new Watch(d.kubeConfig()), { allowWatchBookmarks: true });
  await eventually(() => d.watchCount() === 1, 'watch open');
  clock.advance(35_000);
  await eventually(() => w.seen.events.length === 3, 'three periodic bookmarks');
  clock.advance(114_999);
  await settle();
  t.same(w.seen.done, [], 'the default timeout is t*(1+random) = 150 s');
  clock.advance(1);
  await eventually(() => w.seen.done.length === 1, 'ended at 150 s');
});

t.test('sendInitialEvents streams the state, then the initial-events-end bookmark', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('a') });
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('b') });
  const w = await watch(new Watch(kc), { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true });
  t.teardown(w.abort);
  await eventually(() => w.seen.events.length === 3, 'state and bookmark');
  t.same(w.seen.events.map((e) => `${e.type} ${e.name}`), ['ADDED a', 'ADDED b', 'BOOKMARK undefined']);
  t.match(w.seen.events[2]!.obj, { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } });
  const res = await fetch(`${d.url}${path}?watch=true&sendInitialEvents=true`);
  t.equal(res.status, 400, 'sendInitialEvents needs resourceVersionMatch=NotOlderThan and bookmarks');
});

t.test('a label-selected watch sees objects enter and leave the selection', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const w = await watch(new Watch(kc), { labelSelector: 'role in (lb)', resourceVersion: String(d.store.resourceVersion) });
  t.teardown(w.abort);
  const x = await core.createNamespacedConfigMap({ namespace: ns, body: cm('x', { role: 'other' }) });
  const x2 = await core.replaceNamespacedConfigMap({ namespace: ns, name: 'x', body: { ...x, metadata: { ...x.metadata, labels: { role: 'lb' } } } });
  await core.replaceNamespacedConfigMap({ namespace: ns, name: 'x', body: { ...x2, metadata: { ...x2.metadata, labels: {} } } });
  await eventually(() => w.seen.events.length === 2, 'enter and leave');
  t.same(w.seen.events.map((e) => e.type), ['ADDED', 'DELETED']);
});

t.test('client-node makeInformer: ordered events, resume after a clean drop, re-list after 410', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('pre') });
  const inf = makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: ns }));
  const log: string[] = [];
  const errors: unknown[] = [];
  inf.on('add', (o) => log.push(`add ${o.metadata?.name}`));
  inf.on('update', (o) => log.push(`update ${o.metadata?.name}`));
  inf.on('delete', (o) => log.push(`delete ${o.metadata?.name}`));
  inf.on('error', (e) => errors.push(e));
  await inf.start();
  t.teardown(() => inf.stop());
  const a = await core.createNamespacedConfigMap({ namespace: ns, body: cm('a') });
  await core.replaceNamespacedConfigMap({ namespace: ns, name: 'a', body: { ...a, data: { v: '1' } } });
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'pre' });
  await eventually(() => log.length === 4, 'four events');
  t.same(log, ['add pre', 'add a', 'update a', 'delete pre']);

  const listsBefore = d.requests.filter((r) => r.verb === 'list').length;
  t.equal(d.dropWatches({ mode: 'close' }), 1);
  await eventually(() => d.watchCount('configmaps') === 1, 'watch re-opened');
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('b') });
  await eventually(() => log.length === 5, 'event after resume');
  t.equal(d.requests.filter((r) => r.verb === 'list').length, listsBefore, 'resumed from its resourceVersion without re-listing');

  // Hold the informer's next watch back; meanwhile b is deleted and history compacted past its version.
  d.faults.delay({ verb: 'watch', ms: 300, count: 1 });
  d.dropWatches({ mode: 'close' });
  await eventually(() => d.watchCount('configmaps') === 0, 'watch gone');
  d.store.delete(configMaps, ns, 'b');
  d.store.compact();
  await eventually(() => d.requests.filter((r) => r.verb === 'list').length === listsBefore + 1, 're-listed after 410');
  await eventually(() => log.length === 6, 'the deletion missed during the gap is reported');
  t.same(log.slice(4), ['add b', 'delete b']);
  t.same(inf.list().map((o) => o.metadata?.name), ['a']);
  t.same(errors, []);
});

t.test('client-node makeInformer stops for good on a connection error (why src/kube/informer.ts restarts it)', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const inf = makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: ns }));
  const errors: unknown[] = [];
  inf.on('error', (e) => errors.push(e));
  await inf.start();
  t.teardown(() => inf.stop());
  t.equal(d.dropWatches({ mode: 'reset' }), 1);
  await eventually(() => errors.length === 1, 'error reported');
  await settle(100);
  t.equal(d.watchCount(), 0, 'and no new watch was opened');
});

t.test('a watcher that stops reading is cut off instead of buffered without bound', async (t) => {
  const d = await double(t, { maxWatchBufferBytes: 64 * 1024 });
  const url = new URL(`${d.url}${path}?watch=true`);
  let closed = false;
  let response: { resume(): void } | undefined;
  const req = request(url, (res) => {
    res.pause();
    response = res;
    res.on('error', () => {});
  });
  req.on('close', () => { closed = true; });
  req.on('error', () => {});
  req.end();
  await eventually(() => d.watchCount() === 1, 'watch open');
  // Large objects, so that the kernel's socket buffers (a few MiB) fill quickly.
  const big = 'x'.repeat(512 * 1024);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  for (let i = 0; i < 100 && d.watchCount() === 1; i++) {
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `big-${i}` }, data: { big } } });
  }
  t.equal(d.watchCount(), 0, 'the server dropped the slow watcher');
  response!.resume();
  await eventually(() => closed, 'client, reading again, finds the connection ended');
  req.destroy();
});
