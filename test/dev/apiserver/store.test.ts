import t from 'tap';
import { parseLabelSelector } from '../../../dev/apiserver/selectors.js';
import { ObjectStore, type StoredObject } from '../../../dev/apiserver/store.js';
import { configMaps, ipAddressPools, leases, namespaces, services } from '../../../src/kube/resources.js';

function newStore(opts: ConstructorParameters<typeof ObjectStore>[0] = {}): ObjectStore {
  let n = 0;
  return new ObjectStore({ now: () => new Date(Date.UTC(2024, 0, 1, 12, 0, 0, 500)), uid: () => `uid-${++n}`, ...opts });
}

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): object => ({
  metadata: { name, ...(labels && { labels }) },
  data,
});

function recorder(store: ObjectStore, type = configMaps, opts: Parameters<ObjectStore['watch']>[1] = {}): { events: string[]; ended: () => boolean; close: () => void } {
  const events: string[] = [];
  let ended = false;
  const sub = store.watch(type, opts, {
    event: (type, o) => events.push(`${type} ${o.metadata.name} ${o.metadata.resourceVersion}`),
    end: () => { ended = true; },
  });
  return { events, ended: () => ended, close: () => sub.close() };
}

t.test('create fills metadata; one resourceVersion counter across types', async (t) => {
  const s = newStore();
  t.same(s.list(namespaces).items.map((n) => n.metadata.name), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  const before = s.resourceVersion;
  const a = s.create(configMaps, 'default', cm('a'));
  t.match(a.metadata, { name: 'a', namespace: 'default', uid: /^uid-/, creationTimestamp: '2024-01-01T12:00:00Z', resourceVersion: String(before + 1) });
  t.equal(a['kind'], 'ConfigMap');
  t.equal(a['apiVersion'], 'v1');
  const p = s.create(ipAddressPools, 'default', { metadata: { name: 'p' }, spec: { addresses: ['192.0.2.0/28'] }, status: { x: 1 } });
  t.equal(p.metadata.resourceVersion, String(before + 2), 'the next write of any type takes the next version');
  t.equal(p.metadata['generation'], 1);
  t.notOk('status' in p, 'a create cannot set status of a type with a status subresource');
  t.equal(s.list(configMaps).resourceVersion, String(s.resourceVersion));
  t.throws(() => s.create(configMaps, 'default', cm('a')), { code: 409, reason: 'AlreadyExists', message: 'configmaps "a" already exists' });
  t.throws(() => s.create(configMaps, 'nope', cm('b')), { code: 404, message: 'namespaces "nope" not found' });
  t.throws(() => s.create(configMaps, 'default', cm('Bad_Name')), { code: 422, reason: 'Invalid', message: /metadata.name: Invalid value/ });
  t.throws(() => s.create(configMaps, 'default', { metadata: {} }), { code: 422, message: /name or generateName is required/ });
  t.throws(() => s.create(configMaps, 'default', { metadata: { name: 'x', namespace: 'other' } }), { code: 400 });
  t.throws(() => s.create(configMaps, 'default', { apiVersion: 'v2', metadata: { name: 'x' } }), { code: 400 });
  t.throws(() => s.create(configMaps, 'default', cm('x', {}, { 'bad key!': 'v' })), { code: 422 });
  const g = s.create(configMaps, 'default', { metadata: { generateName: 'gen-' } });
  t.match(g.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
});

t.test('update: optimistic concurrency, no-op writes, unconditional updates', async (t) => {
  const s = newStore();
  const w = recorder(s);
  const a = s.create(configMaps, 'default', cm('a', { k: '1' }));
  const a2 = s.update(configMaps, 'default', 'a', { ...a, data: { k: '2' } }).object;
  t.equal(Number(a2.metadata.resourceVersion), Number(a.metadata.resourceVersion) + 1);
  t.equal(a2.metadata['uid'], a.metadata['uid'], 'uid kept');
  t.throws(() => s.update(configMaps, 'default', 'a', { ...a, data: { k: '3' } }), {
    code: 409,
    reason: 'Conflict',
    message: 'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
  });
  const rv = s.resourceVersion;
  const same = s.update(configMaps, 'default', 'a', { ...a2 }).object;
  t.equal(same.metadata.resourceVersion, a2.metadata.resourceVersion, 'an update that changes nothing keeps the resourceVersion');
  t.equal(s.resourceVersion, rv, 'and does not advance the counter');
  const unconditional = s.update(configMaps, 'default', 'a', { metadata: { name: 'a' }, data: { k: '4' } }).object;
  t.equal(unconditional['data'] && (unconditional['data'] as Record<string, string>)['k'], '4', 'update without resourceVersion is unconditional');
  t.throws(() => s.update(configMaps, 'default', 'b', { metadata: { name: 'b' } }), { code: 404 }, 'no create on PUT for configmaps');
  t.throws(() => s.update(configMaps, 'default', 'a', { metadata: { name: 'other' } }), { code: 400, message: /does not match the name on the URL/ });
  t.throws(() => s.update(configMaps, 'default', 'a', { metadata: { name: 'a', uid: 'someone-else' } }), { code: 409, message: /Precondition failed: UID/ });
  const l = s.update(leases, 'default', 'leader', { metadata: { name: 'leader' }, spec: { holderIdentity: 'x' } });
  t.ok(l.created, 'leases are created by PUT');
  t.throws(() => s.update(leases, 'default', 'leader', { metadata: { name: 'leader' }, spec: { holderIdentity: 'y' } }), { code: 422, message: /must be specified for an update/ });
  t.same(w.events.map((e) => e.split(' ').slice(0, 2).join(' ')), ['ADDED a', 'MODIFIED a', 'MODIFIED a']);
});

t.test('status subresource: spec writes keep status, status writes keep spec', async (t) => {
  const s = newStore();
  const pool = s.create(ipAddressPools, 'default', { metadata: { name: 'p', labels: { a: '1' } }, spec: { addresses: ['192.0.2.0/28'] } });
  const st = s.update(ipAddressPools, 'default', 'p', {
    ...pool, metadata: { ...pool.metadata, labels: { a: '2' } }, spec: { addresses: ['203.0.113.0/28'] }, status: { assignedIPv4: 3 },
  }, { subresource: 'status' }).object;
  t.same(st['status'], { assignedIPv4: 3 });
  t.same(st['spec'], { addresses: ['192.0.2.0/28'] }, 'status write did not change spec');
  t.same(st.metadata['labels'], { a: '1' }, 'custom resource status write changes nothing but status');
  t.equal(st.metadata['generation'], 1, 'status does not bump generation');
  const sp = s.update(ipAddressPools, 'default', 'p', { ...st, spec: { addresses: ['203.0.113.0/28'] }, status: { assignedIPv4: 0 } }).object;
  t.same(sp['status'], { assignedIPv4: 3 }, 'spec write did not change status');
  t.equal(sp.metadata['generation'], 2, 'spec change bumps generation');
  const svc = s.create(services, 'default', { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
  const svc2 = s.update(services, 'default', 'web', {
    ...svc, metadata: { ...svc.metadata, labels: { seen: 'yes' } }, spec: { ports: [{ port: 81 }] },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
  }, { subresource: 'status' }).object;
  t.same(svc2.metadata['labels'], { seen: 'yes' }, 'a built-in status write keeps the request metadata, as the real server');
  t.equal((svc2['spec'] as { ports: { port: number }[] }).ports[0]!.port, 80);
  t.throws(() => s.update(configMaps, 'default', 'x', cm('x'), { subresource: 'status' }), { code: 404 });
});

t.test('finalizers hold a deleted object until the last one goes', async (t) => {
  const s = newStore();
  const w = recorder(s);
  s.create(configMaps, 'default', { metadata: { name: 'f', finalizers: ['shoal.io/x'] } });
  const d = s.delete(configMaps, 'default', 'f');
  t.ok(d.finalizing);
  t.ok(d.object.metadata['deletionTimestamp']);
  t.ok(s.get(configMaps, 'default', 'f'), 'still there');
  const cur = s.get(configMaps, 'default', 'f');
  t.throws(() => s.update(configMaps, 'default', 'f', { ...cur, metadata: { ...cur.metadata, finalizers: ['shoal.io/x', 'other.io/y'] } }), {
    code: 422, message: /no new finalizers can be added/,
  });
  s.update(configMaps, 'default', 'f', { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
  t.throws(() => s.get(configMaps, 'default', 'f'), { code: 404 });
  t.same(w.events.map((e) => e.split(' ')[0]), ['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
});

t.test('delete preconditions and namespace cascade', async (t) => {
  const s = newStore();
  s.create(namespaces, undefined, { metadata: { name: 'team' } });
  const a = s.create(configMaps, 'team', cm('a'));
  s.create(services, 'team', { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
  t.throws(() => s.delete(configMaps, 'team', 'a', { preconditions: { resourceVersion: '1' } }), { code: 409, message: /Precondition failed: ResourceVersion/ });
  t.throws(() => s.delete(configMaps, 'team', 'a', { preconditions: { uid: 'x' } }), { code: 409, message: /Precondition failed: UID/ });
  const w = recorder(s);
  const d = s.delete(namespaces, undefined, 'team');
  t.notOk(d.finalizing);
  t.throws(() => s.get(configMaps, 'team', 'a'), { code: 404 });
  t.throws(() => s.get(services, 'team', 'web'), { code: 404 });
  t.match(w.events, [`ADDED a ${a.metadata.resourceVersion}`, /^DELETED a \d+$/]);
  const deletedRv = Number(w.events[1]!.split(' ')[2]);
  t.ok(deletedRv > Number(a.metadata.resourceVersion), 'a DELETED event carries the deletion resourceVersion');
  t.throws(() => s.delete(configMaps, 'team', 'a'), { code: 404 });
});

t.test('paginated lists are one consistent snapshot', async (t) => {
  const s = newStore();
  for (const n of ['a', 'b', 'c', 'd', 'e']) s.create(configMaps, 'default', cm(n));
  const p1 = s.list(configMaps, { limit: 2 });
  t.same(p1.items.map((o) => o.metadata.name), ['a', 'b']);
  t.equal(p1.remainingItemCount, 3);
  t.ok(p1.continue);
  s.delete(configMaps, 'default', 'c');
  s.create(configMaps, 'default', cm('bb'));
  const cur = s.get(configMaps, 'default', 'd');
  s.update(configMaps, 'default', 'd', { ...cur, data: { changed: 'yes' } });
  const p2 = s.list(configMaps, { limit: 2, continue: p1.continue! });
  t.same(p2.items.map((o) => o.metadata.name), ['c', 'd'], 'deleted c still listed, new bb not: the snapshot of page one');
  t.same(p2.items[1]!['data'], {}, 'd as it was at the snapshot');
  t.equal(p2.resourceVersion, p1.resourceVersion);
  const p3 = s.list(configMaps, { limit: 2, continue: p2.continue! });
  t.same(p3.items.map((o) => o.metadata.name), ['e']);
  t.notOk(p3.continue);
  const fresh = s.list(configMaps, { limit: 2 });
  s.compact();
  t.ok(s.list(configMaps, { limit: 2, continue: fresh.continue! }).items.length, 'compaction at the token\'s own version keeps it readable');
  s.create(configMaps, 'default', cm('later'));
  s.compact();
  t.throws(() => s.list(configMaps, { limit: 2, continue: fresh.continue! }), { code: 410, reason: 'Expired' });
  t.throws(() => s.list(configMaps, { continue: 'garbage' }), { code: 400 });
  t.throws(() => s.list(configMaps, { continue: fresh.continue!, resourceVersion: '5' }), { code: 400 });
});

t.test('list with resourceVersionMatch=Exact rebuilds the past; selectors filter', async (t) => {
  const s = newStore();
  s.create(configMaps, 'default', cm('a', {}, { app: 'web' }));
  const at = s.resourceVersion;
  s.create(configMaps, 'default', cm('b', {}, { app: 'db' }));
  s.delete(configMaps, 'default', 'a');
  t.same(s.list(configMaps, { resourceVersion: String(at), resourceVersionMatch: 'Exact' }).items.map((o) => o.metadata.name), ['a']);
  t.same(s.list(configMaps, { resourceVersion: String(at), resourceVersionMatch: 'NotOlderThan' }).items.map((o) => o.metadata.name), ['b']);
  t.throws(() => s.list(configMaps, { resourceVersionMatch: 'Exact' }), { code: 400 });
  t.throws(() => s.list(configMaps, { resourceVersion: String(s.resourceVersion + 5) }), { code: 504 });
  s.create(configMaps, 'default', cm('c', {}, { app: 'web' }));
  const sel = s.list(configMaps, { labelSelector: parseLabelSelector('app=web'), limit: 5 });
  t.same(sel.items.map((o) => o.metadata.name), ['c']);
  t.equal(sel.remainingItemCount, undefined);
  s.compact();
  t.throws(() => s.list(configMaps, { resourceVersion: String(at), resourceVersionMatch: 'Exact' }), { code: 410 });
});

t.test('watch: initial state, resume from a resourceVersion, 410 when compacted, 504 when ahead', async (t) => {
  const s = newStore({ historyLimit: 3 });
  s.create(configMaps, 'default', cm('a'));
  const mark = s.resourceVersion;
  const initial = recorder(s, configMaps, { resourceVersion: '' });
  t.same(initial.events.map((e) => e.split(' ').slice(0, 2).join(' ')), ['ADDED a'], 'synthetic ADDED for existing objects');
  s.create(configMaps, 'default', cm('b'));
  const resumed = recorder(s, configMaps, { resourceVersion: String(mark) });
  t.same(resumed.events.map((e) => e.split(' ').slice(0, 2).join(' ')), ['ADDED b'], 'only what happened after the version');
  for (const n of ['c', 'd', 'e']) s.create(configMaps, 'default', cm(n));
  t.throws(() => recorder(s, configMaps, { resourceVersion: String(mark) }), { code: 410, reason: 'Expired', message: /too old resource version/ });
  t.throws(() => recorder(s, configMaps, { resourceVersion: String(s.resourceVersion + 1) }), { code: 504 });
  t.throws(() => recorder(s, configMaps, { resourceVersion: 'abc' }), { code: 400 });
  t.same(initial.events.length, 5);
  initial.close();
  s.create(configMaps, 'default', cm('f'));
  t.same(initial.events.length, 5, 'closed watchers hear nothing');
});

t.test('watch through a label selector sees objects enter and leave it', async (t) => {
  const s = newStore();
  const w = recorder(s, configMaps, { resourceVersion: String(s.resourceVersion), labelSelector: parseLabelSelector('app=web') });
  const a = s.create(configMaps, 'default', cm('a', {}, { app: 'db' }));
  const a2 = s.update(configMaps, 'default', 'a', { ...a, metadata: { ...a.metadata, labels: { app: 'web' } } }).object;
  const a3 = s.update(configMaps, 'default', 'a', { ...a2, data: { x: '1' } }).object;
  s.update(configMaps, 'default', 'a', { ...a3, metadata: { ...a3.metadata, labels: { app: 'db' } } });
  s.delete(configMaps, 'default', 'a');
  t.same(w.events.map((e) => e.split(' ')[0]), ['ADDED', 'MODIFIED', 'DELETED'], 'entering is ADDED, leaving is DELETED, after that nothing');
});

t.test('uninstalling a custom resource type deletes its objects and ends its watches', async (t) => {
  const s = newStore({ installCustomResources: false });
  t.throws(() => s.list(ipAddressPools), { code: 404, message: 'the server could not find the requested resource' });
  s.install(ipAddressPools);
  s.create(ipAddressPools, 'default', { metadata: { name: 'p' }, spec: {} });
  const w = recorder(s, ipAddressPools, { resourceVersion: String(s.resourceVersion) });
  s.uninstall(ipAddressPools);
  t.same(w.events.map((e) => e.split(' ').slice(0, 2).join(' ')), ['DELETED p']);
  t.ok(w.ended());
  t.notOk(s.isInstalled(ipAddressPools));
  t.throws(() => s.get(ipAddressPools, 'default', 'p'), { code: 404 });
});

t.test('stored objects are immutable and reads are copies', async (t) => {
  const s = newStore();
  const got: StoredObject[] = [];
  s.watch(configMaps, {}, { event: (_t, o) => got.push(o), end: () => {} });
  s.create(configMaps, 'default', cm('a', { k: 'v' }));
  t.throws(() => { (got[0]!['data'] as Record<string, string>)['k'] = 'changed'; }, TypeError, 'watch objects are frozen');
  const copy = s.get(configMaps, 'default', 'a');
  (copy['data'] as Record<string, string>)['k'] = 'changed';
  t.same(s.get(configMaps, 'default', 'a')['data'], { k: 'v' });
});
