// `kubectl kustomize k8s/` (what `kubectl apply -k k8s/` installs) builds,
// holds every object of the listed manifests once, and retargets the images.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { K8S, installed, kustomization } from './support/manifests.js';

const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const skip = probe.error || probe.status !== 0 ? 'kubectl is not on PATH (kubectl 1.32 or newer builds the kustomization)' : false;

t.test('kubectl kustomize k8s/ builds every installed object, images retargeted', { skip }, async (t) => {
  const r = spawnSync('kubectl', ['kustomize', K8S], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  t.equal(r.status, 0, 'kustomize builds', { stderr: r.stderr });
  const built = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; spec?: { template?: { spec?: { containers?: { image: string }[] } } } });
  const id = (o: { kind: string; metadata: { name: string; namespace?: string } }): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  t.same(built.map(id).sort(), installed().map(({ obj }) => id(obj)).sort(), 'the objects of the listed files, each once');
  const tags = new Map((kustomization().images ?? []).map((i) => [i.name, i.newTag]));
  const images = built.flatMap((o) => o.spec?.template?.spec?.containers?.map((c) => c.image) ?? []);
  t.ok(images.length >= 2, `workload images: ${images.join(', ')}`);
  for (const image of images) {
    const [name, tag] = image.split(':');
    t.equal(tag, tags.get(name!), `${image}: the kustomization's tag`);
  }
});
