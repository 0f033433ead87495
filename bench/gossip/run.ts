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
// member table, so one process holds n^2 entries (25 million, about 6 GiB of
// heap) and a run takes up to half an hour of wall time. The large run
// measures each profile, and false deaths, in processes of their own, one
// at a time, each writing its own results files and bounded by
// --wall-minutes (docs/gossip.md, "Large clusters"):
//
//   npm run build && node --max-old-space-size=8192 --max-semi-space-size=64 dist/bench/gossip/run.js \
//     --sizes 5000 --profiles fast --lifeguard-only --scenarios none --trials 8 --window 10 --wall-minutes 24 --out gossip-5000-fast
//   (the same with --profiles lan --trials 3 --wall-minutes 9 --out gossip-5000-lan)
//   node --max-old-space-size=8192 --max-semi-space-size=64 dist/bench/gossip/run.js --sizes none --profiles fast \
//     --lifeguard-only --false-death-size 5000 --scenarios loss5 --minutes 10 --wall-minutes 30 --out gossip-5000-false-deaths
//
// Every table compares each profile with lan (memberlist's timing, the
// baseline) measured in the same run.
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { fastProfile, lanProfile } from '../../src/cluster/options.js';
import { fmtMs } from '../stats.js';
import { label, measureBandwidth, measureDetection, measureFalseDeaths, steadyPushPullBytesPerSec, type BenchConfig } from './scenarios.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
// --sizes none (or --scenarios none) leaves that half of the bench out, so the
// two halves of a long run can go in two processes.
const sizes = (arg('sizes') ?? (quick ? '10,100' : '10,100,1000')).split(',').filter((x) => x !== 'none').map(Number);
const trialsFor = (n: number): number => Number(arg('trials') ?? (quick ? 10 : n <= 10 ? 60 : n <= 100 ? 40 : n <= 1000 ? 20 : 6));
const minutes = Number(arg('minutes') ?? (quick ? 2 : 10));
const falseDeathSize = Number(arg('false-death-size') ?? 100);
const allScenarios = ['loss5', 'loss10', 'stall'] as const;
type Scenario = (typeof allScenarios)[number];
const scenarios = (arg('scenarios') ?? allScenarios.join(',')).split(',').filter((x) => x !== 'none') as Scenario[];
for (const s of scenarios) if (!allScenarios.includes(s)) throw new Error(`--scenarios: unknown scenario "${s}" (known: ${allScenarios.join(', ')})`);
const outName = arg('out') ?? 'gossip';
// --wall-minutes M: past M minutes of wall time from the start, no further
// detection trial starts and false-death runs stop at their next 10 s of
// protocol time; the results say how many trials and minutes ran.
const wallDeadline = arg('wall-minutes') === undefined ? Infinity : Date.now() + Number(arg('wall-minutes')) * 60_000;
// Lifeguard off is only a comparison; the large run leaves it out.
const lifeguardOnly = process.argv.includes('--lifeguard-only');
const configs: BenchConfig[] = [
  { profile: fastProfile, lifeguard: true },
  { profile: fastProfile, lifeguard: false },
  { profile: lanProfile, lifeguard: true },
  { profile: lanProfile, lifeguard: false },
]
  .filter((c) => c.lifeguard || !lifeguardOnly)
  .filter((c) => (arg('profiles') ?? 'fast,lan').split(',').includes(c.profile.name));
const machine = (): string => `${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (1/5/15 min)`;
/** This figure over lan's with the same Lifeguard setting and n: the baseline is measured in the same run. */
const ratio = (value: number, base: number | undefined): string => (base === undefined || !(base > 0) ? '-' : `${(value / base).toFixed(2)}x`);

function table(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(headers), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n');
}

const started = Date.now();
const machineAtStart = machine();
const loadAtStart = loadavg();
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  machine: { cpus: cpus().length, loadAverageAtStart: loadAtStart },
  heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
  sizes,
  minutes,
  falseDeathSize,
  detection: [],
  bandwidth: [],
  falseDeaths: [],
};

console.log(`bench/gossip: sizes ${sizes.join(', ')}; false deaths at n=${falseDeathSize} over ${minutes} simulated minutes`);
console.log(`machine: ${machineAtStart}; heap limit ${results['heapLimitMiB'] as number} MiB (simulated time: figures do not depend on load)\n`);

const detRows: string[][] = [];
const lanAllP99 = new Map<string, number>();
const lanBytes = new Map<string, number>();
const baseKey = (c: BenchConfig, n: number): string => `${c.lifeguard}/${n}`;
// lan runs first at each n so that every other profile's ratio is known when its row is printed.
const ordered = [...configs].sort((a, b) => Number(b.profile === lanProfile) - Number(a.profile === lanProfile));
for (const n of sizes) {
  for (const c of ordered) {
    const t0 = Date.now();
    // Large runs take hours of wall time: say how far they are.
    const progress = n >= 1000 ? (line: string): boolean => process.stderr.write(`    ${line} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`) : undefined;
    // At n = 5000 the quiet traffic is measured on the detection run's cluster before its first kill,
    // and replacement members take new addresses (measureDetection says why).
    const large = n >= 5000;
    const { quiet, ...d } = await measureDetection(c, n, trialsFor(n), 1000 + n, progress, large ? Number(arg('window') ?? 10) : undefined, wallDeadline, large);
    const bw = quiet ?? (await measureBandwidth(c, n, 60, 2000 + n));
    (results['detection'] as unknown[]).push({ config: label(c), n, ...d });
    // The window is too short for periodic push-pull (every 135 to 405 s at n = 5000): its steady rate is computed.
    const steadyPushPull = steadyPushPullBytesPerSec(c.profile, n);
    (results['bandwidth'] as unknown[]).push({ config: label(c), n, ...bw, steadyPushPullBytesPerSec: steadyPushPull, steadyTotalBytesPerSec: bw.udpBytesPerSec + steadyPushPull });
    if (c.profile === lanProfile) {
      lanAllP99.set(baseKey(c, n), d.allMs.p99);
      lanBytes.set(baseKey(c, n), bw.totalBytesPerSec);
    }
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
      ((bw.udpBytesPerSec + steadyPushPull) / 1024).toFixed(2),
      ratio(d.allMs.p99, lanAllP99.get(baseKey(c, n))),
      ratio(bw.totalBytesPerSec, lanBytes.get(baseKey(c, n))),
    ]);
    process.stderr.write(`  ${label(c)} n=${n}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
}
if (detRows.length) console.log('Failure detection (ms of protocol time from the kill) and quiet-cluster traffic per member');
if (detRows.length) console.log(
  table(['profile', 'n', 'trials', 'first p50', 'first p99', 'all p50', 'all p99', 'all max', 'missed', 'pkt/s', 'UDP KiB/s', 'total KiB/s', 'with steady push-pull', 'all p99 vs lan', 'bytes vs lan'], detRows),
);

const fdRows: string[][] = [];
for (const c of configs) {
  for (const scenario of scenarios) {
    const t0 = Date.now();
    const progress = (line: string): boolean => process.stderr.write(`    ${line} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    const r = await measureFalseDeaths(c, falseDeathSize, minutes, scenario, 3000, wallDeadline, progress);
    (results['falseDeaths'] as unknown[]).push({ config: label(c), n: falseDeathSize, ...r });
    fdRows.push([
      label(c),
      scenario === 'loss5' ? '5% loss' : scenario === 'loss10' ? '10% loss' : '2 s stalls',
      String(r.healthyFalseDeaths),
      String(r.healthyDeathViews),
      scenario === 'stall' ? `${r.stallsDeclaredDead}/${r.stalls}` : '-',
      String(r.refutes),
      // Less than --minutes when the wall-clock deadline ended the run.
      String(Number(r.minutes.toFixed(2))),
    ]);
    process.stderr.write(`  ${label(c)} ${scenario}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
}
if (fdRows.length) console.log(`\nFalse deaths, n=${falseDeathSize}, ${minutes} simulated minutes each${wallDeadline === Infinity ? '' : ' at most (--wall-minutes)'}`);
if (fdRows.length) console.log(table(['profile', 'scenario', 'false deaths', 'views', 'stalled member dead', 'refutes', 'minutes'], fdRows));

results['machine'] = { cpus: cpus().length, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() };
results['wallSeconds'] = Math.round((Date.now() - started) / 1000);
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/${outName}.json`, JSON.stringify(results, null, 2) + '\n');
console.log(`\nmachine at the end: ${machine()}`);
console.log(`wrote bench/results/${outName}.json (${results['wallSeconds'] as number} s)`);
