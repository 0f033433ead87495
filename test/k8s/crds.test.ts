// The metallb.io CRDs under k8s/crds: valid CustomResourceDefinitions with
// structural schemas, MetalLB's group, kinds and versions, accepting every
// documented MetalLB example and rejecting malformed objects.
import t from 'tap';
import { crdValidator, structuralProblems, type Crd, type ResourceValidator } from './support/crd-schema.js';
import { builtinProblems } from './support/kube-schema.js';
import { readYaml, yamlFiles, type Manifest } from './support/manifests.js';

const crdFiles = yamlFiles('k8s/crds');
const crds: Crd[] = crdFiles.flatMap((f) => readYaml(f)) as unknown as Crd[];

/** kind -> [served versions, storage version]: MetalLB 0.16's, so its objects apply unchanged. */
const EXPECTED: Record<string, { plural: string; versions: string[]; storage: string }> = {
  IPAddressPool: { plural: 'ipaddresspools', versions: ['v1beta1'], storage: 'v1beta1' },
  L2Advertisement: { plural: 'l2advertisements', versions: ['v1beta1'], storage: 'v1beta1' },
  BGPAdvertisement: { plural: 'bgpadvertisements', versions: ['v1beta1'], storage: 'v1beta1' },
  BGPPeer: { plural: 'bgppeers', versions: ['v1beta2', 'v1beta1'], storage: 'v1beta2' },
  Community: { plural: 'communities', versions: ['v1beta1'], storage: 'v1beta1' },
  BFDProfile: { plural: 'bfdprofiles', versions: ['v1beta1'], storage: 'v1beta1' },
  ServiceL2Status: { plural: 'servicel2statuses', versions: ['v1beta1'], storage: 'v1beta1' },
  ServiceBGPStatus: { plural: 'servicebgpstatuses', versions: ['v1beta1'], storage: 'v1beta1' },
  ConfigurationState: { plural: 'configurationstates', versions: ['v1beta1'], storage: 'v1beta1' },
};

const validators = new Map<string, ResourceValidator>();
function validatorFor(apiVersion: string, kind: string): ResourceValidator {
  const key = `${apiVersion} ${kind}`;
  let v = validators.get(key);
  if (!v) {
    const crd = crds.find((c) => c.spec.names.kind === kind);
    if (!crd) throw new Error(`no CRD for ${kind}`);
    v = crdValidator(crd, apiVersion.split('/')[1] ?? '');
    validators.set(key, v);
  }
  return v;
}
const problemsOf = (obj: Manifest, old?: Manifest): string[] => validatorFor(obj.apiVersion, obj.kind)(obj, old);

t.test('one CRD per MetalLB kind, with its group, names, scope and versions', async (t) => {
  t.equal(crdFiles.length, crds.length, 'one CRD a file');
  t.same(crds.map((c) => c.spec.names.kind).sort(), Object.keys(EXPECTED).sort());
  for (const crd of crds) {
    const want = EXPECTED[crd.spec.names.kind];
    if (!want) continue;
    t.equal(crd.metadata.name, `${want.plural}.metallb.io`);
    t.equal(crd.spec.group, 'metallb.io');
    t.equal(crd.spec.scope, 'Namespaced');
    t.same(crd.spec.names, { kind: crd.spec.names.kind, listKind: `${crd.spec.names.kind}List`, plural: want.plural, singular: crd.spec.names.kind.toLowerCase() });
    t.same(crd.spec.versions.map((v) => v.name), want.versions, `${crd.spec.names.kind} versions`);
    t.ok(crd.spec.versions.every((v) => v.served), 'every version served');
    t.same(crd.spec.versions.filter((v) => v.storage).map((v) => v.name), [want.storage], 'one storage version');
    t.ok(crd.spec.versions.every((v) => v.subresources?.status !== undefined), 'status subresource, as MetalLB');
  }
});

t.test('every CRD is a valid CustomResourceDefinition with structural schemas', async (t) => {
  for (const crd of crds) {
    t.same(await builtinProblems(crd as unknown as Manifest), [], `${crd.metadata.name} against the Kubernetes schema`);
    for (const v of crd.spec.versions) {
      const schema = v.schema.openAPIV3Schema;
      t.same(structuralProblems(schema), [], `${crd.metadata.name} ${v.name} is structural`);
      t.equal((schema['properties'] as Record<string, { type?: string }>)['metadata']?.type, 'object', 'metadata left to the API server');
    }
  }
});

t.test('BGPPeer: v1beta1 still served, deprecated, no conversion webhook', async (t) => {
  const peers = crds.find((c) => c.spec.names.kind === 'BGPPeer');
  t.equal(peers?.spec.conversion?.strategy, 'None', 'shoal runs no webhook: the versions share one JSON shape');
  t.same(peers?.spec.versions.map((v) => [v.name, v.deprecated === true]), [['v1beta2', false], ['v1beta1', true]]);
});

t.test('the structural checker itself finds what the API server refuses', async (t) => {
  const msgs = (s: Record<string, unknown>): string => structuralProblems(s).join('\n');
  t.match(msgs({ type: 'object', properties: { a: { description: 'no type' } } }), /a: no type/);
  t.match(msgs({ type: 'object', properties: { a: { type: 'object' } }, additionalProperties: { type: 'string' } }), /properties and additionalProperties/);
  t.match(msgs({ type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'set' }), /scalar items/);
  t.match(msgs({ type: 'array', items: { type: 'object', properties: { n: { type: 'string' } } }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['n'] }), /required or defaulted/);
  t.match(msgs({ type: 'string', 'x-kubernetes-validations': [{ rule: 'self ==', message: 'm' }] }), /does not parse/);
  t.match(msgs({ type: 'array', items: { type: 'string' }, uniqueItems: true }), /uniqueItems/);
  t.match(msgs({ type: 'string', patternn: 'x' }), /unknown schema keyword patternn/);
});

t.test("MetalLB's documented examples apply unchanged", async (t) => {
  const docs = readYaml('test/k8s/fixtures/metallb-docs.yaml');
  t.equal(docs.length, 28, 'fixture loaded');
  for (const obj of docs) t.same(problemsOf(obj), [], `${obj.kind} ${obj.metadata.name}`);
});

t.test("every field of MetalLB's API reference applies", async (t) => {
  const objs = readYaml('test/k8s/fixtures/every-field.yaml');
  t.same([...new Set(objs.map((o) => o.kind))].sort(), Object.keys(EXPECTED).sort(), 'every kind covered');
  for (const obj of objs) t.same(problemsOf(obj), [], `${obj.apiVersion} ${obj.kind} ${obj.metadata.name}`);
});

/** A valid object of each kind; each malformed case below breaks exactly one thing in one of them. */
function base(kind: string, apiVersion = 'metallb.io/v1beta1'): Manifest {
  const objs = readYaml('test/k8s/fixtures/every-field.yaml');
  const hit = objs.find((o) => o.kind === kind && o.apiVersion === apiVersion);
  if (!hit) throw new Error(`no ${apiVersion} ${kind} in every-field.yaml`);
  return hit;
}

type Spec = Record<string, unknown>;
interface Case {
  why: string;
  kind: string;
  apiVersion?: string;
  edit: (spec: Spec, obj: Manifest) => void;
  /** What the error names: a schema path or a message fragment. */
  error: RegExp;
}

const MALFORMED: Case[] = [
  // IPAddressPool
  { why: 'no addresses', kind: 'IPAddressPool', edit: (s) => delete s['addresses'], error: /must have required property 'addresses'/ },
  { why: 'empty address list', kind: 'IPAddressPool', edit: (s) => (s['addresses'] = []), error: /\/spec\/addresses: must NOT have fewer than 1 items/ },
  { why: 'address not a string', kind: 'IPAddressPool', edit: (s) => (s['addresses'] = [192]), error: /\/spec\/addresses\/0: must be string/ },
  { why: 'octet out of range', kind: 'IPAddressPool', edit: (s) => (s['addresses'] = ['192.0.2.256/32']), error: /\/spec\/addresses\/0: must match the field's pattern/ },
  { why: 'prefix too long', kind: 'IPAddressPool', edit: (s) => (s['addresses'] = ['192.0.2.0/33']), error: /\/spec\/addresses\/0: must match the field's pattern/ },
  { why: 'bare address', kind: 'IPAddressPool', edit: (s) => (s['addresses'] = ['192.0.2.1']), error: /\/spec\/addresses\/0: must match the field's pattern/ },
  { why: 'range across families', kind: 'IPAddressPool', edit: (s) => (s['addresses'] = ['192.0.2.1-2001:db8::1']), error: /\/spec\/addresses\/0: must match the field's pattern/ },
  { why: 'autoAssign as a string', kind: 'IPAddressPool', edit: (s) => (s['autoAssign'] = 'yes'), error: /\/spec\/autoAssign: must be boolean/ },
  { why: 'negative priority', kind: 'IPAddressPool', edit: (s) => ((s['serviceAllocation'] as Spec)['priority'] = -1), error: /priority: must be >= 0/ },
  { why: 'namespace listed twice', kind: 'IPAddressPool', edit: (s) => ((s['serviceAllocation'] as Spec)['namespaces'] = ['a', 'a']), error: /namespaces: must NOT have duplicate items/ },
  { why: 'unknown selector operator', kind: 'IPAddressPool', edit: (s) => (((s['serviceAllocation'] as Spec)['serviceSelectors'] as Spec[]).push({ matchExpressions: [{ key: 'a', operator: 'Equals' }] })), error: /operator: must be equal to one of the allowed values/ },
  { why: 'selector expression without a key', kind: 'IPAddressPool', edit: (s) => (((s['serviceAllocation'] as Spec)['serviceSelectors'] as Spec[]).push({ matchExpressions: [{ operator: 'Exists' }] })), error: /must have required property 'key'/ },
  { why: 'label value with a space', kind: 'IPAddressPool', edit: (s) => (((s['serviceAllocation'] as Spec)['namespaceSelectors'] as Spec[])[0] = { matchLabels: { env: 'pro d' } }), error: /matchLabels\/env: must match the field's pattern/ },
  { why: 'unknown field (a typo)', kind: 'IPAddressPool', edit: (s) => (s['autoassign'] = true), error: /must NOT have additional properties \(autoassign\)/ },
  { why: 'no spec', kind: 'IPAddressPool', edit: (_s, o) => delete o['spec'], error: /must have required property 'spec'/ },
  // L2Advertisement
  { why: "MetalLB's unreleased preferredNodeSelectors", kind: 'L2Advertisement', edit: (s) => (s['preferredNodeSelectors'] = [{ weight: 10, preference: {} }]), error: /additional properties \(preferredNodeSelectors\)/ },
  { why: 'interface name with a slash', kind: 'L2Advertisement', edit: (s) => (s['interfaces'] = ['eth0/1']), error: /\/spec\/interfaces\/0: must match the field's pattern/ },
  { why: 'interface name longer than 15', kind: 'L2Advertisement', edit: (s) => (s['interfaces'] = ['a-very-long-ifname']), error: /\/spec\/interfaces\/0: must match the field's pattern/ },
  { why: 'pool listed twice', kind: 'L2Advertisement', edit: (s) => (s['ipAddressPools'] = ['all', 'all']), error: /ipAddressPools: must NOT have duplicate items/ },
  { why: 'node selector not a list', kind: 'L2Advertisement', edit: (s) => (s['nodeSelectors'] = { matchLabels: { a: 'b' } }), error: /\/spec\/nodeSelectors: must be array/ },
  // BGPAdvertisement
  { why: 'aggregationLength above 32', kind: 'BGPAdvertisement', edit: (s) => (s['aggregationLength'] = 33), error: /aggregationLength: must be <= 32/ },
  { why: 'aggregationLength 0', kind: 'BGPAdvertisement', edit: (s) => (s['aggregationLength'] = 0), error: /aggregationLength: must be >= 1/ },
  { why: 'aggregationLengthV6 above 128', kind: 'BGPAdvertisement', edit: (s) => (s['aggregationLengthV6'] = 129), error: /aggregationLengthV6: must be <= 128/ },
  { why: 'localPref above 32 bits', kind: 'BGPAdvertisement', edit: (s) => (s['localPref'] = 4294967296), error: /localPref: must be <= 4294967295/ },
  { why: 'standard community half above 65535', kind: 'BGPAdvertisement', edit: (s) => (s['communities'] = ['65536:1']), error: /communities\/0: must match the field's pattern/ },
  { why: 'large community part above 32 bits', kind: 'BGPAdvertisement', edit: (s) => (s['communities'] = ['large:1:2:99999999999']), error: /communities\/0: must match the field's pattern/ },
  { why: 'serviceSelectors with aggregation', kind: 'BGPAdvertisement', edit: (s) => (s['serviceSelectors'] = [{ matchLabels: { a: 'b' } }]), error: /serviceSelectors select single addresses/ },
  // BGPPeer v1beta2
  { why: 'no myASN', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => delete s['myASN'], error: /must have required property 'myASN'/ },
  { why: 'myASN 0', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['myASN'] = 0), error: /myASN: must be >= 1/ },
  { why: 'ASN above 32 bits', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['peerASN'] = 4294967296), error: /peerASN: must be <= 4294967295/ },
  { why: 'ASN as a string', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['myASN'] = '64500'), error: /myASN: must be integer/ },
  { why: 'unknown dynamicASN mode', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => { delete s['peerASN']; s['dynamicASN'] = 'any'; }, error: /dynamicASN: must be equal to one of the allowed values/ },
  { why: 'peerASN and dynamicASN', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['dynamicASN'] = 'external'), error: /set exactly one of peerASN and dynamicASN/ },
  { why: 'neither peerASN nor dynamicASN', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => delete s['peerASN'], error: /set exactly one of peerASN and dynamicASN/ },
  { why: 'peerAddress and interface', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['interface'] = 'eth1'), error: /set exactly one of peerAddress and interface/ },
  { why: 'neither peerAddress nor interface', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => delete s['peerAddress'], error: /set exactly one of peerAddress and interface/ },
  { why: 'peerAddress not an address', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['peerAddress'] = 'router1.example.com'), error: /peerAddress: must match the field's pattern/ },
  { why: 'IPv6 router ID', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['routerID'] = '2001:db8::1'), error: /routerID: must match the field's pattern/ },
  { why: 'port 0', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['peerPort'] = 0), error: /peerPort: must be >= 1/ },
  { why: 'port above 16384', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['peerPort'] = 16385), error: /peerPort: must be <= 16384/ },
  { why: 'hold time without a unit', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['holdTime'] = '90'), error: /holdTime: must match the field's pattern/ },
  { why: 'negative keepalive', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['keepaliveTime'] = '-30s'), error: /keepaliveTime: must match the field's pattern/ },
  { why: 'connect time in milliseconds', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['connectTime'] = '1500ms'), error: /whole number of seconds/ },
  { why: 'connect time above 65535s', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['connectTime'] = '20h'), error: /from 1s to 65535s/ },
  { why: 'password and passwordSecret', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['password'] = 'x'), error: /password or passwordSecret, not both/ },
  { why: 'ebgpMultiHop on iBGP', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', edit: (s) => (s['peerASN'] = s['myASN']), error: /ebgpMultiHop is for eBGP/ },
  { why: 'v1beta2 field under v1beta1', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta1', edit: (s) => (s['dynamicASN'] = 'external'), error: /additional properties \(dynamicASN\)/ },
  { why: 'v1beta1 without peerAddress', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta1', edit: (s) => delete s['peerAddress'], error: /must have required property 'peerAddress'/ },
  { why: 'v1beta1 In without values', kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta1', edit: (s) => (s['nodeSelectors'] = [{ matchExpressions: [{ key: 'zone', operator: 'In', values: [] }] }]), error: /values: must NOT have fewer than 1 items/ },
  // Community
  { why: 'alias without a value', kind: 'Community', edit: (s) => ((s['communities'] as Spec[]).push({ name: 'x' })), error: /must have required property 'value'/ },
  { why: 'alias name twice', kind: 'Community', edit: (s) => ((s['communities'] as Spec[]).push({ name: 'no-export', value: '1:1' })), error: /duplicate entry for key \["no-export"\]/ },
  { why: 'community value not a community', kind: 'Community', edit: (s) => ((s['communities'] as Spec[]).push({ name: 'x', value: 'no-export' })), error: /value: must match the field's pattern/ },
  // BFDProfile
  { why: 'receiveInterval below 10 ms', kind: 'BFDProfile', edit: (s) => (s['receiveInterval'] = 9), error: /receiveInterval: must be >= 10/ },
  { why: 'detectMultiplier 1', kind: 'BFDProfile', edit: (s) => (s['detectMultiplier'] = 1), error: /detectMultiplier: must be >= 2/ },
  { why: 'minimumTtl 255', kind: 'BFDProfile', edit: (s) => (s['minimumTtl'] = 255), error: /minimumTtl: must be <= 254/ },
  { why: 'echoMode as a number', kind: 'BFDProfile', edit: (s) => (s['echoMode'] = 1), error: /echoMode: must be boolean/ },
  { why: 'interval as a fraction', kind: 'BFDProfile', edit: (s) => (s['transmitInterval'] = 100.5), error: /transmitInterval: must be integer/ },
  // An object without listed fields has none (ServiceL2Status' spec is empty)
  { why: 'a field in the empty spec', kind: 'ServiceL2Status', edit: (_s, o) => (o['spec'] = { node: 'node-1' }), error: /\/spec: must NOT have additional properties \(node\)/ },
];

t.test('malformed objects are refused, each for its own fault', async (t) => {
  for (const c of MALFORMED) {
    const obj = structuredClone(base(c.kind, c.apiVersion));
    t.same(problemsOf(obj), [], `${c.why}: the unbroken object is valid`);
    c.edit((obj['spec'] ?? {}) as Spec, obj);
    const problems = problemsOf(obj);
    t.match(problems.join('\n'), c.error, `${c.kind} ${c.why}: ${problems.join('; ')}`);
  }
});

t.test('fields fixed at creation cannot change (transition rules)', async (t) => {
  const peer = base('BGPPeer', 'metallb.io/v1beta2');
  const flipped = structuredClone(peer);
  (flipped['spec'] as Spec)['enableGracefulRestart'] = false;
  t.same(problemsOf(flipped), [], 'a new object may have either value');
  t.match(problemsOf(flipped, peer).join('\n'), /enableGracefulRestart cannot be changed/);
  t.same(problemsOf(peer, peer), [], 'an unchanged update passes');
  const l2 = base('ServiceL2Status');
  const moved = structuredClone(l2);
  (moved['status'] as Spec)['node'] = 'node-2';
  t.match(problemsOf(moved, l2).join('\n'), /node is immutable/);
});

t.test("defaults are MetalLB's, and objects relying on them are valid", async (t) => {
  const pool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p' }, spec: { addresses: ['192.0.2.0/24'] } };
  t.same(problemsOf(pool as Manifest), []);
  const peer = { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'p' }, spec: { myASN: 64500, peerASN: 64501, peerAddress: '198.51.100.1' } };
  t.same(problemsOf(peer as Manifest), []);
  const find = (kind: string, version: string, field: string): unknown => {
    const crd = crds.find((c) => c.spec.names.kind === kind);
    const spec = (crd?.spec.versions.find((v) => v.name === version)?.schema.openAPIV3Schema['properties'] as Record<string, { properties: Record<string, { default?: unknown }> }>)['spec'];
    return spec?.properties[field]?.default;
  };
  t.same(
    [find('IPAddressPool', 'v1beta1', 'autoAssign'), find('IPAddressPool', 'v1beta1', 'avoidBuggyIPs'), find('BGPAdvertisement', 'v1beta1', 'aggregationLength'), find('BGPAdvertisement', 'v1beta1', 'aggregationLengthV6'), find('BGPPeer', 'v1beta2', 'peerPort')],
    [true, false, 32, 128, 179],
  );
});
