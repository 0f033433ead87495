// The real client-node against the double: every verb, the errors it raises,
// the status subresource, patch types, selectors and pagination.

import t from 'tap';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
} from '@kubernetes/client-node';
import { bgpPeers, ipAddressPools } from '../../../src/kube/resources.js';
import { double, rejection, statusOf } from './support.js';

const ns = 'default';
const lbService = (name: string, labels?: Record<string, string>): V1Service => ({
  metadata: { name, ...(labels && { labels }) },
  spec: { type: 'LoadBalancer', ports: [{ port: 80, name: 'http' }] },
});
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

t.test('services: CRUD and the errors client-node raises', async (t) => {
  const d = await double(t);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  const created = await core.createNamespacedService({ namespace: ns, body: lbService('web') });
  t.equal(created.metadata?.name, 'web');
  t.ok(created.metadata?.creationTimestamp instanceof Date, 'client-node parsed the timestamp');
  t.equal(created.spec?.clusterIP, '10.96.0.2');

  const dup = await rejection(() => core.createNamespacedService({ namespace: ns, body: lbService('web') }));
  t.ok(dup instanceof ApiException);
  t.equal((dup as ApiException<unknown>).code, 409);
  t.match(statusOf(dup), { kind: 'Status', reason: 'AlreadyExists', code: 409, details: { name: 'web', kind: 'services' } });

  const missing = await rejection(() => core.readNamespacedService({ namespace: ns, name: 'nope' }));
  t.equal((missing as ApiException<unknown>).code, 404);
  t.match(statusOf(missing), { reason: 'NotFound', message: 'services "nope" not found' });

  const invalid = await rejection(() => core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'noports' }, spec: {} } }));
  t.equal((invalid as ApiException<unknown>).code, 422);
  t.match(statusOf(invalid), { reason: 'Invalid', details: { causes: [{ field: 'spec.ports', reason: 'FieldValueRequired' }] } });

  const fresh = await core.readNamespacedService({ namespace: ns, name: 'web' });
  const replaced = await core.replaceNamespacedService({ namespace: ns, name: 'web', body: { ...fresh, metadata: { ...fresh.metadata, labels: { tier: 'fe' } } } });
  t.same(replaced.metadata?.labels, { tier: 'fe' });
  const stale = await rejection(() => core.replaceNamespacedService({ namespace: ns, name: 'web', body: fresh }));
  t.equal((stale as ApiException<unknown>).code, 409);
  t.match(statusOf(stale), { reason: 'Conflict', message: /the object has been modified/ });

  const deleted = await core.deleteNamespacedService({ namespace: ns, name: 'web' });
  t.equal(deleted.metadata?.name, 'web', 'services answer DELETE with the object');
  t.equal((await rejection(() => core.deleteNamespacedService({ namespace: ns, name: 'web' })) as ApiException<unknown>).code, 404);
});

t.test('status subresource over HTTP: each write changes only its half', async (t) => {
  const d = await double(t);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  const svc = await core.createNamespacedService({ namespace: ns, body: lbService('web') });
  const withStatus = await core.replaceNamespacedServiceStatus({
    namespace: ns, name: 'web',
    body: { ...svc, spec: { ...svc.spec, ports: [{ port: 9999, name: 'http' }] }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } },
  });
  t.same(withStatus.status?.loadBalancer?.ingress, [{ ip: '192.0.2.10', ipMode: 'VIP' }]);
  t.equal(withStatus.spec?.ports?.[0]?.port, 80, 'status write ignored the spec change');
  const specWrite = await core.replaceNamespacedService({
    namespace: ns, name: 'web',
    body: { ...withStatus, spec: { ...withStatus.spec, sessionAffinity: 'ClientIP' }, status: { loadBalancer: {} } },
  });
  t.equal(specWrite.spec?.sessionAffinity, 'ClientIP');
  t.same(specWrite.status?.loadBalancer?.ingress, [{ ip: '192.0.2.10', ipMode: 'VIP' }], 'spec write ignored the status change');
  const patched = await core.patchNamespacedServiceStatus(
    { namespace: ns, name: 'web', body: { status: { loadBalancer: { ingress: [{ ip: '198.51.100.5', ipMode: 'Proxy' }] } }, spec: { type: 'ClusterIP' } } },
    merge,
  );
  t.same(patched.status?.loadBalancer?.ingress, [{ ip: '198.51.100.5', ipMode: 'Proxy' }]);
  t.equal(patched.spec?.type, 'LoadBalancer');
  const viaGet = await core.readNamespacedServiceStatus({ namespace: ns, name: 'web' });
  t.equal(viaGet.metadata?.resourceVersion, patched.metadata?.resourceVersion);
  const bad = await rejection(() => core.patchNamespacedServiceStatus({ namespace: ns, name: 'web', body: { status: { loadBalancer: { ingress: [{ ip: 'not-an-ip' }] } } } }, merge));
  t.equal((bad as ApiException<unknown>).code, 422);
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } });
  const nostatus = await fetch(`${d.url}/api/v1/namespaces/default/configmaps/x/status`);
  t.equal(nostatus.status, 404, 'configmaps have no status subresource');
});

t.test('patch types: JSON patch (client-node default), merge, strategic; CRs refuse strategic', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedService({ namespace: ns, body: lbService('web', { a: '1' }) });
  const jp = await core.patchNamespacedService({ namespace: ns, name: 'web', body: [{ op: 'add', path: '/metadata/labels/b', value: '2' }] });
  t.same(jp.metadata?.labels, { a: '1', b: '2' });
  const mp = await core.patchNamespacedService({ namespace: ns, name: 'web', body: { metadata: { labels: { a: null } } } }, merge);
  t.same(mp.metadata?.labels, { b: '2' });
  const sp = await core.patchNamespacedService({ namespace: ns, name: 'web', body: { spec: { ports: [{ port: 443, name: 'https' }] } } }, strategic);
  t.same(sp.spec?.ports?.map((p) => p.port), [80, 443], 'strategic patch merged ports by port');
  const failedTest = await rejection(() => core.patchNamespacedService({ namespace: ns, name: 'web', body: [{ op: 'test', path: '/spec/type', value: 'ClusterIP' }] }));
  t.equal((failedTest as ApiException<unknown>).code, 422);
  const conflict = await rejection(() => core.patchNamespacedService({ namespace: ns, name: 'web', body: { metadata: { resourceVersion: '1' } } }, merge));
  t.equal((conflict as ApiException<unknown>).code, 409, 'a patch carrying a stale resourceVersion conflicts');

  const custom = kc.makeApiClient(CustomObjectsApi);
  const g = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools', namespace: ns };
  await custom.createNamespacedCustomObject({ ...g, body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p' }, spec: { addresses: ['192.0.2.0/28'] } } });
  const refused = await rejection(() => custom.patchNamespacedCustomObject({ ...g, name: 'p', body: { spec: { autoAssign: false } } }, strategic));
  t.equal((refused as ApiException<unknown>).code, 415, 'as a real server: no strategic merge patch for custom resources');
  const ok = await custom.patchNamespacedCustomObject({ ...g, name: 'p', body: { spec: { autoAssign: false } } }, merge) as { spec: Record<string, unknown> };
  // avoidBuggyIPs: the CRD schema's default, filled in as a real server does.
  t.same(ok.spec, { addresses: ['192.0.2.0/28'], autoAssign: false, avoidBuggyIPs: false });
  const apply = await rejection(() => custom.patchNamespacedCustomObject({ ...g, name: 'p', body: { spec: {} } }, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply)));
  t.equal((apply as ApiException<unknown>).code, 415, 'server-side apply is not implemented');
});

t.test('selectors, pagination and deletecollection through CoreV1Api', async (t) => {
  const d = await double(t);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  for (let i = 0; i < 7; i++) {
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `cm-${i}`, labels: { parity: i % 2 ? 'odd' : 'even', idx: String(i) } } } });
  }
  const odd = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'parity=odd,idx notin (3)' });
  t.same(odd.items.map((c) => c.metadata?.name), ['cm-1', 'cm-5']);
  t.equal(odd.items[0]?.kind, undefined, 'built-in list items carry no kind, as on a real server');
  const byName = await core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'metadata.name=cm-4' });
  t.same(byName.items.map((c) => c.metadata?.name), ['cm-4']);
  const badSel = await rejection(() => core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'data.x=1' }));
  t.equal((badSel as ApiException<unknown>).code, 400);
  const names: string[] = [];
  let cont: string | undefined;
  let first: string | undefined;
  let pages = 0;
  do {
    const page = await core.listNamespacedConfigMap({ namespace: ns, limit: 3, ...(cont && { _continue: cont }) });
    if (pages === 0) {
      t.equal(page.metadata?.remainingItemCount, 4);
      first = page.metadata?.resourceVersion;
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm-new' } } });
    } else {
      t.equal(page.metadata?.resourceVersion, first, 'later pages are served at the first page\'s version');
    }
    names.push(...page.items.map((c) => c.metadata!.name!));
    cont = page.metadata?._continue;
    pages++;
  } while (cont);
  t.equal(pages, 3);
  t.same(names, ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6'], 'cm-new, created mid-way, is not in the snapshot');
  await core.deleteCollectionNamespacedConfigMap({ namespace: ns, labelSelector: 'parity=even' });
  const left = await core.listNamespacedConfigMap({ namespace: ns });
  t.same(left.items.map((c) => c.metadata?.name), ['cm-1', 'cm-3', 'cm-5', 'cm-new']);
});

t.test('custom resources: not installed is 404, served versions, status subresource', async (t) => {
  const d = await double(t, { installCustomResources: false });
  const custom = d.kubeConfig().makeApiClient(CustomObjectsApi);
  const g = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools', namespace: ns };
  const absent = await rejection(() => custom.listNamespacedCustomObject(g));
  t.equal((absent as ApiException<unknown>).code, 404);
  t.match(statusOf(absent), { reason: 'NotFound', message: 'the server could not find the requested resource' });
  d.store.install(ipAddressPools);
  const pool = await custom.createNamespacedCustomObject({ ...g, body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p' }, spec: { addresses: ['192.0.2.0/28'] }, status: { bogus: 1 } } }) as Record<string, unknown>;
  t.notOk('status' in pool);
  const withStatus = await custom.patchNamespacedCustomObjectStatus({ ...g, name: 'p', body: { status: { assignedIPv4: 2 }, spec: { addresses: [] } } }, merge) as Record<string, unknown>;
  t.same(withStatus['status'], { assignedIPv4: 2 });
  t.same(withStatus['spec'], { addresses: ['192.0.2.0/28'], autoAssign: true, avoidBuggyIPs: false }, 'spec untouched (with the CRD defaults)');
  const list = await custom.listNamespacedCustomObject(g) as { items: Record<string, unknown>[] };
  t.equal(list.items[0]?.['kind'], 'IPAddressPool', 'custom resource list items keep kind and apiVersion');
  const peers = { group: 'metallb.io', plural: 'bgppeers', namespace: ns };
  d.store.install(bgpPeers);
  await custom.createNamespacedCustomObject({ ...peers, version: 'v1beta2', body: { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'r1' }, spec: { myASN: 64512, peerASN: 64513, peerAddress: '192.0.2.254' } } });
  const old = await custom.getNamespacedCustomObject({ ...peers, version: 'v1beta1', name: 'r1' }) as Record<string, unknown>;
  t.equal(old['apiVersion'], 'metallb.io/v1beta1', 'the same object is served at v1beta1');
});

t.test('other groups: EndpointSlices, Leases, generic discovery', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const disc = kc.makeApiClient(DiscoveryV1Api);
  await disc.createNamespacedEndpointSlice({
    namespace: ns,
    body: { metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', endpoints: [{ addresses: ['192.0.2.21'], conditions: { ready: true }, nodeName: 'n1' }] },
  });
  const slices = await disc.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=web' });
  t.same(slices.items.map((s) => s.endpoints[0]?.addresses), [['192.0.2.21']]);
  const bad = await rejection(() => disc.createNamespacedEndpointSlice({ namespace: ns, body: { metadata: { name: 'x' }, addressType: 'IPv4', endpoints: [{ addresses: ['2001:db8::1'] }] } }));
  t.equal((bad as ApiException<unknown>).code, 422);
  const coord = kc.makeApiClient(CoordinationV1Api);
  const lease = await coord.createNamespacedLease({ namespace: 'kube-node-lease', body: { metadata: { name: 'n1' }, spec: { holderIdentity: 'n1' } } });
  const renewed = await coord.replaceNamespacedLease({ namespace: 'kube-node-lease', name: 'n1', body: { ...lease, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } } });
  t.equal(renewed.spec?.leaseDurationSeconds, 40);
  const generic = KubernetesObjectApi.makeApiClient(kc);
  const read = await generic.read({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' } });
  t.equal(read.metadata?.name, 'n1', 'KubernetesObjectApi found the resource through discovery');
});

t.test('protocol edges: unknown paths, wrong methods, huge bodies, dryRun', async (t) => {
  const d = await double(t);
  const get = async (path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> => {
    const r = await fetch(d.url + path, init);
    return { status: r.status, body: (r.headers.get('content-type') ?? '').includes('json') ? await r.json() as Record<string, unknown> : {} };
  };
  t.match(await get('/api/v1/widgets'), { status: 404, body: { kind: 'Status', reason: 'NotFound' } });
  t.match(await get('/api/v1/namespaces/default/services', { method: 'PUT', body: '{}' }), { status: 405, body: { reason: 'MethodNotAllowed' } });
  t.match(await get('/api/v1/services', { method: 'POST', body: '{}' }), { status: 405 });
  t.match(await get('/api/v1/nodes/n1/proxy'), { status: 404 });
  t.match(await get('/api/v1/namespaces/default/configmaps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(4 * 1024 * 1024) }), { status: 413 });
  t.match(await get('/api/v1/namespaces/default/configmaps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad json' }), { status: 400 });
  t.match(await get('/api/v1/namespaces/default/configmaps?dryRun=All', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"metadata":{"name":"dry"}}' }), { status: 201 });
  t.match(await get('/api/v1/namespaces/default/configmaps/dry'), { status: 404 }, 'dry run wrote nothing');
  t.match(await get('/apis/metallb.io/v1beta2'), { status: 200, body: { kind: 'APIResourceList', resources: [{ name: 'bgppeers' }, { name: 'bgppeers/status' }] } });
  t.match(await get('/version'), { status: 200, body: { major: '1' } });
});
