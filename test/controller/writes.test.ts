// How the controller writes a Service: one PUT to the status subresource
// carrying the status and the pool annotation together, from the object the
// decision was made on; a conflict fails the reconcile and the work queue
// decides again (as MetalLB's controller does), instead of the write being
// redone against a re-read object.
import t from 'tap';
import type { AuditRecord } from '../../dev/apiserver/handler.js';
import type { Controller } from '../../src/controller/index.js';
import { eventually } from '../dev/apiserver/support.js';
import { harness, quiesce, type Harness } from './support.js';

/** Requests about services other than the informer's list and watch, since `from`. */
function serviceCalls(h: Harness, from: number): string[] {
  return h.d.requests
    .slice(from)
    .filter((r: AuditRecord) => r.resource.startsWith('services') && r.verb !== 'list' && r.verb !== 'watch')
    .map((r) => `${r.verb} ${r.resource} ${r.namespace ?? ''}/${r.name ?? ''} ${r.code}`);
}

/** A settled controller with one pool. */
async function running(t: Parameters<typeof harness>[0]): Promise<{ h: Harness; ctl: Controller }> {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  const ctl = await h.start();
  await h.settled(ctl);
  return { h, ctl };
}

t.test('one allocation is exactly one write: status and annotation in one PUT, nothing read', async (t) => {
  const { h, ctl } = await running(t);
  const from = h.d.requests.length;
  h.service('web');
  await h.waitIngress('web', ['192.0.2.0']);
  await quiesce(ctl);
  t.same(serviceCalls(h, from), ['update services/status default/web 200']);
  t.equal(h.poolOf('web'), 'default', 'the annotation came with the status');
  // Taking it back (no LoadBalancer any more) is one write as well: status cleared, annotation removed.
  const back = h.d.requests.length;
  h.toClusterIP('web');
  await eventually(() => h.poolOf('web') === undefined, 'annotation removed');
  await quiesce(ctl);
  t.same(h.ingress('web'), []);
  t.same(serviceCalls(h, back), ['update services/status default/web 200']);
});

t.test('a 409 fails the reconcile at once; the work queue retries it and the retry writes', async (t) => {
  const { h, ctl } = await running(t);
  const from = h.d.requests.length;
  h.d.faults.failNext({ verb: 'update', resource: 'services/status', code: 409, message: 'the object has been modified (injected)' });
  h.service('web');
  await eventually(() => ctl.status().queue.retrying === 1, 'reconcile failed, waiting out the queue backoff');
  t.match(ctl.status().queue, { processing: 0, retrying: 1 }, 'the writer did not retry the conflict itself');
  t.same(serviceCalls(h, from), ['update services/status default/web 409'], 'no re-read, no second PUT yet');
  t.same(ctl.status().recentErrors, [], 'a conflict is not an error');
  t.match(await ctl.registry.metrics(), /shoal_k8s_client_update_errors_total 0/);
  h.clock.advance(100);
  await h.waitIngress('web', ['192.0.2.0']);
  await quiesce(ctl);
  t.same(serviceCalls(h, from), ['update services/status default/web 409', 'update services/status default/web 200'], 'the retry decided again and wrote once');
  t.match(ctl.status().queue, { retrying: 0 });
  t.same(h.reasons('web'), ['IPAllocated'], 'one allocation, one Event');
});
