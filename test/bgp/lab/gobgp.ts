// GoBGP (gobgpd and its CLI) in a lab namespace. The API listens on the
// namespace's own loopback, so the CLI runs inside the namespace too.

import { rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, type NetLab } from '../../support/netlab.js';

export interface GoBgpNeighbor {
  readonly address: string;
  readonly as: number;
  readonly families?: ReadonlyArray<'ipv4' | 'ipv6'>;
  /** Extra lines for [neighbors.timers.config], e.g. "hold-time = 9". */
  readonly timers?: readonly string[];
  /** Graceful restart as a helper (RFC 4724 receiving side), for every family. */
  readonly gracefulRestart?: boolean;
}

/** gobgpd's TOML for a speaker whose neighbors only listen: shoal dials (gobgpd waits 7-9 s before its own first connect). */
export function gobgpToml(as: number, routerId: string, neighbors: readonly GoBgpNeighbor[]): string {
  const block = (n: GoBgpNeighbor): string => {
    const timers = n.timers?.length ? `  [neighbors.timers.config]\n${n.timers.map((l) => `    ${l}\n`).join('')}` : '';
    const gr = n.gracefulRestart ? `    [neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true\n` : '';
    const families = (n.families ?? ['ipv4', 'ipv6'])
      .map((f) => `  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "${f}-unicast"\n${gr}`)
      .join('');
    const helper = n.gracefulRestart ? `  [neighbors.graceful-restart.config]\n    enabled = true\n    helper-only = true\n` : '';
    return `[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "${n.address}"\n    peer-as = ${n.as}\n${timers}${helper}  [neighbors.transport.config]\n    passive-mode = true\n${families}`;
  };
  return `[global.config]\n  as = ${as}\n  router-id = "${routerId}"\n${neighbors.map(block).join('')}`;
}

export class GoBgp {
  private constructor(
    readonly lab: NetLab,
    readonly host: string,
    readonly dir: string,
  ) {}

  static async start(lab: NetLab, host: string, toml: string): Promise<GoBgp> {
    const dir = `/tmp/${lab.prefix}${host}-gobgp`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'gobgpd.toml'), toml);
    const p = lab.spawn(host, 'gobgpd', ['-f', join(dir, 'gobgpd.toml'), '-p', '--api-hosts', '127.0.0.1:50051', '--pprof-disable', '-l', 'warn']);
    const g = new GoBgp(lab, host, dir);
    await waitFor(async () => p.child.exitCode !== null || (await g.cli(['global'], true)).includes('AS:'), 30_000, `gobgpd in ${host}`, 100);
    if (p.child.exitCode !== null) throw new Error(`gobgpd exited: ${p.output()}`);
    return g;
  }

  async cli(args: string[], allowFail = false): Promise<string> {
    return (await this.lab.exec(this.host, 'gobgp', ['-u', '127.0.0.1', '-p', '50051', ...args], { allowFail, timeoutMs: 60_000 })).stdout;
  }

  async neighborState(address: string): Promise<string | undefined> {
    const out = await this.cli(['neighbor', address, '-j'], true);
    if (!out.trim().startsWith('{')) return undefined;
    const n = JSON.parse(out) as { state?: { session_state?: number | string } };
    return String(n.state?.session_state ?? '');
  }

  /** Paths for prefix in the global RIB: GoBGP's JSON attributes, and the next hop from NEXT_HOP or MP_REACH_NLRI. */
  async paths(prefix: string): Promise<Array<{ nexthop?: string; attrs: Array<Record<string, unknown>> }>> {
    const afi = prefix.includes(':') ? 'ipv6' : 'ipv4';
    const out = await this.cli(['global', 'rib', '-a', afi, prefix, '-j'], true);
    if (!out.trim().startsWith('{')) return [];
    const rib = JSON.parse(out) as Record<string, Array<{ attrs: Array<Record<string, unknown>> }>>;
    return (rib[prefix] ?? []).map((p) => {
      const nh = p.attrs.find((a) => a['type'] === 3 || a['type'] === 14)?.['nexthop'];
      return typeof nh === 'string' ? { nexthop: nh, attrs: p.attrs } : { attrs: p.attrs };
    });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
