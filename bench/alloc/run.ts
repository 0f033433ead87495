// bench/alloc: the allocator against MetalLB's linear scan, same workload,
// same process.
//
//   npm run bench:alloc                    # 10k and 100k services
//   npm run bench:alloc -- --sizes 10000   # other sizes
//
// Workload (mixed, not dual-stack: 100k dual-stack services cannot fit in an
// IPv4 /16): one pool with 198.18.0.0/16 (RFC 2544 benchmarking range) and
// 2001:db8:1::/64; service i is IPv4 single-stack when i is even, IPv6 when
// odd, TCP/80, no sharing. Phases: allocate all n; release a seeded-random
// half; allocate that half again (it lands in the holes). Timings are wall
// clock on this machine (after a warm-up pass); what carries over to other
// machines is the ratio and the shape per decile, not the absolute numbers.
// The machine's load average is printed with the results.
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
import { formatIP } from '../../src/alloc/ip.js';
import type { Family } from '../../src/alloc/ip.js';
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
  ipFamilies: [familyOf(i) === 4 ? 'IPv4' : 'IPv6'],
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

interface Phases {
  /** Microseconds per allocation in each tenth of the allocate phase. */
  deciles: number[];
  allocateMs: number;
  /** Process CPU time (user + system) of the allocate phase: less sensitive to a busy machine than wall time. */
  allocateCpuMs?: number;
  releaseMs: number;
  reallocateMs: number;
  /** Heap used after gc, bytes above the empty baseline, after each phase. */
  heapAfterAllocate?: number;
  heapAfterRelease?: number;
  heapAfterReallocate?: number;
  addresses?: string[];
}

function runShoal(n: number, half: number[]): Phases {
  const svcs = Array.from({ length: n }, (_, i) => service(i));
  const base = heap();
  const a = new Allocator(pools);
  const deciles: number[] = [];
  let allocateMs = 0;
  const cpu0 = process.cpuUsage();
  for (let d = 0; d < 10; d++) {
    const [lo, hi] = [Math.floor((d * n) / 10), Math.floor(((d + 1) * n) / 10)];
    const t0 = performance.now();
    for (let i = lo; i < hi; i++) if (!a.allocate(svcs[i] as ServiceInput).ok) throw new Error(`shoal failed at ${i}`);
    const dt = performance.now() - t0;
    allocateMs += dt;
    deciles.push((dt * 1000) / (hi - lo));
  }
  const cpu = process.cpuUsage(cpu0);
  const allocateCpuMs = (cpu.user + cpu.system) / 1000;
  const addresses = svcs.map((s) => a.get(`bench/${s.name}`)?.ips[0] ?? '');
  const heapAfterAllocate = heap() - base;
  let t0 = performance.now();
  for (const i of half) a.release(`bench/svc-${i}`);
  const releaseMs = performance.now() - t0;
  const heapAfterRelease = heap() - base;
  t0 = performance.now();
  for (const i of half) if (!a.allocate(svcs[i] as ServiceInput).ok) throw new Error(`shoal re-allocation failed at ${i}`);
  const reallocateMs = performance.now() - t0;
  const heapAfterReallocate = heap() - base;
  return { deciles, allocateMs, allocateCpuMs, releaseMs, reallocateMs, heapAfterAllocate, heapAfterRelease, heapAfterReallocate, addresses };
}

function runNaiveFull(n: number, half: number[]): Phases {
  const base = heap();
  const a = new NaiveAllocator(pool.ranges);
  const got: bigint[] = [];
  const deciles: number[] = [];
  let allocateMs = 0;
  for (let d = 0; d < 10; d++) {
    const [lo, hi] = [Math.floor((d * n) / 10), Math.floor(((d + 1) * n) / 10)];
    const t0 = performance.now();
    for (let i = lo; i < hi; i++) got[i] = a.allocate(familyOf(i)) as bigint;
    const dt = performance.now() - t0;
    allocateMs += dt;
    deciles.push((dt * 1000) / (hi - lo));
  }
  const addresses = got.map(String);
  const heapAfterAllocate = heap() - base;
  let t0 = performance.now();
  for (const i of half) a.release(familyOf(i), got[i] as bigint);
  const releaseMs = performance.now() - t0;
  t0 = performance.now();
  for (const i of half) got[i] = a.allocate(familyOf(i)) as bigint;
  const reallocateMs = performance.now() - t0;
  return { deciles, allocateMs, releaseMs, reallocateMs, heapAfterAllocate, addresses };
}

/** Times `sample` walks at the end of each tenth of a sequence of allocations whose addresses are known in advance. */
function sampledWalks(order: { f: Family; v: bigint }[], setup: (a: NaiveAllocator) => void): number[] {
  const deciles: number[] = [];
  for (let d = 0; d < 10; d++) {
    const a = new NaiveAllocator(pool.ranges);
    setup(a);
    const [lo, hi] = [Math.floor((d * order.length) / 10), Math.floor(((d + 1) * order.length) / 10)];
    const timed = Math.min(sample, hi - lo);
    for (let k = 0; k < hi - timed; k++) a.take((order[k] as { f: Family }).f, (order[k] as { v: bigint }).v);
    const t0 = performance.now();
    for (let k = hi - timed; k < hi; k++) {
      const want = order[k] as { f: Family; v: bigint };
      if (a.allocate(want.f) !== want.v) throw new Error('fast-forward diverged from the walk');
    }
    deciles.push(((performance.now() - t0) * 1000) / timed);
  }
  return deciles;
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
  const perDecile = (ds: number[], total: number): number => ds.reduce((s, us) => s + (us * total) / 10, 0) / 1000;
  return { deciles, allocateMs: perDecile(deciles, n), releaseMs: NaN, reallocateMs: perDecile(realloc, half.length) };
}

const pad = (s: string, w: number): string => s.padStart(w);
const f1 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const mib = (b: number | undefined): string => (b === undefined ? '-' : (b / 1048576).toFixed(1));

// Warm the JIT on every phase once, so the first measured decile is not compilation time.
runShoal(20_000, releasedHalf(20_000));

const results: Record<string, unknown>[] = [];
console.log('bench/alloc: shoal Allocator vs. naive linear scan (MetalLB\'s search), pool 198.18.0.0/16 + 2001:db8:1::/64, services alternate IPv4/IPv6\n');
for (const n of sizes) {
  const half = releasedHalf(n);
  heap();
  const shoal = runShoal(n, half);
  const full = n <= naiveFull ? runNaiveFull(n, half) : undefined;
  if (full) {
    // Same workload, same answers: the walk and the allocator must agree on every address.
    const differs = full.addresses?.findIndex((v, i) => formatIP({ family: familyOf(i), value: BigInt(v) }) !== shoal.addresses?.[i]);
    if (differs !== -1) throw new Error(`shoal and the naive walk disagree at service ${differs}`);
  }
  const sampled = runNaiveSampled(n, half);
  const naive = full ?? sampled;
  console.log(`n = ${n} (${n / 2} IPv4 = ${((100 * n) / 2 / 65536).toFixed(0)}% of the /16, ${n / 2} IPv6)`);
  console.log(`${'decile'.padEnd(8)}${pad('shoal us/alloc', 16)}${pad('naive us/alloc', 16)}${full ? pad('naive sampled', 15) : ''}${pad('naive/shoal', 13)}`);
  for (let d = 0; d < 10; d++) {
    const s = shoal.deciles[d] as number;
    const nv = naive.deciles[d] as number;
    console.log(`${`${d * 10}-${d * 10 + 10}%`.padEnd(8)}${pad(f1(s), 16)}${pad(f1(nv), 16)}${full ? pad(f1(sampled.deciles[d]), 15) : ''}${pad(f1(nv / s), 13)}`);
  }
  const rate = (count: number, ms: number): string => (Number.isFinite(ms) ? `${Math.round(count / (ms / 1000)).toLocaleString('en-US')}/s` : '-');
  console.log(`${'phase'.padEnd(22)}${pad('shoal ms', 12)}${pad('shoal rate', 14)}${pad('naive ms', 12)}${pad('naive rate', 14)}${pad('ratio', 9)}`);
  const row = (name: string, count: number, s: number, nv: number): void =>
    console.log(`${name.padEnd(22)}${pad(f1(s), 12)}${pad(rate(count, s), 14)}${pad(f1(nv) + (full ? '' : '*'), 12)}${pad(rate(count, nv), 14)}${pad(f1(nv / s), 9)}`);
  row(`allocate ${n}`, n, shoal.allocateMs, naive.allocateMs);
  row(`release ${half.length}`, half.length, shoal.releaseMs, full?.releaseMs ?? NaN);
  row(`re-allocate ${half.length}`, half.length, shoal.reallocateMs, naive.reallocateMs);
  console.log(`heap after gc (MiB above empty): allocate ${mib(shoal.heapAfterAllocate)}, release ${mib(shoal.heapAfterRelease)}, re-allocate ${mib(shoal.heapAfterReallocate)}; naive after allocate ${mib(full?.heapAfterAllocate)}`);
  if (!full) console.log(`* naive estimated from ${sample} timed walks per decile (state fast-forwarded exactly)`);
  const load = loadavg()[0] ?? 0;
  console.log(`shoal allocate phase: ${f1(shoal.allocateMs)} ms wall, ${f1(shoal.allocateCpuMs)} ms CPU; load average ${load.toFixed(1)} on ${cpus().length} CPUs`);
  console.log(`target 100k allocations < 1 s: ${n === 100000 ? (shoal.allocateMs < 1000 ? `met (${f1(shoal.allocateMs)} ms)` : `NOT met (${f1(shoal.allocateMs)} ms wall)`) : 'n/a at this size'}\n`);
  const { addresses: _a, ...shoalOut } = shoal;
  const { addresses: _b, ...fullOut } = full ?? { addresses: undefined };
  results.push({ n, loadAverage: loadavg()[0], shoal: shoalOut, naiveFull: full ? fullOut : null, naiveSampled: sampled, allocateRatio: naive.allocateMs / shoal.allocateMs, reallocateRatio: naive.reallocateMs / shoal.reallocateMs });
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/alloc.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, sample, naiveFull, results }, null, 2)}\n`);
console.log('wrote bench/results/alloc.json');
