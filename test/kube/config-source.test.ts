import t from 'tap';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { attributeErrors, selectConfig, type CrdObjects } from '../../src/kube/config-source.js';
import { configMaps, ipAddressPools, l2Advertisements, type CustomObject } from '../../src/kube/resources.js';
import type { Wire } from '../../src/kube/wire.js';

const NS = 'metallb-system';
const pool = (name: string, addresses: string[]): CustomObject => ({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: NS }, spec: { addresses } });
const adv = (name: string, pools: string[]): CustomObject => ({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name, namespace: NS }, spec: { ipAddressPools: pools } });
const cm = (config: string): Wire<V1ConfigMap> => ({ metadata: { name: 'config', namespace: NS }, data: { config } });
const seed = 'address-pools:\n  - name: my-ip-space\n    protocol: layer2\n    addresses:\n      - 192.0.2.240/28\n';
const crds = (pools: CustomObject[], advs: CustomObject[] = []): CrdObjects[] => [
  { type: ipAddressPools, items: pools },
  { type: l2Advertisements, items: advs },
];

t.test('which source counts, per mode', async (t) => {
  t.match(selectConfig('auto', crds([]), undefined), { kind: 'none', why: /neither/ });
  t.match(selectConfig('crd', crds([]), cm(seed)), { kind: 'none', why: /no metallb\.io configuration objects/ });
  t.match(selectConfig('configmap', crds([pool('p', ['192.0.2.0/28'])]), undefined), { kind: 'none', why: /ConfigMap does not exist/ });

  const fromCrd = selectConfig('auto', crds([pool('p', ['192.0.2.0/28'])]), undefined);
  t.match(fromCrd, { kind: 'config', source: 'crd', result: { ok: true, config: { pools: [{ name: 'p' }] } } });
  const fromMap = selectConfig('auto', crds([]), cm(seed));
  t.match(fromMap, { kind: 'config', source: 'configmap', result: { ok: true, config: { source: 'configmap', pools: [{ name: 'my-ip-space' }] } } });
  t.match(selectConfig('crd', crds([pool('p', ['192.0.2.0/28'])]), cm(seed)), { source: 'crd', result: { ok: true } }, 'crd mode ignores the ConfigMap');
  t.match(selectConfig('configmap', crds([pool('p', ['192.0.2.0/28'])]), cm(seed)), { source: 'configmap', result: { ok: true } }, 'configmap mode ignores the objects');

  const both = selectConfig('auto', crds([pool('p', ['192.0.2.0/28'])], [adv('l2', ['missing'])]), cm(seed));
  t.match(both, {
    kind: 'config',
    source: 'mixed',
    result: { ok: false, errors: [{ code: 'mixed-sources', path: 'ConfigMap metallb-system/config', message: /2 metallb\.io object\(s\) exist \(they have 1 error\(s\) on their own\)/ }] },
  });
  t.equal(both.kind === 'config' && both.objects[0]?.type, configMaps, 'the refusal is about the ConfigMap');
});

t.test('errors go to the object they name; every legacy error to the ConfigMap', async (t) => {
  const objs = crds([pool('a', ['192.0.2.0/28']), pool('b', ['192.0.2.8/29', 'nonsense'])], [adv('l2', ['nope'])]);
  const cand = selectConfig('auto', objs, undefined);
  if (cand.kind !== 'config' || cand.result.ok) throw new Error('expected a refused candidate');
  const { byObject, unattributed } = attributeErrors(cand.result.errors, cand.objects);
  const summary = [...byObject].map(([o, errs]) => [o.obj.metadata?.name, errs.map((e) => e.code)]);
  t.same(summary.sort(), [['b', ['invalid-range', 'overlapping-ranges']], ['l2', ['unknown-reference']]]);
  t.same(unattributed, []);
  t.match(attributeErrors([{ path: 'IPAddressPool metallb-system/ab spec', code: 'invalid-value', message: 'x' }], cand.objects), { unattributed: [{ path: /ab spec/ }] }, 'a prefix of another name is not a match');

  const legacy = selectConfig('auto', crds([]), cm('address-pools:\n  - name: x\n    protocol: layer2\n    addresses: [300.1.1.1/24]\n'));
  if (legacy.kind !== 'config' || legacy.result.ok) throw new Error('expected a refused legacy config');
  const l = attributeErrors(legacy.result.errors, legacy.objects);
  t.same([...l.byObject.values()].map((errs) => errs.map((e) => e.path)), [['address-pools[0].addresses[0]']]);
});
