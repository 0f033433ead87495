import t from 'tap';
import { combinedPrefix, EventCorrelator, type EventInput } from '../../src/kube/event-correlator.js';
import { VirtualClock } from '../../src/util/clock.js';

const ev = (message: string, name = 'web', reason = 'IPAllocated'): EventInput => ({
  involvedObject: { kind: 'Service', apiVersion: 'v1', namespace: 'default', name, uid: `uid-${name}` },
  type: 'Normal',
  reason,
  message,
  source: { component: 'shoal-controller' },
});

function setup(opts: Partial<ConstructorParameters<typeof EventCorrelator>[0]> = {}): { c: EventCorrelator; clock: VirtualClock; say: (e: EventInput) => ReturnType<EventCorrelator['correlate']> } {
  const clock = new VirtualClock();
  const c = new EventCorrelator({ clock, ...opts });
  let n = 0;
  return { c, clock, say: (e) => c.correlate(e, () => `${e.involvedObject.name}.${++n}`, new Date(clock.now())) };
}

t.test('identical events count up one Event', async (t) => {
  const { say } = setup();
  t.match(say(ev('assigned 192.0.2.1')), { action: 'create', count: 1, name: 'web.1', namespace: 'default' });
  t.match(say(ev('assigned 192.0.2.1')), { action: 'update', count: 2, name: 'web.1' });
  t.match(say(ev('assigned 192.0.2.1')), { action: 'update', count: 3, name: 'web.1' });
  t.match(say(ev('assigned 192.0.2.2')), { action: 'create', count: 1, name: 'web.2' }, 'another message is another Event');
  t.match(say(ev('assigned 192.0.2.1', 'db')), { action: 'create', name: 'db.3' }, 'another object is another Event');
});

t.test('forget makes the next occurrence a new Event', async (t) => {
  const { c, say } = setup();
  const first = say(ev('x'));
  if (first.action === 'drop') throw new Error('unexpected drop');
  c.forget(first.key);
  t.match(say(ev('x')), { action: 'create', count: 1 });
});

t.test('many similar messages fold into one combined Event', async (t) => {
  const { clock, say } = setup({ aggregateThreshold: 3, aggregateWindowMs: 60_000 });
  t.match(say(ev('m1')), { action: 'create', message: 'm1' });
  t.match(say(ev('m2')), { action: 'create', message: 'm2' });
  t.match(say(ev('m3')), { action: 'create', message: combinedPrefix + 'm3', name: 'web.3' });
  t.match(say(ev('m4')), { action: 'update', message: combinedPrefix + 'm4', name: 'web.3', count: 2 });
  t.match(say(ev('m5', 'web', 'OtherReason')), { action: 'create', message: 'm5' }, 'another reason is counted apart');
  clock.advance(60_001);
  t.match(say(ev('m6')), { action: 'create', message: 'm6' }, 'the window expired');
});

t.test('a flood from one object is rate limited; others are not', async (t) => {
  const { clock, say } = setup({ burst: 3, refillMs: 1000, aggregateThreshold: 1000 });
  const outcomes = Array.from({ length: 5 }, (_, i) => say(ev(`flap ${i}`)).action);
  t.same(outcomes, ['create', 'create', 'create', 'drop', 'drop']);
  t.equal(say(ev('fine', 'db')).action, 'create', 'another object has its own bucket');
  clock.advance(999);
  t.equal(say(ev('again')).action, 'drop');
  clock.advance(1);
  t.equal(say(ev('again')).action, 'create', 'one token per refill period');
  t.equal(say(ev('again2')).action, 'drop');
  clock.advance(10_000);
  t.same(Array.from({ length: 4 }, (_, i) => say(ev(`later ${i}`)).action), ['create', 'create', 'create', 'drop'], 'refills up to the burst, not beyond');
});

t.test('options are validated', async (t) => {
  t.throws(() => new EventCorrelator({ clock: new VirtualClock(), burst: 0 }));
  t.throws(() => new EventCorrelator({ clock: new VirtualClock(), cacheSize: 0 }));
});

t.test('forgetObject drops every entry of a deleted object: churn leaves nothing behind', async (t) => {
  const { c, clock, say } = setup({ aggregateThreshold: 3 });
  const churn = (cycles: number, forget: boolean): void => {
    for (let i = 0; i < cycles; i++) {
      const name = `svc-${i}`;
      // What the controller says about a Service in its life: an allocation,
      // a repeat, a few distinct failures (aggregated past the threshold).
      say(ev('assigned 192.0.2.1', name));
      say(ev('assigned 192.0.2.1', name));
      for (let k = 0; k < 4; k++) say(ev(`pool exhausted (${k})`, name, 'AllocationFailed'));
      clock.advance(1000);
      if (forget) c.forgetObject(ev('', name).involvedObject);
    }
  };
  churn(500, true);
  t.same(c.sizes(), { buckets: 0, similar: 0, written: 0, objects: 0 }, 'nothing is kept about 500 deleted Services');

  const kept = setup({ aggregateThreshold: 3, cacheSize: 4096 });
  say(ev('assigned 192.0.2.9', 'live'));
  churn(500, true);
  t.same(c.sizes(), { buckets: 1, similar: 1, written: 1, objects: 1 }, 'a live object keeps its entries');
  t.match(say(ev('assigned 192.0.2.9', 'live')), { action: 'update', count: 2 }, 'and still counts up its Event');

  // Without forgetting, the same churn fills the caches (the growth this prevents).
  for (let i = 0; i < 500; i++) {
    kept.say(ev('assigned 192.0.2.1', `svc-${i}`));
    kept.say(ev('pool exhausted', `svc-${i}`, 'AllocationFailed'));
  }
  t.same(kept.c.sizes(), { buckets: 500, similar: 1000, written: 1000, objects: 500 });
});

t.test('the index follows the caches: LRU evictions and forget() leave no object behind', async (t) => {
  const { c, say } = setup({ cacheSize: 8 });
  for (let i = 0; i < 100; i++) say(ev('assigned 192.0.2.1', `svc-${i}`));
  t.same(c.sizes(), { buckets: 8, similar: 8, written: 8, objects: 8 }, 'bounded by cacheSize, index included');
  const one = setup();
  const r = one.say(ev('x', 'web'));
  if (r.action === 'drop') throw new Error('unexpected drop');
  one.c.forget(r.key);
  t.match(one.c.sizes(), { written: 0, objects: 1 }, 'the bucket and the aggregation count stay');
  one.c.forgetObject(ev('', 'web').involvedObject);
  t.same(one.c.sizes(), { buckets: 0, similar: 0, written: 0, objects: 0 });
  one.c.forgetObject(ev('', 'never-seen').involvedObject);
  t.match(one.say(ev('x', 'web')), { action: 'create', count: 1 }, 'a forgotten object starts afresh');
});
