// shoal end to end in Kubernetes mode, in namespaces the test builds: the API
// server double and the controller in an "api" namespace, three speakers
// (each in its node's namespace, host network as a DaemonSet pod has), and
// clients. The test drives the double through its unix socket.
//   layer 2: the controller allocates, the elected speaker answers ARP, a
//            nodeAssigned Event appears, the VIP fails over, deletion releases.
//   BGP:     every node advertises to FRR, which installs one ECMP route; a
//            client behind the router reaches the VIP; Local policy limits
//            the routes to nodes with endpoints; a stopping speaker withdraws.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { coreEvents, endpointSlices, serviceBgpStatuses, serviceL2Statuses, services } from '../../src/kube/resources.js';
import { mountSecret } from '../../dev/lab/mount-secret.js';
import { Frr } from '../bgp/lab/frr.js';
import { clientBehind, serveVip } from '../bgp/lab/topology.js';
import { cliPath, devCliPath, distMissing } from '../support/dist.js';
import { SocketKube } from '../support/kube-socket.js';
import { NetLab, netlabUnavailable, waitFor, type LabProcess } from '../support/netlab.js';

const skip = netlabUnavailable() ?? distMissing();
// The file as a whole: two subtests of up to 240 s each, more than the runner's 300 s default.
t.setTimeout(600_000);
const NS = 'metallb-system';
const API = '192.0.2.250';
const ROUTER = '192.0.2.254';
const NODES = [
  { name: 'n1', v4: '192.0.2.11', mac: '02:00:00:00:01:11' },
  { name: 'n2', v4: '192.0.2.12', mac: '02:00:00:00:01:12' },
  { name: 'n3', v4: '192.0.2.13', mac: '02:00:00:00:01:13' },
];

interface Cluster {
  lab: NetLab;
  kube: SocketKube;
  dir: string;
  speakers: Map<string, LabProcess>;
  startSpeaker(name: string): void;
}

/** Lab, API double, controller, speakers; objects are applied by the caller before speakers start. */
async function cluster(t: { teardown(fn: () => unknown): void }, tag: string, objects: object[], extraHosts: (lab: NetLab) => Promise<void> = async () => {}): Promise<Cluster> {
  const lab = await NetLab.create(tag);
  const dir = mkdtempSync(join(tmpdir(), `shoal-${tag}-`));
  t.teardown(async () => {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  await lab.host({ name: 'api', addrs: [`${API}/24`] });
  for (const n of NODES) await lab.host({ name: n.name, addrs: [`${n.v4}/24`], mac: n.mac });
  await extraHosts(lab);
  const socket = join(dir, 'api.sock');
  const kubeconfig = join(dir, 'kubeconfig');
  lab.spawn('api', process.execPath, [devCliPath, 'apiserver', '--listen', `${API}:6443`, '--socket', socket, '--kubeconfig-out', kubeconfig]);
  await waitFor(() => existsSync(socket) && existsSync(kubeconfig), 30_000, 'the API double to listen');
  const kube = new SocketKube(socket);
  const base: object[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    ...NODES.map((n) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name } },
      status: { addresses: [{ type: 'InternalIP', address: n.v4 }] },
    })),
    ...NODES.map((n) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `speaker-${n.name}`, namespace: NS, labels: { 'app.kubernetes.io/name': 'shoal', 'app.kubernetes.io/component': 'speaker' } },
      spec: { nodeName: n.name, hostNetwork: true, containers: [{ name: 'speaker', image: 'shoal' }] },
      status: { podIP: n.v4 },
    })),
  ];
  for (const o of [...base, ...objects]) await kube.apply(o as never);
  lab.spawn('api', process.execPath, [cliPath, 'controller', '--kubeconfig', kubeconfig, '--namespace', NS, '--status', `${API}:7472`, '--config-source', 'crd']);
  // Encrypted gossip, as installed: the controller creates the Secret, the test mounts it as the kubelet would.
  // The controller has to start (30 s on a loaded machine) before it creates the Secret.
  const keyDir = await mountSecret(kube, NS, 'memberlist', join(dir, 'ml_secret_key'), 60_000);
  const speakers = new Map<string, LabProcess>();
  const startSpeaker = (name: string): void => {
    const n = NODES.find((x) => x.name === name)!;
    const args = [cliPath, 'speaker', '--kubeconfig', kubeconfig, '--namespace', NS, '--node-name', n.name, '--gossip-bind', `${n.v4}:7946`, '--gossip-key-file', keyDir, '--status', `${n.v4}:7473`, '--layer2', 'on', '--config-source', 'crd'];
    speakers.set(name, lab.spawn(name, process.execPath, args));
  };
  for (const n of NODES) startSpeaker(n.name);
  return { lab, kube, dir, speakers, startSpeaker };
}

const lbService = (name: string, spec: object = {}): object => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name }, ...spec },
});
const slice = (service: string, nodes: string[]): object => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${service}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: nodes.map((node, i) => ({ addresses: [`198.51.100.${10 + i}`], nodeName: node, conditions: { ready: true } })),
  ports: [{ port: 80, protocol: 'TCP' }],
});

async function ingressIP(kube: SocketKube, name: string): Promise<string | undefined> {
  const svc = (await kube.get(services, 'default', name)) as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } } | undefined;
  return svc?.status?.loadBalancer?.ingress?.[0]?.ip;
}

t.test('layer 2 in Kubernetes mode: allocate, elect, answer ARP, fail over, release', { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  const c = await cluster(t, 'k2', [
    { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'pool', namespace: NS }, spec: { addresses: ['192.0.2.100-192.0.2.110'] } },
    { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'l2', namespace: NS }, spec: {} },
    lbService('web'),
    slice('web', ['n1', 'n2', 'n3']),
  ], async (lab) => void (await lab.host({ name: 'c', addrs: ['192.0.2.2/24'] })));
  const vip = await waitFor(() => ingressIP(c.kube, 'web'), 30_000, 'the controller to allocate an address');
  t.equal(vip, '192.0.2.100', 'the controller allocated the lowest address of the pool');

  const ownerSeen = async (running: string[]): Promise<string | undefined> => {
    const owners = new Set<string>();
    for (const name of running) {
      const n = NODES.find((x) => x.name === name)!;
      const r = await c.lab.exec('c', 'curl', ['-s', '--max-time', '10', `http://${n.v4}:7473/status`], { allowFail: true });
      try {
        const doc = JSON.parse(r.stdout) as { announcements: { ips: { ip: string; owner: string | null }[] }; fencing?: { ready?: boolean } };
        // A speaker still warming up (delayed failback) is about to move the address.
        owners.add(doc.fencing?.ready === true ? (doc.announcements.ips.find((a) => a.ip === vip)?.owner ?? 'none') : 'none');
      } catch {
        owners.add('unreachable');
      }
    }
    const [only] = owners;
    return owners.size === 1 && only && only !== 'none' && only !== 'unreachable' ? only : undefined;
  };
  // Up to 5 s for two replies: a speaker slowed by load still gets several requests to answer.
  const arping = async (ip: string): Promise<string[]> => {
    const r = await c.lab.exec('c', 'arping', ['-c', '2', '-w', '5', '-I', 'eth0', ip], { allowFail: true });
    return [...new Set([...r.stdout.matchAll(/\[([0-9a-f:]{17})\]/gi)].map((m) => m[1]!.toLowerCase()))];
  };
  const all = NODES.map((n) => n.name);
  t.teardown(async () => {
    if (t.passing()) return;
    for (const n of NODES) {
      const r = await c.lab.exec('c', 'curl', ['-s', '--max-time', '10', `http://${n.v4}:7473/status`], { allowFail: true });
      const doc = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
      t.comment(`${n.name}: fencing ${JSON.stringify(doc['fencing'])} layer2 hold ${JSON.stringify((doc['layer2'] as { hold?: unknown } | undefined)?.hold)} announcements ${JSON.stringify(doc['announcements'])}`);
      // What the status writer sent and how it went, and what the speaker warned of: a missing ServiceL2Status is told apart from a slow one.
      const metrics = await c.lab.exec('c', 'curl', ['-s', '--max-time', '10', `http://${n.v4}:7473/metrics`], { allowFail: true });
      for (const line of metrics.stdout.split('\n').filter((l) => l.startsWith('shoal_status_object_requests_total'))) t.comment(`${n.name}: ${line}`);
      const warned = (c.speakers.get(n.name)?.output() ?? '').split('\n').filter((l) => /"level":"(warn|error)"/.test(l));
      for (const line of warned.slice(-20)) t.comment(`${n.name}: ${line}`);
    }
  });
  // The warm-up (delayed failback, 10 s by default) comes on top of the join.
  const owner = await waitFor(() => ownerSeen(all), 60_000, 'the speakers to warm up and agree on an owner');
  t.same(await arping(vip), [NODES.find((n) => n.name === owner)!.mac], `arping resolves ${vip} to ${owner}`);
  const events = await waitFor(async () => {
    const list = (await c.kube.list(coreEvents, 'default')) as { reason?: string; message?: string; involvedObject?: { name?: string } }[];
    return list.find((e) => e.reason === 'nodeAssigned' && e.involvedObject?.name === 'web' && e.message?.includes(owner)) && list;
  }, 45_000, 'a nodeAssigned Event');
  t.ok(events.some((e) => e.reason === 'IPAllocated'), 'the controller recorded IPAllocated too');
  type Status = { metadata?: { labels?: Record<string, string> }; status?: { node?: string; serviceName?: string; serviceNamespace?: string; peers?: string[] } };
  const l2Status = (node: string) => waitFor(async () => {
    const list = (await c.kube.list(serviceL2Statuses, NS)) as Status[];
    return list.find((o) => o.status?.node === node && o.metadata?.labels?.['metallb.io/node'] === node && o.status?.serviceName === 'web');
  }, 45_000, `a ServiceL2Status for web from ${node}`);
  t.match(await l2Status(owner), { status: { serviceNamespace: 'default' }, metadata: { labels: { 'metallb.io/service-name': 'web', 'metallb.io/service-namespace': 'default' } } }, 'the owner wrote its ServiceL2Status');

  await c.lab.kill(c.speakers.get(owner)!, 'SIGKILL');
  const rest = all.filter((n) => n !== owner);
  const next = await waitFor(async () => {
    const o = await ownerSeen(rest);
    return o !== owner && o;
  }, 45_000, 'a new owner');
  t.same(await arping(vip), [NODES.find((n) => n.name === next)!.mac], `after the kill ${next} answers`);
  t.ok(await l2Status(next), `${next} wrote its ServiceL2Status`);

  await c.kube.delete(services, 'default', 'web');
  await waitFor(async () => (await arping(vip)).length === 0, 45_000, 'nobody to answer for the released address');
  t.pass('a deleted service\'s address gets no answer');
});

t.test('BGP in Kubernetes mode: ECMP through FRR, Local policy, graceful withdraw', { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  let frr: Frr | undefined;
  const bgpConf = [
    'frr defaults traditional',
    'router bgp 64512',
    ' bgp router-id 192.0.2.254',
    ' no bgp ebgp-requires-policy',
    ' bgp bestpath as-path multipath-relax',
    ' neighbor NODES peer-group',
    ' neighbor NODES remote-as 64513',
    ' bgp listen range 192.0.2.0/24 peer-group NODES',
    ' address-family ipv4 unicast',
    '  maximum-paths 8',
    ' exit-address-family',
    '',
  ].join('\n');
  const c = await cluster(
    t,
    'kb',
    [
      { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'bgp-pool', namespace: NS }, spec: { addresses: ['203.0.113.16/28'] } },
      { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'router', namespace: NS }, spec: { myASN: 64513, peerASN: 64512, peerAddress: ROUTER, holdTime: '90s' } },
      { apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name: 'adv', namespace: NS }, spec: { ipAddressPools: ['bgp-pool'] } },
      lbService('web'),
      slice('web', ['n1', 'n2', 'n3']),
      lbService('local', { externalTrafficPolicy: 'Local' }),
      slice('local', ['n2']),
    ],
    async (lab) => {
      await lab.host({ name: 'r', addrs: [`${ROUTER}/24`] });
      await clientBehind(lab, 'r', 'c', '198.51.100.1/24', '198.51.100.2/24');
      frr = await Frr.start(lab, 'r', bgpConf);
    },
  );
  t.teardown(() => frr?.cleanup());
  const vip = await waitFor(() => ingressIP(c.kube, 'web'), 30_000, 'an address for web');
  const localVip = await waitFor(() => ingressIP(c.kube, 'local'), 30_000, 'an address for local');
  for (const n of NODES) await serveVip(c.lab, n.name, vip, '198.51.100.0/24', ROUTER);

  const all = NODES.map((n) => n.v4).sort();
  // Three speaker processes start, join and open their sessions (process start 30 s, Established 60 s).
  await waitFor(async () => JSON.stringify(await frr!.kernelNexthops(`${vip}/32`)) === JSON.stringify(all), 90_000, 'one ECMP route to the VIP over the three nodes', 200);
  t.pass(`the router's kernel holds ${vip} via ${all.join(', ')}`);
  const bgpStatuses = await waitFor(async () => {
    const list = (await c.kube.list(serviceBgpStatuses, NS)) as { status?: { node?: string; serviceName?: string; peers?: string[] } }[];
    const web = list.filter((o) => o.status?.serviceName === 'web');
    return web.length === 3 && web;
  }, 45_000, 'a ServiceBGPStatus for web from each node');
  t.same(bgpStatuses.map((o) => o.status?.node).sort(), ['n1', 'n2', 'n3']);
  t.ok(bgpStatuses.every((o) => JSON.stringify(o.status?.peers) === '["router"]'), 'each names the BGPPeer');
  await waitFor(async () => {
    const list = (await c.kube.list(coreEvents, 'default')) as { reason?: string; message?: string; involvedObject?: { name?: string } }[];
    return list.some((e) => e.reason === 'nodeAssigned' && e.involvedObject?.name === 'web' && e.message?.includes('protocol "bgp"'));
  }, 45_000, 'a nodeAssigned Event for BGP');
  t.pass('nodeAssigned Event with protocol "bgp"');
  const local = await waitFor(async () => {
    const hops = await frr!.kernelNexthops(`${localVip}/32`);
    return hops.length > 0 && hops;
  }, 45_000, 'a route to the Local service');
  t.same(local, ['192.0.2.12'], 'Local policy: only the node with an endpoint advertises');

  // The HTTP servers may still be starting (a node process each): retry.
  const answer = await waitFor(async () => {
    const r = await c.lab.exec('c', 'curl', ['-s', '--max-time', '2', `http://${vip}/`], { allowFail: true });
    return /^n[123]$/.test(r.stdout) && r.stdout;
  }, 45_000, 'an HTTP answer through the router');
  t.pass(`a client behind the router reaches the VIP (answered by ${answer})`);

  // A graceful stop withdraws before it closes: the path goes before the
  // 90 s hold time would end (the wait gives up at 80 s, so a path that
  // only went with the hold time fails it).
  const stopped = c.speakers.get('n3')!;
  process.kill(stopped.pid, 'SIGTERM');
  await waitFor(async () => JSON.stringify(await frr!.kernelNexthops(`${vip}/32`)) === JSON.stringify(['192.0.2.11', '192.0.2.12']), 80_000, 'n3\'s path to go', 50);
  t.pass('SIGTERM withdrew n3\'s path before the hold time ran out');
  await stopped.exited;

  await c.kube.delete(services, 'default', 'web');
  await c.kube.delete(endpointSlices, 'default', 'web-x');
  await waitFor(async () => (await frr!.kernelNexthops(`${vip}/32`)).length === 0, 45_000, 'the route to go with the service');
  t.pass('deleting the service withdrew its route');
});
