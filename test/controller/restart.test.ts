// Restarts: addresses already in Service statuses are registered before
// anything is allocated, so a new controller changes nothing that was
// consistent, and reports (never resolves) what was not.
import t from 'tap';
import { eventually } from '../dev/apiserver/support.js';
import { harness, quiesce, reconciledPast, reconciles } from './support.js';

t.test('a restarted controller keeps every address and writes nothing', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28', '2001:db8::/124']);
  h.service('a');
  h.service('b');
  h.service('dual', { spec: { ipFamilyPolicy: 'RequireDualStack' } });
  // A status written by an earlier controller, at an address the allocator would not pick first.
  h.service('old');
  h.setIngress('old', ['192.0.2.9'], 'default', { 'metallb.io/ip-allocated-from-pool': 'default' });

  const first = await h.start();
  await h.settled(first);
  t.same(h.ingress('old'), ['192.0.2.9'], 'the existing address was registered, not replaced');
  const taken = ['a', 'b', 'dual'].map((n) => h.ingress(n));
  t.same(taken.flat().filter((ip) => ip === '192.0.2.9'), [], 'nobody else got the registered address');
  t.same(taken[2]?.length, 2, 'dual-stack service has two addresses');
  for (const n of ['a', 'b', 'dual', 'old']) t.equal(h.poolOf(n), 'default', `${n} annotated with its pool`);
  await quiesce(first);
  t.same(h.reasons('old'), [], 'no event for a registered address');
  // Free the lowest address so that a fresh allocation order would differ.
  h.deleteService('a');
  await eventually(() => first.status().services.every((s) => s.service !== 'default/a'), 'a released');
  await first.stop();

  const writes = h.statusWrites();
  const requestsBefore = h.d.requests.length;
  const second = await h.start();
  await h.settled(second);
  t.same(second.status().services.map((s) => [s.service, s.state]), [['default/b', 'allocated'], ['default/dual', 'allocated'], ['default/old', 'allocated']]);
  t.same(h.ingress('b'), taken[1], 'b kept its address although a lower one is free');
  t.same(h.ingress('dual'), taken[2]);
  t.same(h.ingress('old'), ['192.0.2.9']);
  t.equal(h.statusWrites(), writes, 'no status write after the restart');
  const writesAfter = h.d.requests.slice(requestsBefore).filter((r) => r.resource.startsWith('services') && r.verb !== 'list' && r.verb !== 'watch' && r.verb !== 'get');
  t.same(writesAfter, [], 'no write of any kind to services');
  await quiesce(second);
  t.same(h.events().filter((e) => e.reason === 'IPAllocated').length, 3, 'no new IPAllocated events');
  t.same(h.d.requests.filter((r) => r.code === 409), [], 'no write raced the informer (no 409 Conflict)');
});

t.test('conflicts at startup are reported on both services and left in place until they resolve', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  h.service('p');
  h.service('q');
  h.service('stray');
  h.setIngress('p', ['192.0.2.5']);
  h.setIngress('q', ['192.0.2.5']);
  h.setIngress('stray', ['198.51.100.7']);
  h.service('fresh');
  const ctl = await h.start();
  await h.settled(ctl);
  await quiesce(ctl);
  const byName = Object.fromEntries(ctl.status().services.map((s) => [s.service, s]));
  t.match(byName['default/p'], { state: 'allocated', ips: ['192.0.2.5'] }, 'the first claimant (same age: name order) keeps the address');
  t.match(byName['default/q'], { state: 'conflict', ips: ['192.0.2.5'], problem: { code: 'ip-in-use' } });
  t.match(byName['default/stray'], { state: 'conflict', ips: ['198.51.100.7'], problem: { code: 'ip-not-in-any-pool' } });
  t.match(byName['default/fresh'], { state: 'allocated', ips: ['192.0.2.0'] }, 'pending services are allocated around the registered addresses');
  t.same(h.ingress('q'), ['192.0.2.5'], 'conflicting status left as it was');
  t.same(h.ingress('stray'), ['198.51.100.7']);
  t.equal(h.poolOf('q'), undefined);
  const q = h.events('q');
  t.match(q, [{ type: 'Warning', reason: 'IPConflict', message: /192\.0\.2\.5.*held by default\/p.*not reallocated/ }]);
  t.match(h.events('p').filter((e) => e.reason === 'IPConflict'), [{ type: 'Warning', message: /also claimed by the status of default\/q/ }]);
  t.match(h.events('stray'), [{ reason: 'IPConflict', message: /not in any pool/ }]);
  const metrics = await ctl.registry.metrics();
  t.match(metrics, /shoal_controller_services\{state="conflict"\} 2/);

  // A repeat of the same conflict (any update of q) records nothing new.
  const before = await reconciles(ctl);
  h.editService('q', (s) => ((s['metadata'] as Record<string, unknown>)['labels'] = { touched: 'yes' }));
  await reconciledPast(ctl, before);
  await quiesce(ctl);
  t.equal(h.events('q').length, 1);
  t.equal(h.events('q')[0]?.count, 1, 'no repeat');

  // p goes: q's claim becomes valid and is registered as it is.
  h.deleteService('p');
  await eventually(() => h.poolOf('q') === 'default', 'q registered and annotated');
  t.same(h.ingress('q'), ['192.0.2.5'], 'same address, no move');
  // The pool grows to cover the stray address: registered too.
  h.pool('default', ['192.0.2.0/28', '198.51.100.0/28']);
  await eventually(() => h.poolOf('stray') === 'default', 'stray registered');
  t.same(h.ingress('stray'), ['198.51.100.7']);
  await quiesce(ctl);
  t.same(h.events().filter((e) => e.reason === 'IPAllocated').map((e) => e.object), ['default/fresh'], 'resolved conflicts are registrations, not allocations');
});

t.test('a request for other addresses overrides a conflict; a status of another family is replaced', async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  h.service('holder');
  h.setIngress('holder', ['192.0.2.5']);
  h.service('claimant', { annotations: { 'metallb.io/loadBalancerIPs': '192.0.2.6' } });
  h.setIngress('claimant', ['192.0.2.5']);
  h.service('wrongfamily');
  h.setIngress('wrongfamily', ['2001:db8::5']);
  const ctl = await h.start();
  await h.settled(ctl);
  await h.waitIngress('claimant', ['192.0.2.6']);
  t.same(h.ingress('holder'), ['192.0.2.5']);
  await h.waitIngress('wrongfamily', ['192.0.2.0']);
  await quiesce(ctl);
  t.notOk(h.events().some((e) => e.reason === 'IPConflict'), 'neither is a conflict');
});
