// Front end for MetalLB's legacy ConfigMap format (the `config` key of the
// metallb-system/config ConfigMap, MetalLB <= 0.12). It becomes the same
// drafts as the CRDs, the way MetalLB's own configmaptocrs tool converts it:
// a layer2 pool gets an L2Advertisement `l2advertisement<N>` naming it; a bgp
// pool gets one BGPAdvertisement `bgpadvertisement<N>` per entry of its
// bgp-advertisements (or one with defaults when there are none); peers are
// named `peer<N>`; N counts from 1 in file order. Unknown keys are errors, as
// with MetalLB's strict YAML decoding.

import { parseCommunity } from './community.js';
import { bfdFields, checkPeerFields, readAddress, refList } from './crd.js';
import { DEFAULT_HOLD_TIME_MS, parseAddresses, readASN, readDuration, resolveTimers } from './drafts.js';
import type { Drafts, Named } from './drafts.js';
import type { ObjectRef } from './model.js';
import { asObj, at, checkKeys, idx, readBool, readInt, readList, readString, readStringList } from './reader.js';
import type { Obj , Issues} from './reader.js';
import { LEGACY_SELECTOR, parseSelectorList } from './selector.js';
import { parseYamlDocuments } from './yaml.js';

const TOP_KEYS = ['peers', 'bgp-communities', 'address-pools', 'bfd-profiles'];

/** Parses the YAML text of a legacy config; YAML syntax errors are reported with their line. */
export function parseLegacyYaml(issues: Issues, text: string, path = ''): unknown {
  const docs = parseYamlDocuments(text);
  const [doc] = docs;
  const problem = docs.length > 1 ? 'more than one YAML document' : doc?.errors[0]?.message.split('\n')[0];
  if (problem !== undefined) {
    issues.add(path, 'parse-error', `not valid YAML: ${problem}`);
    return undefined;
  }
  return doc ? (doc.toJS() as unknown) : null;
}

/** True when a plain object looks like a bare legacy config: no kind, and a key of that format. */
export function looksLikeLegacyConfig(o: unknown): boolean {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
  const keys = Object.keys(o);
  return !keys.includes('kind') && !keys.includes('apiVersion') && keys.some((k) => TOP_KEYS.includes(k));
}

/** Reads a decoded legacy config into `drafts`. `ref` names the ConfigMap it came from (if any). */
export function addLegacyConfig(issues: Issues, drafts: Drafts, raw: unknown, ref: ObjectRef): void {
  if (raw === undefined || raw === null) return;
  const cfg = asObj(issues, raw, '');
  if (!cfg) return;
  checkKeys(issues, cfg, TOP_KEYS, '');
  legacyBFD(issues, drafts, cfg, ref);
  legacyPeers(issues, drafts, cfg, ref);
  legacyCommunities(issues, drafts, cfg, ref);
  legacyPools(issues, drafts, cfg, ref);
}

function named(name: string, ref: ObjectRef, path: string, namePath: string): Named {
  return { name, ref, path, namePath };
}

function legacyBFD(issues: Issues, drafts: Drafts, cfg: Obj, ref: ObjectRef): void {
  const keys = {
    receiveInterval: 'receive-interval',
    transmitInterval: 'transmit-interval',
    detectMultiplier: 'detect-multiplier',
    echoInterval: 'echo-interval',
    echoMode: 'echo-mode',
    passiveMode: 'passive-mode',
    minimumTtl: 'minimum-ttl',
  };
  readList(issues, cfg, 'bfd-profiles', '').forEach((raw, i) => {
    const p = idx('bfd-profiles', i);
    const o = asObj(issues, raw, p);
    if (!o) return;
    checkKeys(issues, o, ['name', ...Object.values(keys)], p);
    const name = readString(issues, o, 'name', p);
    const fields = bfdFields(issues, o, p, keys);
    if (!name) {
      issues.add(at(p, 'name'), 'missing-field', 'name is required');
      return;
    }
    drafts.bfd.push({ ...named(name, ref, p, at(p, 'name')), profile: { name, ref, ...fields } });
  });
}

const LEGACY_PEER_KEYS = [
  'my-asn',
  'peer-asn',
  'peer-address',
  'source-address',
  'peer-port',
  'hold-time',
  'keepalive-time',
  'router-id',
  'node-selectors',
  'password',
  'bfd-profile',
  'ebgp-multihop',
];

function legacyPeers(issues: Issues, drafts: Drafts, cfg: Obj, ref: ObjectRef): void {
  readList(issues, cfg, 'peers', '').forEach((raw, i) => {
    const p = idx('peers', i);
    const o = asObj(issues, raw, p);
    if (!o) return;
    checkKeys(issues, o, LEGACY_PEER_KEYS, p);
    const myASN = readASN(issues, o, 'my-asn', p);
    const peerASN = readASN(issues, o, 'peer-asn', p);
    const peerAddress = readAddress(issues, o, 'peer-address', p);
    const ebgpMultiHop = readBool(issues, o, 'ebgp-multihop', p) ?? false;
    const passwordRaw = readString(issues, o, 'password', p);
    const password = passwordRaw === '' ? undefined : passwordRaw;
    const fieldsOk = checkPeerFields(
      issues,
      { myASN, peerASN, dynamicASN: undefined, peerAddress, iface: undefined, ebgpMultiHop, password, passwordSecretName: undefined },
      o,
      p,
      { myASN: 'my-asn', peerASN: 'peer-asn', peerAddress: 'peer-address', ebgpMultiHop: 'ebgp-multihop', password: 'password' },
    );
    // The legacy parser truncates both timers to whole seconds.
    const hold = readDuration(issues, o, 'hold-time', p);
    const keepalive = readDuration(issues, o, 'keepalive-time', p);
    const whole = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.trunc(ms / 1000) * 1000);
    const timers = resolveTimers(issues, whole(hold) ?? DEFAULT_HOLD_TIME_MS, whole(keepalive), at(p, 'hold-time'), at(p, 'keepalive-time'));
    const port = readInt(issues, o, 'peer-port', p, 0, 65535);
    const nodeSelectors = parseSelectorList(issues, o, 'node-selectors', p, LEGACY_SELECTOR);
    const routerID = readAddress(issues, o, 'router-id', p, 4);
    const sourceAddress = readAddress(issues, o, 'source-address', p);
    const bfd = readString(issues, o, 'bfd-profile', p);
    const name = `peer${i + 1}`;
    const bfdProfile = bfd === '' ? undefined : bfd;
    const bfdProfilePath = at(p, 'bfd-profile');
    if (!fieldsOk || !timers || myASN === undefined) {
      drafts.peers.push({ ...named(name, ref, p, p), bfdProfile, bfdProfilePath, peer: undefined });
      return;
    }
    drafts.peers.push({
      ...named(name, ref, p, p),
      bfdProfile,
      bfdProfilePath,
      peer: {
        name,
        ref,
        myASN,
        peerASN,
        dynamicASN: undefined,
        localASN: undefined,
        peerAddress,
        interface: undefined,
        sourceAddress,
        peerPort: port === undefined || port === 0 ? 179 : port,
        holdTime: timers.holdTime,
        keepaliveTime: timers.keepaliveTime,
        connectTime: undefined,
        routerID,
        nodeSelectors,
        password,
        passwordSecret: undefined,
        bfdProfile,
        ebgpMultiHop,
        vrf: undefined,
        enableGracefulRestart: false,
        disableMP: false,
        dualStackAddressFamily: false,
      },
    });
  });
}

function legacyCommunities(issues: Issues, drafts: Drafts, cfg: Obj, ref: ObjectRef): void {
  const m = asObj(issues, cfg['bgp-communities'], 'bgp-communities');
  if (!m) return;
  for (const [name, v] of Object.entries(m)) {
    const p = at('bgp-communities', name);
    if (typeof v !== 'string') {
      issues.add(p, 'wrong-type', `expected a community string like "65535:65282", got ${JSON.stringify(v)}`);
      continue;
    }
    const c = parseCommunity(v);
    if (!c.ok) issues.add(p, 'invalid-community', c.reason);
    else drafts.communities.push({ ...named(name, ref, p, p), value: c.community });
  }
}

const LEGACY_POOL_KEYS = ['name', 'protocol', 'addresses', 'auto-assign', 'avoid-buggy-ips', 'bgp-advertisements'];
const LEGACY_ADV_KEYS = ['aggregation-length', 'aggregation-length-v6', 'localpref', 'communities'];

function legacyPools(issues: Issues, drafts: Drafts, cfg: Obj, ref: ObjectRef): void {
  let l2Count = 0;
  let bgpCount = 0;
  readList(issues, cfg, 'address-pools', '').forEach((raw, i) => {
    const p = idx('address-pools', i);
    const o = asObj(issues, raw, p);
    if (!o) return;
    checkKeys(issues, o, LEGACY_POOL_KEYS, p);
    const name = readString(issues, o, 'name', p);
    const protocol = readString(issues, o, 'protocol', p);
    const addresses = readStringList(issues, o, 'addresses', p);
    const ranges = parseAddresses(issues, addresses, p, 'addresses');
    const autoAssign = readBool(issues, o, 'auto-assign', p) ?? true;
    const avoidBuggyIPs = readBool(issues, o, 'avoid-buggy-ips', p) ?? false;
    const advs = readList(issues, o, 'bgp-advertisements', p);
    if (protocol === undefined) issues.add(at(p, 'protocol'), 'missing-field', 'protocol is required (layer2 or bgp)');
    else if (protocol !== 'layer2' && protocol !== 'bgp') {
      issues.add(at(p, 'protocol'), 'invalid-value', `${JSON.stringify(protocol)} is not layer2 or bgp`);
    } else if (protocol === 'layer2' && advs.length > 0) {
      issues.add(at(p, 'bgp-advertisements'), 'conflicting-fields', 'a layer2 pool cannot have bgp-advertisements');
    }
    if (!name) {
      issues.add(at(p, 'name'), 'missing-field', 'name is required');
      return;
    }
    drafts.pools.push({ ...named(name, ref, p, at(p, 'name')), labels: {}, addresses, ranges, autoAssign, avoidBuggyIPs, serviceAllocation: undefined });
    const poolRef = { names: [name], paths: [at(p, 'name')] };
    if (protocol === 'layer2') {
      const advName = `l2advertisement${++l2Count}`;
      drafts.l2.push({
        ...named(advName, ref, p, p),
        ipAddressPools: poolRef,
        ipAddressPoolSelectors: [],
        nodeSelectors: [],
        interfaces: [],
        serviceSelectors: [],
      });
    }
    if (protocol !== 'bgp') return;
    const entries = advs.length > 0 ? advs : [{}];
    entries.forEach((rawAdv, j) => {
      const ap = advs.length > 0 ? idx(at(p, 'bgp-advertisements'), j) : p;
      const a = asObj(issues, rawAdv, ap);
      if (!a) return;
      checkKeys(issues, a, LEGACY_ADV_KEYS, ap);
      const localPref = readInt(issues, a, 'localpref', ap, 0, 4294967295);
      drafts.bgpAdvs.push({
        ...named(`bgpadvertisement${++bgpCount}`, ref, ap, ap),
        aggregationLength: readInt(issues, a, 'aggregation-length', ap, 1, 32) ?? 32,
        aggregationLengthPath: at(ap, 'aggregation-length'),
        aggregationLengthV6: readInt(issues, a, 'aggregation-length-v6', ap, 0, 128) ?? 128,
        aggregationLengthV6Path: at(ap, 'aggregation-length-v6'),
        localPref: localPref === 0 ? undefined : localPref,
        communities: refList(issues, a, 'communities', ap),
        ipAddressPools: poolRef,
        ipAddressPoolSelectors: [],
        nodeSelectors: [],
        peers: { names: [], paths: [] },
        serviceSelectors: [],
      });
    });
  });
}
