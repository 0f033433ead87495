import { fileURLToPath } from 'node:url';
import t from 'tap';
import { formatValidationReport, validateDocuments, validateFiles } from '../../src/config/index.js';

const fx = (name: string): string => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

t.test('validateFiles on the fixtures: good files pass, bad files report file and document', async (t) => {
  const ok = await validateFiles([fx('seed.yaml'), fx('seed-configmap.yaml'), fx('full-crds.yaml'), fx('legacy-bgp.yaml')]);
  t.same([ok.ok, ok.errors, ok.files, ok.metallbObjects, ok.legacyConfigs, ok.skipped], [true, [], 4, 12, 3, 0]);
  t.equal(formatValidationReport(ok), 'ok: 4 file(s), 12 metallb.io object(s), 3 legacy config(s), 0 other document(s) skipped');

  const bad = await validateFiles([fx('invalid-crds.yaml'), fx('does-not-exist.yaml')]);
  t.equal(bad.ok, false);
  t.equal(bad.errors.length, 22);
  t.match(bad.errors[0], { file: fx('does-not-exist.yaml'), document: 0, code: 'parse-error' });
  const dup = bad.errors.find((e) => e.code === 'duplicate-name');
  t.match(dup, { file: fx('invalid-crds.yaml'), document: 3 }, 'a duplicate name belongs to the later object');
  const peerC = bad.errors.find((e) => e.path.startsWith('BGPPeer default/peer-c'));
  t.match(peerC, { document: 7 });
});

t.test('multi-document files, Lists, ConfigMaps, bare legacy configs and other kinds', async (t) => {
  const pools = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: a, namespace: metallb-system}
spec: {addresses: [198.51.100.0/24]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: unrelated}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other}
data: {foo: bar}
`;
  const list = `apiVersion: v1
kind: List
items:
- apiVersion: metallb.io/v1beta1
  kind: L2Advertisement
  metadata: {name: l2, namespace: metallb-system}
  spec: {ipAddressPools: [a, missing]}
- apiVersion: metallb.io/v1beta1
  kind: IPAddressPool
  metadata: {name: b, namespace: metallb-system}
  spec: {addresses: [198.51.100.128/25]}
`;
  const legacy = `address-pools:
- {name: x, protocol: layer2, addresses: [203.0.113.0/24, 203.0.113.8/29]}
---
just: a string map
---
key: [unclosed
`;
  const r = validateDocuments([
    { name: 'pools.yaml', text: pools },
    { name: 'list.yaml', text: list },
    { name: 'legacy.yaml', text: legacy },
  ]);
  t.same([r.metallbObjects, r.legacyConfigs, r.skipped], [3, 1, 2]);
  t.same(formatValidationReport(r).split('\n'), [
    'legacy.yaml (document 1): address-pools[0].addresses[1]: "203.0.113.8/29" overlaps "203.0.113.0/24" of another entry of the same pool (address-pools[0].addresses[0])',
    'legacy.yaml (document 2): neither a Kubernetes object nor a MetalLB legacy config',
    `legacy.yaml (document 3): not valid YAML: ${r.errors[2]?.message.slice('not valid YAML: '.length)}`,
    'list.yaml (document 1): IPAddressPool metallb-system/b spec.addresses[0]: "198.51.100.128/25" overlaps "198.51.100.0/24" of pool "a" (IPAddressPool metallb-system/a spec.addresses[0])',
    'list.yaml (document 1): L2Advertisement metallb-system/l2 spec.ipAddressPools[1]: IPAddressPool "missing" does not exist',
    '5 error(s): 3 file(s), 3 metallb.io object(s), 1 legacy config(s), 2 other document(s) skipped',
  ]);
  t.match(r.errors[2], { code: 'parse-error', message: /^not valid YAML: / });
  const empty = validateDocuments([{ name: 'empty.yaml', text: '---\n---\n# nothing\n' }]);
  t.same([empty.ok, empty.skipped, empty.legacyConfigs, empty.metallbObjects], [true, 0, 0, 0], 'empty documents are fine');
});
