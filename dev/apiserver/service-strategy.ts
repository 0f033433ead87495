// Services as the real API server stores them: defaults filled in (type,
// protocols, target ports, traffic policies, IP families), a cluster IP and
// node ports allocated, values the client omitted on update carried over,
// immutable fields enforced, and the load-balancer status validated (with
// ipMode defaulted to VIP, as Kubernetes >= 1.30 does). A LoadBalancer
// controller tested against this sees the objects a real cluster returns.

import { familyFromName, familyName, parseIP, parsePrefixLength, type Family, type FamilyName } from '../../src/net/index.js';
import type { FieldError } from './api-errors.js';
import { metadataPatchSchema } from './patch.js';
import type { ServiceAllocator } from './service-ips.js';
import type { KindStrategy, Obj } from './strategy.js';
import { isValidIp, nameProblem, qualifiedNameProblem } from './validation.js';

interface Port {
  name?: string;
  protocol?: string;
  port?: unknown;
  targetPort?: unknown;
  nodePort?: unknown;
  [k: string]: unknown;
}

interface Spec {
  type?: string;
  ports?: Port[];
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  selector?: Record<string, string>;
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  allocateLoadBalancerNodePorts?: boolean;
  loadBalancerIP?: string;
  loadBalancerClass?: string;
  loadBalancerSourceRanges?: string[];
  externalIPs?: string[];
  externalName?: string;
  sessionAffinity?: string;
  [k: string]: unknown;
}

function specOf(o: Obj): Spec {
  if (typeof o['spec'] !== 'object' || o['spec'] === null) o['spec'] = {};
  return o['spec'] as Spec;
}

const isHeadless = (s: Spec): boolean => s.clusterIP === 'None';
const needsClusterIP = (s: Spec): boolean => s.type !== 'ExternalName';
const needsNodePorts = (s: Spec): boolean =>
  s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
const needsHealthCheckPort = (s: Spec): boolean => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
const externallyReachable = (s: Spec): boolean => s.type === 'NodePort' || s.type === 'LoadBalancer';

function applyDefaults(s: Spec): void {
  s.type ??= 'ClusterIP';
  s.sessionAffinity ??= 'None';
  for (const p of s.ports ?? []) {
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (s.type !== 'ExternalName') s.internalTrafficPolicy ??= 'Cluster';
  if (externallyReachable(s)) s.externalTrafficPolicy ??= 'Cluster';
  if (s.type === 'LoadBalancer') s.allocateLoadBalancerNodePorts ??= true;
}

function defaultIngressIpMode(o: Obj): void {
  const ingress = (o['status'] as { loadBalancer?: { ingress?: unknown } } | undefined)?.loadBalancer?.ingress;
  if (!Array.isArray(ingress)) return;
  for (const ing of ingress as Record<string, unknown>[]) {
    if (ing && typeof ing === 'object' && typeof ing['ip'] === 'string' && ing['ip'] !== '' && ing['ipMode'] === undefined) {
      ing['ipMode'] = 'VIP';
    }
  }
}

/** Fills in ipFamilyPolicy and ipFamilies from what the client gave and the cluster's CIDRs. */
function defaultFamilies(s: Spec, clusterFamilies: readonly FamilyName[]): void {
  if (!needsClusterIP(s)) return;
  if (s.ipFamilyPolicy === undefined) {
    s.ipFamilyPolicy = isHeadless(s) && (s.selector === undefined || Object.keys(s.selector).length === 0) && (s.ipFamilies ?? []).length === 0
      ? 'RequireDualStack'
      : (s.clusterIPs?.length ?? 0) === 2 || (s.ipFamilies?.length ?? 0) === 2 ? 'RequireDualStack' : 'SingleStack';
  }
  if (s.ipFamilies === undefined || s.ipFamilies.length === 0) {
    const fromIps = (s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])).map((ip) => parseIP(ip)?.family).filter((f): f is Family => f !== undefined);
    const first = fromIps[0] !== undefined ? familyName(fromIps[0]) : clusterFamilies[0]!;
    const fams: FamilyName[] = [first];
    if (s.ipFamilyPolicy !== 'SingleStack') {
      const other = clusterFamilies.find((f) => f !== first);
      if (other) fams.push(other);
    }
    s.ipFamilies = fams;
  }
}

function validateService(o: Obj, old: Obj | undefined, clusterFamilies: readonly FamilyName[]): FieldError[] {
  const s = specOf(o);
  const errs: FieldError[] = [];
  const req = (field: string, detail = ''): void => { errs.push({ field, type: 'FieldValueRequired', detail }); };
  const bad = (field: string, value: unknown, detail: string): void => {
    errs.push({ field, type: 'FieldValueInvalid', detail: `${JSON.stringify(value)}: ${detail}` });
  };
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (!types.includes(s.type!)) {
    errs.push({ field: 'spec.type', type: 'FieldValueNotSupported', detail: `${JSON.stringify(s.type)}: supported values: ${types.map((t) => `"${t}"`).join(', ')}` });
  }
  const ports = s.ports ?? [];
  if (ports.length === 0 && !isHeadless(s) && s.type !== 'ExternalName') req('spec.ports');
  const names = new Set<string>();
  const portProto = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) req(`${at}.name`);
    if (p.name) {
      const np = nameProblem(p.name, 'dns1123-label');
      if (np) bad(`${at}.name`, p.name, np);
      if (names.has(p.name)) errs.push({ field: `${at}.name`, type: 'FieldValueDuplicate', detail: JSON.stringify(p.name) });
      names.add(p.name);
    }
    if (!Number.isInteger(p.port) || (p.port as number) < 1 || (p.port as number) > 65535) {
      bad(`${at}.port`, p.port, 'must be between 1 and 65535, inclusive');
    }
    if (!['TCP', 'UDP', 'SCTP'].includes(p.protocol!)) {
      errs.push({ field: `${at}.protocol`, type: 'FieldValueNotSupported', detail: `${JSON.stringify(p.protocol)}: supported values: "SCTP", "TCP", "UDP"` });
    }
    const key = `${String(p.port)}/${p.protocol}`;
    if (portProto.has(key)) errs.push({ field: at, type: 'FieldValueDuplicate', detail: `{"port":${String(p.port)},"protocol":"${p.protocol}"}` });
    portProto.add(key);
    const tp = p.targetPort;
    if (typeof tp === 'number' ? !Number.isInteger(tp) || tp < 1 || tp > 65535 : typeof tp !== 'string' || nameProblem(tp, 'dns1123-label') !== undefined) {
      bad(`${at}.targetPort`, tp, 'must be a port number between 1 and 65535 or an IANA service name');
    }
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (!externallyReachable(s)) {
        errs.push({ field: `${at}.nodePort`, type: 'FieldValueForbidden', detail: `may not be used when \`type\` is '${s.type}'` });
      } else if (!Number.isInteger(p.nodePort)) {
        bad(`${at}.nodePort`, p.nodePort, 'must be an integer');
      }
    }
  });
  if (s.type === 'ExternalName') {
    if (!s.externalName) req('spec.externalName');
    else if (nameProblem(s.externalName.replace(/\.$/, ''), 'dns1123-subdomain')) bad('spec.externalName', s.externalName, 'must be a DNS name');
  }
  const policies = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
  if (s.ipFamilyPolicy !== undefined && !policies.includes(s.ipFamilyPolicy)) {
    errs.push({ field: 'spec.ipFamilyPolicy', type: 'FieldValueNotSupported', detail: `${JSON.stringify(s.ipFamilyPolicy)}: supported values: "PreferDualStack", "RequireDualStack", "SingleStack"` });
  }
  for (const [i, f] of (s.ipFamilies ?? []).entries()) {
    const family = familyFromName(f);
    if (family === undefined) {
      errs.push({ field: `spec.ipFamilies[${i}]`, type: 'FieldValueNotSupported', detail: `${JSON.stringify(f)}: supported values: "IPv4", "IPv6"` });
    } else if (!clusterFamilies.includes(familyName(family))) {
      bad(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster');
    }
  }
  if (s.ipFamilyPolicy === 'RequireDualStack' && needsClusterIP(s) && clusterFamilies.length < 2) {
    bad('spec.ipFamilyPolicy', s.ipFamilyPolicy, 'this cluster is not configured for dual-stack services');
  }
  for (const [i, ip] of (s.clusterIPs ?? []).entries()) {
    if (ip !== 'None' && ip !== '' && !isValidIp(ip)) bad(`spec.clusterIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  }
  if (s.clusterIP !== undefined && s.clusterIP !== '' && s.clusterIP !== 'None' && !isValidIp(s.clusterIP)) {
    bad('spec.clusterIP', s.clusterIP, 'must be empty, \'None\', or a valid IP address');
  }
  if (s.externalTrafficPolicy !== undefined) {
    if (!externallyReachable(s)) {
      bad('spec.externalTrafficPolicy', s.externalTrafficPolicy, 'may only be set for externally-accessible services');
    } else if (s.externalTrafficPolicy !== 'Cluster' && s.externalTrafficPolicy !== 'Local') {
      errs.push({ field: 'spec.externalTrafficPolicy', type: 'FieldValueNotSupported', detail: `${JSON.stringify(s.externalTrafficPolicy)}: supported values: "Cluster", "Local"` });
    }
  }
  if (s.loadBalancerIP !== undefined && s.loadBalancerIP !== '') {
    if (s.type !== 'LoadBalancer') {
      errs.push({ field: 'spec.loadBalancerIP', type: 'FieldValueForbidden', detail: 'may only be used when `type` is \'LoadBalancer\'' });
    } else if (!isValidIp(s.loadBalancerIP)) {
      bad('spec.loadBalancerIP', s.loadBalancerIP, 'must be a valid IP address');
    }
  }
  if (s.loadBalancerClass !== undefined) {
    if (s.type !== 'LoadBalancer') {
      errs.push({ field: 'spec.loadBalancerClass', type: 'FieldValueForbidden', detail: 'may only be used when `type` is \'LoadBalancer\'' });
    } else {
      const p = qualifiedNameProblem(s.loadBalancerClass);
      if (p) bad('spec.loadBalancerClass', s.loadBalancerClass, p);
    }
  }
  for (const [i, r] of (s.loadBalancerSourceRanges ?? []).entries()) {
    const slash = r.indexOf('/');
    const addr = slash < 0 ? undefined : parseIP(r.slice(0, slash), { mapped: 'keep' });
    if (!addr || parsePrefixLength(addr.family, r.slice(slash + 1)) === undefined) {
      bad(`spec.loadBalancerSourceRanges[${i}]`, r, 'must be a valid CIDR');
    }
  }
  for (const [i, ip] of (s.externalIPs ?? []).entries()) {
    if (!isValidIp(ip)) bad(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address');
  }
  if (old) {
    const os = old['spec'] as Spec;
    if (needsClusterIP(os) && needsClusterIP(s) && os.clusterIP && s.clusterIP !== os.clusterIP) {
      bad('spec.clusterIPs[0]', s.clusterIP ?? '', 'may not change once set');
    }
    if (os.type === 'LoadBalancer' && s.type === 'LoadBalancer' && os.loadBalancerClass !== s.loadBalancerClass) {
      bad('spec.loadBalancerClass', s.loadBalancerClass ?? null, 'may not change once set');
    }
  }
  return errs;
}

function validateLoadBalancerStatus(o: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const ingress = (o['status'] as { loadBalancer?: { ingress?: unknown } } | undefined)?.loadBalancer?.ingress;
  if (ingress === undefined || ingress === null) return errs;
  if (!Array.isArray(ingress)) return [{ field: 'status.loadBalancer.ingress', type: 'FieldValueInvalid', detail: 'must be a list' }];
  ingress.forEach((ing: Record<string, unknown>, i) => {
    const at = `status.loadBalancer.ingress[${i}]`;
    const ip = ing?.['ip'];
    const hostname = ing?.['hostname'];
    const ipMode = ing?.['ipMode'];
    if (ip !== undefined && ip !== '' && (typeof ip !== 'string' || !isValidIp(ip))) {
      errs.push({ field: `${at}.ip`, type: 'FieldValueInvalid', detail: `${JSON.stringify(ip)}: must be a valid IP address` });
    }
    if (typeof hostname === 'string' && hostname !== '') {
      if (isValidIp(hostname)) errs.push({ field: `${at}.hostname`, type: 'FieldValueInvalid', detail: `${JSON.stringify(hostname)}: must be a DNS name, not an IP address` });
      else if (nameProblem(hostname, 'dns1123-subdomain')) errs.push({ field: `${at}.hostname`, type: 'FieldValueInvalid', detail: `${JSON.stringify(hostname)}: must be a DNS name` });
    }
    if (ipMode !== undefined) {
      if (ip === undefined || ip === '') {
        errs.push({ field: `${at}.ipMode`, type: 'FieldValueForbidden', detail: 'may not be specified when `ip` is not set' });
      } else if (ipMode !== 'VIP' && ipMode !== 'Proxy') {
        errs.push({ field: `${at}.ipMode`, type: 'FieldValueNotSupported', detail: `${JSON.stringify(ipMode)}: supported values: "Proxy", "VIP"` });
      }
    }
  });
  return errs;
}

/** Values the server allocated that a client resubmitting its own YAML leaves out: keep them. */
function carryAllocatedValues(s: Spec, os: Spec): void {
  if (needsClusterIP(os) && needsClusterIP(s)) {
    if (!s.clusterIP) s.clusterIP = os.clusterIP;
    if ((s.clusterIPs ?? []).length === 0 && os.clusterIPs) s.clusterIPs = [...os.clusterIPs];
    if (s.ipFamilies === undefined && os.ipFamilies) s.ipFamilies = [...os.ipFamilies];
    if (s.ipFamilyPolicy === undefined && os.ipFamilyPolicy) s.ipFamilyPolicy = os.ipFamilyPolicy;
  }
  if (needsNodePorts(os) && needsNodePorts(s)) {
    const byName = new Map((os.ports ?? []).map((p) => [p.name ?? '', p.nodePort]));
    for (const p of s.ports ?? []) {
      if ((p.nodePort === undefined || p.nodePort === 0) && byName.get(p.name ?? '')) p.nodePort = byName.get(p.name ?? '');
    }
  }
  if (needsHealthCheckPort(os) && needsHealthCheckPort(s) && !s.healthCheckNodePort) s.healthCheckNodePort = os.healthCheckNodePort;
}

/** When the type changes, fields only the old type used go unless the client changed them itself. */
function dropTypeDependentFields(s: Spec, os: Spec): void {
  if (os.type === s.type) return;
  if (!needsNodePorts(s)) {
    for (const p of s.ports ?? []) {
      const was = (os.ports ?? []).find((q) => (q.name ?? '') === (p.name ?? ''));
      if (was && was.nodePort === p.nodePort) delete p.nodePort;
    }
  }
  if (!needsHealthCheckPort(s) && s.healthCheckNodePort === os.healthCheckNodePort) delete s.healthCheckNodePort;
  if (s.type !== 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts === os.allocateLoadBalancerNodePorts) delete s.allocateLoadBalancerNodePorts;
    if (s.loadBalancerClass === os.loadBalancerClass) delete s.loadBalancerClass;
  }
  if (!externallyReachable(s) && s.externalTrafficPolicy === os.externalTrafficPolicy) delete s.externalTrafficPolicy;
  if (!needsClusterIP(s)) {
    if (s.clusterIP === os.clusterIP) delete s.clusterIP;
    if (JSON.stringify(s.clusterIPs) === JSON.stringify(os.clusterIPs)) delete s.clusterIPs;
    delete s.ipFamilies;
    delete s.ipFamilyPolicy;
  }
}

function heldIps(s: Spec | undefined): string[] {
  if (!s || !needsClusterIP(s) || isHeadless(s)) return [];
  return (s.clusterIPs ?? []).filter((ip) => ip !== '' && ip !== 'None');
}

function heldPorts(s: Spec | undefined): number[] {
  if (!s) return [];
  const out: number[] = [];
  if (needsNodePorts(s) || s.type === 'LoadBalancer') {
    for (const p of s.ports ?? []) if (typeof p.nodePort === 'number' && p.nodePort !== 0) out.push(p.nodePort);
  }
  if (needsHealthCheckPort(s) && s.healthCheckNodePort) out.push(s.healthCheckNodePort);
  return out;
}

export function createServiceStrategy(base: KindStrategy, alloc: ServiceAllocator): KindStrategy {
  return {
    ...base,
    nameRule: 'dns1035-label',
    allowCreateOnUpdate: true,
    deleteReturnsObject: true,
    patchSchema: { ...metadataPatchSchema, 'spec.ports': { mergeKey: 'port' }, 'status.conditions': { mergeKey: 'type' } },
    prepareForCreate(o) {
      o['status'] = { loadBalancer: {} };
      const s = specOf(o);
      if (s.clusterIP && !s.clusterIPs) s.clusterIPs = [s.clusterIP];
      applyDefaults(s);
      defaultFamilies(s, alloc.families);
    },
    prepareForUpdate(o, old) {
      const s = specOf(o);
      const os = old['spec'] as Spec;
      applyDefaults(s);
      carryAllocatedValues(s, os);
      dropTypeDependentFields(s, os);
      if (s.clusterIP && !s.clusterIPs) s.clusterIPs = [s.clusterIP];
      defaultFamilies(s, alloc.families);
      defaultIngressIpMode(o);
    },
    prepareForStatusUpdate(o) {
      defaultIngressIpMode(o);
    },
    validate: (o, old) => validateService(o, old, alloc.families),
    validateStatus: validateLoadBalancerStatus,
    allocate(o, old) {
      const s = specOf(o);
      const os = old?.['spec'] as Spec | undefined;
      const keepIps = new Set(heldIps(os));
      const keepPorts = new Set(heldPorts(os));
      const tookIps: string[] = [];
      const tookPorts: number[] = [];
      const undo = (errs: FieldError[]): FieldError[] => {
        tookIps.forEach((ip) => alloc.releaseIp(ip));
        tookPorts.forEach((p) => alloc.releasePort(p));
        return errs;
      };
      if (needsClusterIP(s) && !isHeadless(s)) {
        const want = s.ipFamilies as FamilyName[];
        const ips = [...(s.clusterIPs ?? [])];
        for (let i = 0; i < want.length; i++) {
          const ip = ips[i];
          if (ip) {
            if (parseIP(ip)?.family !== familyFromName(want[i])) {
              return undo([{ field: `spec.clusterIPs[${i}]`, type: 'FieldValueInvalid', detail: `${JSON.stringify(ip)}: expected an ${want[i]} value as indicated by \`ipFamilies[${i}]\`` }]);
            }
            if (keepIps.has(ip)) continue;
            const why = alloc.takeIp(ip);
            if (why) return undo([{ field: `spec.clusterIPs[${i}]`, type: 'FieldValueInvalid', detail: `${JSON.stringify(ip)}: ${why}` }]);
            tookIps.push(ip);
          } else {
            const got = alloc.nextIp(want[i]!);
            if (!got) return undo([{ field: 'spec.clusterIPs', type: 'FieldValueInvalid', detail: `no ${want[i]} service addresses left` }]);
            tookIps.push(got);
            ips[i] = got;
          }
        }
        s.clusterIPs = ips.slice(0, want.length);
        s.clusterIP = s.clusterIPs[0];
      } else if (isHeadless(s)) {
        s.clusterIPs = ['None'];
      }
      const portOwners = new Set<number>();
      const takePort = (p: number, field: string): FieldError | undefined => {
        if (keepPorts.has(p) && !portOwners.has(p)) { portOwners.add(p); return undefined; }
        const why = alloc.takePort(p);
        if (why) return { field, type: 'FieldValueInvalid', detail: `${p}: ${why}` };
        tookPorts.push(p);
        portOwners.add(p);
        return undefined;
      };
      if (needsNodePorts(s) || s.type === 'LoadBalancer') {
        for (const [i, p] of (s.ports ?? []).entries()) {
          if (typeof p.nodePort === 'number' && p.nodePort !== 0) {
            const e = takePort(p.nodePort, `spec.ports[${i}].nodePort`);
            if (e) return undo([e]);
          } else if (needsNodePorts(s)) {
            const got = alloc.nextPort();
            if (got === undefined) return undo([{ field: `spec.ports[${i}].nodePort`, type: 'FieldValueInvalid', detail: 'no node ports left' }]);
            tookPorts.push(got);
            p.nodePort = got;
          }
        }
      }
      if (needsHealthCheckPort(s)) {
        if (s.healthCheckNodePort) {
          const e = takePort(s.healthCheckNodePort, 'spec.healthCheckNodePort');
          if (e) return undo([e]);
        } else {
          const got = alloc.nextPort();
          if (got === undefined) return undo([{ field: 'spec.healthCheckNodePort', type: 'FieldValueInvalid', detail: 'no node ports left' }]);
          tookPorts.push(got);
          s.healthCheckNodePort = got;
        }
      }
      // What the old object held and the new one no longer does goes back.
      const nowIps = new Set(heldIps(s));
      const nowPorts = new Set(heldPorts(s));
      keepIps.forEach((ip) => { if (!nowIps.has(ip)) alloc.releaseIp(ip); });
      keepPorts.forEach((p) => { if (!nowPorts.has(p)) alloc.releasePort(p); });
      return [];
    },
    release(o) {
      const s = o['spec'] as Spec | undefined;
      heldIps(s).forEach((ip) => alloc.releaseIp(ip));
      heldPorts(s).forEach((p) => alloc.releasePort(p));
    },
  };
}
