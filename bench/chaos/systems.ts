// The systems under test, as the faults need them: start and stop, kill and
// restart one node's daemon, the pids to stop and continue, and the iptables
// matches for their control traffic (gossip for shoal, VRRP for keepalived).
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabProcess, NetLab } from '../../dev/lab/netlab.js';
import { isV6, NODES, SHOAL_CLI, type NodeName } from './topology.js';
import { GOSSIP_PORT, keepalivedConf, shoalFile, type Variant } from './variants.js';

/** A member declared dead by another, from the speakers' logs. */
export interface Death {
  observer: NodeName;
  member: string;
  at: number;
}

export interface ChaosSystem {
  readonly name: string;
  start(): Promise<void>;
  /** SIGKILL of the node's daemon (the node itself stays up). */
  kill(n: NodeName): Promise<void>;
  /** Starts the daemon of a killed node again. */
  restart(n: NodeName): Promise<void>;
  /** Processes to SIGSTOP for a stall. */
  pids(n: NodeName): number[];
  /** iptables matches that select the control traffic, each used with `-j DROP`. */
  readonly controlMatches: string[][];
  /** Why the system cannot go on (a daemon exited on its own, say over a config it refuses), if so. */
  failure(): string | undefined;
  /** Deaths declared over the run, when the system reports them. */
  deaths(): Death[] | undefined;
  /**
   * Whether every running daemon is past its own warm-up (shoal's delayed
   * failback: a member not ready yet takes its addresses back later, which
   * would land in the next episode). Always true for keepalived.
   */
  ready(): boolean;
  stop(): Promise<void>;
}

/** Lines a process wrote, kept as they come, for member events and `--logs`. */
function collectLines(p: LabProcess, onLine: (l: string) => void): void {
  let partial = '';
  const take = (chunk: Buffer): void => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  };
  p.child.stdout?.on('data', take);
  p.child.stderr?.on('data', take);
}

export class ShoalChaos implements ChaosSystem {
  private readonly procs = new Map<NodeName, LabProcess>();
  /** The ready flag each running speaker last logged (docs/failover.md, "Delayed failback"). */
  private readonly readiness = new Map<NodeName, boolean>();
  private readonly deathLog: Death[] = [];
  private failed: string | undefined;
  private readonly lines: string[] = [];
  readonly controlMatches = ['udp', 'tcp'].flatMap((p) => [
    ['-p', p, '--dport', String(GOSSIP_PORT)],
    ['-p', p, '--sport', String(GOSSIP_PORT)],
  ]);

  constructor(
    readonly name: string,
    private readonly lab: NetLab,
    private readonly dir: string,
    private readonly variant: Extract<Variant, { kind: 'shoal' }>,
    private readonly vips: readonly string[],
    private readonly withFencing: boolean,
    private readonly logFile: string | undefined,
  ) {}

  private launch(n: NodeName): void {
    const path = join(this.dir, `${this.name}-${n}.yaml`);
    writeFileSync(path, shoalFile(n, this.vips, this.variant.fencing, this.withFencing));
    const p = this.lab.spawn(n, process.execPath, [SHOAL_CLI, 'speaker', '--config', path, '--layer2', 'on']);
    this.readiness.set(n, false);
    collectLines(p, (l) => {
      if (this.logFile) this.lines.push(`${n} ${l}`);
      if (!l.startsWith('{') || !(l.includes('member event') || l.includes('ready'))) return;
      try {
        const rec = JSON.parse(l) as Record<string, unknown>;
        const msg = String(rec['msg']);
        if (this.procs.get(n) === p && msg.startsWith('ready:')) this.readiness.set(n, true);
        if (this.procs.get(n) === p && msg.startsWith('not ready:')) this.readiness.set(n, false);
        if (rec['msg'] === 'member event' && rec['event'] === 'dead') this.deathLog.push({ observer: n, member: String(rec['member']), at: Date.parse(String(rec['ts'])) });
      } catch {
        // not a log record
      }
    });
    void p.exited.then((code) => {
      if (this.procs.get(n) === p) this.readiness.delete(n);
      if (this.procs.get(n) === p && code !== 'SIGKILL' && code !== 'SIGTERM') {
        const out = p.output().slice(-2000);
        const hint = out.includes('unknown field "fencing"') ? '\n(this tree does not know the fencing section: run with --no-fencing-section)' : '';
        this.failed ??= `speaker ${n} exited (${code}): ${out}${hint}`;
      }
    });
    this.procs.set(n, p);
  }

  async start(): Promise<void> {
    for (const n of NODES) this.launch(n);
  }

  async kill(n: NodeName): Promise<void> {
    const p = this.procs.get(n);
    if (p) await this.lab.kill(p, 'SIGKILL');
  }

  async restart(n: NodeName): Promise<void> {
    this.launch(n);
  }

  pids(n: NodeName): number[] {
    const p = this.procs.get(n);
    return p ? [p.pid] : [];
  }

  failure(): string | undefined {
    return this.failed;
  }

  deaths(): Death[] {
    return this.deathLog;
  }

  ready(): boolean {
    // A tree without the fencing section has no ready flag to wait for.
    return !this.withFencing || [...this.readiness.values()].every((r) => r);
  }

  async stop(): Promise<void> {
    const running = [...this.procs.values()];
    this.procs.clear();
    for (const p of running) await this.lab.kill(p, 'SIGTERM');
    if (this.logFile) appendFileSync(this.logFile, this.lines.map((l) => `${l}\n`).join(''));
  }
}

export class KeepalivedChaos implements ChaosSystem {
  private readonly procs = new Map<NodeName, LabProcess>();
  private readonly lines: string[] = [];
  private failed: string | undefined;
  readonly controlMatches = [['-p', 'vrrp']];

  constructor(
    readonly name: string,
    private readonly lab: NetLab,
    private readonly dir: string,
    private readonly vips: readonly string[],
    private readonly advertInt: number,
    private readonly logFile: string | undefined,
  ) {}

  private files(n: NodeName): { conf: string; pid: string; vrrp: string; checkers: string; bfd: string } {
    const base = join(this.dir, `keepalived-${n}`);
    return { conf: `${base}.conf`, pid: `${base}.pid`, vrrp: `${base}.vrrp.pid`, checkers: `${base}.checkers.pid`, bfd: `${base}.bfd.pid` };
  }

  private launch(n: NodeName): void {
    const f = this.files(n);
    writeFileSync(f.conf, keepalivedConf(n, this.vips, this.advertInt));
    // A pid file left by a SIGKILL makes keepalived refuse to start.
    for (const p of [f.pid, f.vrrp, f.checkers, f.bfd]) rmSync(p, { force: true });
    // -n foreground (the lab holds its pid), -l -G console log only, -P VRRP
    // only, -R a killed VRRP child is not respawned (a crash is a crash).
    const p = this.lab.spawn(n, 'keepalived', ['-n', '-l', '-G', '-D', '-P', '-R', '-f', f.conf, '-p', f.pid, '-r', f.vrrp, '-c', f.checkers, '-b', f.bfd]);
    collectLines(p, (l) => this.logFile && this.lines.push(`${n} ${l}`));
    void p.exited.then((code) => {
      if (this.procs.get(n) === p && code !== 'SIGKILL' && code !== 'SIGTERM') this.failed ??= `keepalived on ${n} exited (${code}): ${p.output().slice(-2000)}`;
    });
    this.procs.set(n, p);
  }

  private vrrpPid(n: NodeName): number | undefined {
    try {
      return Number(readFileSync(this.files(n).vrrp, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  }

  async start(): Promise<void> {
    for (const n of NODES) this.launch(n);
  }

  /** The VRRP child first: a crash sends no priority-0 advertisement, an orderly exit would. */
  async kill(n: NodeName): Promise<void> {
    const child = this.vrrpPid(n);
    if (child) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const p = this.procs.get(n);
    if (p) await this.lab.kill(p, 'SIGKILL');
  }

  /**
   * A killed keepalived leaves its VIPs on eth0 (and the kernel answering
   * for them); the node comes back as after a reboot, without them.
   */
  async restart(n: NodeName): Promise<void> {
    await this.removeVips(n);
    this.launch(n);
  }

  private async removeVips(n: NodeName): Promise<void> {
    for (const v of this.vips) await this.lab.ip(this.lab.ns(n), 'addr', 'del', isV6(v) ? `${v}/128` : `${v}/32`, 'dev', 'eth0').catch(() => undefined);
  }

  pids(n: NodeName): number[] {
    const p = this.procs.get(n);
    const child = this.vrrpPid(n);
    return [...(p ? [p.pid] : []), ...(child ? [child] : [])];
  }

  failure(): string | undefined {
    return this.failed;
  }

  ready(): boolean {
    return true;
  }

  deaths(): undefined {
    return undefined;
  }

  async stop(): Promise<void> {
    for (const n of NODES) {
      const child = this.vrrpPid(n);
      const p = this.procs.get(n);
      if (p) await this.lab.kill(p, 'SIGTERM');
      if (child) {
        try {
          process.kill(child, 'SIGKILL');
        } catch {
          // exited with its parent
        }
      }
      // Whatever a stopped instance left must not answer for the next system.
      await this.removeVips(n);
    }
    this.procs.clear();
    if (this.logFile) appendFileSync(this.logFile, this.lines.map((l) => `${l}\n`).join(''));
  }
}
