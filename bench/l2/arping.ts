// One ARP resolution as a client sees it, timed by iputils arping itself
// (request sent to reply received, in its own process). Reused by
// bench/failover to ask "who answers for the VIP, and how fast".

import type { NetLab } from '../../test/support/netlab.js';

export interface ArpingSample {
  replied: boolean;
  /** arping's send-to-reply time, in ms. */
  ms?: number;
  /** The MAC that answered, lower case. */
  mac?: string;
}

const REPLY = /reply from \S+ \[([0-9a-f:]{17})\]\s+([0-9.]+)ms/i;

export function parseArping(stdout: string): ArpingSample {
  const m = REPLY.exec(stdout);
  if (!m) return { replied: false };
  return { replied: true, mac: m[1]!.toLowerCase(), ms: Number(m[2]) };
}

/** One broadcast request from host's iface for ip, waiting up to a second. */
export async function arpingOnce(lab: NetLab, host: string, ip: string, iface = 'eth0'): Promise<ArpingSample> {
  const r = await lab.exec(host, 'arping', ['-c', '1', '-w', '1', '-I', iface, ip], { allowFail: true });
  return parseArping(r.stdout);
}
