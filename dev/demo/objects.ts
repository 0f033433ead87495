// The demo's Kubernetes objects: nodes and speaker pods (so the speakers find
// each other as in a cluster), a dual-stack pool with an L2Advertisement, and
// the services of an editable file, each with an EndpointSlice that puts a
// ready endpoint on every node.
import { parseDocument } from 'yaml';
import { asObj, checkKeys, idx, Issues, readList, readString, readStringMap } from '../../src/config/reader.js';
import { formatConfigError } from '../../src/config/model.js';

export const DEMO_NAMESPACE = 'metallb-system';
export const SERVICE_NAMESPACE = 'default';

export interface DemoNode {
  readonly name: string;
  /** The node's address: its speaker's gossip and status address too (host network). */
  readonly address: string;
}

export interface DemoService {
  readonly name: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly externalTrafficPolicy: 'Cluster' | 'Local' | undefined;
  readonly ipFamilyPolicy: string | undefined;
  readonly loadBalancerIP: string | undefined;
}

export const DEFAULT_SERVICES_YAML = `# shoal-dev demo: the services. Edit and save while the demo runs: it applies
# the change (add, change or remove entries). Fields: name, and optionally
# ipFamilyPolicy (SingleStack | PreferDualStack | RequireDualStack),
# externalTrafficPolicy (Cluster | Local), loadBalancerIP, annotations
# (metallb.io/address-pool, metallb.io/allow-shared-ip, metallb.io/loadBalancerIPs).
- name: web
  ipFamilyPolicy: PreferDualStack
- name: api
- name: dns-tcp
  annotations: {metallb.io/allow-shared-ip: dns}
- name: dns-udp
  annotations: {metallb.io/allow-shared-ip: dns}
`;

const POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

/** Parses the services file; every problem is reported with its place. */
export function parseServices(text: string): { ok: true; services: DemoService[] } | { ok: false; errors: string[] } {
  const doc = parseDocument(text);
  if (doc.errors.length) return { ok: false, errors: doc.errors.map((e) => e.message) };
  const issues = new Issues();
  const services: DemoService[] = [];
  const names = new Set<string>();
  readList(issues, { services: doc.toJS() as unknown }, 'services', '').forEach((raw, i) => {
    const p = idx('services', i);
    const o = asObj(issues, raw, p);
    if (!o) return;
    checkKeys(issues, o, ['name', 'annotations', 'externalTrafficPolicy', 'ipFamilyPolicy', 'loadBalancerIP'], p);
    const name = readString(issues, o, 'name', p);
    if (!name || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
      issues.add(`${p}.name`, 'invalid-value', 'a lower-case DNS label is required');
      return;
    }
    if (names.has(name)) issues.add(`${p}.name`, 'duplicate-name', `${name} is listed twice`);
    names.add(name);
    const etp = readString(issues, o, 'externalTrafficPolicy', p);
    if (etp !== undefined && etp !== 'Cluster' && etp !== 'Local') issues.add(`${p}.externalTrafficPolicy`, 'invalid-value', 'Cluster or Local');
    const fam = readString(issues, o, 'ipFamilyPolicy', p);
    if (fam !== undefined && !POLICIES.includes(fam)) issues.add(`${p}.ipFamilyPolicy`, 'invalid-value', POLICIES.join(', '));
    services.push({
      name,
      annotations: readStringMap(issues, o, 'annotations', p),
      externalTrafficPolicy: etp as DemoService['externalTrafficPolicy'],
      ipFamilyPolicy: fam,
      loadBalancerIP: readString(issues, o, 'loadBalancerIP', p),
    });
  });
  return issues.count ? { ok: false, errors: issues.errors.map(formatConfigError) } : { ok: true, services };
}

/**
 * The cluster speakers run in: the namespace, a Node per node and a speaker
 * Pod on each (as the DaemonSet's, host network), so the speakers find their
 * peers and their own Pod, the owner of their status objects.
 */
export function clusterObjects(namespace: string, nodes: readonly DemoNode[]): object[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    ...nodes.map((n) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name } },
      status: { addresses: [{ type: 'InternalIP', address: n.address }], conditions: [{ type: 'Ready', status: 'True' }] },
    })),
    ...nodes.map((n) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `speaker-${n.name}`, namespace, labels: { 'app.kubernetes.io/name': 'shoal', 'app.kubernetes.io/component': 'speaker' } },
      spec: { nodeName: n.name, hostNetwork: true, containers: [{ name: 'speaker', image: 'shoal' }] },
      status: { podIP: n.address, phase: 'Running' },
    })),
  ];
}

export function baseObjects(nodes: readonly DemoNode[]): object[] {
  return [
    ...clusterObjects(DEMO_NAMESPACE, nodes),
    {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'demo', namespace: DEMO_NAMESPACE },
      spec: { addresses: ['192.0.2.100-192.0.2.120', '2001:db8::100-2001:db8::120'] },
    },
    { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'demo', namespace: DEMO_NAMESPACE }, spec: {} },
  ];
}

/** A Service and its EndpointSlice (a ready endpoint on every node). */
export function serviceObjects(s: DemoService, nodes: readonly DemoNode[]): [object, object] {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: SERVICE_NAMESPACE, annotations: s.annotations, labels: { app: s.name } },
    spec: {
      type: 'LoadBalancer',
      selector: { app: s.name },
      ports: [{ name: 'p', port: s.name.endsWith('-udp') ? 53 : 80, protocol: s.name.endsWith('-udp') ? 'UDP' : 'TCP' }],
      ...(s.externalTrafficPolicy ? { externalTrafficPolicy: s.externalTrafficPolicy } : {}),
      ...(s.ipFamilyPolicy ? { ipFamilyPolicy: s.ipFamilyPolicy, ...(s.ipFamilyPolicy !== 'SingleStack' ? { ipFamilies: ['IPv4', 'IPv6'] } : {}) } : {}),
      ...(s.loadBalancerIP ? { loadBalancerIP: s.loadBalancerIP } : {}),
    },
  };
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${s.name}-demo`, namespace: SERVICE_NAMESPACE, labels: { 'kubernetes.io/service-name': s.name } },
    addressType: 'IPv4',
    endpoints: nodes.map((n, i) => ({ addresses: [`198.51.100.${i + 10}`], nodeName: n.name, conditions: { ready: true } })),
    ports: [{ name: 'p', port: 8080, protocol: s.name.endsWith('-udp') ? 'UDP' : 'TCP' }],
  };
  return [service, slice];
}
