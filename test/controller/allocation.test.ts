// MetalLB's allocation behaviour as a user sees it through the API: status,
// the ip-allocated-from-pool annotation and Events, driven through the real
// client-node informers against the API server double.
import t from 'tap';
import { eventually } from '../dev/apiserver/support.js';
import { harness, quiesce, reconciledPast, reconciles } from './support.js';

t.test('sharing: one address for compatible services with one key, a refusal for a colliding one', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  const key = { 'metallb.io/allow-shared-ip': 'web' };
  h.service('http', { annotations: key, ports: [[80]] });
  h.service('dns', { annotations: key, ports: [[53, 'UDP']] });
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('http', ['192.0.2.0']);
  await h.waitIngress('dns', ['192.0.2.0']);
  t.match(ctl.status().services.find((s) => s.service === 'default/dns'), { sharingKey: 'web', sharedWith: ['default/http'] });
  // Same key, port 80 again: auto-assignment moves on to another address...
  h.service('http2', { annotations: key, ports: [[80]] });
  await h.waitIngress('http2', ['192.0.2.1']);
  // ...but asking for the shared address is refused with the reason.
  h.service('http3', { annotations: key, ports: [[80]], spec: { loadBalancerIP: '192.0.2.0' } });
  // A different key on the same address is refused too.
  h.service('other', { annotations: { 'metallb.io/allow-shared-ip': 'else' }, ports: [[443]], spec: { loadBalancerIP: '192.0.2.0' } });
  await eventually(() => ctl.status().services.filter((s) => s.state === 'pending').length === 2, 'two refusals');
  await quiesce(ctl);
  t.match(h.events('http3'), [{ type: 'Warning', reason: 'AllocationFailed', message: /192\.0\.2\.0 is held by default\/dns, default\/http, which already uses TCP\/80 \(ip-in-use\)/ }]);
  t.match(h.events('other'), [{ type: 'Warning', reason: 'AllocationFailed', message: /different allow-shared-ip key \(ip-in-use\)/ }]);
  t.same(h.ingress('http3'), []);
  const metrics = await ctl.registry.metrics();
  t.match(metrics, /shoal_controller_allocation_failures_total\{code="ip-in-use"\} 2/);
  t.match(metrics, /shoal_allocator_addresses_in_use_total\{pool="default"\} 2/);
  t.match(metrics, /shoal_allocator_services_allocated_total\{pool="default"\} 3/);
  t.match(metrics, /shoal_allocator_addresses_available\{pool="default"\} 14/);
});

t.test('dual-stack: RequireDualStack gets both families, PreferDualStack takes what a v4-only pool has', async (t) => {
  const h = await harness(t);
  h.pool('both', ['192.0.2.0/28', '2001:db8:1::/120'], { serviceAllocation: { namespaces: ['dual'] } });
  h.pool('v4only', ['198.51.100.0/28']);
  h.namespace('dual');
  h.service('required', { ns: 'dual', spec: { ipFamilyPolicy: 'RequireDualStack' } });
  h.service('preferred', { spec: { ipFamilyPolicy: 'PreferDualStack' } });
  h.service('v6', { spec: { ipFamilies: ['IPv6'] } });
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('required', ['192.0.2.0', '2001:db8:1::'], 'dual');
  await h.waitIngress('preferred', ['198.51.100.0']);
  t.equal(h.poolOf('preferred'), 'v4only');
  await eventually(() => ctl.status().services.find((s) => s.service === 'default/v6')?.state === 'pending', 'v6 pending');
  await quiesce(ctl);
  t.match(h.events('v6'), [{ reason: 'AllocationFailed', message: /IPv6.*\(no-pool-for-family\)/ }]);
  // The missing family is noticed on the next reconcile (the one the status write triggers).
  await eventually(() => h.events('preferred').length === 2, 'AdditionalAssignFailed recorded');
  await quiesce(ctl);
  t.match(h.events('preferred').map((e) => e.reason), ['IPAllocated', 'AdditionalAssignFailed'], 'the missing family is reported once');
  t.match(h.events('preferred')[1], { type: 'Normal', count: 1, message: /pool-lacks-family/ });
  const metrics = await ctl.registry.metrics();
  t.match(metrics, /shoal_allocator_ipv6_addresses_in_use_total\{pool="both"\} 1/);
  t.match(metrics, /shoal_allocator_ipv6_addresses_total\{pool="both"\} 256/);
  t.match(metrics, /shoal_allocator_ipv4_addresses_total\{pool="v4only"\} 16/);
});

t.test('requested addresses: spec.loadBalancerIP, metallb.io/loadBalancerIPs, and their refusals', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28', '2001:db8::/124']);
  h.service('spec', { spec: { loadBalancerIP: '192.0.2.7' } });
  h.service('annotated', { annotations: { 'metallb.io/loadBalancerIPs': '192.0.2.8, 2001:db8::8' }, spec: { ipFamilyPolicy: 'RequireDualStack' } });
  h.service('both', { annotations: { 'metallb.io/loadBalancerIPs': '192.0.2.9' }, spec: { loadBalancerIP: '192.0.2.9' } });
  h.service('outside', { spec: { loadBalancerIP: '203.0.113.1' } });
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('spec', ['192.0.2.7']);
  await h.waitIngress('annotated', ['192.0.2.8', '2001:db8::8']);
  await quiesce(ctl);
  t.match(h.events('spec'), [{ type: 'Normal', reason: 'IPAllocated', message: 'Assigned IP ["192.0.2.7"] from pool "default"' }]);
  t.match(h.events('both'), [{ reason: 'AllocationFailed', message: /conflicting-ip-requests/ }]);
  t.match(h.events('outside'), [{ reason: 'AllocationFailed', message: /203\.0\.113\.1 is not in any pool \(ip-not-in-any-pool\)/ }]);
  // Changing the request moves the service, with a ClearAssignment event first.
  h.editService('spec', (s) => ((s['spec'] as Record<string, unknown>)['loadBalancerIP'] = '192.0.2.10'));
  await h.waitIngress('spec', ['192.0.2.10']);
  await quiesce(ctl);
  t.same(h.reasons('spec'), ['IPAllocated', 'ClearAssignment', 'IPAllocated']);
});

t.test('pool choice: metallb.io/address-pool, autoAssign false, the ip-allocated-from-pool annotation', async (t) => {
  const h = await harness(t);
  h.pool('auto', ['192.0.2.0/30']);
  h.pool('manual', ['198.51.100.0/28'], { autoAssign: false });
  h.service('plain');
  h.service('picky', { annotations: { 'metallb.io/address-pool': 'manual' } });
  h.service('oldstyle', { annotations: { 'metallb.universe.tf/address-pool': 'manual' } });
  h.service('nowhere', { annotations: { 'metallb.io/address-pool': 'missing' } });
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('plain', ['192.0.2.0']);
  await h.waitIngress('oldstyle', ['198.51.100.0']);
  await h.waitIngress('picky', ['198.51.100.1']);
  t.equal(h.poolOf('plain'), 'auto');
  t.equal(h.poolOf('picky'), 'manual');
  await quiesce(ctl);
  t.match(h.events('nowhere'), [{ reason: 'AllocationFailed', message: /pool-not-found/ }]);
  t.match(h.events('oldstyle').map((e) => e.reason).sort(), ['IPAllocated', 'deprecatedAnnotation']);
  // autoAssign false: once the auto pool is full, nothing comes from the manual one.
  for (const n of ['f1', 'f2', 'f3', 'f4']) h.service(n);
  await eventually(() => ctl.status().services.filter((s) => s.state === 'pending').length === 2, 'two pending');
  const pending = ctl.status().services.filter((s) => s.state === 'pending').map((s) => s.service);
  t.same(pending, ['default/f4', 'default/nowhere']);
  await quiesce(ctl);
  t.match(h.events('f4'), [{ reason: 'AllocationFailed', message: /every pool this service may use is full \(no-pool-has-free-ip\)/ }]);
});

t.test('load-balancer class: by default only services without one; with --lb-class only those of that class', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  h.service('classless');
  h.service('ours', { spec: { loadBalancerClass: 'example.com/shoal' } });
  h.service('internal', { spec: { type: 'ClusterIP' } });
  const plain = await h.start();
  await h.settled(plain);
  await h.waitIngress('classless', ['192.0.2.0']);
  t.same(h.ingress('ours'), []);
  await plain.stop();
  h.deleteService('classless');
  const classy = await h.start({ loadBalancerClass: 'example.com/shoal' });
  await h.settled(classy);
  await h.waitIngress('ours', ['192.0.2.0']);
  const before = await reconciles(classy);
  h.service('classless2');
  await reconciledPast(classy, before);
  await quiesce(classy);
  t.same(h.ingress('classless2'), [], 'a class-less service is left to another controller');
  t.same(h.reasons('classless2'), []);
  t.same(classy.status().services.map((s) => s.service), ['default/ours']);
});

t.test('release on delete and on type change, then reuse by a waiting service', async (t) => {
  const h = await harness(t);
  h.pool('tiny', ['192.0.2.1/32']);
  h.service('a');
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('a', ['192.0.2.1']);
  h.service('b');
  await eventually(() => ctl.status().services.find((s) => s.service === 'default/b')?.state === 'pending', 'b waits');
  h.deleteService('a');
  await h.waitIngress('b', ['192.0.2.1']);
  t.equal(h.poolOf('b'), 'tiny');
  h.service('c');
  await eventually(() => ctl.status().services.find((s) => s.service === 'default/c')?.state === 'pending', 'c waits');
  h.toClusterIP('b');
  await h.waitIngress('c', ['192.0.2.1']);
  await h.waitIngress('b', []);
  await quiesce(ctl);
  t.same(h.reasons('c'), ['AllocationFailed', 'IPAllocated']);
  t.match(await ctl.registry.metrics(), /shoal_controller_allocations_total\{pool="tiny"\} 3/);
  t.same(h.d.requests.filter((r) => r.code === 409), [], 'no write raced the informer (no 409 Conflict)');
});

t.test('a class change (through a type change) takes back what the controller wrote', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  h.service('moving');
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('moving', ['192.0.2.0']);
  // loadBalancerClass cannot change on a LoadBalancer: leave the type, then come back with a class.
  h.toClusterIP('moving');
  h.editService('moving', (s) => {
    const spec = s['spec'] as Record<string, unknown>;
    spec['type'] = 'LoadBalancer';
    spec['loadBalancerClass'] = 'example.com/other';
  });
  await eventually(() => h.ingress('moving').length === 0 && h.poolOf('moving') === undefined, 'status and annotation taken back');
  h.service('next');
  await h.waitIngress('next', ['192.0.2.0']);
});

t.test('Service churn leaves nothing in the Event correlator: a deleted Service is forgotten', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  h.service('stays');
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('stays', ['192.0.2.0']);
  await quiesce(ctl);
  const base = ctl.eventCacheSizes();
  t.ok(base.objects >= 1, 'the live Service has its entries');
  for (let i = 0; i < 12; i++) {
    h.service(`churn-${i}`);
    await eventually(() => h.reasons(`churn-${i}`).includes('IPAllocated'), `churn-${i} allocated`);
    h.deleteService(`churn-${i}`);
    await eventually(() => !ctl.status().services.some((s) => s.service === `default/churn-${i}`), `churn-${i} released`);
  }
  await quiesce(ctl);
  t.same(ctl.eventCacheSizes(), base, 'twelve Services created and deleted: the caches hold what they held before');
});
