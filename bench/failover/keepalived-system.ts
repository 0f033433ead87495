// keepalived (Debian's package, VRRP v3) as the baseline on the same
// topology: one instance per node namespace holding the VIP on eth0 while
// MASTER, so the master's kernel answers ARP for it (arp_ignore=1 answers for
// addresses on the receiving interface) and sends keepalived's gratuitous
// ARPs on takeover. Every instance starts as BACKUP with nopreempt and the
// priorities differ (100, 110, 120) so that two backups never time out at
// the same instant. A restored node stays backup: the next trial kills
// whichever node is master then. (keepalived's usual preempting setup would
// add a second takeover per trial that measures nothing new.)
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabProcess } from '../../test/support/netlab.js';
import { NODES, VIP, type FailoverLab, type NodeName } from './topology.js';
import type { FailureMode, SystemUnderTest } from './trial.js';

const PRIORITY: Record<NodeName, number> = { n1: 100, n2: 110, n3: 120 };

interface Instance {
  proc: LabProcess;
  /** Latest VRRP state it logged, with when we read it. */
  state: string;
  transitions: { state: string; at: number }[];
}

export function keepalivedConf(n: NodeName, advertInt: number): string {
  return `global_defs {
  router_id ${n}
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  nopreempt
  interface eth0
  virtual_router_id 51
  priority ${PRIORITY[n]}
  advert_int ${advertInt}
  virtual_ipaddress {
    ${VIP}/32 dev eth0
  }
}
`;
}

export class KeepalivedSystem implements SystemUnderTest {
  readonly name: string;
  private readonly instances = new Map<NodeName, Instance>();
  private readonly cut = new Set<NodeName>();

  constructor(
    private readonly lab: FailoverLab,
    private readonly dir: string,
    private readonly advertInt: number,
  ) {
    this.name = `keepalived advert_int ${advertInt}`;
  }

  private files(n: NodeName): { conf: string; pid: string; vrrpPid: string; checkersPid: string; bfdPid: string } {
    const base = join(this.dir, `keepalived-${n}`);
    return { conf: `${base}.conf`, pid: `${base}.pid`, vrrpPid: `${base}.vrrp.pid`, checkersPid: `${base}.checkers.pid`, bfdPid: `${base}.bfd.pid` };
  }

  private startInstance(n: NodeName): void {
    const f = this.files(n);
    writeFileSync(f.conf, keepalivedConf(n, this.advertInt));
    // A pid file left by a SIGKILL makes keepalived refuse to start.
    for (const p of [f.pid, f.vrrpPid, f.checkersPid, f.bfdPid]) rmSync(p, { force: true });
    // -n: stay in the foreground (the lab holds its pid); -l -G: log to the
    // console only; -P: VRRP only; -R: a killed VRRP child is not respawned.
    const proc = this.lab.lab.spawn(n, 'keepalived', ['-n', '-l', '-G', '-D', '-P', '-R', '-f', f.conf, '-p', f.pid, '-r', f.vrrpPid, '-c', f.checkersPid, '-b', f.bfdPid]);
    const inst: Instance = { proc, state: 'INIT', transitions: [] };
    let partial = '';
    const take = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        const m = /\(VI_1\) Entering (\w+) STATE/.exec(l);
        if (m) {
          inst.state = m[1]!;
          inst.transitions.push({ state: m[1]!, at: Date.now() });
        }
      }
    };
    proc.child.stdout?.on('data', take);
    proc.child.stderr?.on('data', take);
    this.instances.set(n, inst);
  }

  async start(): Promise<void> {
    for (const n of NODES) this.startInstance(n);
  }

  private running(n: NodeName): boolean {
    const p = this.instances.get(n)?.proc.child;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  settled(): NodeName | undefined {
    if (!NODES.every((n) => this.running(n) && !this.cut.has(n))) return undefined;
    const masters = NODES.filter((n) => this.instances.get(n)!.state === 'MASTER');
    const backups = NODES.filter((n) => this.instances.get(n)!.state === 'BACKUP');
    return masters.length === 1 && backups.length === NODES.length - 1 ? masters[0] : undefined;
  }

  async fail(victim: NodeName, mode: FailureMode): Promise<void> {
    if (mode === 'cut') {
      this.cut.add(victim);
      await this.lab.setLink(victim, false);
      return;
    }
    // The VRRP child first: were it left alone for a moment after its
    // parent, it could still send the priority-0 advertisement of an orderly
    // shutdown, and a crash sends nothing.
    const vrrpPid = Number(readFileSync(this.files(victim).vrrpPid, 'utf8').trim());
    try {
      process.kill(vrrpPid, 'SIGKILL');
    } catch {
      // already gone
    }
    await Promise.all([this.lab.lab.kill(this.instances.get(victim)!.proc, 'SIGKILL'), this.lab.killServer(victim)]);
  }

  recovered(victim: NodeName, since: number): boolean {
    return NODES.some((n) => n !== victim && this.instances.get(n)!.transitions.some((t) => t.state === 'MASTER' && t.at >= since));
  }

  async restore(victim: NodeName, mode: FailureMode): Promise<void> {
    if (mode === 'cut') {
      await this.lab.setLink(victim, true);
      this.cut.delete(victim);
      return;
    }
    // A SIGKILLed keepalived leaves the VIP on eth0; the node "reboots"
    // without it.
    await this.lab.lab.ip(this.lab.lab.ns(victim), 'addr', 'del', `${VIP}/32`, 'dev', 'eth0').catch(() => undefined);
    await this.lab.startServer(victim);
    this.startInstance(victim);
  }

  async stop(): Promise<void> {
    for (const n of NODES) {
      const inst = this.instances.get(n);
      if (inst) await this.lab.lab.kill(inst.proc, 'SIGTERM');
      // Whatever a stopped instance left behind must not answer for the next system.
      await this.lab.lab.ip(this.lab.lab.ns(n), 'addr', 'del', `${VIP}/32`, 'dev', 'eth0').catch(() => undefined);
    }
    this.instances.clear();
  }
}
