// shoal's one internal configuration model, built from either the metallb.io
// CRDs or MetalLB's legacy ConfigMap. Every consumer (allocator, election,
// L2 responder, BGP advertiser, BFD) reads this and never the raw objects, so
// MetalLB's defaults are applied here, once, and references are resolved:
// an advertisement lists the pools it covers by name, a BGP advertisement
// carries decoded community values, a peer carries its timers in
// milliseconds. docs/config.md documents each field and default.

import type { IP, IPRange } from '../net/index.js';

/** Kubernetes label selector (metav1.LabelSelector), validated. */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** Non-empty for In/NotIn, empty for Exists/DoesNotExist. */
  readonly values: readonly string[];
}

/** Where a model object came from. */
export interface ObjectRef {
  /** 'IPAddressPool', 'BGPPeer', ... or 'ConfigMap' for the legacy format. */
  readonly kind: string;
  readonly name: string;
  /** Empty when the object had none (files, legacy config). */
  readonly namespace: string;
}

export interface ServiceAllocation {
  /** Lower wins; 0 means "no priority" and sorts after every positive one. */
  readonly priority: number;
  readonly namespaces: readonly string[];
  /** Matched against the service's namespace labels at allocation time. */
  readonly namespaceSelectors: readonly LabelSelector[];
  /** Matched against the service's labels; empty means any service. */
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface Pool {
  readonly name: string;
  readonly ref: ObjectRef;
  /** Labels of the IPAddressPool object (ipAddressPoolSelectors match these). */
  readonly labels: Readonly<Record<string, string>>;
  /** The entries as written, in order. */
  readonly addresses: readonly string[];
  /** One range per entry of `addresses`, same order, host bits cleared. */
  readonly ranges: readonly IPRange[];
  /** Default true. When false, only services that ask for the pool or one of its IPs get an address. */
  readonly autoAssign: boolean;
  /** Default false. Skip IPv4 addresses ending in .0 and .255. */
  readonly avoidBuggyIPs: boolean;
  readonly serviceAllocation: ServiceAllocation | undefined;
  /** Names of the L2Advertisements that cover this pool, sorted. */
  readonly l2Advertisements: readonly string[];
  /** Names of the BGPAdvertisements that cover this pool, sorted. */
  readonly bgpAdvertisements: readonly string[];
}

/** Address -> pool: pools never overlap, so an address is in one pool or none. */
export interface PoolIndex {
  poolOf(ip: IP): Pool | undefined;
}

export interface L2Advertisement {
  readonly name: string;
  readonly ref: ObjectRef;
  /** Resolved: pools named in ipAddressPools or matched by ipAddressPoolSelectors; all pools when both are empty. Sorted. */
  readonly pools: readonly string[];
  readonly ipAddressPools: readonly string[];
  readonly ipAddressPoolSelectors: readonly LabelSelector[];
  /** Empty means every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  /** Empty means every interface. */
  readonly interfaces: readonly string[];
  /** Empty means every service of the pools. */
  readonly serviceSelectors: readonly LabelSelector[];
}

export type Community =
  | { readonly kind: 'standard'; readonly value: number; readonly text: string }
  | { readonly kind: 'large'; readonly global: number; readonly local1: number; readonly local2: number; readonly text: string };

export interface CommunityAlias {
  readonly name: string;
  readonly value: Community;
  readonly ref: ObjectRef;
}

export interface BGPAdvertisement {
  readonly name: string;
  readonly ref: ObjectRef;
  /** Default 32. */
  readonly aggregationLength: number;
  /** Default 128. */
  readonly aggregationLengthV6: number;
  /** LOCAL_PREF for iBGP peers; undefined when not set (MetalLB's 0). */
  readonly localPref: number | undefined;
  /** Decoded values (aliases resolved), in the order written. */
  readonly communities: readonly Community[];
  readonly pools: readonly string[];
  readonly ipAddressPools: readonly string[];
  readonly ipAddressPoolSelectors: readonly LabelSelector[];
  readonly nodeSelectors: readonly LabelSelector[];
  /** Peer names; empty means every peer. */
  readonly peers: readonly string[];
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface SecretRef {
  readonly name: string;
  readonly namespace: string;
}

export interface BGPPeer {
  readonly name: string;
  readonly ref: ObjectRef;
  readonly myASN: number;
  /** Exactly one of peerASN and dynamicASN is set. */
  readonly peerASN: number | undefined;
  readonly dynamicASN: 'internal' | 'external' | undefined;
  /** local-as override for this session (FRR modes in MetalLB). */
  readonly localASN: number | undefined;
  /** Canonical text; exactly one of peerAddress and interface is set. */
  readonly peerAddress: string | undefined;
  /** Unnumbered BGP over this interface. */
  readonly interface: string | undefined;
  readonly sourceAddress: string | undefined;
  /** Default 179. */
  readonly peerPort: number;
  /** Milliseconds. Default 90 s (MetalLB's native speaker), or 3 x keepaliveTime when only that is set. */
  readonly holdTime: number;
  /** Milliseconds. Default holdTime / 3. */
  readonly keepaliveTime: number;
  /** Milliseconds between connection attempts; undefined = the session module's default. */
  readonly connectTime: number | undefined;
  /** IPv4 router ID; undefined = the node's address. */
  readonly routerID: string | undefined;
  /** Empty means every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  readonly password: string | undefined;
  /** A kubernetes.io/basic-auth Secret holding the TCP MD5 password (key "password"). */
  readonly passwordSecret: SecretRef | undefined;
  readonly bfdProfile: string | undefined;
  readonly ebgpMultiHop: boolean;
  readonly vrf: string | undefined;
  readonly enableGracefulRestart: boolean;
  readonly disableMP: boolean;
  readonly dualStackAddressFamily: boolean;
}

export interface BFDProfile {
  readonly name: string;
  readonly ref: ObjectRef;
  /** Milliseconds, 10-60000, default 300. */
  readonly receiveInterval: number;
  /** Milliseconds, 10-60000, default 300. */
  readonly transmitInterval: number;
  /** 2-255, default 3. */
  readonly detectMultiplier: number;
  /** Milliseconds, 10-60000, default 50. */
  readonly echoInterval: number;
  readonly echoMode: boolean;
  readonly passiveMode: boolean;
  /** 1-254, default 254. */
  readonly minimumTtl: number;
}

export interface Config {
  /** 'crd' for metallb.io objects, 'configmap' for the legacy format. */
  readonly source: 'crd' | 'configmap';
  /** Every list is sorted by name. */
  readonly pools: readonly Pool[];
  /** Which pool an address is in (pool-index.ts). */
  readonly poolIndex: PoolIndex;
  readonly l2Advertisements: readonly L2Advertisement[];
  readonly bgpAdvertisements: readonly BGPAdvertisement[];
  readonly peers: readonly BGPPeer[];
  readonly bfdProfiles: readonly BFDProfile[];
  readonly communities: readonly CommunityAlias[];
}

export type ConfigErrorCode =
  | 'parse-error'
  | 'unknown-kind'
  | 'unknown-field'
  | 'wrong-type'
  | 'missing-field'
  | 'invalid-value'
  | 'invalid-range'
  | 'overlapping-ranges'
  | 'duplicate-name'
  | 'duplicate-entry'
  | 'unknown-reference'
  | 'invalid-asn'
  | 'invalid-community'
  | 'invalid-duration'
  | 'invalid-timers'
  | 'invalid-selector'
  | 'conflicting-fields'
  | 'mixed-sources'
  /** More entries, or longer text, than the configured limit allows. */
  | 'over-limit';

export interface ConfigError {
  /** Where: `IPAddressPool default/pool-a spec.addresses[2]` or `address-pools[0].addresses[1]`. */
  readonly path: string;
  readonly code: ConfigErrorCode;
  readonly message: string;
}

export type ParseResult = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly errors: readonly ConfigError[] };

export function formatConfigError(e: ConfigError): string {
  return e.path === '' ? e.message : `${e.path}: ${e.message}`;
}
