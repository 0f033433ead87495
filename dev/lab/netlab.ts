// A throwaway lab of network namespaces for tests and the demo: a bridge in its own
// namespace, host namespaces attached to it by veth pairs, and processes
// started inside them. Every name carries a per-lab prefix so concurrent test
// files never collide, and teardown kills by pid (never by name) and deletes
// only the namespaces this lab created.
//
// Addresses: tests must use documentation ranges only (192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).

import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** How long after a lab process exits its output may still be arriving. */
const OUTPUT_GRACE_MS = 2000;

/** Why namespace tests cannot run here, or undefined when they can. */
export function netlabUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'needs root to create network namespaces (CI runs as root)';
  }
  return undefined;
}

export interface RunOptions {
  allowFail?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, {
      timeout: opts.timeoutMs ?? 30_000,
      maxBuffer: 64 << 20,
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string };
    const code = typeof e.code === 'number' ? e.code : 1;
    if (opts.allowFail) return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code };
    throw new Error(`${cmd} ${args.join(' ')} failed (${String(e.code)}): ${e.stderr ?? ''}`, { cause: err });
  }
}

export interface HostSpec {
  /** Short name, unique in the lab, e.g. "n1". */
  name: string;
  /** Addresses with prefix length for eth0, e.g. ["192.0.2.11/24", "2001:db8::11/64"]. */
  addrs: string[];
  /** Deterministic MAC for eth0, so tests can tell hosts apart. */
  mac?: string;
}

export interface LabProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

export class NetLab {
  readonly prefix: string;
  readonly lanNs: string;
  private readonly namespaces: string[] = [];
  private readonly procs: LabProcess[] = [];

  private constructor(prefix: string) {
    this.prefix = prefix;
    this.lanNs = `${prefix}lan`;
  }

  /**
   * Creates the bridge namespace. Call host() for each host afterwards.
   * Names get a random part unless `fixedPrefix` is given (the demo wants
   * names a person can type).
   */
  static async create(tag = 't', fixedPrefix?: string): Promise<NetLab> {
    const lab = new NetLab(fixedPrefix ?? `sh${tag}${randomBytes(3).toString('hex')}-`);
    await lab.addNamespace(lab.lanNs);
    await lab.ip(lab.lanNs, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
    await lab.ip(lab.lanNs, 'link', 'set', 'br0', 'up');
    return lab;
  }

  ns(host: string): string {
    return `${this.prefix}${host}`;
  }

  async addNamespace(ns: string): Promise<void> {
    await run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  async ip(ns: string, ...args: string[]): Promise<string> {
    return (await run('ip', ['-n', ns, ...args])).stdout;
  }

  async exec(host: string, cmd: string, args: string[], opts: RunOptions = {}): Promise<{ stdout: string; stderr: string; code: number }> {
    return run('ip', ['netns', 'exec', this.ns(host), cmd, ...args], opts);
  }

  async sysctl(host: string, key: string, value: string): Promise<void> {
    await this.exec(host, 'sysctl', ['-q', '-w', `${key}=${value}`]);
  }

  /** Adds a host namespace with eth0 attached to the lab bridge. */
  async host(spec: HostSpec): Promise<string> {
    const ns = this.ns(spec.name);
    await this.addNamespace(ns);
    const peer = `p${spec.name}`.slice(0, 15);
    await run('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', peer, 'netns', this.lanNs]);
    await this.ip(this.lanNs, 'link', 'set', peer, 'master', 'br0', 'up');
    if (spec.mac) await this.ip(ns, 'link', 'set', 'eth0', 'address', spec.mac);
    await this.sysctl(spec.name, 'net.ipv6.conf.eth0.keep_addr_on_down', '1');
    await this.sysctl(spec.name, 'net.ipv6.conf.all.accept_dad', '0');
    await this.sysctl(spec.name, 'net.ipv6.conf.eth0.accept_dad', '0');
    await this.ip(ns, 'link', 'set', 'eth0', 'up');
    for (const a of spec.addrs) await this.ip(ns, 'addr', 'add', a, 'dev', 'eth0', 'nodad');
    return ns;
  }

  async mac(host: string, dev = 'eth0'): Promise<string> {
    const out = await this.ip(this.ns(host), '-j', 'link', 'show', 'dev', dev);
    const parsed = JSON.parse(out) as Array<{ address: string }>;
    const addr = parsed[0]?.address;
    if (!addr) throw new Error(`no MAC for ${host}/${dev}`);
    return addr;
  }

  /** Cuts or restores a host's link by downing its bridge port. */
  async setLink(host: string, up: boolean): Promise<void> {
    await this.ip(this.lanNs, 'link', 'set', `p${host}`.slice(0, 15), up ? 'up' : 'down');
  }

  /** Starts a process inside a host namespace; the lab kills it on teardown. */
  spawn(host: string, cmd: string, args: string[], opts: SpawnOptions = {}): LabProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(host), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    if (child.pid === undefined) throw new Error(`could not start ${cmd} in ${host}`);
    let out = '';
    const keep = (b: Buffer): void => {
      out += b.toString();
      if (out.length > 1 << 20) out = out.slice(-(1 << 19));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Exited once its output is read to the end ('close'), so a caller that
    // kills a capture and then counts its lines sees the last of them. A
    // daemon that forked can hold the pipes open after the process is gone:
    // then its output is taken as it stands a moment after 'exit'.
    const exited = new Promise<number | NodeJS.Signals>((resolve) => {
      child.on('close', (code, signal) => resolve(code ?? signal ?? 0));
      child.on('exit', (code, signal) => setTimeout(() => resolve(code ?? signal ?? 0), OUTPUT_GRACE_MS).unref());
    });
    const p: LabProcess = { child, pid: child.pid, output: () => out, exited };
    this.procs.push(p);
    return p;
  }

  /** Kills one lab process by pid and waits until it is gone. */
  async kill(p: LabProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      try {
        process.kill(p.pid, signal);
      } catch {
        // already gone
      }
    }
    await p.exited;
  }

  /** Kills every process the lab started (by pid) and deletes its namespaces. */
  async destroy(): Promise<void> {
    await Promise.all(this.procs.map((p) => this.kill(p)));
    // Daemons that fork (bird, zebra) leave pids that are not our children:
    // find them by namespace, which only holds what this lab started.
    for (const ns of this.namespaces) {
      const { stdout } = await run('ip', ['netns', 'pids', ns], { allowFail: true });
      for (const pid of stdout.split(/\s+/).filter(Boolean).map(Number)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // raced with its exit
        }
      }
    }
    for (const ns of [...this.namespaces].reverse()) {
      await run('ip', ['netns', 'del', ns], { allowFail: true });
    }
    this.namespaces.length = 0;
  }
}

/** Polls cond every intervalMs until it returns a truthy value or timeoutMs passes. */
export async function waitFor<T>(cond: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
