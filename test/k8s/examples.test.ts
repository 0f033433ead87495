// The example configurations under k8s/examples: valid for the CRDs, and
// read by shoal's own parser (src/config) into the pools, advertisements and
// peers they are meant to describe. Also `shoal validate`'s view of them.
import { join } from 'node:path';
import t from 'tap';
import { rangeSize } from '../../src/net/index.js';
import { parseConfigMap, parseObjects, validateFiles, type Config, type ParseResult } from '../../src/config/index.js';
import { crdValidator, type Crd } from './support/crd-schema.js';
import { REPO, readYaml, yamlFiles } from './support/manifests.js';

const crds = yamlFiles('k8s/crds').flatMap((f) => readYaml(f)) as unknown as Crd[];

function mustParse(r: ParseResult): Config {
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return r.config;
}

function crdProblems(file: string): string[] {
  return readYaml(file)
    .filter((o) => o.apiVersion.startsWith('metallb.io/'))
    .flatMap((o) => {
      const crd = crds.find((c) => c.spec.names.kind === o.kind);
      if (!crd) return [`${o.kind}: no CRD`];
      return crdValidator(crd, o.apiVersion.split('/')[1] ?? '')(o).map((p) => `${o.kind} ${o.metadata.name}: ${p}`);
    });
}

t.test('layer 2, legacy ConfigMap: one pool of 11 addresses announced in layer 2', async (t) => {
  const [cm] = readYaml('k8s/examples/layer2-configmap.yaml');
  t.equal(cm?.kind, 'ConfigMap');
  t.equal(cm?.metadata.name, 'config', "the name shoal's controller and speakers watch");
  const cfg = mustParse(parseConfigMap(cm));
  t.same(cfg.pools.map((p) => [p.name, p.addresses, p.autoAssign, p.l2Advertisements, p.bgpAdvertisements]), [['default', ['192.0.2.240-192.0.2.250'], true, ['l2advertisement1'], []]]);
  t.equal(cfg.pools[0]?.ranges.reduce((n, r) => n + rangeSize(r), 0n), 11n);
});

t.test('layer 2, CRDs: a dual-stack pool announced by one L2Advertisement', async (t) => {
  t.same(crdProblems('k8s/examples/layer2.yaml'), []);
  const cfg = mustParse(parseObjects(readYaml('k8s/examples/layer2.yaml')));
  const pool = cfg.pools[0];
  t.same(cfg.pools.map((p) => p.name), ['lan']);
  t.same(pool?.ranges.map((r) => [r.family, rangeSize(r)]), [[4, 11n], [6, 16n]]);
  t.same(pool?.l2Advertisements, ['lan']);
  t.same(cfg.l2Advertisements.map((a) => [a.name, a.pools, a.interfaces]), [['lan', ['lan'], []]]);
});

t.test('BGP with BFD: two peers with a BFD profile, a community alias resolved', async (t) => {
  t.same(crdProblems('k8s/examples/bgp-bfd.yaml'), []);
  const cfg = mustParse(parseObjects(readYaml('k8s/examples/bgp-bfd.yaml')));
  t.same(cfg.pools.map((p) => [p.name, p.addresses, p.bgpAdvertisements, p.l2Advertisements]), [['public', ['203.0.113.0/26'], ['public'], []]]);
  t.same(cfg.peers.map((p) => [p.name, p.myASN, p.peerASN, p.peerAddress, p.bfdProfile, p.holdTime, p.keepaliveTime]), [
    ['tor-a', 64500, 64496, '198.51.100.1', 'fast', 90_000, 30_000],
    ['tor-b', 64500, 64496, '198.51.100.2', 'fast', 90_000, 30_000],
  ]);
  t.same(cfg.bfdProfiles.map((b) => [b.name, b.receiveInterval, b.transmitInterval, b.detectMultiplier]), [['fast', 300, 300, 3]]);
  const adv = cfg.bgpAdvertisements[0];
  t.same(adv?.communities, [{ kind: 'standard', value: 65535 * 65536 + 65281, text: '65535:65281' }], 'no-export alias resolved');
  t.same([adv?.aggregationLength, adv?.pools, adv?.peers], [32, ['public'], []]);
});

t.test('`shoal validate` accepts every example and checks all of it', async (t) => {
  for (const f of yamlFiles('k8s/examples')) {
    const report = await validateFiles([join(REPO, f)]);
    t.same(report.errors, [], f);
    t.ok(report.ok, f);
    t.equal(report.skipped, 0, `${f}: nothing left unchecked`);
    t.ok(report.metallbObjects + report.legacyConfigs > 0, `${f}: configuration found`);
  }
});
