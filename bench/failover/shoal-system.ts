// shoal as the system under test: a speaker in file mode on each node
// (layer 2 on, debug log for the gratuitous rounds), their JSON logs parsed
// into a time line of membership and ownership events.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabProcess } from '../../test/support/netlab.js';
import type { TimingOverrides } from './gossip-settings.js';
import { NODE_IP, NODE_MAC, NODES, SHOAL_CLI, VIP, type FailoverLab, type NodeName } from './topology.js';
import type { Death, FailureMode, SystemUnderTest, Timeline } from './trial.js';

/** Whether a speaker's "announcing" / "stopped announcing" summary line names the VIP (its file has only that one). */
const namesVip = (fields: Record<string, unknown>): boolean => Array.isArray(fields['addresses']) && fields['addresses'].includes(VIP);

interface LogEvent {
  at: number;
  msg: string;
  fields: Record<string, unknown>;
}

/** One speaker process and what it logged. */
class SpeakerRun {
  readonly events: LogEvent[] = [];
  /** Every line of its log, kept for `--logs`. */
  readonly lines: string[] = [];
  /** Member -> state, as this speaker sees it. */
  readonly view = new Map<string, string>();
  /** Whether this speaker currently announces the VIP (from its own log). */
  announcing = false;
  /**
   * Whether it holds layer 2 back until it has joined (from its log). A
   * restarted speaker in that state is about to take its VIPs back, so the
   * system is not steady yet.
   */
  held = false;
  /** Whether it says it is ready to take its addresses (delayed failback; from its log). */
  ready = false;
  private partial = '';

  constructor(readonly proc: LabProcess) {
    proc.child.stderr?.setEncoding('utf8');
    proc.child.stderr?.on('data', (chunk: string) => {
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) this.take(l);
    });
  }

  private take(line: string): void {
    this.lines.push(line);
    if (!line.startsWith('{')) return;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const at = Date.parse(String(rec['ts']));
    const msg = String(rec['msg']);
    this.events.push({ at, msg, fields: rec });
    if (msg === 'member event') this.view.set(String(rec['member']), String(rec['state']));
    if (msg.startsWith('layer 2 held')) this.held = true;
    if (msg.startsWith('layer 2 released')) this.held = false;
    if (msg.startsWith('ready:')) this.ready = true;
    if (msg.startsWith('not ready:')) this.ready = false;
    // The speaker's own decision (component "speaker"), not the announcer's echo of it.
    if (rec['component'] === 'speaker' && namesVip(rec)) {
      if (msg === 'announcing') this.announcing = true;
      if (msg === 'stopped announcing') this.announcing = false;
    }
  }

  get running(): boolean {
    return this.proc.child.exitCode === null && this.proc.child.signalCode === null;
  }

  /** The first event at or after `since` that matches. */
  first(since: number, match: (e: LogEvent) => boolean): number | undefined {
    return this.events.find((e) => e.at >= since && match(e))?.at;
  }
}

const memberEvent =
  (kind: string, member: string) =>
  (e: LogEvent): boolean =>
    e.msg === 'member event' && e.fields['event'] === kind && e.fields['member'] === member;

export class ShoalSystem implements SystemUnderTest {
  private readonly runs = new Map<NodeName, SpeakerRun>();
  private readonly cut = new Set<NodeName>();
  /** Every speaker process started, killed ones included, for the death count. */
  private readonly allRuns: [NodeName, SpeakerRun][] = [];

  constructor(
    readonly name: string,
    private readonly lab: FailoverLab,
    private readonly dir: string,
    private readonly timing: TimingOverrides,
    /** Where to append every speaker's log when the system stops (`--logs`), one file per node. */
    private readonly logDir?: string,
  ) {}

  private configPath(n: NodeName): string {
    return join(this.dir, `shoal-${n}.yaml`);
  }

  private startSpeaker(n: NodeName): void {
    const file = {
      node: n,
      gossip: { bind: `${NODE_IP[n]}:7946`, join: NODES.map((m) => `${NODE_IP[m]}:7946`), profile: 'fast', ...(Object.keys(this.timing).length ? { timing: this.timing } : {}) },
      status: `${NODE_IP[n]}:7473`,
      layer2: { interfaces: ['eth0'] },
      vips: [{ address: VIP, name: 'web' }],
    };
    writeFileSync(this.configPath(n), JSON.stringify(file, null, 2));
    const proc = this.lab.lab.spawn(n, process.execPath, [SHOAL_CLI, 'speaker', '--config', this.configPath(n), '--layer2', 'on'], {
      env: { ...process.env, SHOAL_LOG_LEVEL: 'debug' },
    });
    const run = new SpeakerRun(proc);
    this.runs.set(n, run);
    this.allRuns.push([n, run]);
  }

  async start(): Promise<void> {
    for (const n of NODES) this.startSpeaker(n);
  }

  /** Every running speaker sees every other one alive, acts on layer 2 and is ready, and exactly one announces the VIP. */
  settled(): NodeName | undefined {
    const live = NODES.filter((n) => this.runs.get(n)?.running && !this.cut.has(n));
    if (live.length !== NODES.length) return undefined;
    if (live.some((n) => this.runs.get(n)!.held)) return undefined;
    // A restarted speaker that is still warming up is about to take its VIPs back.
    if (live.some((n) => !this.runs.get(n)!.ready)) return undefined;
    for (const n of live) {
      const view = this.runs.get(n)!.view;
      if (!live.every((m) => m === n || view.get(m) === 'alive')) return undefined;
    }
    const owners = live.filter((n) => this.runs.get(n)!.announcing);
    return owners.length === 1 ? owners[0] : undefined;
  }

  async fail(victim: NodeName, mode: FailureMode): Promise<void> {
    if (mode === 'kill') {
      const run = this.runs.get(victim)!;
      await Promise.all([this.lab.lab.kill(run.proc, 'SIGKILL'), this.lab.killServer(victim)]);
    } else {
      this.cut.add(victim);
      await this.lab.setLink(victim, false);
    }
  }

  /** The survivors agree on a new owner that logged taking the VIP, and every survivor declared the victim dead. */
  recovered(victim: NodeName, since: number): boolean {
    const survivors = NODES.filter((n) => n !== victim);
    const dead = survivors.every((n) => this.runs.get(n)!.first(since, memberEvent('dead', victim)) !== undefined);
    const owners = survivors.filter((n) => this.runs.get(n)!.announcing);
    return dead && owners.length === 1;
  }

  timeline(victim: NodeName, since: number, garpFrom: (mac: string, since: number) => number | undefined): Timeline {
    const survivors = NODES.filter((n) => n !== victim).map((n) => ({ n, run: this.runs.get(n)! }));
    const min = (xs: (number | undefined)[]): number | undefined => {
      const v = xs.filter((x): x is number => x !== undefined);
      return v.length ? Math.min(...v) : undefined;
    };
    const deads = survivors.map((s) => s.run.first(since, memberEvent('dead', victim)));
    const newOwner = survivors.find((s) => s.run.announcing);
    return {
      suspect: min(survivors.map((s) => s.run.first(since, memberEvent('suspect', victim)))),
      dead: min(deads),
      allKnow: deads.every((d) => d !== undefined) ? Math.max(...(deads as number[])) : undefined,
      elected: newOwner?.run.first(since, (e) => e.msg === 'announcing' && e.fields['component'] === 'speaker' && namesVip(e.fields)),
      garpLogged: newOwner?.run.first(since, (e) => e.msg === 'layer2 gratuitous' && e.fields['ip'] === VIP),
      garpSeen: newOwner ? garpFrom(NODE_MAC[newOwner.n], since) : undefined,
      newOwner: newOwner?.n,
    };
  }

  /** Every `kind` member event any speaker logged over the whole run ("dead", "suspect"), killed speakers included. */
  memberEvents(kind: string): Death[] {
    const out: Death[] = [];
    for (const [observer, run] of this.allRuns) {
      for (const e of run.events) if (e.msg === 'member event' && e.fields['event'] === kind) out.push({ observer, member: String(e.fields['member']), at: e.at });
    }
    return out;
  }

  deaths(): Death[] {
    return this.memberEvents('dead');
  }

  async restore(victim: NodeName, mode: FailureMode): Promise<void> {
    if (mode === 'kill') {
      await this.lab.startServer(victim);
      this.startSpeaker(victim);
    } else {
      await this.lab.setLink(victim, true);
      this.cut.delete(victim);
    }
  }

  async stop(): Promise<void> {
    for (const n of NODES) {
      const run = this.runs.get(n);
      if (!run) continue;
      await this.lab.lab.kill(run.proc, 'SIGTERM');
    }
    this.runs.clear();
    if (this.logDir) {
      const file = (n: NodeName): string => join(this.logDir!, `${this.name.replace(/[^\w.-]+/g, '_')}-${n}.log`);
      for (const [n, run] of this.allRuns) appendFileSync(file(n), run.lines.map((l) => `${l}\n`).join(''));
    }
  }
}
