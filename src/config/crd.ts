// Front end for the metallb.io CRDs: plain JSON objects as the Kubernetes API
// returns them (or as YAML files hold them) -> drafts. Field names, ranges
// and defaults follow MetalLB's Go types (api/v1beta1, api/v1beta2) and its
// config.go; docs/config.md lists them.

import { familyName, formatIP, parseIPDetailed, type Family } from '../net/index.js';
import type { BGPPeer, LabelSelector, ObjectRef, ServiceAllocation } from './model.js';
import { namespacedKey } from '../kube/object-key.js';
import { parseCommunity } from './community.js';
import {
  BFD_DEFAULTS,
  parseAddresses,
  readASN,
  readDuration,
  resolveTimers,
} from './drafts.js';
import type { Drafts, Named, RefList } from './drafts.js';
import {
  asObj,
  at,
  checkKeys,
  idx,
  readBool,
  readInt,
  readList,
  readString,
  readStringList,
  readStringMap,
} from './reader.js';
import type { Obj ,
  Issues} from './reader.js';
import { parseSelectorList } from './selector.js';

export const METALLB_GROUP = 'metallb.io';

export const CRD_KINDS = ['IPAddressPool', 'L2Advertisement', 'BGPAdvertisement', 'BGPPeer', 'Community', 'BFDProfile'] as const;
export type CrdKind = (typeof CRD_KINDS)[number];

const VERSIONS: Record<CrdKind, readonly string[]> = {
  IPAddressPool: ['v1beta1'],
  L2Advertisement: ['v1beta1'],
  BGPAdvertisement: ['v1beta1'],
  BGPPeer: ['v1beta2', 'v1beta1'],
  Community: ['v1beta1'],
  BFDProfile: ['v1beta1'],
};

/** True for objects of the metallb.io group (any kind, any version). */
export function isMetalLBObject(o: unknown): boolean {
  return asPlain(o)?.apiVersion?.toString().startsWith(`${METALLB_GROUP}/`) === true;
}

function asPlain(o: unknown): Obj | undefined {
  return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Obj) : undefined;
}

/** `Kind namespace/name`, the prefix of every error path for a CRD object. */
export function objectPath(kind: string, namespace: string, name: string): string {
  return `${kind} ${namespacedKey(namespace, name)}`;
}

export function refList(issues: Issues, o: Obj, key: string, path: string): RefList {
  const names: string[] = [];
  const paths: string[] = [];
  const lp = at(path, key);
  readList(issues, o, key, path).forEach((v, i) => {
    if (typeof v !== 'string' || v === '') {
      issues.add(idx(lp, i), 'wrong-type', `expected a name, got ${JSON.stringify(v)}`);
    } else if (names.includes(v)) {
      issues.add(idx(lp, i), 'duplicate-entry', `${JSON.stringify(v)} is listed twice`);
    } else {
      names.push(v);
      paths.push(idx(lp, i));
    }
  });
  return { names, paths };
}

/** Reads one metallb.io object into `drafts`. `fallbackPath` names it when it has no usable name. */
export function addCrdObject(issues: Issues, drafts: Drafts, raw: unknown, fallbackPath: string): void {
  const o = asObj(issues, raw, fallbackPath);
  if (!o) return;
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const kind = typeof o.kind === 'string' ? o.kind : '';
  const meta = asObj(issues, o.metadata, at(fallbackPath, 'metadata')) ?? {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  const path = name === '' ? `${kind || 'object'} ${fallbackPath}` : objectPath(kind, namespace, name);
  if (!(CRD_KINDS as readonly string[]).includes(kind)) {
    issues.add(path, 'unknown-kind', `${JSON.stringify(kind)} is not a kind shoal reads (${CRD_KINDS.join(', ')})`);
    return;
  }
  const k = kind as CrdKind;
  const version = apiVersion.slice(METALLB_GROUP.length + 1);
  if (!apiVersion.startsWith(`${METALLB_GROUP}/`) || !VERSIONS[k].includes(version)) {
    issues.add(at(path, 'apiVersion'), 'unknown-kind', `${JSON.stringify(apiVersion)} is not a supported version of ${k} (${VERSIONS[k].map((v) => `${METALLB_GROUP}/${v}`).join(', ')})`);
    return;
  }
  if (name === '') {
    issues.add(at(path, 'metadata.name'), 'missing-field', 'metadata.name is required');
    return;
  }
  const ref: ObjectRef = { kind: k, name, namespace };
  const specPath = `${path} spec`;
  const spec = asObj(issues, o.spec, specPath) ?? {};
  const named: Named = { name, ref, path, namePath: `${path} metadata.name` };
  switch (k) {
    case 'IPAddressPool':
      return poolFromCR(issues, drafts, named, spec, specPath, readStringMap(issues, meta, 'labels', `${path} metadata`));
    case 'L2Advertisement':
      return l2FromCR(issues, drafts, named, spec, specPath);
    case 'BGPAdvertisement':
      return bgpAdvFromCR(issues, drafts, named, spec, specPath);
    case 'BGPPeer':
      return peerFromCR(issues, drafts, named, spec, specPath, version);
    case 'Community':
      return communityFromCR(issues, drafts, named, spec, specPath);
    case 'BFDProfile':
      return bfdFromCR(issues, drafts, named, spec, specPath);
  }
}

function poolFromCR(issues: Issues, drafts: Drafts, named: Named, spec: Obj, p: string, labels: Record<string, string>): void {
  checkKeys(issues, spec, ['addresses', 'autoAssign', 'avoidBuggyIPs', 'serviceAllocation'], p);
  const addresses = readStringList(issues, spec, 'addresses', p);
  const ranges = parseAddresses(issues, addresses, p, 'addresses');
  drafts.pools.push({
    ...named,
    labels,
    addresses,
    ranges,
    autoAssign: readBool(issues, spec, 'autoAssign', p) ?? true,
    avoidBuggyIPs: readBool(issues, spec, 'avoidBuggyIPs', p) ?? false,
    serviceAllocation: serviceAllocationFromCR(issues, spec, p),
  });
}

function serviceAllocationFromCR(issues: Issues, spec: Obj, path: string): ServiceAllocation | undefined {
  const p = at(path, 'serviceAllocation');
  const sa = asObj(issues, spec.serviceAllocation, p);
  if (!sa) return undefined;
  checkKeys(issues, sa, ['priority', 'namespaces', 'namespaceSelectors', 'serviceSelectors'], p);
  return {
    priority: readInt(issues, sa, 'priority', p, 0, 2147483647) ?? 0,
    namespaces: readStringList(issues, sa, 'namespaces', p, true),
    namespaceSelectors: parseSelectorList(issues, sa, 'namespaceSelectors', p),
    serviceSelectors: parseSelectorList(issues, sa, 'serviceSelectors', p),
  };
}

function l2FromCR(issues: Issues, drafts: Drafts, named: Named, spec: Obj, p: string): void {
  checkKeys(issues, spec, ['ipAddressPools', 'ipAddressPoolSelectors', 'nodeSelectors', 'interfaces', 'serviceSelectors'], p);
  drafts.l2.push({
    ...named,
    ipAddressPools: refList(issues, spec, 'ipAddressPools', p),
    ipAddressPoolSelectors: parseSelectorList(issues, spec, 'ipAddressPoolSelectors', p),
    nodeSelectors: parseSelectorList(issues, spec, 'nodeSelectors', p),
    interfaces: readStringList(issues, spec, 'interfaces', p, true),
    serviceSelectors: parseSelectorList(issues, spec, 'serviceSelectors', p),
  });
}

function bgpAdvFromCR(issues: Issues, drafts: Drafts, named: Named, spec: Obj, p: string): void {
  checkKeys(
    issues,
    spec,
    ['aggregationLength', 'aggregationLengthV6', 'localPref', 'communities', 'ipAddressPools', 'ipAddressPoolSelectors', 'nodeSelectors', 'peers', 'serviceSelectors'],
    p,
  );
  const aggregationLength = readInt(issues, spec, 'aggregationLength', p, 1, 32);
  const aggregationLengthV6 = readInt(issues, spec, 'aggregationLengthV6', p, 0, 128);
  const serviceSelectors = parseSelectorList(issues, spec, 'serviceSelectors', p);
  if (serviceSelectors.length > 0) {
    if (aggregationLength !== undefined && aggregationLength !== 32) {
      issues.add(at(p, 'aggregationLength'), 'conflicting-fields', 'serviceSelectors can only be used with aggregationLength 32');
    }
    if (aggregationLengthV6 !== undefined && aggregationLengthV6 !== 128) {
      issues.add(at(p, 'aggregationLengthV6'), 'conflicting-fields', 'serviceSelectors can only be used with aggregationLengthV6 128');
    }
  }
  const localPref = readInt(issues, spec, 'localPref', p, 0, 4294967295);
  drafts.bgpAdvs.push({
    ...named,
    aggregationLength: aggregationLength ?? 32,
    aggregationLengthPath: at(p, 'aggregationLength'),
    aggregationLengthV6: aggregationLengthV6 ?? 128,
    aggregationLengthV6Path: at(p, 'aggregationLengthV6'),
    localPref: localPref === 0 ? undefined : localPref,
    communities: refList(issues, spec, 'communities', p),
    ipAddressPools: refList(issues, spec, 'ipAddressPools', p),
    ipAddressPoolSelectors: parseSelectorList(issues, spec, 'ipAddressPoolSelectors', p),
    nodeSelectors: parseSelectorList(issues, spec, 'nodeSelectors', p),
    peers: refList(issues, spec, 'peers', p),
    serviceSelectors,
  });
}

const PEER_KEYS_V1BETA1 = ['myASN', 'peerASN', 'peerAddress', 'sourceAddress', 'peerPort', 'holdTime', 'keepaliveTime', 'routerID', 'nodeSelectors', 'password', 'bfdProfile', 'ebgpMultiHop'];
const PEER_KEYS_V1BETA2 = [
  ...PEER_KEYS_V1BETA1,
  'localASN',
  'dynamicASN',
  'interface',
  'connectTime',
  'passwordSecret',
  'enableGracefulRestart',
  'vrf',
  'disableMP',
  'dualStackAddressFamily',
];

/** An IP address field, returned in canonical text. */
export function readAddress(issues: Issues, o: Obj, key: string, path: string, family?: Family): string | undefined {
  const s = readString(issues, o, key, path);
  if (s === undefined || s === '') return undefined;
  const r = parseIPDetailed(s);
  if (!r.ok) {
    issues.add(at(path, key), 'invalid-value', `${JSON.stringify(s)}: ${r.reason}`);
    return undefined;
  }
  if (family !== undefined && r.ip.family !== family) {
    issues.add(at(path, key), 'invalid-value', `${JSON.stringify(s)} is not an ${familyName(family)} address`);
    return undefined;
  }
  return formatIP(r.ip);
}

export interface PeerFields {
  myASN: number | undefined;
  peerASN: number | undefined;
  dynamicASN: string | undefined;
  peerAddress: string | undefined;
  iface: string | undefined;
  ebgpMultiHop: boolean;
  password: string | undefined;
  passwordSecretName: string | undefined;
}

/** The cross-field rules of MetalLB's peerFromCR, shared with the legacy front end. */
export function checkPeerFields(
  issues: Issues,
  f: PeerFields,
  raw: Obj,
  p: string,
  names: Record<'myASN' | 'peerASN' | 'peerAddress' | 'ebgpMultiHop' | 'password', string>,
): boolean {
  const before = issues.count;
  // A field that is present but was already reported as invalid is not also "required".
  const absent = (k: string): boolean => raw[k] === undefined || raw[k] === null || raw[k] === '';
  const crd = names.peerASN === 'peerASN';
  if (f.myASN === undefined) {
    if (absent(names.myASN)) issues.add(at(p, names.myASN), 'missing-field', `${names.myASN} is required`);
  } else if (f.myASN === 0) issues.add(at(p, names.myASN), 'invalid-asn', '0 is not a valid local AS number');
  const hasPeerASN = f.peerASN !== undefined && f.peerASN !== 0;
  if (hasPeerASN && f.dynamicASN !== undefined) {
    issues.add(at(p, 'dynamicASN'), 'conflicting-fields', `set either ${names.peerASN} or dynamicASN, not both`);
  } else if (!hasPeerASN && f.dynamicASN === undefined) {
    if (f.peerASN === 0) issues.add(at(p, names.peerASN), 'invalid-asn', '0 is not a valid peer AS number');
    else if (absent(names.peerASN)) issues.add(at(p, names.peerASN), 'missing-field', `${names.peerASN}${crd ? ' (or dynamicASN)' : ''} is required`);
  }
  if (f.peerAddress !== undefined && f.iface !== undefined) {
    issues.add(at(p, 'interface'), 'conflicting-fields', `set either ${names.peerAddress} or interface, not both`);
  } else if (f.peerAddress === undefined && f.iface === undefined && absent(names.peerAddress)) {
    issues.add(at(p, names.peerAddress), 'missing-field', `${names.peerAddress}${crd ? ' (or interface)' : ''} is required`);
  }
  if (f.ebgpMultiHop && hasPeerASN && f.peerASN === f.myASN) {
    issues.add(at(p, names.ebgpMultiHop), 'conflicting-fields', `${names.ebgpMultiHop} is set but the peer is iBGP (same AS ${f.myASN})`);
  }
  if (f.password !== undefined && f.passwordSecretName !== undefined) {
    issues.add(at(p, 'passwordSecret'), 'conflicting-fields', `set either ${names.password} or passwordSecret, not both`);
  }
  return issues.count === before;
}

function peerFromCR(issues: Issues, drafts: Drafts, named: Named, spec: Obj, p: string, version: string): void {
  checkKeys(issues, spec, version === 'v1beta1' ? PEER_KEYS_V1BETA1 : PEER_KEYS_V1BETA2, p);
  const myASN = readASN(issues, spec, 'myASN', p);
  const peerASN = readASN(issues, spec, 'peerASN', p);
  const localASN = readASN(issues, spec, 'localASN', p);
  const dynamicRaw = readString(issues, spec, 'dynamicASN', p);
  let dynamicASN: BGPPeer['dynamicASN'];
  if (dynamicRaw === 'internal' || dynamicRaw === 'external') dynamicASN = dynamicRaw;
  else if (dynamicRaw !== undefined && dynamicRaw !== '') {
    issues.add(at(p, 'dynamicASN'), 'invalid-value', `${JSON.stringify(dynamicRaw)} is not internal or external`);
  }
  const peerAddress = readAddress(issues, spec, 'peerAddress', p);
  const ifaceRaw = readString(issues, spec, 'interface', p);
  const iface = ifaceRaw === '' ? undefined : ifaceRaw;
  const secretObj = asObj(issues, spec.passwordSecret, at(p, 'passwordSecret'));
  let passwordSecret: BGPPeer['passwordSecret'];
  if (secretObj) {
    const sp = at(p, 'passwordSecret');
    checkKeys(issues, secretObj, ['name', 'namespace'], sp);
    const n = readString(issues, secretObj, 'name', sp);
    if (n) passwordSecret = { name: n, namespace: readString(issues, secretObj, 'namespace', sp) ?? '' };
  }
  const passwordRaw = readString(issues, spec, 'password', p);
  const password = passwordRaw === '' ? undefined : passwordRaw;
  const ebgpMultiHop = readBool(issues, spec, 'ebgpMultiHop', p) ?? false;
  const fieldsOk = checkPeerFields(
    issues,
    { myASN, peerASN, dynamicASN: dynamicRaw || undefined, peerAddress, iface, ebgpMultiHop, password, passwordSecretName: passwordSecret?.name },
    spec,
    p,
    { myASN: 'myASN', peerASN: 'peerASN', peerAddress: 'peerAddress', ebgpMultiHop: 'ebgpMultiHop', password: 'password' },
  );
  const timers = resolveTimers(
    issues,
    readDuration(issues, spec, 'holdTime', p),
    readDuration(issues, spec, 'keepaliveTime', p),
    at(p, 'holdTime'),
    at(p, 'keepaliveTime'),
  );
  const connectTime = readDuration(issues, spec, 'connectTime', p);
  if (connectTime !== undefined && (connectTime % 1000 !== 0 || connectTime < 1000 || connectTime > 65_535_000)) {
    issues.add(at(p, 'connectTime'), 'invalid-duration', `connect time must be a whole number of seconds from 1s to 65535s, got ${connectTime / 1000}s`);
  }
  const port = readInt(issues, spec, 'peerPort', p, version === 'v1beta1' ? 0 : 1, 16384);
  const nodeSelectors: LabelSelector[] = parseSelectorList(issues, spec, 'nodeSelectors', p);
  const routerID = readAddress(issues, spec, 'routerID', p, 4);
  const sourceAddress = readAddress(issues, spec, 'sourceAddress', p);
  const bfdRaw = readString(issues, spec, 'bfdProfile', p);
  const vrfRaw = readString(issues, spec, 'vrf', p);
  const bfdProfile = bfdRaw === '' ? undefined : bfdRaw;
  const bfdProfilePath = at(p, 'bfdProfile');
  if (!fieldsOk || !timers || myASN === undefined) {
    drafts.peers.push({ ...named, bfdProfile, bfdProfilePath, peer: undefined });
    return;
  }
  drafts.peers.push({
    ...named,
    bfdProfile,
    bfdProfilePath,
    peer: {
      name: named.name,
      ref: named.ref,
      myASN,
      peerASN: peerASN === 0 ? undefined : peerASN,
      dynamicASN,
      localASN: localASN === 0 ? undefined : localASN,
      peerAddress,
      interface: iface,
      sourceAddress,
      peerPort: port === undefined || port === 0 ? 179 : port,
      holdTime: timers.holdTime,
      keepaliveTime: timers.keepaliveTime,
      connectTime,
      routerID,
      nodeSelectors,
      password,
      passwordSecret,
      bfdProfile,
      ebgpMultiHop,
      vrf: vrfRaw === '' ? undefined : vrfRaw,
      enableGracefulRestart: readBool(issues, spec, 'enableGracefulRestart', p) ?? false,
      disableMP: readBool(issues, spec, 'disableMP', p) ?? false,
      dualStackAddressFamily: readBool(issues, spec, 'dualStackAddressFamily', p) ?? false,
    },
  });
}

function communityFromCR(issues: Issues, drafts: Drafts, named: Named, spec: Obj, p: string): void {
  checkKeys(issues, spec, ['communities'], p);
  const lp = at(p, 'communities');
  readList(issues, spec, 'communities', p).forEach((raw, i) => {
    const ep = idx(lp, i);
    const e = asObj(issues, raw, ep);
    if (!e) return;
    checkKeys(issues, e, ['name', 'value'], ep);
    const name = readString(issues, e, 'name', ep);
    const value = readString(issues, e, 'value', ep);
    if (!name) issues.add(at(ep, 'name'), 'missing-field', 'name is required');
    if (value === undefined) {
      issues.add(at(ep, 'value'), 'missing-field', 'value is required');
      return;
    }
    const c = parseCommunity(value);
    if (!c.ok) {
      issues.add(at(ep, 'value'), 'invalid-community', c.reason);
      return;
    }
    if (name) drafts.communities.push({ name, ref: named.ref, path: ep, namePath: at(ep, 'name'), value: c.community });
  });
}

/** Shared by both front ends: the BFD fields with MetalLB's ranges and FRR's defaults. */
export function bfdFields(issues: Issues, o: Obj, p: string, k: Record<keyof typeof BFD_DEFAULTS | 'echoMode' | 'passiveMode', string>) {
  return {
    receiveInterval: readInt(issues, o, k.receiveInterval, p, 10, 60000) ?? BFD_DEFAULTS.receiveInterval,
    transmitInterval: readInt(issues, o, k.transmitInterval, p, 10, 60000) ?? BFD_DEFAULTS.transmitInterval,
    detectMultiplier: readInt(issues, o, k.detectMultiplier, p, 2, 255) ?? BFD_DEFAULTS.detectMultiplier,
    echoInterval: readInt(issues, o, k.echoInterval, p, 10, 60000) ?? BFD_DEFAULTS.echoInterval,
    echoMode: readBool(issues, o, k.echoMode, p) ?? false,
    passiveMode: readBool(issues, o, k.passiveMode, p) ?? false,
    minimumTtl: readInt(issues, o, k.minimumTtl, p, 1, 254) ?? BFD_DEFAULTS.minimumTtl,
  };
}

const BFD_CRD_KEYS = {
  receiveInterval: 'receiveInterval',
  transmitInterval: 'transmitInterval',
  detectMultiplier: 'detectMultiplier',
  echoInterval: 'echoInterval',
  echoMode: 'echoMode',
  passiveMode: 'passiveMode',
  minimumTtl: 'minimumTtl',
};

function bfdFromCR(issues: Issues, drafts: Drafts, named: Named, spec: Obj, p: string): void {
  checkKeys(issues, spec, Object.values(BFD_CRD_KEYS), p);
  drafts.bfd.push({ ...named, profile: { name: named.name, ref: named.ref, ...bfdFields(issues, spec, p, BFD_CRD_KEYS) } });
}
