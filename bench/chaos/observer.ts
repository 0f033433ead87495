// The client namespace's view, collected while the benchmark runs: the
// prober's rounds, tcpdump's record of every answer, the client's neighbour
// table once a round, and on demand a fast ping of a VIP for the outage a
// client application would see.
import { join } from 'node:path';
import { waitFor, type LabProcess, type NetLab } from '../../dev/lab/netlab.js';
import { parseAnswer, parseNeighbours, RoundBook } from './answers.js';
import { CLIENT, HERE, isV6, PROBE_MAC } from './topology.js';

function onLines(p: LabProcess, stream: 'stdout' | 'stderr', take: (l: string) => void): void {
  let partial = '';
  p.child[stream]?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) take(l);
  });
}

/** `ping -D` reply lines: "[1700000000.123456] 64 bytes from 192.0.2.100: icmp_seq=1 ttl=64 time=0.05 ms". */
const PING_REPLY = /^\[(\d+\.\d+)\] \d+ bytes from/;

export class Pinger {
  readonly replies: number[] = [];
  constructor(
    readonly vip: string,
    readonly proc: LabProcess,
  ) {
    onLines(proc, 'stdout', (l) => {
      const m = PING_REPLY.exec(l);
      if (m) this.replies.push(Number(m[1]) * 1000);
    });
  }
}

export class Observer {
  readonly book = new RoundBook();
  private sampler: NodeJS.Timeout | undefined;
  private prober: LabProcess | undefined;
  private sampling = false;

  private constructor(
    private readonly lab: NetLab,
    private readonly vips: readonly string[],
  ) {}

  static async start(lab: NetLab, vips: readonly string[], probeMs: number): Promise<Observer> {
    const o = new Observer(lab, vips);
    // Only frames to the probe identity: the answers to the probe, nothing the client's own stack asked.
    const dump = lab.spawn(CLIENT, 'tcpdump', ['-l', '-n', '-p', '-tt', '-e', '-i', 'eth0', 'ether', 'dst', PROBE_MAC]);
    onLines(dump, 'stdout', (l) => {
      const a = parseAnswer(l);
      if (a) o.book.addAnswer(a);
    });
    await waitFor(() => dump.output().includes('listening on') || dump.child.exitCode !== null, 10_000, 'tcpdump to start');
    if (dump.child.exitCode !== null) throw new Error(`tcpdump exited: ${dump.output()}`);
    const prober = lab.spawn(CLIENT, process.execPath, [join(HERE, 'prober.js'), String(probeMs), vips.join(',')]);
    onLines(prober, 'stdout', (l) => {
      const m = /^round (\d+)$/.exec(l);
      if (m) o.book.addRound(Number(m[1]));
    });
    o.prober = prober;
    await waitFor(() => o.book.rounds.length > 0 || prober.child.exitCode !== null, 10_000, 'the prober to send its first round');
    if (prober.child.exitCode !== null) throw new Error(`the prober exited: ${prober.output()}`);
    // Sample the neighbour table in the middle of each round.
    o.sampler = setTimeout(() => {
      o.sampler = setInterval(() => void o.sample(), probeMs);
    }, probeMs / 2);
    return o;
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const at = Date.now();
      const out = await this.lab.ip(this.lab.ns(CLIENT), '-j', 'neigh', 'show', 'dev', 'eth0');
      const all = parseNeighbours(out);
      this.book.addNeighbours(at, new Map(this.vips.flatMap((v) => (all.has(v) ? [[v, all.get(v)!] as const] : []))));
    } catch {
      // a sample lost to a busy machine: the round has none
    } finally {
      this.sampling = false;
    }
  }

  /** Probe frames the prober failed to send (each one a "no answer" that is the probe's, not the system's). */
  sendErrors(): number {
    return (this.prober?.output().split('prober: send for').length ?? 1) - 1;
  }

  /** Pings the VIP from the client every 50 ms until stopped. */
  ping(vip: string): Pinger {
    return new Pinger(vip, this.lab.spawn(CLIENT, 'ping', [...(isV6(vip) ? ['-6'] : []), '-D', '-n', '-i', '0.05', vip]));
  }

  async stopPing(p: Pinger): Promise<void> {
    await this.lab.kill(p.proc, 'SIGTERM');
  }

  stop(): void {
    // clearInterval clears a pending timeout as well.
    if (this.sampler) clearInterval(this.sampler);
  }
}
