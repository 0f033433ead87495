// bench/gossip: failure detection, bandwidth and false deaths of the gossip
// layer, for the lan and fast profiles with Lifeguard on and off, side by
// side in one run. Deterministic: every scenario is a seeded simulation on a
// virtual clock over an in-memory network (0.1-0.5 ms one-way delay), so the
// numbers are protocol time, independent of this machine's speed.
//
//   npm run bench:gossip                 # full run: n = 10, 100, 1000 (about 15 minutes)
//   npm run bench:gossip -- --quick      # smaller sizes and fewer trials
//   npm run bench:gossip -- --sizes 10,100 --trials 30 --minutes 10
//
// n = 5000 is not in the default run: every simulated member holds the whole
// member table, so one process holds n^2 entries (25 million, over 4 GiB of
// heap) and a run takes hours. `--sizes 5000` with
// NODE_OPTIONS=--max-old-space-size=16384 runs it if you have the time.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fastProfile, lanProfile } from '../../src/cluster/options.js';
import { fmtMs } from '../stats.js';
import { label, measureBandwidth, measureDetection, measureFalseDeaths, type BenchConfig } from './scenarios.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const sizes = (arg('sizes') ?? (quick ? '10,100' : '10,100,1000')).split(',').map(Number);
const trialsFor = (n: number): number => Number(arg('trials') ?? (quick ? 10 : n <= 10 ? 60 : n <= 100 ? 40 : n <= 1000 ? 20 : 6));
const minutes = Number(arg('minutes') ?? (quick ? 2 : 10));
const falseDeathSize = Number(arg('false-death-size') ?? 100);
const configs: BenchConfig[] = [
  { profile: fastProfile, lifeguard: true },
  { profile: fastProfile, lifeguard: false },
  { profile: lanProfile, lifeguard: true },
  { profile: lanProfile, lifeguard: false },
];

function table(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(headers), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n');
}

const started = Date.now();
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, sizes, minutes, falseDeathSize, detection: [], bandwidth: [], falseDeaths: [] };

console.log(`bench/gossip: sizes ${sizes.join(', ')}; false deaths at n=${falseDeathSize} over ${minutes} simulated minutes\n`);

const detRows: string[][] = [];
for (const n of sizes) {
  for (const c of configs) {
    const t0 = Date.now();
    const d = await measureDetection(c, n, trialsFor(n), 1000 + n);
    const bw = await measureBandwidth(c, n, n >= 5000 ? 30 : 60, 2000 + n);
    (results['detection'] as unknown[]).push({ config: label(c), n, ...d });
    (results['bandwidth'] as unknown[]).push({ config: label(c), n, ...bw });
    detRows.push([
      label(c),
      String(n),
      String(d.trials),
      fmtMs(d.firstMs.p50),
      fmtMs(d.firstMs.p99),
      fmtMs(d.allMs.p50),
      fmtMs(d.allMs.p99),
      fmtMs(d.allMs.max),
      String(d.undetected),
      bw.packetsPerSec.toFixed(1),
      (bw.udpBytesPerSec / 1024).toFixed(2),
      (bw.totalBytesPerSec / 1024).toFixed(2),
    ]);
    process.stderr.write(`  ${label(c)} n=${n}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
}
console.log('Failure detection (ms of protocol time from the kill) and quiet-cluster traffic per member');
console.log(
  table(['profile', 'n', 'trials', 'first p50', 'first p99', 'all p50', 'all p99', 'all max', 'missed', 'pkt/s', 'UDP KiB/s', 'total KiB/s'], detRows),
);

const fdRows: string[][] = [];
for (const c of configs) {
  for (const scenario of ['loss5', 'loss10', 'stall'] as const) {
    const t0 = Date.now();
    const r = await measureFalseDeaths(c, falseDeathSize, minutes, scenario, 3000);
    (results['falseDeaths'] as unknown[]).push({ config: label(c), n: falseDeathSize, ...r });
    fdRows.push([
      label(c),
      scenario === 'loss5' ? '5% loss' : scenario === 'loss10' ? '10% loss' : '2 s stalls',
      String(r.healthyFalseDeaths),
      String(r.healthyDeathViews),
      scenario === 'stall' ? `${r.stallsDeclaredDead}/${r.stalls}` : '-',
      String(r.refutes),
    ]);
    process.stderr.write(`  ${label(c)} ${scenario}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
}
console.log(`\nFalse deaths, n=${falseDeathSize}, ${minutes} simulated minutes each`);
console.log(table(['profile', 'scenario', 'false deaths', 'views', 'stalled member dead', 'refutes'], fdRows));

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/gossip.json', JSON.stringify(results, null, 2) + '\n');
console.log(`\nwrote bench/results/gossip.json (${((Date.now() - started) / 1000).toFixed(0)} s)`);
