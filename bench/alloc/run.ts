// bench/alloc: the allocator against MetalLB's linear scan, same workload,
// same process.
//
//   npm run bench:alloc                                # 10k and 100k services
//   npm run bench:alloc -- --sizes 10000 --repeat 5    # other sizes, more runs
//
// Workload (mixed, not dual-stack: 100k dual-stack services cannot fit in an
// IPv4 /16): one pool with 198.18.0.0/16 (RFC 2544 benchmarking range) and
// 2001:db8:1::/64; service i is IPv4 single-stack when i is even, IPv6 when
// odd, TCP/80, no sharing. Phases: allocate all n; release a seeded-random
// half; allocate that half again (it lands in the holes).
//
// Every phase reports wall time and process CPU time (user + system). On a
// shared machine wall time includes time spent waiting for a core, so CPU
// time is the steadier figure; the load average at the start is printed so a
// reader can judge. The shoal side runs --repeat times (after a warm-up pass)
// and each figure is the median of those runs. What carries over to other
// machines is the ratio and the shape per decile, not the absolute numbers.
//
// The shoal side is the full Allocator.allocate() (annotation parsing, pool
// choice, sharing checks, bookkeeping); the naive side is only the address
// walk, which flatters it. The naive walk is run in full up to --naive-full
// services; above that each decile is sampled: the naive state is
// fast-forwarded to where the walk would have put it (the walk always takes
// the lowest free address, so that state is known exactly) and --sample
// allocations are timed there. The 10k run does both, which checks the
// sampling against the full measurement.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Allocator } from '../../src/alloc/allocator.js';
import { familyName, formatIP, type Family } from '../../src/net/index.js';
import type { ServiceInput } from '../../src/alloc/service.js';
import { parseObjects } from '../../src/config/index.js';
import type { Pool } from '../../src/config/index.js';
import { NaiveAllocator } from './naive.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const sizes = arg('sizes', '10000,100000').split(',').map(Number);
const naiveFull = Number(arg('naive-full', '10000'));
const sample = Number(arg('sample', '400'));
const repeat = Math.max(1, Number(arg('repeat', '3')));
const loadAtStart = loadavg();

const parsed = parseObjects([
  { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'bench' }, spec: { addresses: ['198.18.0.0/16', '2001:db8:1::/64'] } },
]);
if (!parsed.ok) throw new Error('bench pool did not parse');
const pools: readonly Pool[] = parsed.config.pools;
const pool = pools[0] as Pool;
const first: Record<Family, bigint> = { 4: pool.ranges[0]?.first ?? 0n, 6: pool.ranges[1]?.first ?? 0n };

const familyOf = (i: number): Family => (i % 2 === 0 ? 4 : 6);
const service = (i: number): ServiceInput => ({
  namespace: 'bench',
  name: `svc-${i}`,
  type: 'LoadBalancer',
  ipFamilies: [familyName(familyOf(i))],
  ports: [{ port: 80 }],
});

/** The seeded-random half released in phase 2 (xorshift32 Fisher-Yates). */
function releasedHalf(n: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  let s = 0x9e3779b9;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
  }
  return idx.slice(0, Math.floor(n / 2));
}

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:alloc does)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Wall and process CPU time of one stretch of work, in ms. */
interface Time {
  wall: number;
  cpu: number;
}

function clock(): { done: () => Time } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return {
    done: () => {
      const c = process.cpuUsage(c0);
      return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
    },
  };
}

const perItemUs = (t: Time, count: number): Time => ({ wall: (t.wall * 1000) / count, cpu: (t.cpu * 1000) / count });

interface Phases {
  /** Microseconds per allocation in each tenth of the allocate phase. */
  deciles: Time[];
  allocate: Time;
  release: Time | undefined;
  reallocate: Time;
  /** Heap used after gc, bytes above the empty baseline, after each phase. */
  heapAfterAllocate?: number;
  heapAfterRelease?: number;
  heapAfterReallocate?: number;
  addresses?: string[];
}

/** Allocates n services in ten timed slices. */
function allocateInDeciles(n: number, allocate: (i: number) => void): { deciles: Time[]; total: Time } {
  const deciles: Time[] = [];
  const total = clock();
  for (let d = 0; d < 10; d++) {
    const [lo, hi] = [Math.floor((d * n) / 10), Math.floor(((d + 1) * n) / 10)];
    const c = clock();
    for (let i = lo; i < hi; i++) allocate(i);
    deciles.push(perItemUs(c.done(), hi - lo));
  }
  return { deciles, total: total.done() };
}

// The warm-up allocator stays alive for the whole benchmark. V8 drops
// optimized code once every object of the shapes it was specialised on has
// died, so with nothing left from the previous run each run would spend its
// first decile compiling again (--trace-deopt: "weak objects"). A
// controller's allocator lives as long as the process.
const keepAlive: Allocator[] = [];

function runShoal(n: number, half: number[], keep = false): Phases {
  const svcs = Array.from({ length: n }, (_, i) => service(i));
  const base = heap();
  const a = new Allocator(pools);
  if (keep) keepAlive.push(a);
  const { deciles, total: allocate } = allocateInDeciles(n, (i) => {
    if (!a.allocate(svcs[i] as ServiceInput).ok) throw new Error(`shoal failed at ${i}`);
  });
  const addresses = svcs.map((s) => a.get(`bench/${s.name}`)?.ips[0] ?? '');
  const heapAfterAllocate = heap() - base;
  let c = clock();
  // A fresh key string per call, as a controller has from each delete event.
  for (const i of half) a.release(`bench/svc-${i}`);
  const release = c.done();
  const heapAfterRelease = heap() - base;
  c = clock();
  for (const i of half) if (!a.allocate(svcs[i] as ServiceInput).ok) throw new Error(`shoal re-allocation failed at ${i}`);
  const reallocate = c.done();
  const heapAfterReallocate = heap() - base;
  return { deciles, allocate, release, reallocate, heapAfterAllocate, heapAfterRelease, heapAfterReallocate, addresses };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const medianTime = (ts: Time[]): Time => ({ wall: median(ts.map((t) => t.wall)), cpu: median(ts.map((t) => t.cpu)) });

/** Per-figure medians over the runs (each figure on its own: wall and CPU may come from different runs). */
function medianPhases(runs: Phases[]): Phases {
  const of = (pick: (p: Phases) => Time): Time => medianTime(runs.map(pick));
  const num = (pick: (p: Phases) => number | undefined): number => median(runs.map((p) => pick(p) ?? NaN));
  return {
    deciles: Array.from({ length: 10 }, (_, d) => of((p) => p.deciles[d] as Time)),
    allocate: of((p) => p.allocate),
    release: of((p) => p.release as Time),
    reallocate: of((p) => p.reallocate),
    heapAfterAllocate: num((p) => p.heapAfterAllocate),
    heapAfterRelease: num((p) => p.heapAfterRelease),
    heapAfterReallocate: num((p) => p.heapAfterReallocate),
  };
}

function runNaiveFull(n: number, half: number[]): Phases {
  const base = heap();
  const a = new NaiveAllocator(pool.ranges);
  const got: bigint[] = [];
  const { deciles, total: allocate } = allocateInDeciles(n, (i) => {
    got[i] = a.allocate(familyOf(i)) as bigint;
  });
  const addresses = got.map(String);
  const heapAfterAllocate = heap() - base;
  let c = clock();
  for (const i of half) a.release(familyOf(i), got[i] as bigint);
  const release = c.done();
  c = clock();
  for (const i of half) got[i] = a.allocate(familyOf(i)) as bigint;
  const reallocate = c.done();
  return { deciles, allocate, release, reallocate, heapAfterAllocate, addresses };
}

/** Times `sample` walks at the end of each tenth of a sequence of allocations whose addresses are known in advance. */
function sampledWalks(order: { f: Family; v: bigint }[], setup: (a: NaiveAllocator) => void): Time[] {
  const deciles: Time[] = [];
  for (let d = 0; d < 10; d++) {
    const a = new NaiveAllocator(pool.ranges);
    setup(a);
    const [lo, hi] = [Math.floor((d * order.length) / 10), Math.floor(((d + 1) * order.length) / 10)];
    const timed = Math.min(sample, hi - lo);
    for (let k = 0; k < hi - timed; k++) a.take((order[k] as { f: Family }).f, (order[k] as { v: bigint }).v);
    const c = clock();
    for (let k = hi - timed; k < hi; k++) {
      const want = order[k] as { f: Family; v: bigint };
      if (a.allocate(want.f) !== want.v) throw new Error('fast-forward diverged from the walk');
    }
    deciles.push(perItemUs(c.done(), timed));
  }
  return deciles;
}

/** A phase's total estimated from per-decile microseconds per item. */
function fromDeciles(ds: Time[], count: number): Time {
  const sum = (pick: (t: Time) => number): number => ds.reduce((s, t) => s + (pick(t) * count) / 10, 0) / 1000;
  return { wall: sum((t) => t.wall), cpu: sum((t) => t.cpu) };
}

/** Naive phases estimated from sampled deciles (see the header). */
function runNaiveSampled(n: number, half: number[]): Phases {
  // From empty, the walk hands out each family's addresses in order.
  const rank: number[] = [];
  const seen: Record<Family, number> = { 4: 0, 6: 0 };
  for (let i = 0; i < n; i++) rank[i] = seen[familyOf(i)]++;
  const addr = (i: number): { f: Family; v: bigint } => ({ f: familyOf(i), v: first[familyOf(i)] + BigInt(rank[i] as number) });
  const allocOrder = Array.from({ length: n }, (_, i) => addr(i));
  const deciles = sampledWalks(allocOrder, () => undefined);
  // Re-allocation fills the released addresses per family, lowest first.
  const holes = half.map(addr);
  const byFamily = (f: Family) => holes.filter((h) => h.f === f).sort((x, y) => (x.v < y.v ? -1 : 1));
  const queues = { 4: byFamily(4), 6: byFamily(6) };
  const reallocOrder = half.map((i) => queues[familyOf(i)].shift() as { f: Family; v: bigint });
  const released = new Set(holes.map((h) => `${h.f}:${h.v}`));
  const realloc = sampledWalks(reallocOrder, (a) => {
    for (const x of allocOrder) if (!released.has(`${x.f}:${x.v}`)) a.take(x.f, x.v);
  });
  return { deciles, allocate: fromDeciles(deciles, n), release: undefined, reallocate: fromDeciles(realloc, half.length) };
}

const pad = (s: string, w: number): string => s.padStart(w);
const f1 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const mib = (b: number | undefined): string => (b === undefined ? '-' : (b / 1048576).toFixed(1));
const load = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' / ');

// Warm the JIT on every phase once, so the first measured decile is not compilation time.
runShoal(20_000, releasedHalf(20_000), true);

console.log("bench/alloc: shoal Allocator vs. naive linear scan (MetalLB's search), pool 198.18.0.0/16 + 2001:db8:1::/64, services alternate IPv4/IPv6");
console.log(`load average at start ${load(loadAtStart)} (1/5/15 min) on ${cpus().length} CPUs; shoal figures are medians of ${repeat} runs; times are wall / CPU\n`);
const results: Record<string, unknown>[] = [];
for (const n of sizes) {
  const half = releasedHalf(n);
  heap();
  const runs: Phases[] = [];
  for (let r = 0; r < repeat; r++) runs.push(runShoal(n, half));
  const shoal = medianPhases(runs);
  const full = n <= naiveFull ? runNaiveFull(n, half) : undefined;
  if (full) {
    // Same workload, same answers: the walk and the allocator must agree on every address.
    const differs = full.addresses?.findIndex((v, i) => formatIP({ family: familyOf(i), value: BigInt(v) }) !== runs[0]?.addresses?.[i]);
    if (differs !== -1) throw new Error(`shoal and the naive walk disagree at service ${differs}`);
  }
  const sampled = runNaiveSampled(n, half);
  const naive = full ?? sampled;
  const wc = (t: Time | undefined): string => (t ? `${f1(t.wall)} / ${f1(t.cpu)}` : '-');
  console.log(`n = ${n} (${n / 2} IPv4 = ${((100 * n) / 2 / 65536).toFixed(0)}% of the /16, ${n / 2} IPv6)`);
  console.log(`${'decile'.padEnd(8)}${pad('shoal us/alloc', 18)}${pad('naive us/alloc', 18)}${full ? pad('naive sampled', 18) : ''}${pad('naive/shoal cpu', 17)}`);
  for (let d = 0; d < 10; d++) {
    const s = shoal.deciles[d] as Time;
    const nv = naive.deciles[d] as Time;
    console.log(`${`${d * 10}-${d * 10 + 10}%`.padEnd(8)}${pad(wc(s), 18)}${pad(wc(nv), 18)}${full ? pad(wc(sampled.deciles[d]), 18) : ''}${pad(f1(nv.cpu / s.cpu), 17)}`);
  }
  const rate = (count: number, t: Time | undefined): string => (t ? `${Math.round(count / (t.cpu / 1000)).toLocaleString('en-US')}/s` : '-');
  console.log(`${'phase'.padEnd(20)}${pad('shoal ms', 18)}${pad('shoal rate (cpu)', 18)}${pad('naive ms', 22)}${pad('naive rate (cpu)', 18)}${pad('ratio cpu', 11)}`);
  const row = (name: string, count: number, s: Time | undefined, nv: Time | undefined): void =>
    console.log(`${name.padEnd(20)}${pad(wc(s), 18)}${pad(rate(count, s), 18)}${pad(wc(nv) + (full || !nv ? '' : '*'), 22)}${pad(rate(count, nv), 18)}${pad(nv && s ? f1(nv.cpu / s.cpu) : '-', 11)}`);
  row(`allocate ${n}`, n, shoal.allocate, naive.allocate);
  row(`release ${half.length}`, half.length, shoal.release, full?.release);
  row(`re-allocate ${half.length}`, half.length, shoal.reallocate, naive.reallocate);
  const perSvc = (b: number | undefined): string => (b === undefined ? '-' : `${Math.round(b / n)} B/service`);
  console.log(`heap after gc (MiB above empty): allocate ${mib(shoal.heapAfterAllocate)} (${perSvc(shoal.heapAfterAllocate)}), release ${mib(shoal.heapAfterRelease)}, re-allocate ${mib(shoal.heapAfterReallocate)}; naive after allocate ${mib(full?.heapAfterAllocate)}`);
  if (!full) console.log(`* naive estimated from ${sample} timed walks per decile (state fast-forwarded exactly)`);
  if (n === 100000) {
    const verdict = (ms: number): string => `${f1(ms)} ms, ${ms < 1000 ? 'met' : 'NOT met'}`;
    console.log(`target 100k allocations < 1 s: wall ${verdict(shoal.allocate.wall)}; CPU ${verdict(shoal.allocate.cpu)}`);
  }
  console.log(`load average now ${load(loadavg())}\n`);
  const strip = ({ addresses: _a, ...rest }: Phases): Omit<Phases, 'addresses'> => rest;
  results.push({
    n,
    loadAverage: loadavg(),
    shoal: { median: strip(shoal), runs: runs.map(strip) },
    naiveFull: full ? strip(full) : null,
    naiveSampled: sampled,
    allocateRatio: { wall: naive.allocate.wall / shoal.allocate.wall, cpu: naive.allocate.cpu / shoal.allocate.cpu },
    reallocateRatio: { wall: naive.reallocate.wall / shoal.reallocate.wall, cpu: naive.reallocate.cpu / shoal.reallocate.cpu },
  });
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/alloc.json',
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadAverageAtStart: loadAtStart, repeat, sample, naiveFull, results }, null, 2)}\n`,
);
console.log('wrote bench/results/alloc.json');
