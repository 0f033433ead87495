import t from 'tap';
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { combinedPrefix } from '../../src/kube/event-correlator.js';
import { EventRecorder, referenceTo, type EventRecorderOptions } from '../../src/kube/events.js';
import { nodes, services } from '../../src/kube/resources.js';
import { VirtualClock } from '../../src/util/clock.js';
import type { ApiServerDouble } from '../../dev/apiserver/server.js';
import { asSent, double, eventually } from '../dev/apiserver/support.js';

const svcRef = { kind: 'Service', apiVersion: 'v1', namespace: 'default', name: 'web', uid: 'u-web' };

async function setup(t: Parameters<typeof double>[0], opts: Partial<EventRecorderOptions> = {}): Promise<{
  d: ApiServerDouble; core: CoreV1Api; clock: VirtualClock; rec: EventRecorder; wall: { ms: number }; events: (ns?: string) => Promise<CoreV1Event[]>;
}> {
  const d = await double(t);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  const clock = new VirtualClock();
  const wall = { ms: Date.UTC(2024, 5, 1, 10, 0, 0) };
  const rec = new EventRecorder(d.kubeConfig(), {
    component: 'shoal-controller', host: 'node-1', clock, now: () => new Date(wall.ms), random: () => 0,
    backoff: { initialMs: 1000, maxMs: 10_000, jitter: 0 }, ...opts,
  });
  t.teardown(() => rec.close());
  const events = async (ns = 'default'): Promise<CoreV1Event[]> => (await core.listNamespacedEvent({ namespace: ns })).items;
  return { d, core, clock, rec, wall, events };
}

t.test('an event becomes a core/v1 Event; repeats count up the same one', async (t) => {
  const { rec, wall, events } = await setup(t);
  rec.event(svcRef, 'Normal', 'IPAllocated', 'Assigned IP ["192.0.2.1"]');
  await rec.flush();
  const [first] = await events();
  t.match(first, {
    metadata: { namespace: 'default', name: /^web\.[0-9a-f]+$/ },
    involvedObject: svcRef,
    reason: 'IPAllocated',
    message: 'Assigned IP ["192.0.2.1"]',
    type: 'Normal',
    count: 1,
    source: { component: 'shoal-controller', host: 'node-1' },
    reportingComponent: 'shoal-controller',
    reportingInstance: 'node-1',
  });
  t.equal(first!.firstTimestamp?.toISOString(), '2024-06-01T10:00:00.000Z');
  wall.ms += 65_000;
  rec.event(svcRef, 'Normal', 'IPAllocated', 'Assigned IP ["192.0.2.1"]');
  rec.event(svcRef, 'Normal', 'IPAllocated', 'Assigned IP ["192.0.2.1"]');
  await rec.flush();
  const after = await events();
  t.equal(after.length, 1, 'still one Event');
  t.equal(after[0]!.count, 3);
  t.equal(after[0]!.firstTimestamp?.toISOString(), '2024-06-01T10:00:00.000Z');
  t.equal(after[0]!.lastTimestamp?.toISOString(), '2024-06-01T10:01:05.000Z');
  t.match(rec.stats(), { created: 1, updated: 2, dropped: 0, failed: 0 });
});

t.test('events about cluster-scoped objects go to "default"; references come from the resource table', async (t) => {
  const { rec, core, events } = await setup(t);
  const node = await core.createNode({ body: { metadata: { name: 'node-a' } } });
  const listed = asSent((await core.listNode()).items.find((n) => n.metadata?.name === 'node-a')!);
  t.equal(listed.kind, undefined, 'list items have no kind: the reference needs the type');
  rec.event(referenceTo(nodes, listed), 'Warning', 'NoSpeaker', 'no speaker on node-a');
  await rec.flush();
  const [ev] = await events();
  t.match(ev?.involvedObject, { kind: 'Node', apiVersion: 'v1', name: 'node-a', uid: node.metadata?.uid });
  t.equal(ev?.involvedObject.namespace, undefined);
  t.throws(() => referenceTo(services, {}), /without metadata.name/);
  t.throws(() => rec.event({ kind: '', name: 'x' }, 'Normal', 'R', 'm'), /needs kind and name/);
});

t.test('a flapping service folds into one combined Event and then gets rate limited', async (t) => {
  const { rec, events } = await setup(t, { aggregateThreshold: 3, burst: 6 });
  for (let i = 0; i < 8; i++) rec.event(svcRef, 'Warning', 'AllocationFailed', `pool exhausted (try ${i})`);
  await rec.flush();
  const list = await events();
  t.same(list.map((e) => [e.message, e.count]).sort(), [
    [`${combinedPrefix}pool exhausted (try 5)`, 4],
    ['pool exhausted (try 0)', 1],
    ['pool exhausted (try 1)', 1],
  ]);
  t.match(rec.stats(), { created: 3, updated: 3, dropped: 2 });
});

t.test('transient API errors are retried with backoff; a vanished Event is re-created', async (t) => {
  const { d, rec, clock, events } = await setup(t);
  d.faults.failNext({ verb: 'create', resource: 'events', code: 503, count: 2 });
  rec.event(svcRef, 'Normal', 'Announced', 'announcing from node-1');
  await eventually(() => d.faults.pendingFailures === 1 && clock.pending === 1, 'first failure');
  clock.advance(1000);
  await eventually(() => d.faults.pendingFailures === 0 && clock.pending === 1, 'second failure');
  clock.advance(2000);
  await rec.flush();
  t.equal((await events()).length, 1);
  const name = (await events())[0]!.metadata!.name!;
  await d.kubeConfig().makeApiClient(CoreV1Api).deleteNamespacedEvent({ namespace: 'default', name });
  rec.event(svcRef, 'Normal', 'Announced', 'announcing from node-1');
  await rec.flush();
  const again = await events();
  t.equal(again.length, 1);
  t.equal(again[0]!.count, 2, 'the count carried over');
  d.faults.failNext({ verb: 'create', resource: 'events', code: 403 });
  rec.event(svcRef, 'Normal', 'Other', 'forbidden one');
  await rec.flush();
  t.match(rec.stats(), { failed: 1 });
});

t.test('close() abandons retries and ignores later events', async (t) => {
  const { d, rec, clock } = await setup(t);
  d.faults.failNext({ verb: 'create', resource: 'events', code: 503, count: 10 });
  rec.event(svcRef, 'Normal', 'R', 'm');
  await eventually(() => clock.pending === 1, 'backing off');
  await rec.close();
  t.match(rec.stats(), { failed: 1, created: 0 });
  rec.event(svcRef, 'Normal', 'R', 'after close');
  await rec.flush();
  t.equal(rec.stats().created, 0);
});
