// The bench/chaos lab: a bridge, five node namespaces and a client
// namespace, documentation addresses only. Every VIP sits on every node's lo
// (arp_ignore=1 / arp_announce=2, the LVS direct-routing recipe), so each
// node's kernel accepts traffic for every VIP but none answers ARP or NDP for
// one unless the system under test makes it: shoal's responder, or
// keepalived putting the VIP on eth0.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetLab } from '../../dev/lab/netlab.js';

export const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
export type NodeName = (typeof NODES)[number];

const NODE_SUFFIX: Record<NodeName, number> = { n1: 11, n2: 12, n3: 13, n4: 14, n5: 15 };
export const nodeIp = (n: NodeName): string => `192.0.2.${NODE_SUFFIX[n]}`;
export const nodeIp6 = (n: NodeName): string => `2001:db8::${NODE_SUFFIX[n]}`;
export const nodeMac = (n: NodeName): string => `02:00:00:00:00:${NODE_SUFFIX[n]}`;

/** The client: its own addresses carry the traffic that keeps its neighbour entries in use. */
export const CLIENT = 'c';
export const CLIENT_IP = '192.0.2.2';
export const CLIENT_IP6 = '2001:db8::2';
export const CLIENT_MAC = '02:00:00:00:00:02';
/**
 * The identity the probe requests come from: no host has it, so the answers
 * (unicast to this MAC) reach the client's port but not its IP stack, and
 * the probing never touches the neighbour entries the benchmark measures.
 */
export const PROBE_IP = '192.0.2.3';
export const PROBE_IP6 = '2001:db8::3';
export const PROBE_MAC = '02:00:00:00:00:03';

/** `count` IPv4 and `count` IPv6 VIPs: 192.0.2.100.. and 2001:db8::100.. */
export function vipList(count: number): string[] {
  const v4 = Array.from({ length: count }, (_, i) => `192.0.2.${100 + i}`);
  const v6 = Array.from({ length: count }, (_, i) => `2001:db8::${(0x100 + i).toString(16)}`);
  return [...v4, ...v6];
}

export const isV6 = (ip: string): boolean => ip.includes(':');

/** The node a MAC belongs to, or undefined for a stranger. */
export function nodeOfMac(mac: string): NodeName | undefined {
  return NODES.find((n) => nodeMac(n) === mac.toLowerCase());
}

/** dist/bench/chaos, where the compiled prober lives. */
export const HERE = dirname(fileURLToPath(import.meta.url));
/** The compiled CLI (dist/src/cli/main.js). */
export const SHOAL_CLI = join(HERE, '..', '..', 'src', 'cli', 'main.js');

export async function buildLab(vips: readonly string[]): Promise<NetLab> {
  const lab = await NetLab.create('ch');
  try {
    for (const n of NODES) {
      await lab.host({ name: n, addrs: [`${nodeIp(n)}/24`, `${nodeIp6(n)}/64`], mac: nodeMac(n) });
      await lab.sysctl(n, 'net.ipv4.conf.all.arp_ignore', '1');
      await lab.sysctl(n, 'net.ipv4.conf.all.arp_announce', '2');
      for (const v of vips) await lab.ip(lab.ns(n), 'addr', 'add', isV6(v) ? `${v}/128` : `${v}/32`, 'dev', 'lo', ...(isV6(v) ? ['nodad'] : []));
    }
    await lab.host({ name: CLIENT, addrs: [`${CLIENT_IP}/24`, `${CLIENT_IP6}/64`], mac: CLIENT_MAC });
  } catch (err) {
    await lab.destroy();
    throw err;
  }
  return lab;
}
