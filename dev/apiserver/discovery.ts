// Discovery documents (/api, /apis, /api/v1, /apis/<group>/<version>) so
// that generic clients (client-node's KubernetesObjectApi, kubectl against
// `shoal-dev demo`) can map kinds to resources. Only installed types appear.

import type { ResourceCatalog } from './resource-catalog.js';
import type { ResourceType } from '../../src/kube/resources.js';

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The Kubernetes version the double's behaviour follows. */
export const emulatedVersion = { major: '1', minor: '31', gitVersion: 'v1.31.0-shoal-double' };

interface GroupVersion {
  group: string;
  version: string;
}

function versionsOf(t: ResourceType): string[] {
  return [t.version, ...t.otherVersions];
}

export function coreVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDoc(group: string, types: ResourceType[]): object {
  const versions = [...new Set(types.flatMap(versionsOf))];
  // The version most types store in comes first and is preferred.
  const preferred = types[0]!.version;
  versions.sort((a, b) => (a === preferred ? -1 : b === preferred ? 1 : b.localeCompare(a)));
  return {
    name: group,
    versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${group}/${preferred}`, version: preferred },
  };
}

export function groupList(types: readonly ResourceType[]): object {
  const byGroup = new Map<string, ResourceType[]>();
  for (const t of types) {
    if (t.group === '') continue;
    byGroup.set(t.group, [...(byGroup.get(t.group) ?? []), t]);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...byGroup].map(([g, ts]) => groupDoc(g, ts)),
  };
}

export function group(types: readonly ResourceType[], name: string): object | undefined {
  const ts = types.filter((t) => t.group === name);
  if (ts.length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(name, ts) };
}

export function resourceList(types: readonly ResourceType[], gv: GroupVersion, catalog: ResourceCatalog): object | undefined {
  const ts = types.filter((t) => t.group === gv.group && versionsOf(t).includes(gv.version));
  if (ts.length === 0) return undefined;
  const resources: object[] = [];
  for (const t of ts) {
    // Short names and categories are what `kubectl get svc` and `kubectl get all` resolve through.
    const { shortNames, categories } = catalog.describe(t, gv.version);
    resources.push({
      name: t.plural,
      singularName: t.kind.toLowerCase(),
      namespaced: t.namespaced,
      kind: t.kind,
      verbs,
      ...(shortNames.length > 0 && { shortNames }),
      ...(categories.length > 0 && { categories }),
    });
    if (t.statusSubresource) {
      resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv.group === '' ? gv.version : `${gv.group}/${gv.version}`,
    resources,
  };
}

export function versionInfo(): object {
  return {
    ...emulatedVersion,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: '',
    compiler: 'node',
    platform: `${process.platform}/${process.arch}`,
  };
}
