// bench/gossip/memory: what one member-table entry costs in the simulator.
// Every simulated member is a production Cluster with its own table of all n
// members, so a simulation of n members holds n^2 entries and that cost is
// what decides whether n = 5000 fits in a heap. Measures the heap after
// building n members, after filling every table (startConverged), and after
// some protocol time (every member probed, lastAckAt and suspicions set).
//
//   npm run build && node --expose-gc dist/bench/gossip/memory.js [--sizes 250,500,1000] [--seconds 20]
//
// The baseline is the smallest n of the same run: bytes per entry should not
// grow with n (the tables are n^2, not worse).
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fastProfile } from '../../src/cluster/options.js';
import { Simulation } from '../../dev/gossip-sim/simulation.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const sizes = (arg('sizes') ?? '250,500,1000').split(',').map(Number);
const seconds = Number(arg('seconds') ?? 20);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('bench/gossip/memory needs node --expose-gc to measure the heap after a full collection');
/** Heap in use once the previous simulation's last callbacks have run and everything unreachable is collected. */
const heap = async (): Promise<number> => {
  await new Promise((r) => setImmediate(r));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

interface Row {
  n: number;
  memberKiB: number;
  entryBytesConverged: number;
  entryBytesAfterRun: number;
}

console.log(`bench/gossip/memory: sizes ${sizes.join(', ')}; fast profile, ${seconds} s of protocol time after start`);
console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (heap figures do not depend on load)\n`);
/** One size, in a function of its own: a suspended async frame would keep the previous simulation reachable. */
async function measure(n: number): Promise<Row> {
  const base = await heap();
  const sim = new Simulation({ size: n, seed: 1, network: { minDelayMs: 0.1, maxDelayMs: 0.5 }, member: { profile: fastProfile, meta: { version: '0.1.0' } } });
  const built = await heap();
  sim.startConverged();
  const converged = await heap();
  await sim.run(seconds * 1000, 100);
  const ran = await heap();
  await sim.shutdown();
  return { n, memberKiB: (built - base) / n / 1024, entryBytesConverged: (converged - built) / (n * n), entryBytesAfterRun: (ran - built) / (n * n) };
}
const rows: Row[] = [];
for (const n of sizes) rows.push(await measure(n));
const first = rows[0]!;
const w = [6, 14, 22, 22, 14, 22];
const line = (c: string[]): string => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
console.log(line(['n', 'KiB per member', 'B per entry, converged', `B per entry after ${seconds} s`, 'vs first n', 'heap at n=5000 (proj.)']));
console.log(line(w.map((x) => '-'.repeat(x))));
for (const r of rows) {
  const projGiB = (5000 * 5000 * r.entryBytesAfterRun + 5000 * r.memberKiB * 1024) / 2 ** 30;
  console.log(
    line([String(r.n), r.memberKiB.toFixed(1), r.entryBytesConverged.toFixed(0), r.entryBytesAfterRun.toFixed(0), `${(r.entryBytesAfterRun / first.entryBytesAfterRun).toFixed(2)}x`, `${projGiB.toFixed(1)} GiB`]),
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/gossip-memory.json',
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, machine: { cpus: cpus().length, loadAverage: loadavg() }, seconds, rows }, null, 2)}\n`,
);
console.log('\nwrote bench/results/gossip-memory.json');
