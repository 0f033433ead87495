// The kernel's count of datagrams dropped on one UDP socket (its receive
// buffer was full), from /proc/net/udp and /proc/net/udp6 on Linux. The
// socket is found by its inode: the one of our own file descriptors that is
// a UDP socket bound to our port. Elsewhere, or when /proc is not there,
// the count is unknown (undefined), never an error.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { Family } from '../net/index.js';

export interface ProcUdpRow {
  readonly localPort: number;
  readonly inode: number;
  readonly drops: number;
}

/**
 * Parses the text of /proc/net/udp or /proc/net/udp6: one row a socket,
 * `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt
 * uid timeout inode ref pointer drops`, addresses as hex `ADDR:PORT`.
 * Lines that do not have that shape (the header) are skipped.
 */
export function parseProcNetUdp(text: string): ProcUdpRow[] {
  const rows: ProcUdpRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13 || !/^\d+:$/.test(f[0]!)) continue;
    const port = /:([0-9A-Fa-f]{4})$/.exec(f[1]!);
    const inode = Number(f[9]);
    const drops = Number(f[12]);
    if (!port || !Number.isInteger(inode) || !Number.isInteger(drops)) continue;
    rows.push({ localPort: parseInt(port[1]!, 16), inode, drops });
  }
  return rows;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function ownSocketInodes(): Set<number> {
  const out = new Set<number>();
  try {
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (m) out.add(Number(m[1]));
      } catch {
        // closed between the listing and the read
      }
    }
  } catch {
    // no /proc
  }
  return out;
}

/** Reads the drop count of this process's UDP socket bound to `port`. */
export class UdpDropCounter {
  private inode: number | undefined;

  constructor(
    private readonly port: number,
    private readonly family: Family,
  ) {}

  read(): number | undefined {
    const text = readText(this.family === 6 ? '/proc/net/udp6' : '/proc/net/udp');
    if (text === undefined) return undefined;
    const rows = parseProcNetUdp(text);
    if (this.inode === undefined) {
      const ours = ownSocketInodes();
      this.inode = rows.find((r) => r.localPort === this.port && ours.has(r.inode))?.inode;
    }
    return rows.find((r) => r.inode === this.inode)?.drops;
  }
}
