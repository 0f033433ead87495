// FRR (zebra, bgpd, bfdd) in a lab namespace, each daemon in the
// foreground with its own directory for config, pid files and sockets (see
// docs/development.md), and helpers to read what it learned.

import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, waitFor, type NetLab } from '../../support/netlab.js';

export interface FrrRoute {
  /** Next hops of the best path(s) BGP installed, by address. */
  nexthops: string[];
  localPref?: number;
  communities?: string;
  largeCommunities?: string;
  paths: number;
}

export class Frr {
  private constructor(
    readonly lab: NetLab,
    readonly host: string,
    readonly dir: string,
  ) {}

  /** opts.bfd: bfdd's configuration (e.g. profiles), which bfdd reads from its own file; omit to run without bfdd. */
  static async start(lab: NetLab, host: string, bgpConf: string, opts: { bfd?: string } = {}): Promise<Frr> {
    const dir = `/tmp/${lab.prefix}${host}-frr`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'zebra.conf'), `hostname ${host}\n`);
    writeFileSync(join(dir, 'bfdd.conf'), `hostname ${host}\n${opts.bfd ?? ''}`);
    writeFileSync(join(dir, 'bgpd.conf'), bgpConf);
    await run('chown', ['-R', 'frr:frr', dir]);
    chmodSync(dir, 0o775);
    const common = (name: string): string[] => ['-u', 'frr', '-g', 'frr', '-P', '0', '-f', join(dir, `${name}.conf`), '-i', join(dir, `${name}.pid`), '-z', join(dir, 'zserv.api'), '--vty_socket', dir];
    const zebra = lab.spawn(host, '/usr/lib/frr/zebra', common('zebra'));
    await waitFor(() => existsSync(join(dir, 'zserv.api')) || zebra.child.exitCode !== null, 30_000, `zebra in ${host}`);
    if (zebra.child.exitCode !== null) throw new Error(`zebra exited: ${zebra.output()}`);
    if (opts.bfd !== undefined) {
      lab.spawn(host, '/usr/lib/frr/bfdd', common('bfdd'));
      await waitFor(() => existsSync(join(dir, 'bfdd.vty')), 30_000, `bfdd in ${host}`);
    }
    const bgpd = lab.spawn(host, '/usr/lib/frr/bgpd', common('bgpd'));
    await waitFor(() => existsSync(join(dir, 'bgpd.vty')) || bgpd.child.exitCode !== null, 30_000, `bgpd in ${host}`);
    if (bgpd.child.exitCode !== null) throw new Error(`bgpd exited: ${bgpd.output()}`);
    return new Frr(lab, host, dir);
  }

  async vtysh(...cmds: string[]): Promise<string> {
    const args = ['--vty_socket', this.dir];
    for (const c of cmds) args.push('-c', c);
    // A timeout throws out of the waits that poll FRR: generous for a loaded machine.
    return (await run('vtysh', args, { timeoutMs: 45_000 })).stdout;
  }

  async json<T>(cmd: string): Promise<T> {
    const out = await this.vtysh(cmd);
    return JSON.parse(out || '{}') as T;
  }

  /** State of each neighbor, by address, from "show bgp summary". */
  async neighbors(): Promise<Record<string, { state: string; pfxRcd?: number }>> {
    const out: Record<string, { state: string; pfxRcd?: number }> = {};
    const sum = await this.json<Record<string, { peers?: Record<string, { state: string; pfxRcd?: number }> }>>('show bgp summary json');
    for (const af of Object.values(sum)) for (const [addr, p] of Object.entries(af.peers ?? {})) out[addr] = p;
    return out;
  }

  async waitEstablished(address: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => (await this.neighbors())[address]?.state === 'Established', timeoutMs, `FRR ${this.host}: session with ${address} Established`, 100);
  }

  /** The BGP table entry of a prefix, or undefined when FRR has none. */
  async route(prefix: string): Promise<FrrRoute | undefined> {
    const afi = prefix.includes(':') ? 'ipv6' : 'ipv4';
    const r = await this.json<{ paths?: Array<Record<string, unknown>> }>(`show bgp ${afi} unicast ${prefix} json`);
    const paths = r.paths ?? [];
    if (paths.length === 0) return undefined;
    const best = paths.filter((p) => (p['bestpath'] as { overall?: boolean } | undefined)?.overall || p['multipath']);
    const chosen = best.length > 0 ? best : paths;
    const first = chosen[0]!;
    return {
      nexthops: chosen.flatMap((p) => ((p['nexthops'] as Array<{ ip: string; scope?: string }>) ?? []).filter((n) => n.scope !== 'link-local').map((n) => n.ip)),
      ...(first['locPrf'] !== undefined ? { localPref: first['locPrf'] as number } : {}),
      ...(first['community'] ? { communities: (first['community'] as { string: string }).string } : {}),
      ...(first['largeCommunity'] ? { largeCommunities: (first['largeCommunity'] as { string: string }).string } : {}),
      paths: paths.length,
    };
  }

  /** Next hops of the kernel route to prefix in the router's namespace (empty when there is none). */
  async kernelNexthops(prefix: string): Promise<string[]> {
    const fam = prefix.includes(':') ? '-6' : '-4';
    const out = await this.lab.ip(this.lab.ns(this.host), fam, '-j', 'route', 'show', prefix);
    const routes = JSON.parse(out || '[]') as Array<{ gateway?: string; nexthops?: Array<{ gateway: string }> }>;
    return routes.flatMap((r) => (r.nexthops ? r.nexthops.map((n) => n.gateway) : r.gateway ? [r.gateway] : [])).sort();
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
