// bench/l2/arp-latency: how fast a client gets an ARP answer for a VIP from
// the shoal responder, against the kernel's own answer for the node's address
// on the same interface, in the same run. Samples alternate between the two
// targets so that machine noise lands on both alike. Needs root (namespaces).
//
//   npm run build && node dist/bench/l2/arp-latency.js [--samples 200]
//
// Prints a table and writes bench/results/l2-arp-latency.json. The absolute
// numbers include arping's own overhead (the same for both targets); the
// ratio is what carries over to other machines. Target: VIP p50 and p95
// within 2x of the kernel's.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

import { Harness, REPO_ROOT } from '../../test/announce/l2/harness-client.js';
import { NetLab, netlabUnavailable } from '../../test/support/netlab.js';
import { percentile } from '../stats.js';
import { arpingOnce } from './arping.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const samples = Number(arg('samples', '200'));
const warmup = 10;
const NODE_IP = '192.0.2.11';
const VIP = '192.0.2.100';
const NODE_MAC = '02:00:00:00:00:11';

interface Series {
  name: string;
  ms: number[];
  lost: number;
}

async function main(): Promise<void> {
  const why = netlabUnavailable();
  if (why) throw new Error(`bench/l2 ${why}`);
  const lab = await NetLab.create('bl2');
  try {
    await lab.host({ name: 'n1', addrs: [`${NODE_IP}/24`], mac: NODE_MAC });
    await lab.host({ name: 'c1', addrs: ['192.0.2.99/24'], mac: '02:00:00:00:00:99' });
    // One gratuitous round only, so nothing but the answers is on the wire
    // while measuring; verdict events off, as in production.
    const h = await Harness.start(lab, 'n1', { args: ['--arp-schedule=0', '--quiet-verdicts'] });
    await h.set({ [VIP]: { interfaces: ['eth0'] } });

    const series: Record<'shoal' | 'kernel', Series> = {
      shoal: { name: `shoal responder (${VIP})`, ms: [], lost: 0 },
      kernel: { name: `Linux kernel (${NODE_IP})`, ms: [], lost: 0 },
    };
    const target = { shoal: VIP, kernel: NODE_IP };
    for (let i = 0; i < warmup + samples; i++) {
      const order: ('shoal' | 'kernel')[] = i % 2 === 0 ? ['shoal', 'kernel'] : ['kernel', 'shoal'];
      for (const who of order) {
        const s = await arpingOnce(lab, 'c1', target[who]);
        if (i < warmup) continue;
        if (!s.replied || s.ms === undefined || s.mac !== NODE_MAC) series[who].lost++;
        else series[who].ms.push(s.ms);
      }
    }
    await h.stop();

    const row = (s: Series) => ({
      name: s.name,
      samples: s.ms.length,
      lost: s.lost,
      min: Math.min(...s.ms),
      p50: percentile(s.ms, 50),
      p95: percentile(s.ms, 95),
      max: Math.max(...s.ms),
    });
    const shoal = row(series.shoal);
    const kernel = row(series.kernel);
    const ratio = { p50: shoal.p50 / kernel.p50, p95: shoal.p95 / kernel.p95 };
    const f = (v: number): string => v.toFixed(3);
    console.log(`ARP answer latency seen by the client (arping, ms), ${samples} samples each, interleaved`);
    console.log('| answered by | samples | lost | min | p50 | p95 | max |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of [shoal, kernel]) console.log(`| ${r.name} | ${r.samples} | ${r.lost} | ${f(r.min)} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.max)} |`);
    console.log(`ratio shoal/kernel: p50 ${ratio.p50.toFixed(2)}x, p95 ${ratio.p95.toFixed(2)}x (target: within 2x)`);

    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'l2-arp-latency.json'),
      JSON.stringify({ when: new Date().toISOString(), samples, cpus: cpus().length, loadavg: loadavg(), shoal, kernel, ratio }, null, 2) + '\n',
    );
  } finally {
    await lab.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
