// Every manifest under k8s/ against the Kubernetes schemas (types, required
// fields, unknown fields), and the kustomization against the files.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { builtinProblems } from './support/kube-schema.js';
import { K8S, REPO, find, installed, kustomization, packageVersion, readYaml, yamlFiles, type Manifest } from './support/manifests.js';

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);

t.test('the kustomization lists every manifest once, and only files that exist', async (t) => {
  const k = kustomization();
  t.equal(k.apiVersion, 'kustomize.config.k8s.io/v1beta1');
  t.equal(k.kind, 'Kustomization');
  const listed = k.resources.map((r) => join('k8s', r));
  t.same(listed.filter((f) => !existsSync(join(REPO, f))), [], 'every listed file exists');
  t.equal(new Set(listed).size, listed.length, 'no file listed twice');
  const manifests = yamlFiles('k8s').filter((f) => f !== 'k8s/kustomization.yaml' && !f.startsWith('k8s/examples/') && !f.startsWith('k8s/monitoring/'));
  t.same([...listed].sort(), manifests, 'every manifest under k8s/ (examples and the monitoring overlay aside) is installed');
  t.ok(manifests.length >= 13, 'manifests found');
  t.same(Object.keys(k).sort(), ['apiVersion', 'images', 'kind', 'resources'], 'no fields beyond those checked here');
});

t.test('every installed object is valid for its kind (schema and strict fields)', async (t) => {
  const objs = installed();
  t.ok(objs.length >= 20, `${objs.length} objects`);
  for (const { file, obj } of objs) {
    t.same(await builtinProblems(obj), [], `${file}: ${obj.kind} ${obj.metadata.name}`);
  }
});

t.test('namespaced objects live in metallb-system, cluster-scoped ones in none', async (t) => {
  for (const { file, obj } of installed()) {
    if (CLUSTER_SCOPED.has(obj.kind)) t.equal(obj.metadata.namespace, undefined, `${file}: ${obj.kind} ${obj.metadata.name}`);
    else t.equal(obj.metadata.namespace, 'metallb-system', `${file}: ${obj.kind} ${obj.metadata.name}`);
  }
  const names = installed().map(({ obj }) => `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
  t.equal(new Set(names).size, names.length, 'no object defined twice');
});

t.test("shoal's objects never take MetalLB's names", async (t) => {
  // MetalLB 0.16's own workload, account and role names: applying shoal next to
  // a MetalLB install must not overwrite them (docs/install.md, migration).
  const metallb = new Set(['controller', 'speaker', 'metallb-system:controller', 'metallb-system:speaker', 'pod-lister', 'controller-pod-lister']);
  for (const { obj } of installed()) {
    if (obj.kind === 'CustomResourceDefinition' || obj.kind === 'Namespace') continue;
    t.notOk(metallb.has(obj.metadata.name), `${obj.kind} ${obj.metadata.name}`);
    t.match(obj.metadata.name, /^shoal-/, `${obj.kind} ${obj.metadata.name} is prefixed`);
  }
});

interface Workload {
  spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[] } } };
}

t.test('workloads: selectors match their pods, images carry the package version', async (t) => {
  const objs = installed().map((o) => o.obj);
  const version = packageVersion();
  const k = kustomization();
  for (const [kind, name, component] of [['Deployment', 'shoal-controller', 'controller'], ['DaemonSet', 'shoal-speaker', 'speaker']] as const) {
    const w = find<Workload>(objs, kind, name);
    const labels = w.spec.template.metadata.labels;
    t.same(labels, { 'app.kubernetes.io/name': 'shoal', 'app.kubernetes.io/component': component });
    for (const [key, value] of Object.entries(w.spec.selector.matchLabels)) t.equal(labels[key], value, `${name} selector ${key}`);
    const [container] = w.spec.template.spec.containers;
    t.equal(container?.image, `shoal-${component}:${version}`);
    t.same(k.images?.find((i) => i.name === `shoal-${component}`), { name: `shoal-${component}`, newTag: version }, 'kustomize image entry to retarget');
  }
});

t.test('the examples are valid Kubernetes objects in shoal’s namespace', async (t) => {
  const files = yamlFiles('k8s/examples');
  t.same(files.map((f) => relative(K8S, join(REPO, f))), ['examples/bgp-bfd.yaml', 'examples/layer2-configmap.yaml', 'examples/layer2.yaml']);
  for (const f of files) {
    for (const obj of readYaml(f) as Manifest[]) {
      t.equal(obj.metadata.namespace, 'metallb-system', `${f}: ${obj.kind} ${obj.metadata.name}`);
      if (obj.apiVersion === 'v1') t.same(await builtinProblems(obj), [], `${f}: ${obj.kind}`);
    }
  }
});

t.test('the validation used above refuses what an API server refuses', async (t) => {
  const ds = find(installed().map((o) => o.obj), 'DaemonSet', 'shoal-speaker');
  const broken: [string, (pod: Record<string, unknown>, c: Record<string, unknown>) => void, RegExp][] = [
    ['misspelt field', (pod) => (pod['hostNetwrok'] = true), /unknown field spec\.template\.spec\.hostNetwrok/],
    ['port as text', (_p, c) => ((c['ports'] as Record<string, unknown>[])[0]!['containerPort'] = '7946'), /containerPort must be integer/],
    ['container without a name', (_p, c) => delete c['name'], /containers\/0 must have required property name/],
    ['capabilities as text', (_p, c) => ((c['securityContext'] as Record<string, unknown>)['capabilities'] = 'NET_RAW'), /capabilities must be object/],
    ['nested typo', (_p, c) => ((c['securityContext'] as Record<string, unknown>)['readOnlyRootFilesytem'] = true), /unknown field .*readOnlyRootFilesytem/],
  ];
  for (const [why, edit, expect] of broken) {
    const copy = structuredClone(ds);
    const pod = (copy['spec'] as { template: { spec: Record<string, unknown> } }).template.spec;
    edit(pod, (pod['containers'] as Record<string, unknown>[])[0]!);
    t.match((await builtinProblems(copy)).join('\n'), expect, why);
  }
});
