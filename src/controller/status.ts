// The controller's section of the status endpoint (/status): the
// configuration in force and where it came from, every pool with its usage,
// every LoadBalancer Service with its addresses or its problem, and the
// latest errors. JSON for tools, an aligned table for people.

import type { GossipSecretStatus } from '../kube/gossip-secret.js';
import { namespacedKey } from '../kube/object-key.js';
import type { StatusSection } from '../status/server.js';
import { renderTable } from '../status/table.js';

export interface RecentError {
  readonly at: string;
  readonly service: string | null;
  readonly message: string;
}

interface FamilyFigures {
  /** Decimal text: an IPv6 pool can exceed 2^53. */
  readonly total: string;
  readonly assigned: string;
  readonly available: string;
}

export interface ControllerStatus {
  readonly phase: string;
  /** A configuration is in force and existing addresses are registered. */
  readonly ready: boolean;
  readonly namespace: string;
  readonly loadBalancerClass: string | null;
  readonly config: {
    readonly mode: string;
    readonly configMap: string;
    /** Where the configuration in force came from. */
    readonly source: 'crd' | 'configmap' | null;
    /** Counts distinct configurations applied since the start. */
    readonly generation: number;
    readonly loadedAt: string | null;
    /** The latest candidate was refused or has gone; an older one is in force. */
    readonly stale: boolean;
    /** Why no configuration object exists, when none does. */
    readonly absent: string | null;
    readonly missingCrds: readonly string[];
    readonly lastRefusal: { readonly at: string; readonly source: string; readonly errors: readonly { path: string; code: string; message: string }[] } | null;
  };
  readonly pools: readonly {
    readonly name: string;
    readonly addresses: readonly string[];
    readonly autoAssign: boolean;
    readonly avoidBuggyIPs: boolean;
    readonly ipv4: FamilyFigures;
    readonly ipv6: FamilyFigures;
    readonly services: number;
  }[];
  readonly services: readonly {
    readonly service: string;
    readonly state: string;
    readonly ips: readonly string[];
    readonly pool: string | null;
    readonly sharingKey: string | null;
    readonly sharedWith: readonly string[];
    readonly problem: { readonly code: string; readonly message: string } | null;
    readonly since: string;
  }[];
  readonly recentErrors: readonly RecentError[];
  /** The speakers' gossip key Secret, when the controller looks after it. */
  readonly gossipSecret: GossipSecretStatus | null;
  readonly queue: { readonly queued: number; readonly processing: number; readonly retrying: number };
}

export function controllerStatusText(s: ControllerStatus): string {
  const c = s.config;
  const source = c.source === null ? 'none' : `${c.source === 'crd' ? 'metallb.io objects' : `ConfigMap ${namespacedKey(s.namespace, c.configMap)}`}, generation ${c.generation}, loaded ${c.loadedAt}`;
  const head = [
    `controller: ${s.phase}${s.ready ? '' : ' (not allocating yet)'}, namespace ${s.namespace}, class ${s.loadBalancerClass ?? '(none: services without a class)'}`,
    `config: ${source}; mode ${c.mode}${c.stale ? '; STALE: the latest candidate was refused or has gone' : ''}${c.absent ? `; ${c.absent}` : ''}`,
  ];
  const g = s.gossipSecret;
  if (g) head.push(`gossip key Secret ${s.namespace}/${g.name}: ${g.state}${g.message ? ` (${g.message})` : ''}`);
  if (c.missingCrds.length > 0) head.push(`CRDs not installed: ${c.missingCrds.join(', ')}`);
  if (c.lastRefusal) {
    head.push(`last refusal (${c.lastRefusal.at}, ${c.lastRefusal.source}):`);
    for (const e of c.lastRefusal.errors.slice(0, 10)) head.push(`  ${e.path === '' ? '' : `${e.path}: `}${e.message}`);
    if (c.lastRefusal.errors.length > 10) head.push(`  ... ${c.lastRefusal.errors.length - 10} more`);
  }
  const fam = (f: FamilyFigures): string => (f.total === '0' ? '-' : `${f.assigned}/${f.total}`);
  const pools = renderTable(
    ['POOL', 'AUTO', 'IPV4 USED', 'IPV6 USED', 'SERVICES', 'ADDRESSES'],
    s.pools.map((p) => [p.name, p.autoAssign ? 'yes' : 'no', fam(p.ipv4), fam(p.ipv6), String(p.services), p.addresses.join(' ')]),
  );
  const svcs = renderTable(
    ['SERVICE', 'STATE', 'IPS', 'POOL', 'SHARED WITH', 'PROBLEM'],
    s.services.map((v) => [v.service, v.state, v.ips.join(',') || '-', v.pool ?? '-', v.sharedWith.join(',') || '-', v.problem ? `${v.problem.code}: ${v.problem.message}` : '']),
  );
  const errors = s.recentErrors.length === 0 ? 'recent errors: none' : ['recent errors:', ...s.recentErrors.map((e) => `  ${e.at} ${e.service ?? ''} ${e.message}`)].join('\n');
  const queue = `queue: ${s.queue.queued} queued, ${s.queue.processing} processing, ${s.queue.retrying} retrying`;
  return [...head, '', pools, '', svcs, '', errors, queue].join('\n');
}

export function controllerStatusSection(status: () => ControllerStatus): StatusSection {
  return {
    name: 'controller',
    json: () => status(),
    text: () => controllerStatusText(status()),
  };
}
