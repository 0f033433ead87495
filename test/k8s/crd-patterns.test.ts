// The CRDs' patterns against shoal's own parsers (src/config, src/alloc):
// the schema must never refuse what shoal would accept (an object that works
// must apply), and what it refuses, shoal refuses too. The patterns are read
// from the CRD files, so a copy gone wrong in one field is caught there.
import fc from 'fast-check';
import t from 'tap';
import { parseIPDetailed, parseRange } from '../../src/net/index.js';
import { parseCommunity } from '../../src/config/community.js';
import { parseGoDuration } from '../../src/config/duration.js';
import { labelKeyProblem, labelValueProblem } from '../../src/config/selector.js';
import type { Crd, Schema } from './support/crd-schema.js';
import { readYaml, yamlFiles } from './support/manifests.js';

const crds = yamlFiles('k8s/crds').flatMap((f) => readYaml(f)) as unknown as Crd[];

/** The schema node at a dotted path below spec (`[]` steps into items, `{}` into additionalProperties). */
function node(kind: string, version: string, path: string): Schema {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  let cur = crd?.spec.versions.find((v) => v.name === version)?.schema.openAPIV3Schema as Schema | undefined;
  for (const step of `spec.${path}`.split('.')) {
    const m = /^([^[{]*)((?:\[\]|\{\})*)$/.exec(step);
    cur = (cur?.['properties'] as Record<string, Schema> | undefined)?.[m?.[1] ?? ''];
    for (const hop of (m?.[2] ?? '').match(/\[\]|\{\}/g) ?? []) cur = cur?.[hop === '[]' ? 'items' : 'additionalProperties'] as Schema | undefined;
  }
  if (!cur) throw new Error(`no schema at ${kind} ${version} spec.${path}`);
  return cur;
}

function pattern(kind: string, version: string, path: string): RegExp {
  const p = node(kind, version, path)['pattern'];
  if (typeof p !== 'string') throw new Error(`no pattern at ${kind} ${version} spec.${path}`);
  return new RegExp(p, 'u');
}

/** Every field that holds an IP address, with whether it may be empty and which families it takes. */
const IP_FIELDS: [string, string, string, 'any' | 'v4'][] = [
  ['BGPPeer', 'v1beta2', 'peerAddress', 'any'],
  ['BGPPeer', 'v1beta2', 'sourceAddress', 'any'],
  ['BGPPeer', 'v1beta2', 'routerID', 'v4'],
  ['BGPPeer', 'v1beta1', 'peerAddress', 'any'],
  ['BGPPeer', 'v1beta1', 'sourceAddress', 'any'],
  ['BGPPeer', 'v1beta1', 'routerID', 'v4'],
];

// Strings made of address characters: mostly near misses of real addresses.
const addressLike = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'), maxLength: 45 });
// IPv4-mapped addresses are valid IPv6 text (Go parses them) that shoal refuses
// with its own message; the schema lets them through to that message.
const isMapped = (s: string): boolean => /^::ffff:/i.test(s) && s.includes('.');
const validIPs = fc.oneof(fc.ipV4(), fc.ipV6());

t.test('address fields: the pattern accepts exactly what shoal parses as an address', async (t) => {
  for (const [kind, version, field, family] of IP_FIELDS) {
    const re = pattern(kind, version, field);
    const shoal = (s: string): boolean => {
      const r = parseIPDetailed(s);
      return r.ok && (family === 'any' || r.ip.family === 4);
    };
    fc.assert(fc.property(fc.oneof(validIPs, addressLike), (s) => s === '' || isMapped(s) || re.test(s) === shoal(s)), { numRuns: 3000 });
    t.ok(re.test('192.0.2.1'), `${kind} ${version} ${field}: IPv4`);
    t.equal(re.test('2001:db8::1'), family === 'any', `${kind} ${version} ${field}: IPv6`);
    t.equal(re.test(''), version === 'v1beta2' || field !== 'peerAddress', `${kind} ${version} ${field}: empty means unset, except for v1beta1's required peerAddress`);
    for (const bad of ['192.0.2.1 ', '192.0.2.01', 'fe80::1%eth0', '2001:db8::1/64', 'localhost', '1.2.3']) t.notOk(re.test(bad), `${field} refuses ${JSON.stringify(bad)}`);
  }
});

t.test('IPAddressPool addresses: the pattern accepts every CIDR and range shoal accepts', async (t) => {
  const re = pattern('IPAddressPool', 'v1beta1', 'addresses[]');
  const prefix = fc.oneof(
    fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, n]) => `${a}/${n}`),
    fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, n]) => `${a}/${n}`),
  );
  const spaces = fc.constantFrom('', ' ', '  ', '\t');
  const range = fc.oneof(fc.tuple(fc.ipV4(), fc.ipV4()), fc.tuple(fc.ipV6(), fc.ipV6()), fc.tuple(fc.ipV4(), fc.ipV6()));
  const ranged = fc.tuple(range, spaces, spaces).map(([[a, b], s1, s2]) => `${s1}${a}${s2}-${s1}${b}${s2}`);
  fc.assert(
    fc.property(fc.oneof(prefix, ranged, addressLike), (s) => {
      const r = parseRange(s);
      // Reversed ranges are syntax the schema cannot order; shoal reports them.
      const syntaxOk = r.ok || (!r.ok && r.code === 'reversed-range');
      return isMapped(s) || s.split('-').some(isMapped) || syntaxOk === re.test(s);
    }),
    { numRuns: 3000 },
  );
  for (const bad of ['192.0.2.0/33', '2001:db8::/129', '192.0.2.0/024', '192.0.2.1', '192.0.2.1-2001:db8::1', '192.0.2.0/24,198.51.100.0/24', ' 192.0.2.0/24']) {
    t.notOk(re.test(bad), `refuses ${JSON.stringify(bad)}`);
    t.notOk(parseRange(bad).ok, `shoal refuses ${JSON.stringify(bad)} as well`);
  }
});

t.test('durations: the pattern accepts every non-negative Go duration shoal parses', async (t) => {
  const fields: [string, string][] = [['v1beta2', 'holdTime'], ['v1beta2', 'keepaliveTime'], ['v1beta2', 'connectTime'], ['v1beta1', 'holdTime'], ['v1beta1', 'keepaliveTime']];
  const unit = fc.constantFrom('ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h');
  const num = fc.oneof(fc.nat({ max: 999 }).map(String), fc.tuple(fc.nat({ max: 99 }), fc.nat({ max: 999 })).map(([a, b]) => `${a}.${b}`), fc.nat({ max: 9 }).map((b) => `.${b}`));
  const duration = fc.array(fc.tuple(num, unit).map(([n, u]) => n + u), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''));
  const junk = fc.string({ unit: fc.constantFrom(...'0123456789.smhnu+- '), maxLength: 8 });
  for (const [version, field] of fields) {
    const re = pattern('BGPPeer', version, field);
    fc.assert(
      fc.property(fc.oneof(duration, junk), (s) => {
        const r = parseGoDuration(s);
        // Beyond 2^63 ns (about 2.5 million hours) Go and shoal refuse a
        // duration the pattern cannot tell from a shorter one.
        if (!r.ok && /out of range/.test(r.reason)) return true;
        return re.test(s) === (r.ok && !s.startsWith('-'));
      }),
      { numRuns: 2000 },
    );
    for (const ok of ['90s', '1m30s', '0', '0s', '1.5h', '300ms']) t.ok(re.test(ok), `${version} ${field} takes ${ok}`);
    for (const bad of ['90', '-1s', '1 s', '1d', '']) t.notOk(re.test(bad), `${version} ${field} refuses ${JSON.stringify(bad)}`);
  }
});

const communityLike = fc.oneof(
  fc.tuple(fc.nat({ max: 70000 }), fc.nat({ max: 70000 })).map(([a, b]) => `${a}:${b}`),
  fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([a, b, c]) => `large:${a}:${b}:${c}`),
  fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 33n }), fc.nat()).map(([a, b]) => `large:${a}:${b}:0`),
  fc.string({ unit: fc.constantFrom(...'0123456789:largex-'), maxLength: 16 }),
);

t.test('Community values: the pattern accepts exactly the communities shoal parses', async (t) => {
  const re = pattern('Community', 'v1beta1', 'communities[].value');
  fc.assert(fc.property(communityLike, (s) => re.test(s) === parseCommunity(s).ok), { numRuns: 3000 });
  t.ok(re.test('65535:65282') && re.test('large:4294967295:0:1'));
});

t.test('BGPAdvertisement communities: a community shoal parses, or text shoal takes for an alias name', async (t) => {
  const re = pattern('BGPAdvertisement', 'v1beta1', 'communities[]');
  fc.assert(
    fc.property(communityLike, (s) => {
      const r = parseCommunity(s);
      return re.test(s) === (r.ok || (r.alias && s !== ''));
    }),
    { numRuns: 3000 },
  );
  for (const alias of ['no-export', 'vpn-only', 'NO_ADVERTISE', 'a:b:c']) t.ok(re.test(alias), `alias ${alias}`);
  for (const bad of ['65536:1', '1:2:3:4', 'large:1:2:4294967296', 'x:y']) t.notOk(re.test(bad), `refuses ${bad}`);
});

t.test('label selectors: key and value patterns match shoal’s selector parser', async (t) => {
  const key = pattern('L2Advertisement', 'v1beta1', 'nodeSelectors[].matchExpressions[].key');
  const value = pattern('L2Advertisement', 'v1beta1', 'nodeSelectors[].matchLabels{}');
  const valueMax = node('L2Advertisement', 'v1beta1', 'nodeSelectors[].matchLabels{}')['maxLength'] as number;
  const keyMax = node('L2Advertisement', 'v1beta1', 'nodeSelectors[].matchExpressions[].key')['maxLength'] as number;
  const labelish = fc.string({ unit: fc.constantFrom(...'aZ09-_./'), maxLength: 70 });
  fc.assert(fc.property(labelish, (s) => (value.test(s) && s.length <= valueMax) === (labelValueProblem(s) === undefined)), { numRuns: 3000 });
  // Keys: the pattern bounds the name part; the prefix's 253-character limit is
  // left to shoal (a regex cannot count both parts at once).
  fc.assert(fc.property(labelish.filter((s) => s.length <= 63 + 1 + 60), (s) => (key.test(s) && s.length <= keyMax) === (labelKeyProblem(s) === undefined)), { numRuns: 3000 });
  t.ok(key.test('kubernetes.io/hostname') && key.test('rack') && !key.test('/rack') && !key.test('Example.com/rack'));
});
