// The planner without Kubernetes: allocator verdicts -> status, annotation,
// Events, and the bookkeeping that keeps restarts from moving addresses.
import t from 'tap';
import type { V1Service } from '@kubernetes/client-node';
import { Allocator, classPredicate } from '../../src/alloc/index.js';
import { parseResources, type Pool } from '../../src/config/index.js';
import { ServicePlanner } from '../../src/controller/plan.js';
import { POOL_ANNOTATION } from '../../src/controller/service-view.js';
import type { Wire } from '../../src/kube/wire.js';

function pools(spec: Record<string, string[]>, extra: Record<string, Record<string, unknown>> = {}): Pool[] {
  const r = parseResources({ ipAddressPools: Object.entries(spec).map(([name, addresses]) => ({ metadata: { name, namespace: 'metallb-system' }, spec: { addresses, ...extra[name] } })) });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return [...r.config.pools];
}

interface Svc {
  type?: string;
  class?: string;
  ingress?: string[];
  annotations?: Record<string, string>;
  families?: string[];
  policy?: string;
  lbIP?: string;
}

function svc(name: string, s: Svc = {}): Wire<V1Service> {
  return {
    metadata: { name, namespace: 'default', annotations: s.annotations ?? {}, resourceVersion: '1' },
    spec: {
      type: s.type ?? 'LoadBalancer',
      ...(s.class !== undefined && { loadBalancerClass: s.class }),
      ...(s.lbIP !== undefined && { loadBalancerIP: s.lbIP }),
      ipFamilies: s.families ?? ['IPv4'],
      ipFamilyPolicy: s.policy ?? 'SingleStack',
      ports: [{ port: 80, protocol: 'TCP' }],
    },
    status: { loadBalancer: { ingress: (s.ingress ?? []).map((ip) => ({ ip })) } },
  };
}

function setup(p: Pool[], ourClass?: string): { alloc: Allocator; planner: ServicePlanner } {
  const isOurs = classPredicate(ourClass);
  const alloc = new Allocator(p, { isOurClass: isOurs });
  return { alloc, planner: new ServicePlanner(alloc, isOurs, () => new Date(0)) };
}

t.test('a new service: addresses, pool annotation, one IPAllocated; then nothing to do', async (t) => {
  const { planner } = setup(pools({ a: ['192.0.2.0/30'] }));
  const p = planner.plan('default/web', svc('web'), undefined);
  t.match(p, { outcome: 'allocated', ingress: ['192.0.2.0'], poolAnnotation: 'a', granted: { pool: 'a', ips: ['192.0.2.0'] }, freed: false });
  t.match(p.events, [{ service: 'default/web', type: 'Normal', reason: 'IPAllocated', message: 'Assigned IP ["192.0.2.0"] from pool "a"' }]);
  const again = planner.plan('default/web', svc('web', { ingress: ['192.0.2.0'], annotations: { [POOL_ANNOTATION]: 'a' } }), undefined);
  t.same(again, { key: 'default/web', outcome: 'allocated', events: [], freed: false }, 'converged: no writes, no events');
  t.match(planner.list(), [{ key: 'default/web', state: 'allocated', ips: ['192.0.2.0'], pool: 'a' }]);
});

t.test('a status listing the same addresses in another order is kept as it is', async (t) => {
  const { planner } = setup(pools({ a: ['192.0.2.0/30', '2001:db8::/126'] }));
  const s = svc('dual', { families: ['IPv6', 'IPv4'], policy: 'RequireDualStack', ingress: ['2001:db8::1', '192.0.2.1'], annotations: { [POOL_ANNOTATION]: 'a' } });
  planner.register(s, undefined);
  const p = planner.plan('default/dual', s, undefined);
  t.same(p, { key: 'default/dual', outcome: 'allocated', events: [], freed: false });
});

t.test('failure: the service shows no address; addresses it lost are never registered again', async (t) => {
  const { alloc, planner } = setup(pools({ a: ['192.0.2.0/31'] }));
  planner.plan('default/x', svc('x'), undefined);
  planner.plan('default/y', svc('y'), undefined);
  // x now asks for y's address: it loses its own and fails.
  const asks = svc('x', { lbIP: '192.0.2.1', ingress: ['192.0.2.0'], annotations: { [POOL_ANNOTATION]: 'a' } });
  const p = planner.plan('default/x', asks, undefined);
  t.match(p, { outcome: 'pending', ingress: [], poolAnnotation: null, failure: 'ip-in-use', freed: true });
  t.match(p.events, [{ type: 'Warning', reason: 'AllocationFailed', message: /Failed to allocate IP for "default\/x": 192\.0\.2\.1 is held by default\/y.*\(ip-in-use\)/ }]);
  t.same(alloc.holders('192.0.2.0'), []);
  // Before the cleared status is written, the same (stale) status comes back: not registered.
  const retry = planner.plan('default/x', asks, undefined);
  t.match(retry, { outcome: 'pending', ingress: [], events: [] }, 'same failure: no second event, no failure count');
  t.notOk(retry.failure);
  t.same(alloc.holders('192.0.2.0'), [], 'the stale status address stays free');
  planner.published('default/x');
  t.match(planner.get('default/x'), { state: 'pending', problem: { code: 'ip-in-use' } });
});

t.test('stranded services get new addresses instead of a conflict', async (t) => {
  const { alloc, planner } = setup(pools({ a: ['192.0.2.0/31'] }));
  planner.plan('default/x', svc('x'), undefined);
  const change = alloc.setPools(pools({ b: ['198.51.100.0/31'] }));
  t.same(change.stranded.map((s) => s.service), ['default/x']);
  planner.markStranded(['default/x']);
  const p = planner.plan('default/x', svc('x', { ingress: ['192.0.2.0'], annotations: { [POOL_ANNOTATION]: 'a' } }), undefined);
  t.match(p, { outcome: 'allocated', ingress: ['198.51.100.0'], poolAnnotation: 'b' });
  t.match(p.events, [{ reason: 'IPAllocated' }]);
});

t.test('a plan written while a pool change strands the service does not make its status look current', async (t) => {
  const { alloc, planner } = setup(pools({ a: ['192.0.2.0/31'] }));
  t.match(planner.plan('default/x', svc('x'), undefined), { ingress: ['192.0.2.0'] });
  // While that status is being written, pool a goes away.
  planner.markStranded(alloc.setPools(pools({ b: ['198.51.100.0/31'] })).stranded.map((s) => s.service));
  planner.published('default/x');
  const next = planner.plan('default/x', svc('x', { ingress: ['192.0.2.0'], annotations: { [POOL_ANNOTATION]: 'a' } }), undefined);
  t.match(next, { outcome: 'allocated', ingress: ['198.51.100.0'] }, 'reallocated, not taken for a conflict');
});

t.test('registration: conflicts reported once on both services; a request for other addresses or another pool wins', async (t) => {
  const { alloc, planner } = setup(pools({ a: ['192.0.2.0/30'], b: ['198.51.100.0/30'] }));
  const holder = svc('holder', { ingress: ['192.0.2.1'] });
  const rival = svc('rival', { ingress: ['192.0.2.1'] });
  t.same(planner.register(holder, undefined), []);
  const events = planner.register(rival, undefined);
  t.match(events, [
    { service: 'default/rival', type: 'Warning', reason: 'IPConflict', message: /not reallocated/ },
    { service: 'default/holder', type: 'Warning', reason: 'IPConflict', message: 'IP 192.0.2.1 is also claimed by the status of default/rival' },
  ]);
  const p = planner.plan('default/rival', rival, undefined);
  t.same(p, { key: 'default/rival', outcome: 'conflict', events: [], freed: false }, 'no write, no repeat');
  t.same(planner.waiting(), ['default/rival']);

  const asksOther = svc('asks', { ingress: ['192.0.2.1'], lbIP: '192.0.2.2' });
  t.same(planner.register(asksOther, undefined), [], 'a request for other addresses is not a conflict');
  t.same(alloc.holders('192.0.2.1'), ['default/holder']);
  t.match(planner.plan('default/asks', asksOther, undefined), { outcome: 'allocated', ingress: ['192.0.2.2'] });

  const otherPool = svc('moves', { ingress: ['192.0.2.3'], annotations: { 'metallb.io/address-pool': 'b' } });
  t.same(planner.register(otherPool, undefined), []);
  t.same(alloc.holders('192.0.2.3'), [], 'an address from a pool the service no longer asks for is not held');
  t.match(planner.plan('default/moves', otherPool, undefined), { outcome: 'allocated', ingress: ['198.51.100.0'], poolAnnotation: 'b' });

  // The holder goes: the rival's claim is registered as it stands.
  t.match(planner.plan('default/holder', undefined, undefined), { outcome: 'deleted', freed: true });
  t.match(planner.plan('default/rival', rival, undefined), { outcome: 'allocated', poolAnnotation: 'a', events: [] });
  t.notOk(planner.plan('default/rival', rival, undefined).ingress, 'status already right');
});

t.test('not ours: what the controller wrote is taken back, nothing else', async (t) => {
  const { alloc, planner } = setup(pools({ a: ['192.0.2.0/30'] }));
  planner.plan('default/held', svc('held'), undefined);
  const ann = { [POOL_ANNOTATION]: 'a' };
  // Became a ClusterIP service.
  t.match(planner.plan('default/held', svc('held', { type: 'ClusterIP', ingress: ['192.0.2.0'], annotations: ann }), undefined), {
    outcome: 'not-ours', ingress: [], poolAnnotation: null, freed: true,
  });
  // Came back with another class, the other controller's status already in place.
  planner.plan('default/held', svc('held'), undefined);
  t.match(planner.plan('default/held', svc('held', { class: 'other', ingress: ['203.0.113.9'], annotations: ann }), undefined), { outcome: 'not-ours', poolAnnotation: null, freed: true });
  t.notOk(planner.plan('default/held', svc('held', { class: 'other', ingress: ['192.0.2.0'], annotations: ann }), undefined).ingress, 'not held any more: status left to the other class');
  // Held, class changed, our status still there: cleared.
  planner.plan('default/c2', svc('c2'), undefined);
  t.match(planner.plan('default/c2', svc('c2', { class: 'other', ingress: ['192.0.2.0'], annotations: ann }), undefined), { ingress: [], poolAnnotation: null });
  // A ClusterIP service carrying our annotation after a restart: cleared; without it: untouched.
  t.match(planner.plan('default/old', svc('old', { type: 'ClusterIP', ingress: ['192.0.2.3'], annotations: ann }), undefined), { ingress: [], poolAnnotation: null });
  t.same(planner.plan('default/foreign', svc('foreign', { type: 'ClusterIP', ingress: ['192.0.2.3'] }), undefined), { key: 'default/foreign', outcome: 'not-ours', events: [], freed: false });
  t.same(alloc.list(), []);
  t.same(planner.list(), []);
});

t.test('PreferDualStack: an additional family from the same pool when it appears; the missing one reported once', async (t) => {
  const { alloc, planner } = setup(pools({ a: ['192.0.2.0/30'] }));
  const s = (ingress: string[]): Wire<V1Service> => svc('p', { families: ['IPv4', 'IPv6'], policy: 'PreferDualStack', ingress, annotations: { [POOL_ANNOTATION]: 'a' } });
  t.match(planner.plan('default/p', s([]), undefined), { ingress: ['192.0.2.0'] });
  const noted = planner.plan('default/p', s(['192.0.2.0']), undefined);
  t.match(noted.events, [{ type: 'Normal', reason: 'AdditionalAssignFailed', message: /pool-lacks-family/ }]);
  t.same(planner.plan('default/p', s(['192.0.2.0']), undefined).events, [], 'reported once');
  alloc.setPools(pools({ a: ['192.0.2.0/30', '2001:db8::/126'] }));
  const extended = planner.plan('default/p', s(['192.0.2.0']), undefined);
  t.match(extended, { ingress: ['192.0.2.0', '2001:db8::'], granted: { pool: 'a', ips: ['2001:db8::'] } });
  t.match(extended.events, [{ reason: 'IPAllocated', message: 'Assigned additional IP ["2001:db8::"] from pool "a"' }]);
});

t.test('deprecated metallb.universe.tf annotations are pointed out when the service is written', async (t) => {
  const { planner } = setup(pools({ a: ['192.0.2.0/30'] }, { a: { autoAssign: false } }));
  const old = { 'metallb.universe.tf/address-pool': 'a' };
  const p = planner.plan('default/o', svc('o', { annotations: old }), undefined);
  t.match(p.events.map((e) => e.reason), ['IPAllocated', 'deprecatedAnnotation']);
  t.match(p.events[1], { type: 'Warning', message: 'Service uses deprecated annotation metallb.universe.tf/address-pool: use the metallb.io/ prefix' });
  const quiet = planner.plan('default/o', svc('o', { annotations: { ...old, [POOL_ANNOTATION]: 'a' }, ingress: ['192.0.2.0'] }), undefined);
  t.same(quiet.events, [], 'nothing written, nothing said');
});
