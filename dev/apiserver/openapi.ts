// /openapi/v3: the index of group-versions and one OpenAPI 3.0 document per
// group-version, as kubectl 1.32 reads them. kubectl looks up the PATCH
// operation of a kind (x-kubernetes-group-version-kind) to learn whether
// the server does field validation itself (a `fieldValidation` query
// parameter) and, for built-in kinds, whether it takes strategic merge
// patches, whose list semantics it then reads from components.schemas.
// Only what the double honours is declared: dryRun and fieldValidation,
// the patch types it applies.

import { createHash } from 'node:crypto';
import type { ResourceCatalog } from './resource-catalog.js';
import { apiVersionOf, type ResourceType } from '../../src/kube/resources.js';

interface GroupVersion {
  group: string;
  version: string;
}

/** "api/v1" or "apis/metallb.io/v1beta1": the index key of a group-version. */
export function groupVersionPath(gv: GroupVersion): string {
  return gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;
}

function versionsOf(t: ResourceType): string[] {
  return [t.version, ...t.otherVersions];
}

function groupVersions(types: readonly ResourceType[]): GroupVersion[] {
  const seen = new Map<string, GroupVersion>();
  for (const t of types) for (const version of versionsOf(t)) seen.set(groupVersionPath({ group: t.group, version }), { group: t.group, version });
  return [...seen.values()];
}

const param = (name: string, description: string): object => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } });
const dryRun = param('dryRun', 'When present, indicates that modifications should not be persisted. The only valid value is All.');
const fieldValidation = param(
  'fieldValidation',
  'How the server treats fields the schema does not declare: Ignore drops them, Warn (the default) drops them with a Warning header, Strict refuses the request.',
);

/** The document of one group-version, or undefined when nothing is served there. */
export function groupVersionDocument(types: readonly ResourceType[], catalog: ResourceCatalog, gv: GroupVersion): object | undefined {
  const ts = types.filter((t) => t.group === gv.group && versionsOf(t).includes(gv.version));
  if (ts.length === 0) return undefined;
  const paths: Record<string, object> = {};
  const schemas: Record<string, object> = {};
  for (const t of ts) {
    const d = catalog.describe(t, gv.version);
    const gvk = { group: t.group, version: gv.version, kind: t.kind };
    const body = d.schema ? { $ref: `#/components/schemas/${d.schema.name}` } : { type: 'object' };
    if (d.schema) schemas[d.schema.name] = { ...d.schema.schema, 'x-kubernetes-group-version-kind': [gvk] };
    const json = { 'application/json': { schema: body } };
    const ok = { '200': { description: 'OK', content: json } };
    // Built-in kinds take strategic merge patches; custom resources do not (no Go struct to merge by).
    const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', ...(t.builtin ? ['application/strategic-merge-patch+json'] : [])];
    const op = (action: string, extra: object = {}): object => ({
      operationId: `${action}${t.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      responses: ok,
      ...extra,
    });
    const base = `/${groupVersionPath(gv)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    paths[base] = {
      get: op('list'),
      post: op('post', { parameters: [dryRun, fieldValidation], requestBody: { content: json } }),
    };
    const item = {
      get: op('get'),
      put: op('put', { parameters: [dryRun, fieldValidation], requestBody: { content: json } }),
      patch: op('patch', { parameters: [dryRun, fieldValidation], requestBody: { content: Object.fromEntries(patchTypes.map((p) => [p, { schema: { type: 'object' } }])) } }),
      delete: op('delete', { parameters: [dryRun] }),
    };
    paths[`${base}/{name}`] = item;
    if (t.statusSubresource) paths[`${base}/{name}/status`] = { get: item.get, put: item.put, patch: item.patch };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (shoal API server double)', version: apiVersionOf(ts[0]!, gv.version) },
    paths,
    components: { schemas },
  };
}

/** /openapi/v3: where each group-version's document is, with a content hash as real servers give. */
export function openApiIndex(types: readonly ResourceType[], catalog: ResourceCatalog): object {
  const paths: Record<string, object> = {};
  for (const gv of groupVersions(types)) {
    const doc = JSON.stringify(groupVersionDocument(types, catalog, gv));
    const hash = createHash('sha512').update(doc).digest('hex').slice(0, 128).toUpperCase();
    paths[groupVersionPath(gv)] = { serverRelativeURL: `/openapi/v3/${groupVersionPath(gv)}?hash=${hash}` };
  }
  return { paths };
}
