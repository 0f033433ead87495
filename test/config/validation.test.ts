import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { formatConfigError, parseLegacyConfig, parseObjects } from '../../src/config/index.js';
import type { ParseResult } from '../../src/config/index.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), 'utf8');
const lines = (r: ParseResult): string[] => (r.ok ? [] : r.errors.map(formatConfigError));

t.test('an invalid legacy config reports every error with its path, and no model', async (t) => {
  const r = parseLegacyConfig(fixture('invalid-legacy.yaml'));
  t.equal(r.ok, false);
  t.notOk('config' in r, 'never a partial model');
  t.same(lines(r), [
    'extra-key: unknown field "extra-key"',
    'peers[0].peer-asn: 4294967296 is not an AS number (1 to 4294967295)',
    'peers[0].my-asn: 0 is not a valid local AS number',
    'peers[0].hold-time: hold time 2s must be 0 or at least 3s',
    'peers[1].peer-address: "203.0.113.2%eth0": zone identifiers are not allowed',
    'peers[1].hold-time: "90" is not a duration: expected a number followed by a unit (ns, us, ms, s, m, h)',
    'peers[2].keepalive-time: keepalive time 60s is longer than the hold time 30s',
    'bgp-communities.bad: "1:2:3" is not a community (want 65535:65282 or large:1:2:3)',
    'address-pools[0].addresses[1]: "10.0.0.300/24" is not an IP range: "10.0.0.300": not an IP address',
    'address-pools[0].addresses[2]: "192.0.2.200-192.0.2.150" is reversed: 192.0.2.200 is after 192.0.2.150',
    'address-pools[0].addresses[3]: "192.0.2.200-2001:db8::1" mixes IPv4 and IPv6',
    'address-pools[2].addresses: a pool needs at least one address range',
    'address-pools[2].protocol: "magic" is not layer2 or bgp',
    'address-pools[2].name: IPAddressPool name "a" is already used by address-pools[0]',
    'address-pools[0].addresses[4]: "192.0.2.100/30" overlaps "192.0.2.0/25" of another entry of the same pool (address-pools[0].addresses[0])',
    'address-pools[1].addresses[0]: "192.0.2.96/27" overlaps "192.0.2.0/25" of pool "a" (address-pools[0].addresses[0])',
    'address-pools[1].bgp-advertisements[0].aggregation-length: aggregation-length 16 is shorter than the /27 prefix of "192.0.2.96/27" in pool "b"',
    'address-pools[1].bgp-advertisements[0].communities[0]: "nope" is neither a community (65535:65282, large:1:2:3) nor the name of a Community alias',
    'address-pools[1].bgp-advertisements[0].communities[1]: "65536:1" is not a community: each half must be 0 to 65535',
    'address-pools[1].bgp-advertisements[0].communities[2]: "large:1:2" is neither a community (65535:65282, large:1:2:3) nor the name of a Community alias',
    'peers[1].bfd-profile: BFDProfile "missing" does not exist',
  ]);
});

t.test('invalid CRDs report every error with kind, namespace/name and field path', async (t) => {
  const r = parseObjects(parseAllDocuments(fixture('invalid-crds.yaml')).map((d) => d.toJS() as unknown));
  t.same(lines(r), [
    'IPAddressPool default/pool-a spec.addresses[2]: "198.51.100.300/24" is not an IP range: "198.51.100.300": not an IP address',
    'IPAddressPool default/pool-a spec.autoAssign: expected true or false, got a string ("yes")',
    'IPAddressPool default/pool-b spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].operator: operator "Like" is not one of In, NotIn, Exists, DoesNotExist',
    'BGPAdvertisement default/adv spec.aggregationLength: 33 is out of range 1 to 32',
    'BGPPeer default/peer-a spec.peerASN: 4294967296 is not an AS number (1 to 4294967295)',
    'BGPPeer default/peer-a spec.holdTime: expected a duration string like "90s", got 90',
    'BGPPeer default/peer-a spec.keepaliveTime: "1h2x" is not a duration: unknown unit "x" (use ns, us, ms, s, m, h)',
    'BGPPeer default/peer-b spec.timeout: unknown field "timeout"',
    'BGPPeer default/peer-b spec.keepaliveTime: keepalive time 20s is longer than the hold time 10s',
    'BGPPeer default/peer-b spec.connectTime: connect time must be a whole number of seconds from 1s to 65535s, got 1.5s',
    'BGPPeer default/peer-c spec.holdTime: hold time 2s must be 0 or at least 3s',
    'IPAddressPool other/pool-a metadata.name: IPAddressPool name "pool-a" is already used by IPAddressPool default/pool-a',
    'IPAddressPool default/pool-a spec.addresses[1]: "198.51.100.10-198.51.100.20" overlaps "198.51.100.0/24" of another entry of the same pool (IPAddressPool default/pool-a spec.addresses[0])',
    'IPAddressPool default/pool-b spec.addresses[0]: "198.51.100.128/25" overlaps "198.51.100.0/24" of pool "pool-a" (IPAddressPool default/pool-a spec.addresses[0])',
    'IPAddressPool default/pool-b spec.addresses[2]: "2001:db8::8000:0:0:0/66" overlaps "2001:db8::/64" of another entry of the same pool (IPAddressPool default/pool-b spec.addresses[1])',
    'BGPAdvertisement default/adv spec.ipAddressPools[1]: IPAddressPool "pool-z" does not exist',
    'BGPAdvertisement default/adv spec.peers[0]: BGPPeer "peer-zz" does not exist',
    'BGPAdvertisement default/adv spec.communities[0]: "missing-alias" is neither a community (65535:65282, large:1:2:3) nor the name of a Community alias',
    'BGPAdvertisement default/adv spec.communities[1]: "1:70000" is not a community: each half must be 0 to 65535',
    'BGPPeer default/peer-a spec.bfdProfile: BFDProfile "nope" does not exist',
    'BGPPeer default/peer-b spec.bfdProfile: BFDProfile "nope" does not exist',
  ]);
  t.same(
    r.ok ? [] : [...new Set(r.errors.map((e) => e.code))].sort(),
    ['duplicate-name', 'invalid-asn', 'invalid-community', 'invalid-duration', 'invalid-range', 'invalid-selector', 'invalid-timers', 'invalid-value', 'overlapping-ranges', 'unknown-field', 'unknown-reference', 'wrong-type'],
    'stable codes',
  );
});

// Small CRD builders for the table below.
const meta = (name: string) => ({ name, namespace: 'ns' });
const pool = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: meta(name), spec });
const peer = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'metallb.io/v1beta2',
  kind: 'BGPPeer',
  metadata: meta(name),
  spec: { myASN: 64500, peerASN: 64501, peerAddress: '203.0.113.1', ...spec },
});
const adv = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: meta(name), spec });
const bfd = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'BFDProfile', metadata: meta(name), spec });

const cases: [string, unknown[], string[]][] = [
  ['host bits set are accepted (MetalLB: net.ParseCIDR masks them)', [pool('p', { addresses: ['198.51.100.77/24'] })], []],
  ['IPv4-mapped IPv6 is refused', [pool('p', { addresses: ['::ffff:198.51.100.0/120'] })], [
    'IPAddressPool ns/p spec.addresses[0]: "::ffff:198.51.100.0/120" is not an IP range: "::ffff:198.51.100.0": IPv4-mapped IPv6 addresses are not allowed, write the IPv4 address',
  ]],
  ['zone ids are refused in ranges', [pool('p', { addresses: ['fe80::1%eth0-fe80::9'] })], [
    'IPAddressPool ns/p spec.addresses[0]: "fe80::1%eth0-fe80::9" is not an IP range: start "fe80::1%eth0": zone identifiers are not allowed',
  ]],
  ['a pool without addresses', [pool('p', {})], ['IPAddressPool ns/p spec.addresses: a pool needs at least one address range']],
  ['an IPv6 /0 and an IPv4 /0 coexist', [pool('p', { addresses: ['::/0', '0.0.0.0/0'] })], []],
  ['adjacent ranges do not overlap', [pool('p', { addresses: ['198.51.100.0/25', '198.51.100.128-198.51.100.255'] })], []],
  ['hold time 0 disables keepalives and is valid', [peer('a', { holdTime: '0s' })], []],
  ['keepalive equal to hold time is valid', [peer('a', { holdTime: '30s', keepaliveTime: '30s' })], []],
  ['ASN 0 is refused', [peer('a', { myASN: 0 })], ['BGPPeer ns/a spec.myASN: 0 is not a valid local AS number']],
  ['peerASN 0 without dynamicASN is refused', [peer('a', { peerASN: 0 })], ['BGPPeer ns/a spec.peerASN: 0 is not a valid peer AS number']],
  ['peerASN and dynamicASN together', [peer('a', { dynamicASN: 'external' })], ['BGPPeer ns/a spec.dynamicASN: set either peerASN or dynamicASN, not both']],
  ['a bad dynamicASN', [peer('a', { peerASN: 0, dynamicASN: 'sideways' })], [
    'BGPPeer ns/a spec.dynamicASN: "sideways" is not internal or external',
  ]],
  ['peerAddress and interface together', [peer('a', { interface: 'eth0' })], ['BGPPeer ns/a spec.interface: set either peerAddress or interface, not both']],
  ['neither peerAddress nor interface', [peer('a', { peerAddress: '' })], ['BGPPeer ns/a spec.peerAddress: peerAddress (or interface) is required']],
  ['password and passwordSecret together', [peer('a', { password: 'x', passwordSecret: { name: 's' } })], [
    'BGPPeer ns/a spec.passwordSecret: set either password or passwordSecret, not both',
  ]],
  ['ebgpMultiHop on an iBGP session', [peer('a', { peerASN: 64500, ebgpMultiHop: true })], [
    'BGPPeer ns/a spec.ebgpMultiHop: ebgpMultiHop is set but the peer is iBGP (same AS 64500)',
  ]],
  ['routerID must be IPv4', [peer('a', { routerID: '2001:db8::1' })], ['BGPPeer ns/a spec.routerID: "2001:db8::1" is not an IPv4 address']],
  ['v1beta2-only fields on a v1beta1 peer', [{ ...peer('a', { vrf: 'red' }), apiVersion: 'metallb.io/v1beta1' }], ['BGPPeer ns/a spec.vrf: unknown field "vrf"']],
  ['BFD values out of range', [bfd('b', { receiveInterval: 5, detectMultiplier: 256, minimumTtl: 0 })], [
    'BFDProfile ns/b spec.receiveInterval: 5 is out of range 10 to 60000',
    'BFDProfile ns/b spec.detectMultiplier: 256 is out of range 2 to 255',
    'BFDProfile ns/b spec.minimumTtl: 0 is out of range 1 to 254',
  ]],
  ['BFD echo mode with an IPv6 pool advertised to that peer', [
    pool('p', { addresses: ['2001:db8::/120'] }),
    bfd('echo', { echoMode: true }),
    peer('a', { bfdProfile: 'echo' }),
    adv('v6', {}),
  ], ['BGPAdvertisement ns/v6: pool "p" has IPv6 addresses but BGPPeer "a" uses BFD profile "echo" with echo mode, which IPv6 does not support']],
  ['conflicting localPref for the same prefixes', [
    pool('p', { addresses: ['198.51.100.0/24'] }),
    adv('one', { localPref: 100 }),
    adv('two', { localPref: 200 }),
  ], ['BGPAdvertisement ns/two: localPref 200 conflicts with localPref 100 of BGPAdvertisement ns/one for the same prefixes of pool "p"']],
  ['different localPref is fine with different aggregation', [
    pool('p', { addresses: ['198.51.100.0/24'] }),
    adv('one', { localPref: 100 }),
    adv('two', { localPref: 200, aggregationLength: 24 }),
  ], []],
  ['serviceSelectors exclude aggregation', [pool('p', { addresses: ['198.51.100.0/24'] }), adv('one', { aggregationLength: 24, serviceSelectors: [{ matchLabels: { a: 'b' } }] })], [
    'BGPAdvertisement ns/one spec.aggregationLength: serviceSelectors can only be used with aggregationLength 32',
  ]],
  ['duplicate community alias names across Community objects', [
    { apiVersion: 'metallb.io/v1beta1', kind: 'Community', metadata: meta('c1'), spec: { communities: [{ name: 'x', value: '1:1' }] } },
    { apiVersion: 'metallb.io/v1beta1', kind: 'Community', metadata: meta('c2'), spec: { communities: [{ name: 'x', value: 'large:1:1:1' }] } },
  ], ['Community ns/c2 spec.communities[0].name: Community alias name "x" is already used by Community ns/c1 spec.communities[0]']],
  ['selector syntax', [
    { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: meta('l2'), spec: { nodeSelectors: [{ matchLabels: { 'bad key!': 'v' } }, { matchExpressions: [{ key: 'k', operator: 'In', values: [] }, { key: 'k', operator: 'Exists', values: ['v'] }] }] } },
  ], [
    'L2Advertisement ns/l2 spec.nodeSelectors[0].matchLabels["bad key!"]: label key "bad key!" is invalid (1-63 characters [A-Za-z0-9-_.], alphanumeric at both ends)',
    'L2Advertisement ns/l2 spec.nodeSelectors[1].matchExpressions[0].values: operator In needs at least one value',
    'L2Advertisement ns/l2 spec.nodeSelectors[1].matchExpressions[1].values: operator Exists takes no values',
  ]],
  ['duplicate selectors and list entries', [
    pool('p', { addresses: ['198.51.100.0/24'] }),
    { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: meta('l2'), spec: { ipAddressPools: ['p', 'p'], nodeSelectors: [{ matchLabels: { a: 'b' } }, { matchLabels: { a: 'b' } }] } },
  ], [
    'L2Advertisement ns/l2 spec.ipAddressPools[1]: "p" is listed twice',
    'L2Advertisement ns/l2 spec.nodeSelectors[1]: selector "a=b" repeats nodeSelectors[0]',
  ]],
  ['unknown kinds and versions', [{ apiVersion: 'metallb.io/v1beta1', kind: 'BGPPeerz', metadata: meta('x') }, { apiVersion: 'metallb.io/v2', kind: 'IPAddressPool', metadata: meta('y') }], [
    'BGPPeerz ns/x: "BGPPeerz" is not a kind shoal reads (IPAddressPool, L2Advertisement, BGPAdvertisement, BGPPeer, Community, BFDProfile)',
    'IPAddressPool ns/y.apiVersion: "metallb.io/v2" is not a supported version of IPAddressPool (metallb.io/v1beta1)',
  ]],
];

t.test('validation table', async (t) => {
  for (const [name, objs, want] of cases) {
    const r = parseObjects(objs);
    t.same(lines(r), want, name);
    t.equal(r.ok, want.length === 0, `${name}: ok iff no errors`);
  }
});

t.test('legacy-only rules', async (t) => {
  const r = parseLegacyConfig(`address-pools:
- name: l2
  protocol: layer2
  addresses: [198.51.100.0/24]
  bgp-advertisements: [{localpref: 1}]
- name: none
  addresses: [203.0.113.0/24]
`);
  t.same(lines(r), ['address-pools[0].bgp-advertisements: a layer2 pool cannot have bgp-advertisements', 'address-pools[1].protocol: protocol is required (layer2 or bgp)']);
  const yamlError = parseLegacyConfig('address-pools: [');
  t.equal(lines(yamlError).length, 1);
  t.match(lines(yamlError)[0], /^not valid YAML: Flow sequence .* at line 1, column 17/);
  t.equal(yamlError.ok || yamlError.errors[0]?.code, 'parse-error');
});
