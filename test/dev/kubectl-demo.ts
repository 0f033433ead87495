// A new user's first session: `npm start`, then the real kubectl against the
// demo's API stand-in with the KUBECONFIG the demo prints. Short names,
// server-side columns, `kubectl apply` with kubectl's default (strict,
// server-side) validation, and the address the controller gives a Service
// created with `kubectl create service loadbalancer`.
//
// Registered by demo.test.ts, so the two never run a demo at once: the
// demo's addresses and ports are fixed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startDemo } from './demo-process.js';
import { parseAllDocuments } from 'yaml';
import { distMissing, repoRoot } from '../support/dist.js';
import { waitFor } from '../support/netlab.js';

function kubectlMissing(): string | undefined {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'kubectl is not on PATH (install kubectl 1.32 or newer to run this test)' : undefined;
}

/** Whether the speaker's RBAC lets it write ServiceL2Status objects (a build that writes them must grant it). */
function speakerWritesL2Status(): boolean {
  const docs = parseAllDocuments(readFileSync(join(repoRoot, 'k8s', 'speaker-rbac.yaml'), 'utf8')).map((d) => d.toJS() as { rules?: { resources?: string[]; verbs?: string[] }[] } | null);
  return docs.some((d) => d?.rules?.some((r) => r.resources?.includes('servicel2statuses') && r.verbs?.includes('create')));
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** A table's rows as column-name -> cell maps (kubectl pads columns with spaces). */
function rows(table: string): Record<string, string>[] {
  const lines = table.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0]!;
  const names = header.split(/\s{2,}/).map((s) => s.trim());
  const starts = names.map((n) => header.indexOf(n));
  return lines.slice(1).map((l) => Object.fromEntries(names.map((n, i) => [n, l.slice(starts[i], starts[i + 1]).trim()])));
}

const skip = distMissing() ?? kubectlMissing() ?? false;

t.test('kubectl drives the demo: apply, create service, get svc shows the external IP', { skip, timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-kubectl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // No services of its own: the ones here come from kubectl.
  const services = join(dir, 'services.yaml');
  writeFileSync(services, '[]\n');
  const demo = startDemo(t, ['--restart-after', '0', '--services', services]);
  await waitFor(() => /export KUBECONFIG=\S+/.test(demo.output()), 60_000, 'the demo to print the KUBECONFIG to use');
  const kubeconfig = /export KUBECONFIG=(\S+)/.exec(demo.output())![1]!;
  // A cache of its own: kubectl keeps discovery and OpenAPI per server address for hours.
  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const c = spawn('kubectl', ['--cache-dir', join(dir, 'cache'), '--request-timeout', '20s', ...args], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
      let o = '';
      let e = '';
      c.stdout.on('data', (b: Buffer) => (o += b.toString()));
      c.stderr.on('data', (b: Buffer) => (e += b.toString()));
      // 'close', not 'exit': the exit can be reported before the last output is read.
      c.on('close', (code) => resolve({ code, out: o, err: e }));
    });

  const applied = await kubectl('apply', '-f', join(repoRoot, 'k8s', 'examples', 'layer2.yaml'));
  t.equal(applied.code, 0, 'kubectl apply validates and applies the layer-2 example', { stderr: applied.err });
  t.match(applied.out, /ipaddresspool\.metallb\.io\/lan created/);
  t.match(applied.out, /l2advertisement\.metallb\.io\/lan created/);
  t.notMatch(applied.err, /warning/i, 'no warning: the example declares only fields of the CRDs');
  const again = await kubectl('apply', '-f', join(repoRoot, 'k8s', 'examples', 'layer2.yaml'));
  t.match(again.out, /ipaddresspool\.metallb\.io\/lan unchanged/, 'applying again changes nothing');

  const pools = rows((await kubectl('get', 'ipaddresspools', '-n', 'metallb-system')).out);
  t.match(pools.find((r) => r['NAME'] === 'lan'), { 'AUTO ASSIGN': 'true', 'AVOID BUGGY IPS': 'false', ADDRESSES: '["192.0.2.240-192.0.2.250","2001:db8:0:1::100/124"]' }, "the CRD's printer columns, with its defaults filled in");

  const bad = join(dir, 'misspelt.yaml');
  writeFileSync(bad, 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: typo, namespace: metallb-system}\nspec: {addresses: [192.0.2.230/32], autoAsign: false}\n');
  const refused = await kubectl('apply', '-f', bad);
  t.not(refused.code, 0, 'a misspelt field is refused');
  t.match(refused.err, /unknown field "spec\.autoAsign"/, 'and named');

  const created = await kubectl('create', 'service', 'loadbalancer', 'web', '--tcp=80:8080');
  t.equal(created.code, 0, 'kubectl create service loadbalancer', { stderr: created.err });
  let web: Record<string, string> | undefined;
  await waitFor(async () => {
    const r = await kubectl('get', 'svc');
    web = rows(r.out).find((row) => row['NAME'] === 'web');
    return web !== undefined && /^(192\.0\.2\.\d+|2001:db8:)/.test(web['EXTERNAL-IP'] ?? '');
  }, 60_000, 'kubectl get svc to show the external IP the controller allocated to web', 500);
  t.match(web, { TYPE: 'LoadBalancer', 'CLUSTER-IP': /^10\.96\./, 'PORT(S)': /^80:\d+\/TCP$/, AGE: /^\d+[smh]/ }, 'the columns of a real API server');
  const header = (await kubectl('get', 'services')).out.split('\n')[0]!;
  t.same(header.split(/\s+/).filter((s) => s !== ''), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'], 'kubectl get services: same columns by the full name');
  const wide = rows((await kubectl('get', 'svc', 'web', '-o', 'wide')).out)[0];
  t.equal(wide?.['SELECTOR'], 'app=web', '-o wide adds the selector');

  const nodes = rows((await kubectl('get', 'no')).out);
  t.same(nodes.map((n) => [n['NAME'], n['STATUS']]), [['node-1', 'Ready'], ['node-2', 'Ready'], ['node-3', 'Ready']], 'kubectl get no');
  // The Event is written after the status the wait above saw: ask until it is there.
  await waitFor(
    async () => rows((await kubectl('get', 'ev')).out).some((e) => e['OBJECT'] === 'service/web' && /192\.0\.2\.|2001:db8:/.test(e['MESSAGE'] ?? '')),
    45_000,
    'kubectl get ev to show the allocation Event of web',
    500,
  );
  t.pass('kubectl get ev shows the allocation Event of web');
  t.equal((await kubectl('get', 'cm', '-A')).code, 0, 'kubectl get cm');

  await t.test('kubectl get servicel2statuses -A shows the announcing node', { skip: speakerWritesL2Status() ? false : 'the speakers of this build do not write ServiceL2Status (k8s/speaker-rbac.yaml grants no create on servicel2statuses)' }, async (t) => {
    // Layer 2 announces only a Service with a serving endpoint (as MetalLB):
    // give web one on node-1, as the EndpointSlice controller would for a pod there.
    const slice = join(dir, 'web-endpoints.yaml');
    writeFileSync(
      slice,
      [
        'apiVersion: discovery.k8s.io/v1',
        'kind: EndpointSlice',
        'metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}',
        'addressType: IPv4',
        'ports: [{name: "80-8080", port: 8080, protocol: TCP}]',
        'endpoints: [{addresses: [198.51.100.10], conditions: {ready: true, serving: true}, nodeName: node-1}]',
        '',
      ].join('\n'),
    );
    t.equal((await kubectl('apply', '-f', slice)).code, 0, 'an EndpointSlice for web');
    let l2: Record<string, string> | undefined;
    await waitFor(async () => {
      l2 = rows((await kubectl('get', 'servicel2statuses', '-A')).out).find((r) => r['SERVICE NAME'] === 'web');
      return l2 !== undefined;
    }, 60_000, 'a ServiceL2Status for web', 500).catch(async (err: unknown) => {
      t.comment((await kubectl('get', 'servicel2statuses', '-A', '-o', 'yaml')).out);
      throw err;
    });
    t.match(l2, { 'ALLOCATED NODE': /^node-\d$/, 'SERVICE NAMESPACE': 'default' });
  });

  demo.kill('SIGINT');
  t.equal(await demo.exited, 0, 'the demo stops cleanly');
});
