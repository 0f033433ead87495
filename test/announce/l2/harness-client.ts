// Drives a harness.ts process inside a NetLab host: commands in, events out.
// Shared by the namespace tests and bench/l2.

import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { repoRoot } from '../../support/dist.js';
import { asUser, runnableNode, stageForUser, unreachableBy, type StagedTree } from '../../support/unprivileged.js';

import type { LabProcess, NetLab } from '../../support/netlab.js';

export interface HarnessEvent {
  event: string;
  [key: string]: unknown;
}

export const REPO_ROOT = repoRoot;

/** A compiled script under dist/test/announce/l2/; throws with the fix when it is not built. */
export function compiledScript(name: string): string {
  const path = join(REPO_ROOT, 'dist', 'test', 'announce', 'l2', `${name}.js`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return path;
}

interface Waiter {
  pred: (e: HarnessEvent) => boolean;
  resolve: (e: HarnessEvent) => void;
  reject: (err: Error) => void;
  what: string;
}

export class Harness {
  readonly events: HarnessEvent[] = [];
  private waiters: Waiter[] = [];
  private nextId = 1;
  private buffered = '';
  private gone = false;

  private constructor(
    readonly proc: LabProcess,
    private readonly stage?: StagedTree,
  ) {
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString();
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        try {
          this.deliver(JSON.parse(line) as HarnessEvent);
        } catch {
          // not one of ours (a stray line): ignore
        }
      }
    });
    // A dead harness answers nothing more: fail its waiters instead of letting them time out.
    void proc.exited.then(() => {
      void this.stage?.remove();
      this.gone = true;
      for (const w of this.waiters) w.reject(new Error(`harness exited while waiting for ${w.what}; output:\n${proc.output().slice(-4000)}`));
      this.waiters = [];
    });
  }

  private deliver(e: HarnessEvent): void {
    this.events.push(e);
    const matched = this.waiters.filter((w) => w.pred(e));
    this.waiters = this.waiters.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve(e);
  }

  /**
   * Starts the harness in host; `asUser` runs it through setpriv with that
   * uid/gid and no capabilities, from a copy of the compiled code and its
   * runtime modules that the user can read (the checkout may sit below a
   * directory that user cannot enter).
   */
  static async start(lab: NetLab, host: string, opts: { args?: string[]; asUser?: number } = {}): Promise<Harness> {
    const script = compiledScript('harness');
    let h: Harness;
    if (opts.asUser === undefined) {
      h = new Harness(lab.spawn(host, process.execPath, [script, ...(opts.args ?? [])], { stdio: ['pipe', 'pipe', 'pipe'] }));
    } else {
      const uid = opts.asUser;
      const stage = await stageForUser(uid, {
        paths: ['package.json', 'binding.gyp', 'build/Release', 'dist/src', 'dist/test/announce/l2'],
        modules: ['prom-client', 'raw-socket'],
      });
      const staged = stage.path('dist/test/announce/l2/harness.js');
      const node = await runnableNode(uid, stage);
      const unreachable = unreachableBy(uid, staged);
      if (unreachable) {
        await stage.remove();
        throw new Error(unreachable);
      }
      const [cmd, args] = asUser(uid, [node, staged, ...(opts.args ?? [])]);
      h = new Harness(lab.spawn(host, cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: stage.root }), stage);
    }
    await h.waitFor((e) => e.event === 'ready' || e.event === 'fatal', 30_000, `harness ready in ${host}`);
    return h;
  }

  /** Resolves with the first event from index `since` on (past or future) matching pred. */
  waitFor(pred: (e: HarnessEvent) => boolean, timeoutMs: number, what: string, since = 0): Promise<HarnessEvent> {
    const past = this.events.slice(since).find(pred);
    if (past) return Promise.resolve(past);
    if (this.gone) return Promise.reject(new Error(`harness already exited; wanted ${what}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output:\n${this.proc.output().slice(-4000)}`));
      }, timeoutMs);
      const waiter: Waiter = {
        pred,
        what,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends a command and resolves with its ack. */
  async command(cmd: Record<string, unknown>, timeoutMs = 45_000): Promise<HarnessEvent> {
    const id = this.nextId++;
    const since = this.events.length;
    this.proc.child.stdin?.write(JSON.stringify({ ...cmd, id }) + '\n');
    const ack = await this.waitFor((e) => e.event === 'ack' && e.id === id, timeoutMs, `ack of ${JSON.stringify(cmd)}`, since);
    if (typeof ack.error === 'string') throw new Error(`harness refused ${JSON.stringify(cmd)}: ${ack.error}`);
    return ack;
  }

  async set(desired: Record<string, { interfaces?: string[] }>): Promise<void> {
    await this.command({ op: 'set', desired });
  }

  /** Asks the harness to exit and waits for it; returns the exit code. */
  async stop(): Promise<number | NodeJS.Signals> {
    if (this.proc.child.exitCode === null && this.proc.child.signalCode === null) {
      this.proc.child.stdin?.write(JSON.stringify({ op: 'exit' }) + '\n');
      this.proc.child.stdin?.end();
    }
    const code = await this.proc.exited;
    await this.stage?.remove();
    return code;
  }

  verdicts(since = 0): string[] {
    return this.events.slice(since).filter((e) => e.event === 'verdict').map((e) => `${String(e.protocol)}:${String(e.verdict)}:${String(e.ip)}`);
  }
}
