// The lab of the mass failover case: five node namespaces with a file-mode
// speaker each and an HTTP server, a client namespace, one bridge. The VIPs
// are whole documentation prefixes routed `local` via lo on every node
// (AnyIP: the kernel accepts traffic for every address in them without an
// address per VIP) with arp_ignore=1 / arp_announce=2, so no kernel answers
// ARP or NDP for them and the client reaches whichever node the speakers
// announced. Everything is read from the speakers' /metrics and /status.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ipKey } from '../../src/net/index.js';
import { NetLab, run, waitFor, type LabProcess } from '../../test/support/netlab.js';
import { arpingOnce } from '../l2/arping.js';
import { ProbeLog } from './probes.js';
import { SHOAL_CLI } from './topology.js';

export const MASS_NODES = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
export type MassNode = (typeof MASS_NODES)[number];
const SUFFIX: Record<MassNode, number> = { n1: 11, n2: 12, n3: 13, n4: 14, n5: 15 };
export const massNodeIp = (n: MassNode): string => `192.0.2.${SUFFIX[n]}`;
export const massNodeMac = (n: MassNode): string => `02:00:00:00:00:${SUFFIX[n]}`;
const CLIENT = 'c';
const CLIENT_MAC = '02:00:00:00:00:02';
/** The prefixes the VIPs come from (memory.ts's memoryVips), routed to the client's eth0 and to every node's lo. */
const VIP_PREFIXES = { 4: ['198.51.100.0/24', '203.0.113.0/24'], 6: ['2001:db8:1::/64'] } as const;
const HTTP_PORT = 80;
const here = dirname(fileURLToPath(import.meta.url));

/** One VIP of the speaker file; `anywhere` false: only nodes labelled tier=rest may own it. */
export interface MassVip {
  address: string;
  anywhere: boolean;
}

/** What one speaker's /metrics says, summed over labels. */
export interface SpeakerReading {
  owned: number;
  alive: number;
  ready: boolean;
  /** shoal_l2_* counters of frames not sent or refused (errors, refusals, drops), by name. */
  refused: Record<string, number>;
  /** Suspicions and death declarations of this member by the others that it refuted (shoal_gossip_accused_total): false ones. */
  accused: number;
}

/** Sum of every sample of a metric (all label sets); undefined when absent. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  const re = new RegExp(`^${name}(?:\\{([^}]*)\\})? ([0-9.e+-]+|NaN)$`, 'gm');
  for (const m of text.matchAll(re)) {
    const set = m[1] ?? '';
    if (!Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) continue;
    sum = (sum ?? 0) + Number(m[2]);
  }
  return sum;
}

/** Names of the layer-2 counters of frames that did not go out: send errors, and any refused/dropped counter the speaker has. */
export function refusalCounters(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/^(shoal_l2_\w*(?:error|refused|drop)\w*_total)[{ ]/gm)) if (!m[1]!.includes('socket')) names.add(m[1]!);
  return [...names].sort();
}

export class MassLab {
  private readonly speakers = new Map<MassNode, LabProcess>();
  private readonly servers = new Map<MassNode, LabProcess>();

  private constructor(readonly lab: NetLab) {}

  static async create(): Promise<MassLab> {
    const lab = await NetLab.create('mf');
    try {
      for (const n of MASS_NODES) {
        await lab.host({ name: n, addrs: [`${massNodeIp(n)}/24`, `2001:db8::${SUFFIX[n]}/64`], mac: massNodeMac(n) });
        await lab.sysctl(n, 'net.ipv4.conf.all.arp_ignore', '1');
        await lab.sysctl(n, 'net.ipv4.conf.all.arp_announce', '2');
        for (const p of VIP_PREFIXES[4]) await lab.ip(lab.ns(n), 'route', 'add', 'local', p, 'dev', 'lo', 'table', 'local');
        for (const p of VIP_PREFIXES[6]) await lab.ip(lab.ns(n), '-6', 'route', 'add', 'local', p, 'dev', 'lo', 'table', 'local');
      }
      await lab.host({ name: CLIENT, addrs: ['192.0.2.2/24', '2001:db8::2/64'], mac: CLIENT_MAC });
      for (const p of [...VIP_PREFIXES[4], ...VIP_PREFIXES[6]]) await lab.ip(lab.ns(CLIENT), 'route', 'add', p, 'dev', 'eth0');
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return new MassLab(lab);
  }

  /**
   * No kernel answers for a VIP while nothing announces it (else the figures
   * would be the kernel's), and each node's kernel answers for its own address.
   */
  async checkIsolation(v4: string, v6: string): Promise<void> {
    const a = await arpingOnce(this.lab, CLIENT, v4);
    if (a.replied) throw new Error(`${a.mac} answers ARP for ${v4} with nothing announcing it: arp_ignore is not in effect`);
    const nd = await this.lab.exec(CLIENT, 'ndisc6', ['-1', '-r', '1', '-w', '300', v6, 'eth0'], { allowFail: true });
    if (nd.code === 0) throw new Error(`somebody answers NDP for ${v6} with nothing announcing it: ${nd.stdout.trim()}`);
    for (const n of MASS_NODES) {
      const s = await arpingOnce(this.lab, CLIENT, massNodeIp(n));
      if (s.mac !== massNodeMac(n)) throw new Error(`${massNodeIp(n)} did not resolve to ${massNodeMac(n)} (got ${s.mac ?? 'no answer'})`);
    }
  }

  async startServers(): Promise<void> {
    for (const n of MASS_NODES) {
      const p = this.lab.spawn(n, process.execPath, [join(here, 'http-server.js'), n, String(HTTP_PORT)]);
      this.servers.set(n, p);
      await waitFor(() => p.output().includes('listening') || p.child.exitCode !== null, 20_000, `the HTTP server of ${n}`);
      if (p.child.exitCode !== null) throw new Error(`the HTTP server of ${n} exited: ${p.output()}`);
    }
  }

  /** Starts a node's speaker, node running with `nodeFlags`, with the file every node gets (n2..n5 labelled tier=rest). */
  startSpeaker(n: MassNode, dir: string, vips: readonly MassVip[], profile: string, nodeFlags: readonly string[] = []): void {
    const file = {
      node: n,
      ...(n === 'n1' ? {} : { labels: { tier: 'rest' } }),
      gossip: { bind: `${massNodeIp(n)}:7946`, join: MASS_NODES.map((m) => `${massNodeIp(m)}:7946`), profile },
      status: `${massNodeIp(n)}:7473`,
      layer2: { interfaces: ['eth0'] },
      vips: vips.map((v) => (v.anywhere ? { address: v.address } : { address: v.address, nodeSelectors: [{ matchLabels: { tier: 'rest' } }] })),
    };
    const path = join(dir, `mass-${n}.yaml`);
    writeFileSync(path, JSON.stringify(file));
    this.speakers.set(n, this.lab.spawn(n, process.execPath, [...nodeFlags, SHOAL_CLI, 'speaker', '--config', path, '--layer2', 'on', '--max-vips', String(Math.max(1, vips.length))]));
  }

  /** The last lines a node's speaker logged, to say why it did not settle. */
  speakerTail(n: MassNode, lines = 20): string {
    return (this.speakers.get(n)?.output() ?? '').trimEnd().split('\n').slice(-lines).join('\n');
  }

  speakerExited(n: MassNode): string | undefined {
    const p = this.speakers.get(n);
    return p && p.child.exitCode !== null ? `the speaker of ${n} exited (${p.child.exitCode}): ${p.output().slice(-2000)}` : undefined;
  }

  /** GETs a path of a node's status endpoint from inside its namespace. */
  async get(n: MassNode, path: string): Promise<string | undefined> {
    const r = await this.lab.exec(n, 'curl', ['-s', '-f', '--max-time', '20', '-H', 'accept: application/json', `http://${massNodeIp(n)}:7473${path}`], { allowFail: true, timeoutMs: 30_000 });
    return r.code === 0 ? r.stdout : undefined;
  }

  async reading(n: MassNode): Promise<SpeakerReading | undefined> {
    const text = await this.get(n, '/metrics');
    if (text === undefined) return undefined;
    return {
      owned: metricSum(text, 'shoal_l2_owned_ips') ?? 0,
      alive: metricSum(text, 'shoal_gossip_members', { state: 'alive' }) ?? 0,
      ready: metricSum(text, 'shoal_speaker_ready') === 1,
      refused: Object.fromEntries(refusalCounters(text).map((name) => [name, metricSum(text, name) ?? 0])),
      accused: (metricSum(text, 'shoal_gossip_accused_total', { kind: 'suspect' }) ?? 0) + (metricSum(text, 'shoal_gossip_accused_total', { kind: 'dead' }) ?? 0),
    };
  }

  /** Address (canonical) -> owning node, from a node's /status. */
  async owners(n: MassNode): Promise<Map<string, string>> {
    const text = await this.get(n, '/status');
    if (text === undefined) throw new Error(`no /status from ${n}`);
    const doc = JSON.parse(text) as { announcements?: { ips?: { ip: string; owner: string | null }[] } };
    const ips = doc.announcements?.ips;
    if (!ips) throw new Error(`${n}'s /status has no announcements`);
    return new Map(ips.map((a) => [ipKey(a.ip), a.owner ?? '']));
  }

  /** SIGKILLs a node's speaker and HTTP server at once (the node's services die; its kernel lives on). */
  async kill(n: MassNode): Promise<void> {
    await Promise.all([this.speakers.get(n), this.servers.get(n)].map((p) => (p ? this.lab.kill(p, 'SIGKILL') : undefined)));
  }

  /** The client's HTTP requests to one VIP, every `intervalMs` on a fresh connection (client.ts). */
  startClient(vip: string, intervalMs: number, timeoutMs: number): { proc: LabProcess; log: ProbeLog } {
    const log = new ProbeLog();
    const proc = this.lab.spawn(CLIENT, process.execPath, [join(here, 'client.js'), vip, String(HTTP_PORT), String(intervalMs), String(timeoutMs)]);
    proc.child.stdout?.setEncoding('utf8');
    proc.child.stdout?.on('data', (chunk: string) => log.push(chunk));
    return { proc, log };
  }

  /** tcpdump of gratuitous ARP and NAs on the client's interface into a pcap file; resolves once it listens. */
  async startCapture(file: string): Promise<LabProcess> {
    const p = this.lab.spawn(CLIENT, 'tcpdump', ['-i', 'eth0', '-p', '-n', '-s', '128', '-B', '65536', '-w', file, 'arp or (icmp6 and ip6[40] == 136)']);
    await waitFor(() => p.output().includes('listening on') || p.child.exitCode !== null, 10_000, 'tcpdump to start');
    if (p.child.exitCode !== null) throw new Error(`tcpdump exited: ${p.output()}`);
    return p;
  }

  /** Stops a capture; the frames the kernel dropped before tcpdump read them (its own count). */
  async stopCapture(p: LabProcess): Promise<number | undefined> {
    await this.lab.kill(p, 'SIGTERM');
    const m = /(\d+) packets? dropped by kernel/.exec(p.output());
    return m ? Number(m[1]) : undefined;
  }

  /** Dropped frames (rx + tx) over every interface of the bridge, the client and the given nodes. */
  async interfaceDrops(nodes: readonly MassNode[]): Promise<number> {
    let sum = 0;
    for (const ns of [this.lab.lanNs, this.lab.ns(CLIENT), ...nodes.map((n) => this.lab.ns(n))]) {
      const out = (await run('ip', ['-n', ns, '-s', '-j', 'link', 'show'])).stdout;
      for (const l of JSON.parse(out) as { stats64?: { rx?: { dropped?: number }; tx?: { dropped?: number } } }[]) sum += (l.stats64?.rx?.dropped ?? 0) + (l.stats64?.tx?.dropped ?? 0);
    }
    return sum;
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
  }
}
