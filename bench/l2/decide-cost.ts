// bench/l2/decide-cost: what deciding on one ARP request costs the responder
// (decode, ownership lookup, reply encode), hot (back to back) and cold (one
// request every 15 ms, as a real responder sees them, caches evicted by
// everything else the machine does). Baseline in the same process: the
// least any responder must do, copying a fixed reply into a new Buffer.
//
//   npm run build && node dist/bench/l2/decide-cost.js [--cold 200]

import { decideArp } from '../../src/announce/l2/arp-responder.js';
import { arpRequestFrame } from '../../test/announce/l2/frames.js';
import { percentile } from '../stats.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const coldSamples = Number(arg('cold', '200'));
const request = arpRequestFrame({ srcMac: '02:00:00:00:00:99', senderIp: '192.0.2.99', targetIp: '192.0.2.100' });
const iface = { name: 'eth0', mac: '02:00:00:00:00:11' };
const lookup = (ip: string) => (ip === '192.0.2.100' ? ('announce' as const) : ('not-owned' as const));
const fixedReply = decideArp(request, iface, lookup).reply!;

const candidates = {
  decideArp: () => decideArp(Buffer.from(request), iface, lookup),
  'copy a fixed reply (baseline)': () => Buffer.from(fixedReply),
};

function timeOnce(fn: () => unknown): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1000;
}

async function main(): Promise<void> {
  const hot: Record<string, number> = {};
  for (const [name, fn] of Object.entries(candidates)) {
    for (let i = 0; i < 20_000; i++) fn();
    const n = 200_000;
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    hot[name] = Number(process.hrtime.bigint() - t) / 1000 / n;
  }
  const cold: Record<string, number[]> = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
  for (let i = 0; i < coldSamples; i++) {
    await new Promise((r) => setTimeout(r, 15));
    // Alternate which goes first: the first call after the pause pays the most.
    const order = i % 2 === 0 ? Object.entries(candidates) : Object.entries(candidates).reverse();
    for (const [name, fn] of order) cold[name]!.push(timeOnce(fn));
  }
  console.log(`per call, µs (cold: ${coldSamples} calls 15 ms apart)`);
  console.log('| work | hot mean | cold p50 | cold p95 |');
  console.log('|---|---|---|---|');
  for (const name of Object.keys(candidates)) {
    console.log(`| ${name} | ${hot[name]!.toFixed(2)} | ${percentile(cold[name]!, 50).toFixed(1)} | ${percentile(cold[name]!, 95).toFixed(1)} |`);
  }
}

void main();
