// What kubectl needs from the double, through plain HTTP as kubectl sends it:
// short names in discovery, Table output (list, get, watch), /openapi/v3
// and field validation. The real kubectl runs against the demo in
// test/dev/kubectl-demo.ts (run from demo.test.ts).
import { request } from 'node:http';
import t from 'tap';
import { crdsFromYaml } from '../../../dev/apiserver/crd-catalog.js';
import { builtinSchemas, objectMetaSchema } from '../../../dev/apiserver/builtin-schemas.js';
import { schemaOfModel } from '../../../dev/apiserver/model-schema.js';
import { checkFields, type OpenApiSchema } from '../../../dev/apiserver/openapi-schema.js';
import type { ApiServerDouble } from '../../../dev/apiserver/server.js';
import { humanAge, tableVersionAccepted } from '../../../dev/apiserver/table.js';
import { double as startDouble } from './support.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

interface Reply {
  code: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(d: ApiServerDouble, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${d.url}${path}`, { method, headers: { ...(body !== undefined && { 'Content-Type': 'application/json' }), ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ code: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const json = (r: Reply): Record<string, unknown> => JSON.parse(r.body) as Record<string, unknown>;

/** A double whose wall clock the test moves (`clock.now`). */
function double(t: { teardown(fn: () => unknown): void }, clock = { now: new Date('2026-01-01T00:00:00Z') }): Promise<ApiServerDouble> {
  return startDouble(t, { now: () => clock.now });
}

const service = (name: string, extra: Record<string, unknown> = {}): object => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], ...extra },
});

t.test('discovery carries the short names and categories kubectl resolves', async (t) => {
  const d = await double(t);
  const core = json(await call(d, 'GET', '/api/v1')) as { resources: { name: string; shortNames?: string[]; categories?: string[] }[] };
  const byName = new Map(core.resources.map((r) => [r.name, r]));
  t.same(byName.get('services')?.shortNames, ['svc']);
  t.same(byName.get('services')?.categories, ['all']);
  t.same(byName.get('nodes')?.shortNames, ['no']);
  t.same(byName.get('namespaces')?.shortNames, ['ns']);
  t.same(byName.get('configmaps')?.shortNames, ['cm']);
  t.same(byName.get('events')?.shortNames, ['ev']);
  t.notOk('shortNames' in byName.get('secrets')!, 'secrets have none on a real server either');
  const metallb = json(await call(d, 'GET', '/apis/metallb.io/v1beta1')) as { resources: object[] };
  t.notOk(metallb.resources.some((r) => 'shortNames' in r), "MetalLB's CRDs declare no short names");
});

t.test('a Service list as a Table has the columns of a real API server', async (t) => {
  const clock = { now: new Date('2026-01-01T00:00:00Z') };
  const d = await double(t, clock);
  await call(d, 'POST', '/api/v1/namespaces/default/services', service('web'));
  await call(d, 'POST', '/api/v1/namespaces/default/services', service('ext', { externalIPs: ['203.0.113.5'] }));
  await call(d, 'POST', '/api/v1/namespaces/default/services', { ...service('db'), spec: { type: 'ClusterIP', ports: [{ port: 5432, protocol: 'TCP' }] } });
  clock.now = new Date('2026-01-01T00:03:05Z');
  const plain = json(await call(d, 'GET', '/api/v1/namespaces/default/services'));
  t.equal(plain['kind'], 'ServiceList', 'plain JSON without the Table media type');
  const r = json(await call(d, 'GET', '/api/v1/namespaces/default/services', undefined, { Accept: TABLE }));
  t.equal(r['kind'], 'Table');
  t.equal(r['apiVersion'], 'meta.k8s.io/v1');
  const cols = (r['columnDefinitions'] as { name: string; priority: number }[]).map((c) => `${c.name}${c.priority ? '*' : ''}`);
  t.same(cols, ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
  const rows = r['rows'] as { cells: unknown[]; object: { kind: string; metadata: { name: string } } }[];
  const web = rows.find((row) => row.object.metadata.name === 'web')!;
  t.match(web.cells, ['web', 'LoadBalancer', /^10\.96\./, '<pending>', /^80:\d+\/TCP$/, '3m5s', 'app=web'], 'no ingress yet: <pending>');
  t.equal(web.object.kind, 'PartialObjectMetadata', 'rows carry the metadata by default');
  t.equal(rows.find((row) => row.object.metadata.name === 'ext')!.cells[3], '203.0.113.5', 'no ingress but external IPs: those');
  const db = rows.find((row) => row.object.metadata.name === 'db')!;
  t.match(db.cells, ['db', 'ClusterIP', /^10\.96\./, '<none>', '5432/TCP', '3m5s', '<none>']);

  const status = { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }] } } };
  await call(d, 'PATCH', '/api/v1/namespaces/default/services/ext/status', status, { 'Content-Type': 'application/merge-patch+json' });
  const one = json(await call(d, 'GET', '/api/v1/namespaces/default/services/ext?includeObject=Object', undefined, { Accept: TABLE }));
  const [row] = one['rows'] as { cells: unknown[]; object: { apiVersion: string; spec: object } }[];
  t.equal(row!.cells[3], '192.0.2.10,203.0.113.5', 'ingress addresses, then external IPs');
  t.equal(row!.object.apiVersion, 'v1', 'includeObject=Object gives the whole object');
});

t.test('custom resources print their CRD columns, with the CRD defaults', async (t) => {
  const d = await double(t);
  const pool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'lan' }, spec: { addresses: ['192.0.2.0/28'] } };
  await call(d, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } });
  t.equal((await call(d, 'POST', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools', pool)).code, 201);
  const r = json(await call(d, 'GET', '/apis/metallb.io/v1beta1/ipaddresspools', undefined, { Accept: TABLE }));
  t.same((r['columnDefinitions'] as { name: string }[]).map((c) => c.name), ['Name', 'Auto Assign', 'Avoid Buggy IPs', 'Addresses']);
  t.same((r['rows'] as { cells: unknown[] }[])[0]!.cells, ['lan', true, false, '["192.0.2.0/28"]'], 'lists print as JSON, as kubectl shows them');
});

t.test('a watch of Tables sends the columns once, then one row per event', async (t) => {
  const d = await double(t);
  const events: { type: string; object: { columnDefinitions?: unknown[]; rows: { cells: unknown[] }[] } }[] = [];
  const done = new Promise<void>((resolve) => {
    const req = request(`${d.url}/api/v1/namespaces/default/services?watch=true`, { headers: { Accept: TABLE } }, (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          events.push(JSON.parse(buf.slice(0, nl)) as (typeof events)[number]);
          buf = buf.slice(nl + 1);
          if (events.length === 2) {
            req.destroy();
            resolve();
          }
        }
      });
    });
    req.end();
  });
  while (d.watchCount('services') === 0) await new Promise((r) => setTimeout(r, 10));
  await call(d, 'POST', '/api/v1/namespaces/default/services', service('a'));
  await call(d, 'POST', '/api/v1/namespaces/default/services', service('b'));
  await done;
  t.same(events.map((e) => [e.type, e.object.rows[0]!.cells[0], e.object.columnDefinitions?.length ?? 0]), [['ADDED', 'a', 7], ['ADDED', 'b', 0]]);
});

t.test('/openapi/v3 tells kubectl the server validates fields; the server does', async (t) => {
  const d = await double(t);
  const index = json(await call(d, 'GET', '/openapi/v3')) as { paths: Record<string, { serverRelativeURL: string }> };
  t.ok(index.paths['api/v1'] && index.paths['apis/metallb.io/v1beta1'] && index.paths['apis/metallb.io/v1beta2'], 'every served group-version');
  const core = json(await call(d, 'GET', index.paths['api/v1']!.serverRelativeURL)) as {
    paths: Record<string, { patch?: { parameters: { name: string }[]; 'x-kubernetes-group-version-kind': object; requestBody: { content: object } } }>;
    components: { schemas: Record<string, object> };
  };
  const patch = core.paths['/api/v1/namespaces/{namespace}/services/{name}']?.patch;
  t.same(patch?.['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Service' });
  t.ok(patch?.parameters.some((p) => p.name === 'fieldValidation'), 'PATCH declares fieldValidation: kubectl leaves validation to the server');
  t.ok('application/strategic-merge-patch+json' in patch!.requestBody.content, 'built-in kinds take strategic merge patches');
  t.match(core.components.schemas['io.k8s.api.core.v1.Service'], { 'x-kubernetes-group-version-kind': [{ kind: 'Service' }] });
  const metallb = json(await call(d, 'GET', index.paths['apis/metallb.io/v1beta1']!.serverRelativeURL)) as typeof core;
  const crPatch = metallb.paths['/apis/metallb.io/v1beta1/namespaces/{namespace}/ipaddresspools/{name}']?.patch;
  t.notOk('application/strategic-merge-patch+json' in crPatch!.requestBody.content, 'custom resources do not');
  t.ok(metallb.components.schemas['io.metallb.v1beta1.IPAddressPool'], 'the CRD schema, under the name a real server gives it');

  const typo = service('typo', { loadBalancerIp: '192.0.2.1' });
  const strict = await call(d, 'POST', '/api/v1/namespaces/default/services?fieldValidation=Strict', typo);
  t.equal(strict.code, 400, 'Strict refuses an unknown field');
  t.match(json(strict)['message'], 'strict decoding error: unknown field "spec.loadBalancerIp"');
  const warned = await call(d, 'POST', '/api/v1/namespaces/default/services', typo);
  t.equal(warned.code, 201, 'Warn (the default) accepts the object');
  t.same(warned.headers['warning'], '299 - "unknown field \\"spec.loadBalancerIp\\""', 'with a Warning header');
  t.notOk('loadBalancerIp' in (json(warned)['spec'] as object), 'and drops the field');
  const patched = await call(d, 'PATCH', '/api/v1/namespaces/default/services/typo?fieldValidation=Strict', { spec: { sessionAffinty: 'None' } }, { 'Content-Type': 'application/merge-patch+json' });
  t.equal(patched.code, 400, 'patches are checked too');
  t.equal((await call(d, 'POST', '/api/v1/namespaces/default/services?fieldValidation=Loose', service('x'))).code, 400, 'an unknown mode is refused');
});

t.test('field checks: undeclared fields, maps, lists, preserved subtrees, defaults', async (t) => {
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          ports: { type: 'array', items: { type: 'object', properties: { port: { type: 'integer' } } } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          on: { type: 'boolean', default: true },
        },
      },
    },
  };
  const r = checkFields({ spec: { ports: [{ port: 1 }, { port: 2, name: 'x' }], labels: { a: 'b' }, free: { any: { thing: 1 } }, extra: 1 }, top: 2 }, schema);
  t.same(r.unknown, ['spec.ports[1].name', 'spec.extra', 'top']);
  t.same(r.pruned, { spec: { ports: [{ port: 1 }, { port: 2 }], labels: { a: 'b' }, free: { any: { thing: 1 } }, on: true } });
});

t.test('Accept negotiation and ages', async (t) => {
  t.equal(tableVersionAccepted(TABLE), 'v1');
  t.equal(tableVersionAccepted('application/json;as=Table;v=v1beta1;g=meta.k8s.io'), 'v1beta1');
  t.equal(tableVersionAccepted('application/json, application/json;as=Table;v=v1;g=meta.k8s.io'), undefined, 'plain JSON first is preferred');
  t.equal(tableVersionAccepted('application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json'), undefined);
  t.equal(tableVersionAccepted(undefined), undefined);
  const now = new Date('2026-01-10T00:00:00Z');
  const ago = (s: number): string => humanAge(new Date(now.getTime() - s * 1000).toISOString(), now);
  t.same([0, 59, 119, 120, 185, 600, 3 * 3600 - 60, 3 * 3600, 7 * 3600 + 60, 30 * 3600, 3 * 86400 + 3600, 9 * 86400].map(ago), ['0s', '59s', '119s', '2m', '3m5s', '10m', '179m', '3h', '7h1m', '30h', '3d1h', '9d']);
  t.equal(humanAge('2026-01-10T00:00:05Z', now), '<invalid>', 'from the future');
});

t.test('CRD manifests: names, served versions only, errors name the file', async (t) => {
  const [crd] = crdsFromYaml(
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: x.io\n  names: {kind: Foo, plural: foos, shortNames: [fo], categories: [all]}\n  versions:\n  - {name: v1, served: true}\n  - {name: v0, served: false}\n',
    'foo.yaml',
  );
  t.same(crd?.shortNames, ['fo']);
  t.same([...crd!.versions.keys()], ['v1']);
  t.throws(() => crdsFromYaml('kind: CustomResourceDefinition\nspec: {group: x.io}\n', 'bad.yaml'), /bad\.yaml: a CustomResourceDefinition without/);
});

t.test('the hand-written built-in schemas declare exactly the fields of client-node’s models', async (t) => {
  const paths = (s: OpenApiSchema, at = ''): string[] => {
    if (s['x-kubernetes-preserve-unknown-fields'] || s['x-kubernetes-int-or-string']) return [at];
    if (s.items) return paths(s.items, `${at}[]`);
    if (typeof s.additionalProperties === 'object') return paths(s.additionalProperties, `${at}{}`);
    const props = Object.entries(s.properties ?? {});
    return props.length === 0 ? [at] : props.flatMap(([k, v]) => paths(v, `${at}.${k}`)).sort();
  };
  for (const [key, model] of [['/Service', 'V1Service'], ['/Namespace', 'V1Namespace'], ['/ConfigMap', 'V1ConfigMap'], ['/Secret', 'V1Secret']] as const) {
    t.same(paths(builtinSchemas.get(key)!.schema), paths(schemaOfModel(model)), key);
  }
  t.same(paths(objectMetaSchema), paths(schemaOfModel('V1ObjectMeta')), 'ObjectMeta');
});
