// BIRD 2 in a lab namespace, with its own control socket.

import { rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, waitFor, type NetLab } from '../../support/netlab.js';

export interface BirdRoute {
  nextHop?: string;
  localPref?: number;
  communities: string[];
  largeCommunities: string[];
}

export class Bird {
  private constructor(
    readonly lab: NetLab,
    readonly host: string,
    readonly dir: string,
  ) {}

  static async start(lab: NetLab, host: string, conf: string): Promise<Bird> {
    const dir = `/tmp/${lab.prefix}${host}-bird`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bird.conf'), conf);
    const p = lab.spawn(host, 'bird', ['-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')]);
    const b = new Bird(lab, host, dir);
    await waitFor(async () => p.child.exitCode !== null || (await b.birdc('show status')).includes('Daemon is up'), 30_000, `bird in ${host}`, 100);
    if (p.child.exitCode !== null) throw new Error(`bird exited: ${p.output()}`);
    return b;
  }

  async birdc(cmd: string): Promise<string> {
    return (await run('birdc', ['-s', join(this.dir, 'bird.ctl'), ...cmd.split(' ')], { allowFail: true, timeoutMs: 10_000 })).stdout;
  }

  async protocolState(name: string): Promise<string | undefined> {
    const out = await this.birdc(`show protocols ${name}`);
    const line = out.split('\n').find((l) => l.startsWith(name + ' '));
    return line?.trim().split(/\s+/)[5];
  }

  async route(prefix: string): Promise<BirdRoute | undefined> {
    const out = await this.birdc(`show route ${prefix} all`);
    if (!out.includes(prefix)) return undefined;
    const attr = (name: string): string | undefined => new RegExp(`BGP\\.${name}: (.*)`).exec(out)?.[1]?.trim();
    const pairs = (s: string | undefined): string[] => (s ? [...s.matchAll(/\(([^)]*)\)/g)].map((m) => m[1]!.replace(/\s+/g, '').replace(/,/g, ':')) : []);
    const lp = attr('local_pref');
    return {
      ...(attr('next_hop') ? { nextHop: attr('next_hop')!.split(' ')[0]! } : {}),
      ...(lp ? { localPref: Number(lp) } : {}),
      communities: pairs(attr('community')),
      largeCommunities: pairs(attr('large_community')),
    };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
