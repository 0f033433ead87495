import t from 'tap';
import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { ServiceStatusWriter, applyStatusChange, ingressEqual, type ServiceStatusWriterOptions } from '../../src/kube/status-writer.js';
import { VirtualClock } from '../../src/util/clock.js';
import type { ApiServerDouble } from '../../dev/apiserver/server.js';
import { asSent, double, eventually, settle } from '../dev/apiserver/support.js';
import type { Wire } from '../../src/kube/wire.js';

const ns = 'default';
const POOL = 'metallb.io/ip-allocated-from-pool';

async function setup(t: Parameters<typeof double>[0], opts: ServiceStatusWriterOptions = {}): Promise<{
  d: ApiServerDouble; core: CoreV1Api; clock: VirtualClock; writer: ServiceStatusWriter; base: Wire<V1Service>; model: V1Service; statusWrites: () => number;
}> {
  const d = await double(t);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  const model = await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } });
  const clock = new VirtualClock();
  const writer = new ServiceStatusWriter(d.kubeConfig(), { clock, random: () => 0, backoff: { initialMs: 1000, maxMs: 8000, jitter: 0 }, ...opts });
  t.teardown(() => writer.close());
  const statusWrites = (): number => d.requests.filter((r) => r.resource === 'services/status' && r.verb === 'update').length;
  return { d, core, clock, writer, base: asSent(model), model, statusWrites };
}

const read = async (core: CoreV1Api): Promise<Wire<V1Service>> => asSent(await core.readNamespacedService({ namespace: ns, name: 'web' }));
const ingressOf = async (core: CoreV1Api): Promise<unknown> => (await read(core)).status?.loadBalancer;
const written = (r: unknown): Wire<V1Service> => (r as { service: Wire<V1Service> }).service;

t.test('ingress comparison treats a missing ipMode as the VIP the server fills in', async (t) => {
  t.ok(ingressEqual([{ ip: '192.0.2.1', ipMode: 'VIP' }], [{ ip: '192.0.2.1' }]));
  t.notOk(ingressEqual([{ ip: '192.0.2.1', ipMode: 'Proxy' }], [{ ip: '192.0.2.1' }]));
  t.ok(ingressEqual(undefined, []));
  t.notOk(ingressEqual([{ ip: '192.0.2.1' }, { ip: '2001:db8::1' }], [{ ip: '2001:db8::1' }, { ip: '192.0.2.1' }]), 'order matters');
  t.notOk(ingressEqual([{ ip: '192.0.2.1', ports: [{ port: 80, protocol: 'TCP' }] }], [{ ip: '192.0.2.1' }]), 'foreign fields are overwritten');
});

t.test('the body of a write: only what changes, nothing when nothing does', async (t) => {
  const base: Wire<V1Service> = { metadata: { name: 'web', resourceVersion: '7', annotations: { keep: 'me', [POOL]: 'old' } }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.1', ipMode: 'VIP' }] } } };
  t.equal(applyStatusChange(base, { ingress: [{ ip: '192.0.2.1' }], annotations: { [POOL]: 'old' } }), undefined, 'already so');
  t.same(applyStatusChange(base, { annotations: { [POOL]: 'new' } }), { ...base, metadata: { ...base.metadata, annotations: { keep: 'me', [POOL]: 'new' } } }, 'the annotation alone; the resourceVersion read is kept');
  t.same(applyStatusChange(base, { annotations: { [POOL]: null } })?.metadata?.annotations, { keep: 'me' }, 'null removes');
  t.equal(applyStatusChange(base, { annotations: { absent: null } }), undefined, 'removing what is not there is no change');
  t.same(applyStatusChange(base, { ingress: [] })?.status, { loadBalancer: {} }, 'an empty ingress clears the load balancer status');
  t.same(applyStatusChange(base, { ingress: [{ ip: '192.0.2.2' }] })?.metadata, base.metadata, 'metadata untouched when only the status changes');
  t.same(base.metadata?.annotations, { keep: 'me', [POOL]: 'old' }, 'the base object is not modified');
});

t.test('writes status and annotation in one request through the status subresource, then nothing while nothing changes', async (t) => {
  const { core, writer, base, statusWrites } = await setup(t);
  const r = await writer.write(base, { ingress: [{ ip: '192.0.2.10' }, { ip: '2001:db8::10', ipMode: 'Proxy' }], annotations: { [POOL]: 'default' } });
  t.match(r, { outcome: 'written', attempts: 1 }, 'one PUT, no read');
  t.same(await ingressOf(core), { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }, { ip: '2001:db8::10', ipMode: 'Proxy' }] });
  t.equal((await read(core)).metadata?.annotations?.[POOL], 'default', 'the annotation came with the status');
  t.equal(statusWrites(), 1);
  t.match(await writer.write(written(r), { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }, { ip: '2001:db8::10', ipMode: 'Proxy' }], annotations: { [POOL]: 'default' } }), { outcome: 'unchanged' });
  t.equal(statusWrites(), 1, 'no write when unchanged');
  const cleared = await writer.write(written(r), { ingress: [], annotations: { [POOL]: null } });
  t.match(cleared, { outcome: 'written' });
  t.same(await ingressOf(core), {}, 'cleared');
  t.equal((await read(core)).metadata?.annotations?.[POOL], undefined, 'annotation removed');
  t.equal((await read(core)).spec?.type, 'LoadBalancer', 'spec untouched');
  t.match(await writer.write({ ...base, metadata: { ...base.metadata, name: 'missing' } }, { ingress: [{ ip: '192.0.2.1' }] }), { outcome: 'gone' });
  await t.rejects(writer.write(base, { ingress: [{ ip: '' }] }), /needs an ip/);
});

t.test('a write from an out-of-date object conflicts and says so at once: no re-read, no retry', async (t) => {
  const { d, core, clock, writer, base, model, statusWrites } = await setup(t);
  await core.replaceNamespacedService({ namespace: ns, name: 'web', body: { ...model, metadata: { ...model.metadata, labels: { changed: 'yes' } } } });
  const r = await writer.write(base, { ingress: [{ ip: '192.0.2.20' }] });
  t.match(r, { outcome: 'conflict', attempts: 1, error: { code: 409 } });
  t.equal(clock.pending, 0, 'no backoff for a conflict');
  t.equal(statusWrites(), 1);
  t.equal(d.requests.filter((q) => q.resource === 'services' && q.verb === 'get').length, 0, 'no re-read');
  t.same(await ingressOf(core), {}, 'nothing written');
});

t.test('transient failures back off exponentially on the clock, honouring Retry-After', async (t) => {
  const { d, core, clock, writer, base } = await setup(t);
  d.faults.failNext({ verb: 'update', resource: 'services/status', code: 503, count: 2 });
  d.faults.failNext({ verb: 'update', resource: 'services/status', code: 429, retryAfterSeconds: 30 });
  let result: unknown;
  void writer.write(base, { ingress: [{ ip: '192.0.2.30' }] }).then((r) => { result = r; });
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
  t.match(result, { outcome: 'written', attempts: 4 });
  t.same(await ingressOf(core), { ingress: [{ ip: '192.0.2.30', ipMode: 'VIP' }] });
});

t.test('gives up after maxAttempts, and at once on errors a retry cannot fix', async (t) => {
  const { d, clock, writer, base } = await setup(t, { maxAttempts: 3 });
  d.faults.failNext({ verb: 'update', resource: 'services/status', code: 500, count: 10 });
  let result: unknown;
  void writer.write(base, { ingress: [{ ip: '192.0.2.40' }] }).then((r) => { result = r; });
  await eventually(() => clock.pending === 1, 'sleeping');
  clock.advance(1000);
  await eventually(() => clock.pending === 1 && d.faults.injectedFailures === 2, 'sleeping again');
  clock.advance(2000);
  await eventually(() => result !== undefined, 'gave up');
  t.match(result, { outcome: 'failed', attempts: 3, error: { code: 500 } });
  d.faults.clear();
  t.match(await writer.write(base, { ingress: [{ ip: '192.0.2.256' }] }), { outcome: 'failed', error: { code: 422 } }, 'invalid IP: no retry');
  t.equal(clock.pending, 0);
});

t.test('close() ends a write waiting out its backoff and refuses later ones', async (t) => {
  const { d, core, clock, writer, base } = await setup(t);
  d.faults.failNext({ verb: 'update', resource: 'services/status', code: 503, count: 5 });
  const pending = writer.write(base, { ingress: [{ ip: '192.0.2.52' }] });
  await eventually(() => clock.pending === 1, 'backing off');
  writer.close();
  t.same(await pending, { outcome: 'cancelled' });
  t.equal(clock.pending, 0, 'its timer was cancelled');
  t.same(await writer.write(base, { ingress: [{ ip: '192.0.2.53' }] }), { outcome: 'cancelled' });
  t.same(await ingressOf(core), {});
});
