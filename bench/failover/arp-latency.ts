// ARP answer latency as the client sees it, in the failover lab itself: the
// VIP (answered by the owner's shoal responder) against the owner's own
// address (answered by its kernel), interleaved so noise lands on both.
import { percentile } from '../stats.js';
import { arpingOnce } from '../l2/arping.js';
import { CLIENT, NODE_IP, NODE_MAC, VIP, type FailoverLab, type NodeName } from './topology.js';

export interface ArpSeries {
  target: string;
  samples: number;
  lost: number;
  p50: number;
  p95: number;
  max: number;
}

export interface ArpLatency {
  owner: NodeName;
  vip: ArpSeries;
  kernel: ArpSeries;
  ratioP50: number;
  ratioP95: number;
}

const WARMUP = 5;

export async function measureArpLatency(lab: FailoverLab, owner: NodeName, samples: number): Promise<ArpLatency> {
  const ms: Record<'vip' | 'kernel', number[]> = { vip: [], kernel: [] };
  const lost = { vip: 0, kernel: 0 };
  const target = { vip: VIP, kernel: NODE_IP[owner] };
  for (let i = 0; i < WARMUP + samples; i++) {
    for (const who of i % 2 === 0 ? (['vip', 'kernel'] as const) : (['kernel', 'vip'] as const)) {
      const s = await arpingOnce(lab.lab, CLIENT, target[who]);
      if (i < WARMUP) continue;
      if (s.replied && s.ms !== undefined && s.mac === NODE_MAC[owner]) ms[who].push(s.ms);
      else lost[who]++;
    }
  }
  const series = (who: 'vip' | 'kernel'): ArpSeries => ({
    target: target[who],
    samples: ms[who].length,
    lost: lost[who],
    p50: percentile(ms[who], 50),
    p95: percentile(ms[who], 95),
    max: percentile(ms[who], 100),
  });
  const vip = series('vip');
  const kernel = series('kernel');
  return { owner, vip, kernel, ratioP50: vip.p50 / kernel.p50, ratioP95: vip.p95 / kernel.p95 };
}
