// The systems bench/chaos runs side by side on the same lab: shoal with the
// split-brain safety on, shoal with it off (what MetalLB does too), and
// keepalived. Each variant is the configuration one node gets.
import { isV6, NODES, nodeIp, type NodeName } from './topology.js';

/** The `fencing` section of shoal's file-mode config (src/speaker/file-config.ts). */
export interface FencingSection {
  /** Resolve two claimants seen on the wire to one. */
  resolve: boolean;
  /** Re-assert owned addresses this often (jittered); 0: never. */
  reassertMs: number;
  /** Gratuitous burst for every owned address after a heal, ms after it. */
  healBurstMs: number[];
  /** Take over nothing new while seeing fewer than a majority of the last known members. */
  quorum: boolean;
  /** A returning member takes its addresses back only this long after it is ready. */
  failbackDelayMs: number;
}

export type Variant = { name: string; kind: 'shoal'; fencing: FencingSection } | { name: string; kind: 'keepalived' };

export const VARIANTS: readonly Variant[] = [
  { name: 'shoal-safe', kind: 'shoal', fencing: { resolve: true, reassertMs: 3000, healBurstMs: [0, 500, 2000], quorum: false, failbackDelayMs: 10000 } },
  // Today's behaviour, which is MetalLB's: a claim by another host is only logged.
  { name: 'shoal-unsafe', kind: 'shoal', fencing: { resolve: false, reassertMs: 0, healBurstMs: [], quorum: false, failbackDelayMs: 0 } },
  { name: 'keepalived', kind: 'keepalived' },
];

export function variantByName(name: string): Variant {
  const v = VARIANTS.find((x) => x.name === name);
  if (!v) throw new Error(`--variants: no variant "${name}"; the variants are ${VARIANTS.map((x) => x.name).join(', ')}`);
  return v;
}

export const GOSSIP_PORT = 7946;
export const STATUS_PORT = 7473;

/**
 * A node's speaker file. Each VIP is its own service, so the VIPs spread
 * over the ring. `withFencing` false leaves the section out, for a tree
 * whose config does not know it yet (the two shoal variants are then the
 * same system).
 */
export function shoalFile(n: NodeName, vips: readonly string[], fencing: FencingSection, withFencing: boolean): string {
  const file = {
    node: n,
    gossip: { bind: `${nodeIp(n)}:${GOSSIP_PORT}`, join: NODES.map((m) => `${nodeIp(m)}:${GOSSIP_PORT}`), profile: 'fast' },
    status: `${nodeIp(n)}:${STATUS_PORT}`,
    layer2: { interfaces: ['eth0'] },
    vips: vips.map((address, i) => ({ address, name: `svc-${i + 1}` })),
    ...(withFencing ? { fencing } : {}),
  };
  return JSON.stringify(file, null, 2);
}

/**
 * keepalived: one VRRP v3 instance per node, each the home (priority 150) of
 * every fifth VIP, so ownership spreads as shoal's does. VRRP goes unicast to
 * the other nodes' addresses: a partition made with blackhole routes then
 * cuts VRRP as it cuts gossip (multicast to 224.0.0.18 would not follow the
 * unicast routes). A VRRP v3 instance carries one family; the IPv6 VIPs ride
 * along as virtual_ipaddress_excluded of the IPv4 instance, added and
 * removed with its state, announced with unsolicited NAs. Preemption is
 * keepalived's default: the home node takes its VIPs back.
 */
export function keepalivedConf(n: NodeName, vips: readonly string[], advertInt: number): string {
  const home = NODES.indexOf(n);
  const instances = NODES.map((owner, i) => {
    const mine = vips.filter((_, k) => k % NODES.length === i);
    const v4 = mine.filter((v) => !isV6(v));
    const v6 = mine.filter(isV6);
    // The home node first, then the others in a fixed order, so two backups never tie.
    const priority = i === home ? 150 : 100 + ((home - i + NODES.length) % NODES.length);
    return `vrrp_instance VI_${i + 1} {
  state BACKUP
  interface eth0
  virtual_router_id ${51 + i}
  priority ${priority}
  advert_int ${advertInt}
  unicast_src_ip ${nodeIp(n)}
  unicast_peer {
${NODES.filter((m) => m !== n)
  .map((m) => `    ${nodeIp(m)}`)
  .join('\n')}
  }
  virtual_ipaddress {
${v4.map((v) => `    ${v}/32 dev eth0`).join('\n')}
  }
  virtual_ipaddress_excluded {
${v6.map((v) => `    ${v}/128 dev eth0`).join('\n')}
  }
}
# home of VI_${i + 1}: ${owner}`;
  });
  return `global_defs {
  router_id ${n}
  vrrp_version 3
}
${instances.join('\n')}
`;
}
