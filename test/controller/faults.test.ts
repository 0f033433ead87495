// API failures, injected with the double's fault hooks, are retried with
// backoff on the controller's (virtual) clock; the controller carries on.
import t from 'tap';
import { eventually } from '../dev/apiserver/support.js';
import { harness, quiesce, type Harness } from './support.js';

/** Advances the virtual clock in steps while I/O runs, until `check` holds. */
async function advanceUntil(h: Harness, check: () => boolean, what: string, stepMs = 100): Promise<void> {
  await eventually(() => {
    if (check()) return true;
    h.clock.advance(stepMs);
    return false;
  }, what);
}

t.test('a status write failing with 503 is retried after backoff, without waiting for real time', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  h.d.faults.failNext({ verb: 'update', resource: 'services/status', code: 503, count: 2 });
  h.service('web');
  const ctl = await h.start();
  await eventually(() => h.d.faults.pendingFailures === 1, 'first failure served');
  t.same(h.ingress('web'), [], 'not written yet: backing off');
  t.equal(ctl.status().queue.processing, 1, 'the reconcile waits for its write');
  await advanceUntil(h, () => h.ingress('web').length > 0, 'written after the backoff');
  t.equal(h.d.faults.pendingFailures, 0, 'the second failure was served too');
  await h.waitIngress('web', ['192.0.2.0']);
  await quiesce(ctl);
  t.same(h.reasons('web'), ['IPAllocated'], 'one allocation, however many attempts');
});

t.test('a write refused outright fails the reconcile, which the work queue retries with backoff', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  h.service('web');
  // The status is already right; only the annotation is missing: the one write is the annotation's.
  h.setIngress('web', ['192.0.2.4']);
  h.d.faults.failNext({ verb: 'update', resource: 'services/status', code: 403, message: 'forbidden for the test' });
  const ctl = await h.start();
  await eventually(() => ctl.status().recentErrors.length === 1, 'failure recorded');
  t.match(ctl.status().recentErrors[0], { service: 'default/web', message: /annotation write for default\/web failed: .*forbidden for the test/ });
  t.match(ctl.status().queue, { retrying: 1 });
  t.match(await ctl.registry.metrics(), /shoal_k8s_client_update_errors_total 1/);
  await advanceUntil(h, () => h.poolOf('web') === 'default', 'annotation written on retry');
  t.same(h.ingress('web'), ['192.0.2.4']);
  await ctl.idle();
  t.match(ctl.status().queue, { retrying: 0 });
});

t.test('Event writes and watches that fail are retried; allocation carries on', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  const ctl = await h.start();
  await h.settled(ctl);
  h.d.faults.failNext({ verb: 'create', resource: 'events', code: 500, count: 2 });
  h.service('one');
  await h.waitIngress('one', ['192.0.2.0']);
  await advanceUntil(h, () => h.reasons('one').length === 1, 'event written after retries');
  t.same(h.reasons('one'), ['IPAllocated']);
  // The watch connections drop: the informers come back after their backoff and catch up.
  h.d.dropWatches({ mode: 'reset' });
  h.service('two');
  await advanceUntil(h, () => h.ingress('two').length > 0, 'new service seen after the informer restarted');
  await h.waitIngress('two', ['192.0.2.1']);
});

t.test('stop() ends a reconcile stuck in backoff and leaves the status alone', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  h.d.faults.failNext({ verb: 'update', resource: 'services/status', code: 503, count: 100 });
  h.service('web');
  const ctl = await h.start();
  await eventually(() => h.d.faults.injectedFailures >= 1 && ctl.status().queue.processing === 1, 'write backing off');
  await ctl.stop();
  t.equal(ctl.status().phase, 'stopped');
  t.same(h.ingress('web'), []);
  h.d.faults.clear();
});
