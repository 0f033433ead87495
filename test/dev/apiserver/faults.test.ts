import t from 'tap';
import { ApiException, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { FaultInjector } from '../../../dev/apiserver/faults.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { double, eventually, rejection, settle, statusOf } from './support.js';

t.test('rules match verb and resource the way RBAC names them, and are consumed', async (t) => {
  const f = new FaultInjector();
  f.failNext({ verb: 'update', resource: 'services/status', code: 409, count: 2 });
  f.failNext({ resource: 'ipaddresspools.metallb.io', code: 503, retryAfterSeconds: 7 });
  t.equal(f.pendingFailures, 3);
  t.equal(f.takeFailure({ verb: 'update', resource: 'services', group: '' }), undefined, 'main resource is not the status subresource');
  t.equal(f.takeFailure({ verb: 'get', resource: 'services/status', group: '' }), undefined, 'other verb');
  t.match(f.takeFailure({ verb: 'update', resource: 'services/status', group: '' }), { code: 409, reason: 'Conflict' });
  t.match(f.takeFailure({ verb: 'update', resource: 'services/status', group: '' }), { code: 409 });
  t.equal(f.takeFailure({ verb: 'update', resource: 'services/status', group: '' }), undefined, 'count used up');
  t.match(f.takeFailure({ verb: 'list', resource: 'ipaddresspools', group: 'metallb.io' }), { code: 503, reason: 'ServiceUnavailable', details: { retryAfterSeconds: 7 } });
  t.equal(f.pendingFailures, 0);
  t.equal(f.injectedFailures, 3);
  t.throws(() => f.failNext({ code: 200 }));
  f.delay({ verb: 'watch', ms: 50, count: 1 });
  t.equal(f.takeDelay({ verb: 'watch', resource: 'pods', group: '' }), 50);
  t.equal(f.takeDelay({ verb: 'watch', resource: 'pods', group: '' }), 0);
});

t.test('injected failures reach client-node as the real server would send them', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  d.faults.failNext({ verb: 'list', resource: 'services', code: 429, retryAfterSeconds: 2 });
  const err = await rejection(() => core.listServiceForAllNamespaces());
  t.ok(err instanceof ApiException);
  t.equal((err as ApiException<unknown>).code, 429);
  t.equal((err as ApiException<unknown>).headers['retry-after'], '2');
  t.match(statusOf(err), { kind: 'Status', reason: 'TooManyRequests', details: { retryAfterSeconds: 2 } });
  t.ok(await core.listServiceForAllNamespaces(), 'the next one goes through');
  d.faults.failNext({ resource: 'ipaddresspools.metallb.io', code: 500 });
  const custom = kc.makeApiClient(CustomObjectsApi);
  const e2 = await rejection(() => custom.listClusterCustomObject({ group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' }));
  t.equal((e2 as ApiException<unknown>).code, 500);
  await custom.listClusterCustomObject({ group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' });
  t.match(d.requests.at(-1), { verb: 'list', resource: 'ipaddresspools.metallb.io', code: 200 }, 'audit log records the real outcome');
  t.match(d.requests.at(-2), { verb: 'list', resource: 'ipaddresspools.metallb.io', code: 500 });
});

t.test('delays hold requests on the injected clock', async (t) => {
  const clock = new VirtualClock();
  const d = await double(t, { clock });
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  d.faults.delay({ verb: 'get', resource: 'namespaces', ms: 5000, count: 1 });
  let answered = false;
  const p = core.readNamespace({ name: 'default' }).then(() => { answered = true; });
  await eventually(() => clock.pending > 0, 'request waiting on the clock');
  await settle();
  t.notOk(answered);
  clock.advance(5000);
  await p;
  t.ok(answered);
});
