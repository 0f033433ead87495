// The informers deserialize watch objects with client-node's generated
// ObjectSerializer, imported by path. If client-node moves it, this fails.
import t from 'tap';
import { CoreV1Api, V1Service } from '@kubernetes/client-node';
import { ipAddressPools, services } from '../../src/kube/resources.js';
import { toModel } from '../../src/kube/typed.js';
import { double } from '../dev/apiserver/support.js';

t.test('watch JSON becomes the model class a list returns', async (t) => {
  const d = await double(t);
  const core = d.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { ports: [{ port: 80, targetPort: 'http' }] } } });
  const listed = (await core.listNamespacedService({ namespace: 'default' })).items[0]!;
  const raw = await (await fetch(`${d.url}/api/v1/namespaces/default/services/web`)).json();
  const typed = toModel(services, raw);
  t.ok(typed instanceof V1Service);
  t.ok(typed.metadata?.creationTimestamp instanceof Date);
  t.same(typed.metadata?.creationTimestamp, listed.metadata?.creationTimestamp);
  t.equal(typed.spec?.ports?.[0]?.targetPort, 'http', 'IntOrString kept');
  t.same({ ...typed, kind: undefined, apiVersion: undefined }, { ...listed, kind: undefined, apiVersion: undefined });
  const cr = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', creationTimestamp: '2024-01-01T00:00:00Z' } };
  t.equal(toModel(ipAddressPools, cr), cr, 'custom resources stay JSON, as CustomObjectsApi returns them');
});
