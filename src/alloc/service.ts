// What the allocator needs to know about a Service, as plain values (the
// Kubernetes glue copies them out of the v1.Service), and how MetalLB reads
// its annotations: the metallb.io/ prefix wins, the older
// metallb.universe.tf/ prefix is still honoured.

import { familyFromName, formatIP, parseIPDetailed, type Family, type FamilyName, type IP } from '../net/index.js';

export type IPFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

export interface ServicePort {
  readonly port: number;
  /** TCP (the default), UDP or SCTP. */
  readonly protocol?: string;
}

export interface ServiceInput {
  readonly namespace: string;
  readonly name: string;
  /** spec.type; only 'LoadBalancer' services get addresses. */
  readonly type: string;
  readonly loadBalancerClass?: string;
  /** spec.loadBalancerIP (deprecated by Kubernetes, still honoured). */
  readonly loadBalancerIP?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Service labels, for serviceAllocation.serviceSelectors. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly ipFamilyPolicy?: IPFamilyPolicy;
  /** spec.ipFamilies as set by the API server; the first is the primary family. */
  readonly ipFamilies?: readonly FamilyName[];
  readonly ports?: readonly ServicePort[];
  readonly externalTrafficPolicy?: 'Cluster' | 'Local';
  readonly selector?: Readonly<Record<string, string>>;
  /** Labels of the service's namespace, for serviceAllocation.namespaceSelectors. */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
}

export const ANNOTATION_PREFIX = 'metallb.io/';
export const DEPRECATED_ANNOTATION_PREFIX = 'metallb.universe.tf/';

export const Annotation = {
  loadBalancerIPs: 'loadBalancerIPs',
  addressPool: 'address-pool',
  allowSharedIP: 'allow-shared-ip',
  /** Written by the controller: the pool the service's addresses came from. */
  ipAllocatedFromPool: 'ip-allocated-from-pool',
} as const;

// The prefixed keys of the annotations the allocator reads, built once: it reads them for every service.
const PREFIXED = new Map<string, readonly [string, string]>(
  Object.values(Annotation).map((name) => [name, [ANNOTATION_PREFIX + name, DEPRECATED_ANNOTATION_PREFIX + name]]),
);

/** Value of `metallb.io/<name>`, else of `metallb.universe.tf/<name>`, else undefined. */
export function annotation(svc: ServiceInput, name: string): string | undefined {
  const a = svc.annotations;
  if (a === undefined) return undefined;
  const keys = PREFIXED.get(name);
  const current = keys ? keys[0] : ANNOTATION_PREFIX + name;
  if (Object.hasOwn(a, current)) return a[current];
  const deprecated = keys ? keys[1] : DEPRECATED_ANNOTATION_PREFIX + name;
  if (Object.hasOwn(a, deprecated)) return a[deprecated];
  return undefined;
}

const portKey = (p: ServicePort): string => `${(p.protocol ?? 'TCP').toUpperCase()}/${p.port}`;

// Most services have one port with a protocol Kubernetes allows. Their key
// lists are made once per protocol and port and shared (frozen: the lists are
// readonly to callers, and a holding keeps its list for as long as it lives).
const SINGLE_PORT_KEYS = new Map<string, Map<number, readonly string[]>>(['TCP', 'UDP', 'SCTP'].map((p) => [p, new Map()]));

function singlePortKeys(p: ServicePort): readonly string[] {
  const byPort = SINGLE_PORT_KEYS.get(p.protocol ?? 'TCP');
  if (!byPort || !Number.isInteger(p.port) || p.port < 0 || p.port > 65535) return [portKey(p)];
  let keys = byPort.get(p.port);
  if (keys === undefined) {
    keys = Object.freeze([portKey(p)]);
    byPort.set(p.port, keys);
  }
  return keys;
}

/** "TCP/80": MetalLB's unit of port collision between services sharing an IP. */
export function portKeys(svc: ServiceInput): string[] {
  return [...servicePortKeys(svc)];
}

/** portKeys without a copy: a shared, frozen list for the usual single port. */
export function servicePortKeys(svc: ServiceInput): readonly string[] {
  const ports = svc.ports ?? [];
  if (ports.length === 0) return [];
  if (ports.length === 1) return singlePortKeys(ports[0] as ServicePort);
  return [...new Set(ports.map(portKey))].sort();
}

/**
 * Services with externalTrafficPolicy Local may only share an IP when they
 * select the same pods (traffic for the IP must reach a node with endpoints
 * of every sharer); the selector text is their backend key. Cluster policy
 * services all have the empty backend key.
 */
export function backendKey(svc: ServiceInput): string {
  if (svc.externalTrafficPolicy !== 'Local') return '';
  const sel = svc.selector ?? {};
  return Object.keys(sel)
    .sort()
    .map((k) => `${k}=${sel[k]}`)
    .join(',');
}

export function sharingKey(svc: ServiceInput): string {
  return annotation(svc, Annotation.allowSharedIP) ?? '';
}

export type ServiceFamily = Family | 'dual';

export type FamilyInfo = { ok: true; family: ServiceFamily; primary: Family; policy: IPFamilyPolicy } | { ok: false; message: string };

// Every valid answer for the three policies, made once: serviceFamily runs for every allocation.
const FAMILY_INFO = new Map<string, readonly FamilyInfo[]>(
  (['SingleStack', 'PreferDualStack', 'RequireDualStack'] as const).map((policy) => [
    policy,
    [
      { ok: true, family: 4, primary: 4, policy },
      { ok: true, family: 6, primary: 6, policy },
      { ok: true, family: 'dual', primary: 4, policy },
      { ok: true, family: 'dual', primary: 6, policy },
    ],
  ]),
);

/** The service's family from spec.ipFamilies (what MetalLB derives from its cluster IPs). */
export function serviceFamily(svc: ServiceInput): FamilyInfo {
  const fams = svc.ipFamilies ?? [];
  const policy = svc.ipFamilyPolicy ?? 'SingleStack';
  const primary = fams.length === 1 || fams.length === 2 ? familyFromName(fams[0]) : undefined;
  const dual = fams.length === 2;
  const second = dual ? familyFromName(fams[1]) : undefined;
  if (primary === undefined || (dual && (second === undefined || second === primary))) {
    return { ok: false, message: `spec.ipFamilies ${JSON.stringify(fams)} is not one family or two different families` };
  }
  const known = FAMILY_INFO.get(policy);
  if (!known) return { ok: true, family: dual ? 'dual' : primary, primary, policy };
  return known[(dual ? 2 : 0) + (primary === 4 ? 0 : 1)] as FamilyInfo;
}

export type RequestedIPs = { ok: true; ips: readonly IP[]; family: ServiceFamily | undefined } | { ok: false; code: 'invalid-requested-ip' | 'conflicting-ip-requests'; message: string };

const NOTHING_REQUESTED: RequestedIPs = Object.freeze({ ok: true, ips: Object.freeze([]), family: undefined });

/** The metallb.io/loadBalancerIPs annotation or spec.loadBalancerIP, parsed; both at once is refused, as in MetalLB. */
export function requestedIPs(svc: ServiceInput): RequestedIPs {
  const ann = annotation(svc, Annotation.loadBalancerIPs) ?? '';
  const spec = svc.loadBalancerIP ?? '';
  if (ann === '' && spec === '') return NOTHING_REQUESTED;
  if (ann !== '' && spec !== '') {
    return { ok: false, code: 'conflicting-ip-requests', message: `both the ${ANNOTATION_PREFIX}${Annotation.loadBalancerIPs} annotation and spec.loadBalancerIP are set` };
  }
  const texts = ann !== '' ? ann.split(',').map((s) => s.trim()) : [spec.trim()];
  const ips: IP[] = [];
  for (const t of texts) {
    const r = parseIPDetailed(t);
    if (!r.ok) return { ok: false, code: 'invalid-requested-ip', message: `requested address ${JSON.stringify(t)}: ${r.reason}` };
    ips.push(r.ip);
  }
  if (ips.length > 2 || (ips.length === 2 && ips[0]?.family === ips[1]?.family)) {
    return { ok: false, code: 'invalid-requested-ip', message: `requested addresses ${ips.map(formatIP).join(', ')} are not one address or one of each family` };
  }
  return { ok: true, ips, family: ips.length === 2 ? 'dual' : ips[0]?.family };
}
