// Three file-mode speakers (n1, n2, n3) in node namespaces on one bridge and
// a client namespace "c", with the client-side probes the layer-2 tests use:
// /status over curl, arping, ndisc6 and the client's neighbour table.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../support/dist.js';
import { NetLab, type LabProcess } from '../support/netlab.js';

export const NODES = ['n1', 'n2', 'n3'] as const;
export type NodeName = (typeof NODES)[number];
export const ADDR: Record<NodeName, [string, string]> = {
  n1: ['192.0.2.11', '2001:db8::11'],
  n2: ['192.0.2.12', '2001:db8::12'],
  n3: ['192.0.2.13', '2001:db8::13'],
};
export const MAC: Record<NodeName, string> = { n1: '02:00:00:00:00:11', n2: '02:00:00:00:00:12', n3: '02:00:00:00:00:13' };
export const CLIENT_MAC = '02:00:00:00:00:02';

/**
 * Two addresses whose ring walk over n1, n2, n3 (ketama over the address
 * text) is n1, n2, n3 for both: one owner, n1, for both families, with n2
 * next. The tests that cut, restart or flap the owner use them as one
 * service, "web" (WEB_VIPS).
 */
export const VIP4 = '192.0.2.100';
export const VIP6 = '2001:db8::106';
export const WEB_VIPS: readonly Vip[] = [
  { address: VIP4, name: 'web' },
  { address: VIP6, name: 'web' },
];

export interface Announcement {
  ip: string;
  owner: string | null;
  thisNode: boolean;
  services: string[];
}

export interface Vip {
  address: string;
  name: string;
}

/** Layer-2 settings of the file besides the interface (eth0). */
export interface Layer2Settings {
  gratuitousArpMs?: number[];
  unsolicitedNaMs?: number[];
}

/** Top-level sections of the file besides node, gossip, status, layer2 and vips (e.g. fencing). */
export type ExtraSections = Record<string, unknown>;

export function speakerFile(node: NodeName, vips: readonly Vip[], layer2: Layer2Settings = {}, extra: ExtraSections = {}): string {
  return JSON.stringify({
    node,
    gossip: { bind: `${ADDR[node][0]}:7946`, join: NODES.map((n) => `${ADDR[n][0]}:7946`) },
    status: `${ADDR[node][0]}:7473`,
    layer2: { interfaces: ['eth0'], ...layer2 },
    ...extra,
    vips,
  });
}

/**
 * How long one /status or /metrics request may take. A speaker on a machine
 * at load 15 can take seconds to answer; a shorter limit turns a slow answer
 * into "no answer", which a direct check reads as a wrong one.
 */
const HTTP_MAX_SECONDS = '10';

export class FileSpeakerLab {
  readonly speakers = new Map<NodeName, LabProcess>();

  private constructor(
    readonly lab: NetLab,
    readonly dir: string,
  ) {}

  /** The lab with the three nodes and the client; nothing started yet. */
  static async create(tag: string, t: { teardown(fn: () => unknown): void }): Promise<FileSpeakerLab> {
    const lab = await NetLab.create(tag);
    const dir = mkdtempSync(join(tmpdir(), `shoal-${tag}-`));
    t.teardown(async () => {
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    });
    for (const n of NODES) await lab.host({ name: n, addrs: [`${ADDR[n][0]}/24`, `${ADDR[n][1]}/64`], mac: MAC[n] });
    await lab.host({ name: 'c', addrs: ['192.0.2.2/24', '2001:db8::2/64'], mac: CLIENT_MAC });
    return new FileSpeakerLab(lab, dir);
  }

  configPath(n: NodeName): string {
    return join(this.dir, `${n}.yaml`);
  }

  writeConfig(n: NodeName, vips: readonly Vip[], layer2: Layer2Settings = {}, extra: ExtraSections = {}): void {
    writeFileSync(this.configPath(n), speakerFile(n, vips, layer2, extra));
  }

  start(n: NodeName): void {
    this.speakers.set(n, this.lab.spawn(n, process.execPath, [cliPath, 'speaker', '--config', this.configPath(n), '--layer2', 'on']));
  }

  async status(n: NodeName): Promise<Record<string, unknown> | undefined> {
    const r = await this.lab.exec('c', 'curl', ['-s', '--max-time', HTTP_MAX_SECONDS, `http://${ADDR[n][0]}:7473/status`], { allowFail: true });
    if (r.code !== 0) return undefined;
    try {
      return JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** Whether speaker n says it is ready to take its addresses (delayed failback); undefined when it does not answer. */
  async ready(n: NodeName): Promise<boolean | undefined> {
    return ((await this.status(n)) as { fencing?: { ready?: boolean } } | undefined)?.fencing?.ready;
  }

  async announcements(n: NodeName): Promise<Announcement[] | undefined> {
    const s = (await this.status(n)) as { announcements?: { ips: Announcement[] } } | undefined;
    return s?.announcements?.ips;
  }

  /** The owner every running speaker agrees on, or undefined while they disagree. */
  async agreedOwner(ip: string, running: readonly NodeName[]): Promise<string | undefined> {
    const views = await Promise.all(running.map((n) => this.announcements(n)));
    const owners = new Set(views.map((v) => v?.find((a) => a.ip === ip)?.owner ?? 'none'));
    const [only] = owners;
    return owners.size === 1 && only !== 'none' ? only : undefined;
  }

  /** /metrics of a speaker, as text ("" when it does not answer). */
  async metrics(n: NodeName): Promise<string> {
    const r = await this.lab.exec('c', 'curl', ['-s', '--max-time', HTTP_MAX_SECONDS, `http://${ADDR[n][0]}:7473/metrics`], { allowFail: true });
    return r.code === 0 ? r.stdout : '';
  }

  /**
   * The MACs that answer an ARP request for ip from the client: arping asks
   * once a second until two replies came or 5 s passed, so a speaker slowed
   * by load still gets several chances to answer, and a second answerer
   * still shows up (it answers the same requests).
   */
  async arping(ip: string): Promise<string[]> {
    const r = await this.lab.exec('c', 'arping', ['-c', '2', '-w', '5', '-I', 'eth0', ip], { allowFail: true });
    return [...new Set([...r.stdout.matchAll(/\[([0-9a-f:]{17})\]/gi)].map((m) => m[1]!.toLowerCase()))];
  }

  /** ndisc6's output for ip from the client (it prints the target's link-layer address); up to five tries of a second each. */
  async ndisc(ip: string): Promise<string> {
    return (await this.lab.exec('c', 'ndisc6', ['-1', '-r', '5', '-w', '1000', ip, 'eth0'], { allowFail: true })).stdout.toLowerCase();
  }

  /** The client's neighbour entry for ip ("" when it has none). */
  async neighbour(ip: string): Promise<string> {
    return (await this.lab.ip(this.lab.ns('c'), 'neigh', 'show', ip, 'dev', 'eth0')).toLowerCase();
  }
}
