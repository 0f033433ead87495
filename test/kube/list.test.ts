import t from 'tap';
import { CoreV1Api } from '@kubernetes/client-node';
import { listAll, makeLister } from '../../src/kube/list.js';
import { configMaps, ipAddressPools, namespaces, nodes } from '../../src/kube/resources.js';
import { double } from '../dev/apiserver/support.js';

t.test('listAll pages through one snapshot; falls back to a full list on 410', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `c${i}` } } });
  const lister = makeLister(kc, configMaps);
  const all = await listAll(lister, { namespace: 'default' }, 2);
  t.same(all.items.map((c) => c.metadata?.name), ['c0', 'c1', 'c2', 'c3', 'c4']);
  t.equal(all.metadata?.resourceVersion, String(d.store.resourceVersion));
  t.equal(d.requests.filter((r) => r.verb === 'list').length, 3, 'three pages');

  // Expire the first page's snapshot before the second page is fetched.
  const paging = makeLister(kc, configMaps);
  let pages = 0;
  const expiring: typeof paging = async (p) => {
    const page = await paging(p);
    if (pages++ === 0) {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'c5' } } });
      d.store.compact();
    }
    return page;
  };
  const recovered = await listAll(expiring, { namespace: 'default' }, 2);
  t.same(recovered.items.map((c) => c.metadata?.name), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'], 'one full list after the 410');
  t.match(d.requests.at(-2), { verb: 'list', code: 410 });
});

t.test('listers for cluster-scoped, namespaced and custom types', async (t) => {
  const d = await double(t);
  const kc = d.kubeConfig();
  t.same((await makeLister(kc, namespaces)({})).items.map((n) => n.metadata?.name), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  await t.rejects(makeLister(kc, nodes)({ namespace: 'default' }), /cluster-scoped/);
  d.store.create(ipAddressPools, 'default', { metadata: { name: 'p' }, spec: {} });
  const pools = await makeLister(kc, ipAddressPools)({ labelSelector: '!x', limit: 10 });
  t.same(pools.items.map((p) => p.metadata?.name), ['p']);
  t.ok(pools.resourceVersion);
  t.equal(pools.continue, undefined);
});
