import t from 'tap';
import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { ServiceStatusWriter, ingressEqual, type ServiceStatusWriterOptions } from '../../src/kube/status-writer.js';
import { VirtualClock } from '../../src/util/clock.js';
import type { ApiServerDouble } from '../../dev/apiserver/server.js';
import { double, eventually, settle } from '../dev/apiserver/support.js';

const ns = 'default';

async function setup(t: Parameters<typeof double>[0], opts: ServiceStatusWriterOptions = {}): Promise<{
  d: ApiServerDouble; core: CoreV1Api; clock: VirtualClock; writer: ServiceStatusWriter; statusWrites: () => number;
}> {
  const d = await double(t);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } });
  const clock = new VirtualClock();
  const writer = new ServiceStatusWriter(d.kubeConfig(), { clock, random: () => 0, backoff: { initialMs: 1000, maxMs: 8000, jitter: 0 }, ...opts });
  t.teardown(() => writer.close());
  const statusWrites = (): number => d.requests.filter((r) => r.resource === 'services/status' && r.verb === 'update').length;
  return { d, core, clock, writer, statusWrites };
}

const ingressOf = async (core: CoreV1Api): Promise<unknown> => (await core.readNamespacedService({ namespace: ns, name: 'web' })).status?.loadBalancer;

t.test('ingress comparison treats a missing ipMode as the VIP the server fills in', async (t) => {
  t.ok(ingressEqual([{ ip: '192.0.2.1', ipMode: 'VIP' }], [{ ip: '192.0.2.1' }]));
  t.notOk(ingressEqual([{ ip: '192.0.2.1', ipMode: 'Proxy' }], [{ ip: '192.0.2.1' }]));
  t.ok(ingressEqual(undefined, []));
  t.notOk(ingressEqual([{ ip: '192.0.2.1' }, { ip: '2001:db8::1' }], [{ ip: '2001:db8::1' }, { ip: '192.0.2.1' }]), 'order matters');
  t.notOk(ingressEqual([{ ip: '192.0.2.1', ports: [{ port: 80, protocol: 'TCP' }] }], [{ ip: '192.0.2.1' }]), 'foreign fields are overwritten');
});

t.test('writes through the status subresource, then does nothing while nothing changes', async (t) => {
  const { core, writer, statusWrites } = await setup(t);
  const r = await writer.set(ns, 'web', [{ ip: '192.0.2.10' }, { ip: '2001:db8::10', ipMode: 'Proxy' }]);
  t.match(r, { outcome: 'written', attempts: 2 }, 'one GET, one PUT');
  t.same(await ingressOf(core), { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }, { ip: '2001:db8::10', ipMode: 'Proxy' }] });
  t.equal(statusWrites(), 1);
  t.match(await writer.set(ns, 'web', [{ ip: '192.0.2.10', ipMode: 'VIP' }, { ip: '2001:db8::10', ipMode: 'Proxy' }]), { outcome: 'unchanged' });
  t.equal(statusWrites(), 1, 'no write when unchanged');
  t.match(await writer.set(ns, 'web', []), { outcome: 'written' });
  t.same(await ingressOf(core), {}, 'cleared');
  t.equal((await core.readNamespacedService({ namespace: ns, name: 'web' })).spec?.type, 'LoadBalancer', 'spec untouched');
  t.match(await writer.set(ns, 'missing', [{ ip: '192.0.2.1' }]), { outcome: 'gone' });
  t.throws(() => writer.set(ns, 'web', [{ ip: '' }]), /needs an ip/);
});

t.test('a stale cached read conflicts, is re-read and retried at once', async (t) => {
  let cached: V1Service | undefined;
  const { core, writer, statusWrites, clock } = await setup(t, { read: () => cached });
  cached = await core.readNamespacedService({ namespace: ns, name: 'web' });
  const fresh = await core.replaceNamespacedService({ namespace: ns, name: 'web', body: { ...cached, metadata: { ...cached.metadata, labels: { changed: 'yes' } } } });
  const r = await writer.set(ns, 'web', [{ ip: '192.0.2.20' }]);
  t.match(r, { outcome: 'written', attempts: 3 }, 'PUT (409), GET, PUT');
  t.equal(clock.pending, 0, 'no backoff for a conflict');
  t.equal(statusWrites(), 2);
  t.same((r as { service: V1Service }).service.metadata?.labels, { changed: 'yes' }, 'the re-read object was written back');
  t.ok(Number((r as { service: V1Service }).service.metadata?.resourceVersion) > Number(fresh.metadata?.resourceVersion));
  cached = (r as { service: V1Service }).service;
  t.match(await writer.set(ns, 'web', [{ ip: '192.0.2.20' }]), { outcome: 'unchanged', attempts: 0 }, 'answered from the cache alone');
});

t.test('transient failures back off exponentially on the clock, honouring Retry-After', async (t) => {
  const { d, core, clock, writer } = await setup(t);
  d.faults.failNext({ verb: 'update', resource: 'services/status', code: 503, count: 2 });
  d.faults.failNext({ verb: 'update', resource: 'services/status', code: 429, retryAfterSeconds: 30 });
  let result: unknown;
  void writer.set(ns, 'web', [{ ip: '192.0.2.30' }]).then((r) => { result = r; });
  await eventually(() => d.faults.pendingFailures === 2 && clock.pending === 1, 'first failure, sleeping');
  clock.advance(999);
  await settle();
  t.equal(d.faults.pendingFailures, 2, 'no retry before 1 s');
  clock.advance(1);
  await eventually(() => d.faults.pendingFailures === 1 && clock.pending === 1, 'second failure');
  clock.advance(1999);
  await settle();
  t.equal(d.faults.pendingFailures, 1, 'no retry before 2 s');
  clock.advance(1);
  await eventually(() => d.faults.pendingFailures === 0 && clock.pending === 1, '429');
  clock.advance(4000);
  await settle();
  t.equal(result, undefined, 'Retry-After (30 s) beats the 4 s backoff');
  clock.advance(26_000);
  await eventually(() => result !== undefined, 'written');
  t.match(result, { outcome: 'written', attempts: 5 });
  t.same(await ingressOf(core), { ingress: [{ ip: '192.0.2.30', ipMode: 'VIP' }] });
});

t.test('gives up after maxAttempts, and at once on errors a retry cannot fix', async (t) => {
  const { d, clock, writer } = await setup(t, { maxAttempts: 3 });
  d.faults.failNext({ verb: 'update', resource: 'services/status', code: 500, count: 10 });
  let result: unknown;
  void writer.set(ns, 'web', [{ ip: '192.0.2.40' }]).then((r) => { result = r; });
  await eventually(() => clock.pending === 1, 'sleeping');
  clock.advance(1000);
  await eventually(() => result !== undefined, 'gave up');
  t.match(result, { outcome: 'failed', attempts: 3, error: { code: 500 } });
  d.faults.clear();
  t.match(await writer.set(ns, 'web', [{ ip: '192.0.2.256' }]), { outcome: 'failed', error: { code: 422 } }, 'invalid IP: no retry');
  t.equal(clock.pending, 0);
});

t.test('the newest desired value wins; cancel and close stop retries', async (t) => {
  const { d, core, clock, writer } = await setup(t);
  d.faults.failNext({ verb: 'update', resource: 'services/status', code: 503 });
  const first = writer.set(ns, 'web', [{ ip: '192.0.2.50' }]);
  await eventually(() => clock.pending === 1, 'first one backing off');
  const second = writer.set(ns, 'web', [{ ip: '192.0.2.51' }]);
  t.same(await first, { outcome: 'superseded' });
  t.match(await second, { outcome: 'written' }, 'the new value is written without waiting out the old backoff');
  t.same(await ingressOf(core), { ingress: [{ ip: '192.0.2.51', ipMode: 'VIP' }] });
  t.equal(writer.pending, 0);
  d.faults.failNext({ verb: 'update', resource: 'services/status', code: 503, count: 5 });
  const third = writer.set(ns, 'web', [{ ip: '192.0.2.52' }]);
  await eventually(() => clock.pending === 1, 'backing off');
  writer.cancel(ns, 'web');
  t.same(await third, { outcome: 'cancelled' });
  writer.close();
  t.same(await writer.set(ns, 'web', [{ ip: '192.0.2.53' }]), { outcome: 'cancelled' });
});
