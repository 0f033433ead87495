// Gratuitous ARP for the VIP as the client's interface sees it: tcpdump in
// the client namespace, with link-level headers and epoch timestamps, so
// each announcement is placed on the same time line as the logs.
import type { LabProcess, NetLab } from '../../test/support/netlab.js';
import { waitFor } from '../../test/support/netlab.js';

export interface GarpSeen {
  /** Wall-clock ms (fractional) when the frame reached the client. */
  at: number;
  /** Sender MAC, lower case. */
  mac: string;
}

// 1700000000.123456 02:00:00:00:00:12 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.0.2.100 tell 192.0.2.100, length 28
// 1700000000.123456 02:00:00:00:00:12 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Reply 192.0.2.100 is-at 02:00:00:00:00:12, length 28
const LINE = /^(\d+\.\d+) ([0-9a-f:]{17}) > ([0-9a-f:]{17}), ethertype ARP.*: (Request who-has (\S+) tell (\S+)|Reply (\S+) is-at)/i;

/** A gratuitous announcement of `ip` in a tcpdump -tt -e line: a request for ip from ip, or a broadcast reply for ip. */
export function parseGarpLine(line: string, ip: string): GarpSeen | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  const [, ts, src, dst, , whoHas, tell, replyIp] = m;
  const gratuitous = (whoHas === ip && tell === ip) || (replyIp === ip && dst!.toLowerCase() === 'ff:ff:ff:ff:ff:ff');
  return gratuitous ? { at: Number(ts) * 1000, mac: src!.toLowerCase() } : undefined;
}

export class GarpCapture {
  readonly seen: GarpSeen[] = [];
  private partial = '';

  private constructor(private readonly proc: LabProcess) {}

  static async start(lab: NetLab, host: string, ip: string): Promise<GarpCapture> {
    const proc = lab.spawn(host, 'tcpdump', ['-l', '-n', '-p', '-tt', '-e', '-i', 'eth0', 'arp']);
    const cap = new GarpCapture(proc);
    proc.child.stdout?.setEncoding('utf8');
    proc.child.stdout?.on('data', (chunk: string) => {
      const lines = (cap.partial + chunk).split('\n');
      cap.partial = lines.pop() ?? '';
      for (const l of lines) {
        const g = parseGarpLine(l, ip);
        if (g) cap.seen.push(g);
      }
    });
    await waitFor(() => proc.output().includes('listening on') || proc.child.exitCode !== null, 5000, 'tcpdump to start');
    if (proc.child.exitCode !== null) throw new Error(`tcpdump exited: ${proc.output()}`);
    return cap;
  }

  /** The first gratuitous ARP from `mac` at or after `since`. */
  firstFrom(mac: string, since: number): GarpSeen | undefined {
    return this.seen.find((g) => g.mac === mac && g.at >= since);
  }

  async stop(lab: NetLab): Promise<void> {
    await lab.kill(this.proc, 'SIGTERM');
  }
}
