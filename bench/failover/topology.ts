// The bench/failover lab: a bridge, three node namespaces and a client
// namespace. Each node serves HTTP on the VIP, which sits on its lo with
// arp_ignore=1 / arp_announce=2 (LVS direct routing): every node accepts
// traffic for the VIP, and none answers ARP for it unless the system under
// test makes it (shoal's responder, or keepalived putting the VIP on eth0).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetLab, waitFor, type LabProcess } from '../../test/support/netlab.js';
import { arpingOnce } from '../l2/arping.js';
import { ProbeLog } from './probes.js';

export const NODES = ['n1', 'n2', 'n3'] as const;
export type NodeName = (typeof NODES)[number];
export const NODE_IP: Record<NodeName, string> = { n1: '192.0.2.11', n2: '192.0.2.12', n3: '192.0.2.13' };
export const NODE_MAC: Record<NodeName, string> = { n1: '02:00:00:00:00:11', n2: '02:00:00:00:00:12', n3: '02:00:00:00:00:13' };
export const CLIENT = 'c';
export const CLIENT_IP = '192.0.2.2';
export const CLIENT_MAC = '02:00:00:00:00:02';
export const VIP = '192.0.2.100';
export const HTTP_PORT = 80;

/** dist/bench/failover, where the compiled server and client live. */
const here = dirname(fileURLToPath(import.meta.url));
/** The compiled CLI next to this compiled file (dist/src/cli/main.js). */
export const SHOAL_CLI = join(here, '..', '..', 'src', 'cli', 'main.js');

export class FailoverLab {
  private readonly servers = new Map<NodeName, LabProcess>();
  private client: LabProcess | undefined;
  readonly probes = new ProbeLog();

  private constructor(readonly lab: NetLab) {}

  static async create(): Promise<FailoverLab> {
    const lab = await NetLab.create('fo');
    const fl = new FailoverLab(lab);
    try {
      for (const n of NODES) {
        await lab.host({ name: n, addrs: [`${NODE_IP[n]}/24`], mac: NODE_MAC[n] });
        await lab.sysctl(n, 'net.ipv4.conf.all.arp_ignore', '1');
        await lab.sysctl(n, 'net.ipv4.conf.all.arp_announce', '2');
        await lab.ip(lab.ns(n), 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
      }
      await lab.host({ name: CLIENT, addrs: [`${CLIENT_IP}/24`], mac: CLIENT_MAC });
      for (const n of NODES) await fl.startServer(n);
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return fl;
  }

  /** Starts the node's HTTP server (again, after a kill) and waits until it listens. */
  async startServer(n: NodeName): Promise<void> {
    const p = this.lab.spawn(n, process.execPath, [join(here, 'http-server.js'), n, String(HTTP_PORT)]);
    this.servers.set(n, p);
    await waitFor(() => p.output().includes('listening') || p.child.exitCode !== null, 10_000, `the HTTP server of ${n}`);
    if (p.child.exitCode !== null) throw new Error(`the HTTP server of ${n} exited: ${p.output()}`);
  }

  /** SIGKILLs the node's HTTP server (without waiting: the caller kills other things at the same instant). */
  killServer(n: NodeName): Promise<unknown> {
    const p = this.servers.get(n);
    return p ? this.lab.kill(p, 'SIGKILL') : Promise.resolve();
  }

  /**
   * Checks that no node's kernel answers ARP for the VIP while nothing
   * announces it, and that each node's kernel answers for its own address:
   * otherwise every figure below would measure the kernel, not the system
   * under test.
   */
  async checkArpIsolation(): Promise<void> {
    const vip = await arpingOnce(this.lab, CLIENT, VIP);
    if (vip.replied) throw new Error(`${vip.mac} answers ARP for ${VIP} with nothing announcing it: arp_ignore is not in effect`);
    for (const n of NODES) {
      const s = await arpingOnce(this.lab, CLIENT, NODE_IP[n]);
      if (s.mac !== NODE_MAC[n]) throw new Error(`${NODE_IP[n]} did not resolve to ${NODE_MAC[n]} (got ${s.mac ?? 'no answer'})`);
    }
  }

  startClient(intervalMs: number, timeoutMs: number): void {
    if (this.client) return;
    const p = this.lab.spawn(CLIENT, process.execPath, [join(here, 'client.js'), VIP, String(HTTP_PORT), String(intervalMs), String(timeoutMs)]);
    p.child.stdout?.setEncoding('utf8');
    p.child.stdout?.on('data', (chunk: string) => this.probes.push(chunk));
    this.client = p;
  }

  async stopClient(): Promise<void> {
    if (this.client) await this.lab.kill(this.client, 'SIGTERM');
    this.client = undefined;
  }

  /** Forgets the client's neighbour entry for the VIP: its next request asks ARP afresh. */
  async flushClientNeighbour(): Promise<void> {
    await this.lab.ip(this.lab.ns(CLIENT), 'neigh', 'flush', 'to', VIP, 'dev', 'eth0');
  }

  /** Cuts or restores a node's link (its bridge port). */
  async setLink(n: NodeName, up: boolean): Promise<void> {
    await this.lab.setLink(n, up);
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
  }
}
