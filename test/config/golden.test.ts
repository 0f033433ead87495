import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { configToJSON, parseConfigMap, parseLegacyConfig, parseObjects, parseResources } from '../../src/config/index.js';
import type { Config, ParseResult } from '../../src/config/index.js';
import { rangeSize } from '../../src/net/index.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), 'utf8');
const golden = (name: string): unknown => JSON.parse(fixture(name)) as unknown;
const docs = (name: string): Record<string, unknown>[] => parseAllDocuments(fixture(name)).map((d) => d.toJS() as Record<string, unknown>);

function mustParse(t: { fail: (m: string) => void }, r: ParseResult): Config {
  if (!r.ok) {
    t.fail(`unexpected errors:\n${r.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}`);
    throw new Error('parse failed');
  }
  return r.config;
}

t.test('the seed example gives one layer2 pool of 16 addresses with autoAssign on', async (t) => {
  for (const cfg of [mustParse(t, parseLegacyConfig(fixture('seed.yaml'))), mustParse(t, parseConfigMap(docs('seed-configmap.yaml')[0]))]) {
    t.equal(cfg.pools.length, 1);
    const pool = cfg.pools[0];
    t.equal(pool?.name, 'my-ip-space');
    t.equal(pool?.autoAssign, true);
    t.equal(pool?.avoidBuggyIPs, false);
    t.equal(pool?.ranges.reduce((n, r) => n + rangeSize(r), 0n), 16n);
    t.same(pool?.l2Advertisements, ['l2advertisement1'], 'layer2: announced by exactly one L2Advertisement');
    t.same(pool?.bgpAdvertisements, []);
    t.same(cfg.l2Advertisements.map((a) => [a.name, a.pools, a.nodeSelectors, a.interfaces]), [['l2advertisement1', ['my-ip-space'], [], []]]);
    t.same([cfg.peers, cfg.bgpAdvertisements, cfg.bfdProfiles, cfg.communities], [[], [], [], []]);
  }
  const viaMap = mustParse(t, parseConfigMap(docs('seed-configmap.yaml')[0]));
  t.same(viaMap.pools[0]?.ref, { kind: 'ConfigMap', name: 'config', namespace: 'metallb-system' });
});

t.test('a full CRD set (every kind, every field) matches its golden model', async (t) => {
  const objs = docs('full-crds.yaml');
  t.equal(objs.length, 12, 'fixture loaded');
  const cfg = mustParse(t, parseObjects(objs));
  t.same(configToJSON(cfg), golden('full-crds.golden.json'));
});

t.test('the same objects as the glue passes them (typed lists, items without apiVersion/kind) give the same model', async (t) => {
  const objs = docs('full-crds.yaml');
  const strip = (kind: string): unknown[] => objs.filter((o) => o.kind === kind).map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
  const cfg = mustParse(
    t,
    parseResources({
      ipAddressPools: strip('IPAddressPool'),
      l2Advertisements: strip('L2Advertisement'),
      bgpAdvertisements: strip('BGPAdvertisement'),
      // Peers keep their own apiVersion: peer-3 is v1beta1 and has no v1beta2-only fields.
      bgpPeers: objs.filter((o) => o.kind === 'BGPPeer'),
      communities: strip('Community'),
      bfdProfiles: strip('BFDProfile'),
    }),
  );
  t.same(configToJSON(cfg), golden('full-crds.golden.json'));
});

t.test('a legacy BGP config matches its golden model', async (t) => {
  const cfg = mustParse(t, parseLegacyConfig(fixture('legacy-bgp.yaml')));
  t.same(configToJSON(cfg), golden('legacy-bgp.golden.json'));
  // Spot checks of MetalLB's legacy defaults, so a regenerated golden cannot hide them.
  const [p1, p2] = cfg.peers;
  t.same([p1?.name, p1?.holdTime, p1?.keepaliveTime, p1?.peerPort], ['peer1', 120_000, 40_000, 1179]);
  t.same([p2?.name, p2?.holdTime, p2?.keepaliveTime, p2?.peerPort], ['peer2', 90_000, 10_000, 179]);
  t.same(
    cfg.bgpAdvertisements.map((a) => [a.name, a.pools, a.aggregationLength, a.aggregationLengthV6, a.localPref, a.communities.map((c) => c.text)]),
    [
      ['bgpadvertisement1', ['bgp-pool'], 32, 128, 100, ['65535:65282', '64512:1']],
      ['bgpadvertisement2', ['bgp-pool'], 24, 64, undefined, []],
      ['bgpadvertisement3', ['bgp-plain'], 32, 128, undefined, []],
    ],
  );
});
