// Resident memory of one speaker that owns many service IPs: a single node
// namespace, a file of N VIPs, layer 2 on, alone in its cluster so it owns
// them all. RSS is read from /proc while it answers for them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetLab, waitFor } from '../../test/support/netlab.js';
import { rssMiB } from '../proc.js';
import { SHOAL_CLI } from './topology.js';

/** One way of starting the speaker: node flags before the CLI. */
export interface NodeVariant {
  label: string;
  nodeFlags: readonly string[];
}

/**
 * The speaker as `node dist/src/cli/main.js speaker` starts it, as the
 * container image's entrypoint does (Dockerfile: a 1 MiB young generation),
 * and with V8's optimize-for-size on top.
 */
export const NODE_VARIANTS: readonly NodeVariant[] = [
  { label: 'node defaults', nodeFlags: [] },
  { label: 'image entrypoint (--max-semi-space-size=1)', nodeFlags: ['--max-semi-space-size=1'] },
  // What a memory-tight node can add (docs/speaker.md): V8 trades some speed
  // (an election over 10,000 IPs takes about 1.5x as long) for a smaller heap.
  { label: 'plus --optimize-for-size', nodeFlags: ['--max-semi-space-size=1', '--optimize-for-size'] },
];

export interface MemoryRow {
  variant: string;
  /** Time from start until the speaker logged announcing every VIP. */
  announcedAllMs: number;
  /** RSS samples over the window after everything was announced, MiB. */
  rssPeakMiB: number;
  rssEndMiB: number;
  /** The speaker's own /metrics at the end of the window: V8 heap committed and in use (garbage included), MiB. */
  heapTotalMiB: number;
  heapUsedMiB: number;
  /** The same speaker with one VIP, for scale. */
  rssOneVipMiB: number;
}

export interface MemoryResult {
  vips: number;
  ipv4: number;
  ipv6: number;
  rows: MemoryRow[];
}

/**
 * N addresses from documentation ranges: all of 198.51.100.0/24 and
 * 203.0.113.0/24 as IPv4 (ARP), the rest from 2001:db8:1::/64 (NDP).
 */
export function memoryVips(n: number): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  for (const net of ['198.51.100', '203.0.113']) for (let i = 1; i <= 254 && v4.length < n; i++) v4.push(`${net}.${i}`);
  const v6: string[] = [];
  for (let i = 1; v4.length + v6.length < n; i++) v6.push(`2001:db8:1::${i.toString(16)}`);
  return { v4, v6 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads gauges (no labels) from the speaker's Prometheus text. */
export function gauge(metrics: string, name: string): number {
  const m = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(metrics);
  if (!m) throw new Error(`metric ${name} not found`);
  return Number(m[1]);
}

interface SpeakerMemory {
  announcedAllMs: number;
  peak: number;
  end: number;
  heapTotal: number;
  heapUsed: number;
}

async function runSpeaker(lab: NetLab, dir: string, tag: string, vips: string[], windowMs: number, nodeFlags: readonly string[]): Promise<SpeakerMemory> {
  const file = {
    node: 'm1',
    gossip: { bind: '192.0.2.11:7946', join: ['192.0.2.11:7946'] },
    status: '192.0.2.11:7473',
    layer2: { interfaces: ['eth0'] },
    vips: vips.map((address) => ({ address })),
  };
  const path = join(dir, `memory-${tag}.yaml`);
  writeFileSync(path, JSON.stringify(file));
  const started = Date.now();
  // --memory-vips may ask for more than a speaker file allows by default.
  const proc = lab.spawn('m1', process.execPath, [...nodeFlags, SHOAL_CLI, 'speaker', '--config', path, '--layer2', 'on', '--max-vips', String(Math.max(1, vips.length))]);
  let announced = 0;
  let partial = '';
  proc.child.stderr?.setEncoding('utf8');
  proc.child.stderr?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    // The speaker's summary of each reconcile: {"msg":"announcing","count":N,...}.
    for (const l of lines) {
      if (!l.includes('"msg":"announcing"') || !l.includes('"component":"speaker"')) continue;
      const rec = JSON.parse(l) as { count?: unknown };
      announced += typeof rec.count === 'number' ? rec.count : 0;
    }
  });
  await waitFor(() => announced >= vips.length || proc.child.exitCode !== null, 120_000, `the speaker to announce ${vips.length} VIPs`, 100);
  if (proc.child.exitCode !== null) throw new Error(`the speaker exited: ${proc.output().slice(-2000)}`);
  const announcedAllMs = Date.now() - started;
  let peak = 0;
  let end = 0;
  const until = Date.now() + windowMs;
  while (Date.now() < until) {
    end = rssMiB(proc.pid) ?? NaN;
    peak = Math.max(peak, end);
    await sleep(250);
  }
  const metrics = (await lab.exec('m1', 'curl', ['-s', '--max-time', '5', 'http://192.0.2.11:7473/metrics'])).stdout;
  await lab.kill(proc, 'SIGKILL');
  const mib = (bytes: number): number => bytes / 1048576;
  return { announcedAllMs, peak, end, heapTotal: mib(gauge(metrics, 'nodejs_heap_size_total_bytes')), heapUsed: mib(gauge(metrics, 'nodejs_heap_size_used_bytes')) };
}

export async function measureMemory(dir: string, n: number, windowMs: number): Promise<MemoryResult> {
  const lab = await NetLab.create('fm');
  try {
    await lab.host({ name: 'm1', addrs: ['192.0.2.11/24', '2001:db8::11/64'] });
    const { v4, v6 } = memoryVips(n);
    const rows: MemoryRow[] = [];
    for (const v of NODE_VARIANTS) {
      const one = await runSpeaker(lab, dir, 'one', ['198.51.100.1'], windowMs, v.nodeFlags);
      const all = await runSpeaker(lab, dir, 'all', [...v4, ...v6], windowMs, v.nodeFlags);
      rows.push({
        variant: v.label,
        announcedAllMs: all.announcedAllMs,
        rssPeakMiB: all.peak,
        rssEndMiB: all.end,
        heapTotalMiB: all.heapTotal,
        heapUsedMiB: all.heapUsed,
        rssOneVipMiB: one.end,
      });
    }
    return { vips: n, ipv4: v4.length, ipv6: v6.length, rows };
  } finally {
    await lab.destroy();
  }
}
