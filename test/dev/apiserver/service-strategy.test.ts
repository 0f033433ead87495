import t from 'tap';
import { ServiceAllocator } from '../../../dev/apiserver/service-ips.js';
import { ObjectStore } from '../../../dev/apiserver/store.js';
import { services } from '../../../src/kube/resources.js';

type Svc = { spec: Record<string, unknown> & { ports: Record<string, unknown>[] }; status: Record<string, unknown> };
const spec = (o: unknown): Svc['spec'] => (o as Svc).spec;

t.test('service CIDRs are checked when the allocator is built', async (t) => {
  t.throws(() => new ServiceAllocator([]));
  t.throws(() => new ServiceAllocator(['10.0.0.0/8', '10.1.0.0/16']), /two service CIDRs/);
  t.throws(() => new ServiceAllocator(['10.0.0.0/31']), /bad service CIDR/);
  const a = new ServiceAllocator(['2001:db8:1::/126']);
  t.equal(a.nextIp('IPv6'), '2001:db8:1::2', 'the first host address is the kubernetes Service\'s');
  t.equal(a.nextIp('IPv6'), '2001:db8:1::3');
  t.equal(a.nextIp('IPv6'), undefined);
});

t.test('a LoadBalancer Service gets the defaults and allocations of a real cluster', async (t) => {
  const s = new ObjectStore({ serviceCidrs: ['10.96.0.0/28'] });
  const svc = s.create(services, 'default', { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } });
  t.strictSame(spec(svc), {
    type: 'LoadBalancer',
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30000 }],
    sessionAffinity: 'None',
    internalTrafficPolicy: 'Cluster',
    externalTrafficPolicy: 'Cluster',
    allocateLoadBalancerNodePorts: true,
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
    clusterIPs: ['10.96.0.2'],
    clusterIP: '10.96.0.2',
  });
  t.strictSame(svc['status'], { loadBalancer: {} }, 'a create cannot set status');
  const local = s.create(services, 'default', { metadata: { name: 'local' }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 53, protocol: 'UDP' }] } });
  t.equal(spec(local)['healthCheckNodePort'], 30002);
  t.equal(spec(local).ports[0]!['nodePort'], 30001);
  const nolb = s.create(services, 'default', { metadata: { name: 'nolb' }, spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] } });
  t.equal(spec(nolb).ports[0]!['nodePort'], undefined, 'allocateLoadBalancerNodePorts=false: no node port');
  const headless = s.create(services, 'default', { metadata: { name: 'h' }, spec: { clusterIP: 'None', selector: { a: 'b' } } });
  t.strictSame(spec(headless)['clusterIPs'], ['None']);
  t.throws(() => s.create(services, 'default', { metadata: { name: 'taken' }, spec: { clusterIP: '10.96.0.2', ports: [{ port: 1 }] } }), { code: 422, message: /already allocated/ });
  t.throws(() => s.create(services, 'default', { metadata: { name: 'outside' }, spec: { clusterIP: '10.97.0.2', ports: [{ port: 1 }] } }), { code: 422, message: /not in the valid range/ });
  t.throws(() => s.create(services, 'default', { metadata: { name: 'dual' }, spec: { ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 1 }] } }), { code: 422, message: /not configured for dual-stack/ });
});

t.test('Service validation rejects what a real API server rejects', async (t) => {
  const s = new ObjectStore();
  const bad = (name: string, specIn: object, re: RegExp): void => {
    t.throws(() => s.create(services, 'default', { metadata: { name }, spec: specIn }), { code: 422, reason: 'Invalid', message: re }, re.source);
  };
  bad('noports', {}, /spec.ports: Required value/);
  bad('badport', { ports: [{ port: 70000 }] }, /spec.ports\[0\].port: Invalid value/);
  bad('proto', { ports: [{ port: 1, protocol: 'ICMP' }] }, /spec.ports\[0\].protocol: Unsupported value/);
  bad('unnamed', { ports: [{ port: 1 }, { port: 2 }] }, /spec.ports\[\d\].name: Required value/);
  bad('dup', { ports: [{ port: 1, name: 'a' }, { port: 1, name: 'b' }] }, /spec.ports\[1\]: Duplicate value/);
  bad('np', { ports: [{ port: 1, nodePort: 30100 }] }, /nodePort: Forbidden/);
  bad('etp', { ports: [{ port: 1 }], externalTrafficPolicy: 'Local' }, /may only be set for externally-accessible services/);
  bad('lbip', { type: 'LoadBalancer', ports: [{ port: 1 }], loadBalancerIP: '192.0.2.300' }, /loadBalancerIP: Invalid value/);
  bad('lbclass', { ports: [{ port: 1 }], loadBalancerClass: 'x.io/y' }, /loadBalancerClass: Forbidden/);
  bad('Upper', { ports: [{ port: 1 }] }, /metadata.name: Invalid value/);
  bad('1digit', { ports: [{ port: 1 }] }, /DNS-1035/);
  bad('ext', { type: 'ExternalName' }, /spec.externalName: Required value/);
  t.ok(s.create(services, 'default', { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } }));
});

t.test('updates keep allocated values, enforce immutability, release on type change and delete', async (t) => {
  const s = new ObjectStore({ serviceCidrs: ['10.96.0.0/29'] });
  const lb = s.create(services, 'default', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', loadBalancerClass: 'shoal.io/lb', ports: [{ port: 80, name: 'http' }] } });
  // A client resubmitting its original YAML (no clusterIP, no nodePort) keeps what was allocated.
  const again = s.update(services, 'default', 'lb', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', loadBalancerClass: 'shoal.io/lb', ports: [{ port: 80, name: 'http' }] } }).object;
  t.equal(spec(again)['clusterIP'], spec(lb)['clusterIP']);
  t.equal(spec(again).ports[0]!['nodePort'], spec(lb).ports[0]!['nodePort']);
  t.equal(again.metadata.resourceVersion, lb.metadata.resourceVersion, 'and that is a no-op');
  t.throws(() => s.update(services, 'default', 'lb', { ...again, spec: { ...spec(again), clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'] } }), { code: 422, message: /may not change once set/ });
  t.throws(() => s.update(services, 'default', 'lb', { ...again, spec: { ...spec(again), loadBalancerClass: 'other.io/lb' } }), { code: 422, message: /loadBalancerClass: Invalid value.*may not change once set/ });
  const cip = s.update(services, 'default', 'lb', { ...again, spec: { ...spec(again), type: 'ClusterIP' } }).object;
  t.equal(spec(cip).ports[0]!['nodePort'], undefined, 'node port dropped with the type');
  t.equal(spec(cip)['loadBalancerClass'], undefined);
  t.equal(spec(cip)['externalTrafficPolicy'], undefined);
  const np = s.create(services, 'default', { metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 1 }] } });
  t.equal(spec(np).ports[0]!['nodePort'], spec(lb).ports[0]!['nodePort'], 'the released node port is free again');
  s.delete(services, 'default', 'np');
  s.delete(services, 'default', 'lb');
  const ips = ['a', 'b', 'c', 'd', 'e'].map((n) => spec(s.create(services, 'default', { metadata: { name: n }, spec: { ports: [{ port: 1 }] } }))['clusterIP']);
  t.strictSame(ips, ['10.96.0.2', '10.96.0.3', '10.96.0.4', '10.96.0.5', '10.96.0.6'], 'deleted services gave their addresses back');
  t.throws(() => s.create(services, 'default', { metadata: { name: 'f' }, spec: { ports: [{ port: 1 }] } }), { code: 422, message: /no IPv4 service addresses left/ });
});

t.test('dual-stack families and the load-balancer status', async (t) => {
  const s = new ObjectStore({ serviceCidrs: ['10.96.0.0/16', 'fd00:10:96::/112'] });
  const d = s.create(services, 'default', { metadata: { name: 'd' }, spec: { type: 'LoadBalancer', ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80 }] } });
  t.strictSame(spec(d)['ipFamilies'], ['IPv4', 'IPv6']);
  t.strictSame(spec(d)['clusterIPs'], ['10.96.0.2', 'fd00:10:96::2']);
  const v6 = s.create(services, 'default', { metadata: { name: 'v6' }, spec: { ipFamilies: ['IPv6'], ports: [{ port: 80 }] } });
  t.strictSame(spec(v6)['clusterIPs'], ['fd00:10:96::3']);
  const st = s.update(services, 'default', 'd', { ...d, status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }, { ip: '2001:db8::10', ipMode: 'Proxy' }] } } }, { subresource: 'status' }).object;
  t.strictSame((st as unknown as Svc).status, { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }, { ip: '2001:db8::10', ipMode: 'Proxy' }] } }, 'ipMode defaults to VIP');
  const status = (ingress: object[]): object => ({ ...st, status: { loadBalancer: { ingress } } });
  t.throws(() => s.update(services, 'default', 'd', status([{ ip: '192.0.2.256' }]), { subresource: 'status' }), { code: 422, message: /ingress\[0\].ip: Invalid value/ });
  t.throws(() => s.update(services, 'default', 'd', status([{ hostname: 'lb.example', ipMode: 'VIP' }]), { subresource: 'status' }), { code: 422, message: /ipMode: Forbidden/ });
  t.throws(() => s.update(services, 'default', 'd', status([{ ip: '192.0.2.1', ipMode: 'Tunnel' }]), { subresource: 'status' }), { code: 422, message: /ipMode: Unsupported value/ });
  t.throws(() => s.update(services, 'default', 'd', status([{ hostname: '192.0.2.1' }]), { subresource: 'status' }), { code: 422, message: /must be a DNS name, not an IP/ });
});

t.test('dry runs neither take nor give back addresses and ports', async (t) => {
  const s = new ObjectStore({ serviceCidrs: ['10.96.0.0/24'] });
  const dry = s.create(services, 'default', { metadata: { name: 'dry' }, spec: { type: 'NodePort', ports: [{ port: 1 }] } }, { dryRun: true });
  t.equal(spec(dry)['clusterIP'], '10.96.0.2', 'the dry run shows what would be allocated');
  t.throws(() => s.get(services, 'default', 'dry'), { code: 404 });
  const real = s.create(services, 'default', { metadata: { name: 'real' }, spec: { type: 'NodePort', ports: [{ port: 1 }] } });
  t.equal(spec(real)['clusterIP'], '10.96.0.2', 'the dry run took nothing');
  t.equal(spec(real).ports[0]!['nodePort'], 30000);
  s.update(services, 'default', 'real', { ...real, spec: { ...spec(real), type: 'ClusterIP' } }, { dryRun: true });
  const other = s.create(services, 'default', { metadata: { name: 'other' }, spec: { type: 'NodePort', ports: [{ port: 1 }] } });
  t.equal(spec(other).ports[0]!['nodePort'], 30001, 'the dry-run type change released nothing');
  t.equal(spec(s.get(services, 'default', 'real')).ports[0]!['nodePort'], 30000);
});
