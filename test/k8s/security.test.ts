// The security posture of the manifests: what each pod may do on its node,
// and what each service account may do through the API. The permissions are
// compared, both ways, with the tables in docs/controller.md and
// docs/install.md, so code, docs and manifests cannot drift apart silently.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { REPO, find, installed, type Manifest } from './support/manifests.js';

const objs = installed().map((o) => o.obj);

interface Probe { httpGet?: { path: string; port: number | string } }
interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; privileged?: boolean; runAsUser?: number; capabilities?: { add?: string[]; drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  serviceAccountName: string;
  terminationGracePeriodSeconds?: number;
  tolerations?: { key?: string; operator?: string; effect?: string }[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number; seccompProfile?: { type: string } };
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string; optional?: boolean; defaultMode?: number }; hostPath?: unknown }[];
}
interface Workload { spec: { replicas?: number; strategy?: { type: string }; template: { spec: PodSpec } } }

const podOf = (kind: string, name: string): PodSpec => find<Workload>(objs, kind, name).spec.template.spec;
const speaker = podOf('DaemonSet', 'shoal-speaker');
const controller = podOf('Deployment', 'shoal-controller');

/** The port a probe targets, resolving a port name. */
function probePort(c: Container, p: Probe | undefined): number | undefined {
  const port = p?.httpGet?.port;
  return typeof port === 'number' ? port : c.ports?.find((x) => x.name === port)?.containerPort;
}

function commonHardening(t: Test, pod: PodSpec, who: string): void {
  t.equal(pod.securityContext?.runAsNonRoot, true, `${who}: runAsNonRoot`);
  t.equal(pod.securityContext?.runAsUser, 65532, `${who}: the image's numeric non-root user`);
  t.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${who}: seccomp`);
  t.notOk(pod.hostPID || pod.hostIPC, `${who}: no host PID or IPC namespace`);
  t.notOk(pod.volumes?.some((v) => v.hostPath !== undefined), `${who}: no hostPath volumes`);
  t.equal(pod.containers.length, 1);
  const sc = pod.containers[0]?.securityContext;
  t.equal(sc?.allowPrivilegeEscalation, false, `${who}: no_new_privs`);
  t.equal(sc?.readOnlyRootFilesystem, true, `${who}: read-only root filesystem`);
  t.notOk(sc?.privileged, `${who}: not privileged`);
  t.equal(sc?.runAsUser, undefined, `${who}: the container does not override the pod's user`);
  t.same(sc?.capabilities?.drop, ['ALL'], `${who}: every capability dropped first`);
  const res = pod.containers[0]?.resources;
  t.ok(res?.requests?.['cpu'] && res.requests['memory'] && res.limits?.['memory'], `${who}: requests and a memory limit`);
}

t.test('speaker: host network, gossip and status ports, only the network capabilities', async (t) => {
  commonHardening(t, speaker, 'speaker');
  t.equal(speaker.hostNetwork, true);
  const c = speaker.containers[0] as Container;
  t.same(c.securityContext?.capabilities?.add, ['NET_RAW', 'NET_ADMIN', 'NET_BIND_SERVICE'], 'ARP/NDP sockets, network administration, the BGP port');
  t.same(
    (c.ports ?? []).map((p) => [p.containerPort, p.protocol ?? 'TCP']).sort(),
    [[7473, 'TCP'], [7946, 'TCP'], [7946, 'UDP']],
    'gossip TCP and UDP, status',
  );
  for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
    t.equal(c[probe]?.httpGet?.path, '/healthz', probe);
    t.equal(probePort(c, c[probe]), 7473, `${probe} on the status port`);
  }
  t.same(c.args?.[0], 'speaker');
});

t.test('speaker: identity from the downward API, gossip key from the memberlist Secret', async (t) => {
  const c = speaker.containers[0] as Container;
  const env = new Map((c.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value]));
  t.equal(env.get('NODE_NAME'), 'spec.nodeName');
  t.equal(env.get('POD_IP'), 'status.podIP');
  t.equal(env.get('POD_NAMESPACE'), 'metadata.namespace');
  const volume = speaker.volumes?.find((v) => v.secret?.secretName === 'memberlist');
  t.ok(volume, "MetalLB's Secret, by its name");
  t.notOk(volume?.secret?.optional, 'not optional: the pod waits for the Secret the controller creates; the speaker never gossips unencrypted');
  t.notOk(c.args?.includes('--insecure-gossip'), 'no unencrypted gossip');
  t.equal(volume?.secret?.defaultMode, 0o440, 'readable by the group only');
  t.equal(speaker.securityContext?.fsGroup, speaker.securityContext?.runAsGroup, "the key file's group is the speaker's");
  const mount = c.volumeMounts?.find((m) => m.name === volume?.name);
  t.equal(mount?.readOnly, true);
  t.equal(env.get('SHOAL_ML_SECRET_KEY_PATH'), `${mount?.mountPath}/secretkey`, "the Secret's key, as MetalLB names it");
});

t.test('speaker: runs where MetalLB runs and has time to leave gracefully', async (t) => {
  for (const key of ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master']) {
    t.ok(speaker.tolerations?.some((x) => x.key === key && x.operator === 'Exists' && x.effect === 'NoSchedule'), key);
  }
  // The speaker's --leave-timeout defaults to 2 s; BGP Cease and shutdown follow.
  t.ok((speaker.terminationGracePeriodSeconds ?? 30) >= 5, 'grace period covers the leave');
});

t.test('controller: one replica, non-root, no capabilities, probes on its status port', async (t) => {
  commonHardening(t, controller, 'controller');
  const w = find<Workload>(objs, 'Deployment', 'shoal-controller');
  t.equal(w.spec.replicas, 1, 'no leader election: exactly one');
  t.equal(w.spec.strategy?.type, 'Recreate', 'the old controller stops before the new one allocates');
  t.notOk(controller.hostNetwork);
  const c = controller.containers[0] as Container;
  t.equal(c.securityContext?.capabilities?.add, undefined, 'no capability added');
  t.same(c.ports?.map((p) => p.containerPort), [7472]);
  for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
    t.equal(c[probe]?.httpGet?.path, '/healthz', probe);
    t.equal(probePort(c, c[probe]), 7472, `${probe} on the status port`);
  }
  t.equal(c.env?.find((e) => e.name === 'SHOAL_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace', 'configuration read from its own namespace');
});

// ---- RBAC -----------------------------------------------------------------

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }
interface Binding { kind: string; metadata: { name: string; namespace?: string }; roleRef: { apiGroup: string; kind: string; name: string }; subjects: { kind: string; name: string; namespace?: string }[] }

/** One permission: `cluster|namespace group/resource verb`. */
type Grant = string;

/** What a service account may do, from the roles bound to it in the manifests, with each grant's resourceNames. */
function grantsOf(account: string): Map<Grant, string[] | undefined> {
  const out = new Map<Grant, string[] | undefined>();
  for (const b of objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') as unknown as Binding[]) {
    if (!b.subjects.some((s) => s.kind === 'ServiceAccount' && s.name === account && s.namespace === 'metallb-system')) continue;
    const scope = b.kind === 'ClusterRoleBinding' ? 'cluster' : 'namespace';
    const role = find<{ rules: Rule[] }>(objs, b.roleRef.kind, b.roleRef.name);
    for (const r of role.rules) {
      for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.set(`${scope} ${g}/${res} ${v}`, r.resourceNames);
    }
  }
  return out;
}

/** The permission table of a document section: `| resource | verbs | scope |` rows. */
function documented(doc: string, heading: string): Set<Grant> {
  const text = readFileSync(join(REPO, doc), 'utf8');
  const start = text.indexOf(heading);
  if (start < 0) throw new Error(`${doc} has no "${heading}"`);
  const rows = text.slice(start).split('\n').filter((l) => l.startsWith('| ')).slice(2);
  const out = new Set<Grant>();
  for (const row of rows) {
    const [resources, verbs, scope] = row.split('|').slice(1, 4).map((c) => c.trim());
    if (!resources || !verbs || !scope) break;
    for (const raw of resources.split(',')) {
      // "ipaddresspools.metallb.io/status" is resource "ipaddresspools/status" of group "metallb.io".
      const res = raw.replace(/\(.*?\)/g, '').replace(/`/g, '').trim();
      const [, name = res, dotted, sub = ''] = /^([^./]+)(?:\.([^/]+))?(\/\w+)?$/.exec(res) ?? [];
      const [resource, group] = [name + sub, dotted ?? ''];
      for (const v of verbs.split(',')) out.add(`${scope.startsWith('cluster') ? 'cluster' : 'namespace'} ${group}/${resource} ${v.trim()}`);
    }
  }
  if (out.size === 0) throw new Error(`no permission rows under "${heading}" in ${doc}`);
  return out;
}

/** What may be written: Events, Service status, and the metallb.io status objects MetalLB's components write. */
const WRITABLE = new Set(['events', 'services/status', 'ipaddresspools/status', 'configurationstates', 'configurationstates/status', 'servicel2statuses', 'servicel2statuses/status', 'servicebgpstatuses', 'servicebgpstatuses/status']);
/** What may be deleted, by the speaker only: its own status objects. */
const DELETABLE = new Set(['servicel2statuses', 'servicebgpstatuses']);

t.test('RBAC: no wildcards, no privilege-granting verbs, no writes beyond status objects, Events and the gossip key Secret', async (t) => {
  const roles = objs.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole') as unknown as (Manifest & { rules: Rule[] })[];
  t.equal(roles.length, 4);
  for (const role of roles) {
    for (const r of role.rules) {
      for (const field of [r.apiGroups, r.resources, r.verbs, r.resourceNames ?? []]) t.notOk(field.includes('*'), `${role.metadata.name}: no wildcard`);
      t.notOk(r.verbs.some((v) => ['escalate', 'bind', 'impersonate', 'deletecollection'].includes(v)), `${role.metadata.name}: ${r.verbs.join(',')}`);
      if (r.verbs.includes('delete')) t.ok(role.metadata.name === 'shoal-speaker' && r.resources.every((res) => DELETABLE.has(res)), `${role.metadata.name} deletes only its status objects: ${r.resources.join(',')}`);
      const writes = r.verbs.filter((v) => ['create', 'update', 'patch'].includes(v));
      const secretCreate = role.metadata.name === 'shoal-controller' && role.kind === 'Role' && r.resources.join() === 'secrets' && r.verbs.join() === 'create';
      if (writes.length > 0 && !secretCreate) t.ok(r.resources.every((res) => WRITABLE.has(res)), `${role.metadata.name} writes only Events and status: ${r.resources.join(',')}`);
    }
  }
});

t.test('RBAC: the controller may do exactly what docs/controller.md lists', async (t) => {
  const granted = grantsOf('shoal-controller');
  t.same([...granted.keys()].sort(), [...documented('docs/controller.md', '## Permissions')].sort());
  t.same(granted.get('namespace /configmaps list'), ['config'], 'only the ConfigMap named config');
  t.same(granted.get('namespace /secrets get'), ['memberlist'], 'reads only the gossip key Secret');
  t.notOk([...granted.keys()].some((g) => /\/secrets (list|watch|update|patch)$/.test(g)), 'no other access to Secrets');
});

t.test('RBAC: the speaker may do exactly what docs/install.md lists', async (t) => {
  const granted = grantsOf('shoal-speaker');
  t.same([...granted.keys()].sort(), [...documented('docs/install.md', '### What the speaker may do')].sort());
  t.same(granted.get('namespace /configmaps watch'), ['config', 'metallb-excludel2'], 'only the configuration and exclusion-list ConfigMaps');
  const statusKinds = /metallb\.io\/(servicel2statuses|servicebgpstatuses|configurationstates)(\/status)? /;
  t.notOk([...granted.keys()].some((g) => / (get|create|update|patch|delete)$/.test(g) && !g.includes('/events ') && !statusKinds.test(g)), 'beyond its status objects the speaker only lists and watches, and records Events');
});

t.test('RBAC: each account is bound only to its own roles, each workload uses its own account', async (t) => {
  for (const b of objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') as unknown as Binding[]) {
    t.equal(b.subjects.length, 1, b.metadata.name);
    t.same(b.subjects[0], { kind: 'ServiceAccount', name: b.metadata.name, namespace: 'metallb-system' }, `${b.metadata.name} binds its namesake account`);
    t.same(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: b.kind === 'RoleBinding' ? 'Role' : 'ClusterRole', name: b.metadata.name });
  }
  t.equal(controller.serviceAccountName, 'shoal-controller');
  t.equal(speaker.serviceAccountName, 'shoal-speaker');
  t.same(objs.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name).sort(), ['shoal-controller', 'shoal-speaker']);
});
