// The columns `kubectl get` shows for the built-in kinds the double serves,
// computed server-side as the real API server's printers compute them
// (kubernetes pkg/printers/internalversion), and the columns of a custom
// resource from its CRD's additionalPrinterColumns.

import type { PrinterColumn } from './crd-catalog.js';
import type { StoredObject } from './history.js';
import { humanAge, type ColumnDefinition, type TableColumn } from './table.js';

type Getter = (obj: StoredObject, now: Date) => unknown;
type Any = Record<string, unknown>;

function col(name: string, cell: Getter, extra: Partial<ColumnDefinition> = {}): TableColumn {
  return { definition: { name, type: 'string', format: '', description: '', priority: 0, ...extra }, cell };
}

const nameColumn = col('Name', (o) => o.metadata.name, { format: 'name', description: 'Name must be unique within a namespace.' });
const ageColumn = col('Age', (o, now) => humanAge(o.metadata['creationTimestamp'] as string | undefined, now), {
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
});

const field = (o: StoredObject, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Any)[k] : undefined), o);
const list = (v: unknown): Any[] => (Array.isArray(v) ? (v as Any[]) : []);
const orNone = (s: string): string => (s === '' ? '<none>' : s);

function servicePorts(o: StoredObject): string {
  return orNone(list(field(o, 'spec', 'ports')).map((p) => `${String(p['port'])}${p['nodePort'] ? `:${String(p['nodePort'])}` : ''}/${String(p['protocol'] ?? 'TCP')}`).join(','));
}

function serviceExternalIp(o: StoredObject): string {
  const externalIps = list(field(o, 'spec', 'externalIPs')) as unknown as string[];
  switch (field(o, 'spec', 'type') ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return orNone(externalIps.join(','));
    case 'LoadBalancer': {
      const ingress = list(field(o, 'status', 'loadBalancer', 'ingress')).map((i) => String(i['ip'] ?? i['hostname'] ?? '')).filter((s) => s !== '');
      const all = [...ingress, ...externalIps];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return String(field(o, 'spec', 'externalName') ?? '');
    default:
      return '<unknown>';
  }
}

function selectorText(v: unknown): string {
  if (!v || typeof v !== 'object') return '<none>';
  return orNone(Object.entries(v as Any).sort(([a], [b]) => a.localeCompare(b)).map(([k, val]) => `${k}=${String(val)}`).join(','));
}

function nodeStatus(o: StoredObject): string {
  const ready = list(field(o, 'status', 'conditions')).find((c) => c['type'] === 'Ready');
  const status = ready === undefined ? 'Unknown' : ready['status'] === 'True' ? 'Ready' : 'NotReady';
  return field(o, 'spec', 'unschedulable') === true ? `${status},SchedulingDisabled` : status;
}

function nodeRoles(o: StoredObject): string {
  const labels = (o.metadata['labels'] ?? {}) as Record<string, string>;
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return orNone([...roles].sort().join(','));
}

function nodeAddress(o: StoredObject, type: string): string {
  return orNone(list(field(o, 'status', 'addresses')).filter((a) => a['type'] === type).map((a) => String(a['address'])).join(','));
}

/** Last seen of an Event: the newest of its series, lastTimestamp and eventTime. */
function eventLastSeen(o: StoredObject, now: Date): string {
  const ts = (field(o, 'series', 'lastObservedTime') ?? field(o, 'lastTimestamp') ?? field(o, 'deprecatedLastTimestamp') ?? field(o, 'eventTime') ?? o.metadata['creationTimestamp']) as string | undefined;
  return humanAge(ts, now);
}

function eventObject(o: StoredObject): string {
  const ref = (field(o, 'involvedObject') ?? field(o, 'regarding') ?? {}) as Any;
  return `${String(ref['kind'] ?? '').toLowerCase()}/${String(ref['name'] ?? '')}`;
}

const eventColumns: TableColumn[] = [
  col('Last Seen', eventLastSeen),
  col('Type', (o) => o['type'] ?? ''),
  col('Reason', (o) => o['reason'] ?? ''),
  col('Object', eventObject),
  col('Message', (o) => o['message'] ?? o['note'] ?? ''),
  col('Name', (o) => o.metadata.name, { priority: 1, format: 'name' }),
];

const mapSize = (v: unknown): number => (v && typeof v === 'object' ? Object.keys(v).length : 0);

/** Columns by "<group>/<kind>" ('' for the core group). */
export const builtinColumns: ReadonlyMap<string, readonly TableColumn[]> = new Map([
  ['/Service', [
    nameColumn,
    col('Type', (o) => field(o, 'spec', 'type') ?? 'ClusterIP'),
    col('Cluster-IP', (o) => orNone(String(field(o, 'spec', 'clusterIP') ?? ''))),
    col('External-IP', serviceExternalIp),
    col('Port(s)', servicePorts),
    ageColumn,
    col('Selector', (o) => selectorText(field(o, 'spec', 'selector')), { priority: 1 }),
  ]],
  ['/Node', [
    nameColumn,
    col('Status', nodeStatus),
    col('Roles', nodeRoles),
    ageColumn,
    col('Version', (o) => field(o, 'status', 'nodeInfo', 'kubeletVersion') ?? ''),
    col('Internal-IP', (o) => nodeAddress(o, 'InternalIP'), { priority: 1 }),
    col('External-IP', (o) => nodeAddress(o, 'ExternalIP'), { priority: 1 }),
  ]],
  ['/Namespace', [nameColumn, col('Status', (o) => field(o, 'status', 'phase') ?? ''), ageColumn]],
  ['/ConfigMap', [nameColumn, col('Data', (o) => mapSize(o['data']) + mapSize(o['binaryData']), { type: 'integer' }), ageColumn]],
  ['/Secret', [nameColumn, col('Type', (o) => o['type'] ?? 'Opaque'), col('Data', (o) => mapSize(o['data']), { type: 'integer' }), ageColumn]],
  ['/Event', eventColumns],
  ['events.k8s.io/Event', eventColumns],
  ['discovery.k8s.io/EndpointSlice', [
    nameColumn,
    col('AddressType', (o) => o['addressType'] ?? ''),
    col('Ports', (o) => orNone(list(o['ports']).map((p) => String(p['port'])).join(','))),
    col('Endpoints', (o) => {
      const addrs = list(o['endpoints']).flatMap((e) => list(e['addresses']) as unknown as string[]);
      return addrs.length === 0 ? '<unset>' : addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',');
    }),
    ageColumn,
  ]],
  ['coordination.k8s.io/Lease', [nameColumn, col('Holder', (o) => field(o, 'spec', 'holderIdentity') ?? ''), ageColumn]],
]);

/** What the real server prints for a kind that has no printer of its own. */
export const defaultColumns: readonly TableColumn[] = [
  nameColumn,
  col('Created At', (o) => o.metadata['creationTimestamp'] ?? '', { type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' }),
];

/** The value at a simple JSONPath (".spec.addresses", ".status.conditions[0].type"), or undefined. */
export function simpleJsonPath(obj: unknown, path: string): unknown {
  const steps = /^(\.[A-Za-z0-9_-]+|\[\d+\])+$/.test(path) ? path.match(/\.[A-Za-z0-9_-]+|\[\d+\]/g)! : undefined;
  if (!steps) return undefined;
  let v: unknown = obj;
  for (const s of steps) {
    if (v === null || typeof v !== 'object') return undefined;
    v = s.startsWith('[') ? (Array.isArray(v) ? v[Number(s.slice(1, -1))] : undefined) : (v as Any)[s.slice(1)];
  }
  return v;
}

/** A CRD printer column's cell, typed as the apiextensions server types it. */
function crdCell(type: string, value: unknown, now: Date): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      // Lists and maps print as JSON, scalars as text (Kubernetes' JSONPath printer).
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? humanAge(value, now) : null;
    default:
      return null;
  }
}

/** A custom resource's columns: Name, its printer columns, or Age when it declares none. */
export function crdColumns(printer: readonly PrinterColumn[]): TableColumn[] {
  if (printer.length === 0) return [nameColumn, ageColumn];
  return [
    nameColumn,
    ...printer.map((p) =>
      col(p.name, (o, now) => crdCell(p.type, simpleJsonPath(o, p.jsonPath), now), {
        type: p.type,
        format: p.format ?? '',
        description: p.description ?? `Custom resource definition column (in JSONPath format): ${p.jsonPath}`,
        priority: p.priority ?? 0,
      })),
  ];
}
