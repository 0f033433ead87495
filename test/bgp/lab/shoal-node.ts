// Runs the BGP test harness (test/bgp/harness/speaker.ts, compiled under
// dist/) in a lab namespace and talks to it over its stdin and stdout.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/dist.js';
import type { LabProcess, NetLab } from '../../support/netlab.js';
import type { PeerOptions } from '../../../src/bgp/options.js';
import type { Route } from '../../../src/bgp/advertise/route.js';
import type { PeerStatus } from '../../../src/bgp/status.js';


export function harnessPath(): string {
  const p = join(repoRoot, 'dist', 'test', 'bgp', 'harness', 'speaker.js');
  if (!existsSync(p)) throw new Error(`${p} is missing: run "npm run build" first`);
  return p;
}

export interface ShoalConfig {
  listen?: { address?: string; port?: number } | false;
  peers: PeerOptions[];
  routes?: Record<string, Route[]>;
}

type Event = { event: string } & Record<string, unknown>;

export class ShoalNode {
  private readonly events: Event[] = [];
  private waiters: Array<{ want: string; resolve: (e: Event) => void }> = [];
  private buf = '';

  private constructor(
    readonly host: string,
    readonly proc: LabProcess,
  ) {
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      this.buf += chunk.toString();
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as Event;
        const w = this.waiters.find((x) => x.want === e.event);
        if (w) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(e);
        } else {
          this.events.push(e);
        }
      }
    });
  }

  static async start(lab: NetLab, host: string, config: ShoalConfig, dir: string): Promise<ShoalNode> {
    const file = join(dir, `${lab.prefix}${host}-shoal.json`);
    writeFileSync(file, JSON.stringify(config));
    const proc = lab.spawn(host, process.execPath, [harnessPath(), file], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHOAL_LOG_LEVEL: process.env['SHOAL_LOG_LEVEL'] ?? 'info' } });
    const node = new ShoalNode(host, proc);
    const ready = await Promise.race([node.next('ready'), proc.exited.then((c) => Promise.reject(new Error(`shoal on ${host} exited (${c}): ${proc.output()}`)))]);
    const problems = [...((ready['problems'] as string[]) ?? []), ...Object.values((ready['routeProblems'] as Record<string, string[]>) ?? {}).flat()];
    if (problems.length > 0) throw new Error(`shoal on ${host} reported problems: ${problems.join('; ')}`);
    return node;
  }

  next(want: string, timeoutMs = 30_000): Promise<Event> {
    const i = this.events.findIndex((e) => e.event === want);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no "${want}" from shoal on ${this.host} within ${timeoutMs} ms: ${this.proc.output().slice(-2000)}`)), timeoutMs);
      this.waiters.push({
        want,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e);
        },
      });
    });
  }

  send(cmd: Record<string, unknown>): void {
    this.proc.child.stdin?.write(JSON.stringify(cmd) + '\n');
  }

  async status(): Promise<PeerStatus[]> {
    this.send({ cmd: 'status' });
    return (await this.next('status'))['peers'] as PeerStatus[];
  }

  async setRoutes(routes: Record<string, Route[]>): Promise<void> {
    this.send({ cmd: 'routes', routes });
    await this.next('problems');
  }

  async metrics(): Promise<string> {
    this.send({ cmd: 'metrics' });
    return (await this.next('metrics'))['text'] as string;
  }

  /** Graceful: withdraw, Cease, exit. */
  async stop(): Promise<void> {
    if (this.proc.child.exitCode !== null) return;
    this.proc.child.kill('SIGTERM');
    await this.proc.exited;
  }
}
