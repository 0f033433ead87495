// Builders shared by the election tests: a config from metallb.io objects,
// nodes, services, members, and input shuffling for the determinism tests.
import type { MemberState } from '../../src/cluster/messages.js';
import { parseResources } from '../../src/config/index.js';
import type { Config } from '../../src/config/index.js';
import type { ElectionInputs, ElectionMember, ElectionNode, ElectionService } from '../../src/announce/election-inputs.js';

/** Pools by name -> addresses; advertisements by name -> L2Advertisement spec. */
export function config(pools: Record<string, string[]>, ads: Record<string, Record<string, unknown>> = { all: {} }): Config {
  const r = parseResources({
    ipAddressPools: Object.entries(pools).map(([name, addresses]) => ({ metadata: { name, namespace: 'metallb-system' }, spec: { addresses } })),
    l2Advertisements: Object.entries(ads).map(([name, spec]) => ({ metadata: { name, namespace: 'metallb-system' }, spec })),
  });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return r.config;
}

export function node(labels: Record<string, string> = {}, networkUnavailable = false): ElectionNode {
  return { labels, networkUnavailable };
}

export interface ServiceOpts {
  namespace?: string;
  labels?: Record<string, string>;
  local?: boolean;
  /** Nodes with a serving endpoint; default: none listed but serving (a Cluster service with endpoints somewhere). */
  endpointNodes?: string[];
  serving?: boolean;
}

export function service(name: string, ips: string[], o: ServiceOpts = {}): ElectionService {
  const nodes = o.endpointNodes ?? [];
  return {
    namespace: o.namespace ?? 'default',
    name,
    labels: o.labels ?? {},
    ips,
    externalTrafficPolicy: o.local ? 'Local' : 'Cluster',
    endpoints: { serving: o.serving ?? true, nodes },
  };
}

export function members(names: readonly string[], state: MemberState = 'alive'): ElectionMember[] {
  return names.map((name) => ({ name, state }));
}

/** Nodes named `names`, no labels. */
export function plainNodes(names: readonly string[]): Map<string, ElectionNode> {
  return new Map(names.map((n) => [n, node()]));
}

export function inputs(o: Partial<ElectionInputs> & { config: Config }): ElectionInputs {
  return { members: o.members ?? [], nodes: o.nodes ?? new Map(), config: o.config, services: o.services ?? [] };
}

/** Seeded xorshift32 in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export function shuffle<T>(xs: readonly T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function shuffleRecord(r: Readonly<Record<string, string>>, random: () => number): Record<string, string> {
  return Object.fromEntries(shuffle(Object.entries(r), random));
}

/**
 * The same inputs as another speaker might hold them: every list, map and
 * label object in another order, IPs written in another textual form.
 */
export function reordered(i: ElectionInputs, random: () => number): ElectionInputs {
  return {
    config: i.config,
    members: shuffle([...i.members], random),
    nodes: new Map(shuffle([...i.nodes], random).map(([k, n]) => [k, { ...n, labels: shuffleRecord(n.labels, random) }])),
    services: shuffle([...i.services], random).map((s) => ({
      ...s,
      labels: shuffleRecord(s.labels, random),
      ips: shuffle(s.ips, random).map((ip) => (ip.includes(':') && random() < 0.5 ? ip.toUpperCase() : ip)),
      endpoints: { ...s.endpoints, nodes: shuffle(s.endpoints.nodes, random) },
    })),
  };
}

/** n addresses counting up from a documentation-range base, IPv4 or IPv6. */
export function addresses(n: number, family: 4 | 6 = 4): string[] {
  if (family === 4 && n > 768) throw new RangeError('the IPv4 documentation ranges hold 768 addresses');
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (family === 6) out.push(`2001:db8::${(0x100 + i).toString(16)}`);
    else out.push(`${['192.0.2', '198.51.100', '203.0.113'][Math.floor(i / 256)]}.${i % 256}`);
  }
  return out;
}
