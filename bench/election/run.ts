// bench/election: how fast one full layer-2 election runs, and how evenly the
// ring spreads addresses, against naive uses of hashring in the same process.
//
//   npm run build && node dist/bench/election/run.js
//   node dist/bench/election/run.js --ips 10000 --members 100 --runs 21 --naive-sample 100
//
// Election workload: --members live members (node-000...), every one a
// plain node; --ips services with one IPv4 address each from 198.18.0.0/15
// (RFC 2544 benchmarking range; nothing is sent anywhere). Two policies:
// Cluster (every node eligible: the walk stops at the first member) and
// Local (each service has endpoints on 3 seeded-random nodes: the walk goes
// on until it meets one). Rows:
//   full          compute({ full: true }): every IP decided again, ring
//                 and IP hashes cached (the baseline of the x full column)
//   full after member change   the same right after a member died or came
//                 back (ring rebuilt from cached member points): what every
//                 membership change cost before incremental runs
//   incr: member death / return   compute() after one member died / came
//                 back: only the IPs whose ring walk passed it are decided
//                 (the "decided" column); checked against a full run
//   incr: one service   one service's input object replaced
//   incr: nothing changed   compute() on the same inputs
//   cold start    a new Election's first compute() (every member hashed)
//   hashring/run  baseline: `new HashRing(members)` once per run, walk with
//                 its range(); same eligibility code
//   hashring/ip   baseline: the ring rebuilt for every IP (timed on
//                 --naive-sample IPs, scaled to --ips)
//   metallb       MetalLB's rule instead of a ring: per IP, the eligible
//                 member with the lowest sha256(node + "#" + ip)
// The hashring baselines are checked to elect the same owners as the
// election (MetalLB's rule elects other owners, by design).
//
// Spread: 1,000 VIPs (198.18.0.0/22) on 10 members, for several vnode
// counts: the fixed names node-1..node-10, and --namings random 10-member
// namings (mean, p95, max of max/mean); a seeded uniform random assignment
// is the floor no hash can beat on average.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import HashRing from 'hashring';
import { Election } from '../../src/announce/election.js';
import { EligibilityContext } from '../../src/announce/election-eligibility.js';
import type { ElectionInputs, ElectionNode, ElectionService } from '../../src/announce/election-inputs.js';
import { DEFAULT_VNODES, MemberRing, ringSpread } from '../../src/announce/election-ring.js';
import { parseResources } from '../../src/config/index.js';
import { rng } from '../../test/announce/election-support.js';
import { mean, percentile } from '../stats.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} wants a positive number`);
  return v;
}
const IPS = arg('ips', 10_000);
const MEMBERS = arg('members', 100);
const RUNS = arg('runs', 21);
const NAIVE_SAMPLE = arg('naive-sample', 100);
const NAMINGS = arg('namings', 300);

const benchIp = (i: number): string => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

const parsed = parseResources({
  ipAddressPools: [{ metadata: { name: 'bench' }, spec: { addresses: ['198.18.0.0/15'] } }],
  l2Advertisements: [{ metadata: { name: 'bench' }, spec: { ipAddressPools: ['bench'] } }],
});
if (!parsed.ok) throw new Error('bench config did not parse');
const config = parsed.config;

const names = Array.from({ length: MEMBERS }, (_, i) => `node-${String(i).padStart(3, '0')}`);
const nodes = new Map<string, ElectionNode>(names.map((n) => [n, { labels: { 'kubernetes.io/hostname': n }, networkUnavailable: false }]));

function services(local: boolean): ElectionService[] {
  const random = rng(42);
  return Array.from({ length: IPS }, (_, i) => {
    const endpointNodes = local ? [0, 1, 2].map(() => names[Math.floor(random() * names.length)]!) : [];
    return { namespace: 'bench', name: `svc-${i}`, labels: {}, ips: [benchIp(i)], externalTrafficPolicy: local ? 'Local' : 'Cluster', endpoints: { serving: true, nodes: endpointNodes } };
  });
}

const live = (except?: string): ElectionInputs['members'] => names.filter((n) => n !== except).map((name) => ({ name, state: 'alive' as const }));

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function referenceRing(members: readonly string[]): HashRing {
  const servers: Record<string, { vnodes: number }> = {};
  for (const n of [...members].sort()) servers[n] = { vnodes: DEFAULT_VNODES };
  return new HashRing(servers, 'md5', { 'vnode count': 0 });
}

/** The election's eligibility, the library's ring: walk range() to the first eligible member. */
function naiveOwners(inputs: ElectionInputs, ips: readonly string[], ringPer: 'run' | 'ip'): Map<string, string | undefined> {
  const ctx = new EligibilityContext(inputs, false);
  const members = [...inputs.members].filter((m) => m.state === 'alive' || m.state === 'suspect').map((m) => m.name);
  let ring = ringPer === 'run' ? referenceRing(members) : undefined;
  const out = new Map<string, string | undefined>();
  for (const ip of ips) {
    if (ringPer === 'ip') ring = referenceRing(members);
    const plan = ctx.plan(ip)!;
    out.set(
      ip,
      ring!.range(ip).find((m) => ctx.eligible(plan, m)),
    );
  }
  return out;
}

/**
 * MetalLB's rule, same eligibility: per IP, the eligible member with the
 * lowest sha256(node + "#" + ip). (MetalLB sorts the whole list with the
 * hash computed inside the comparator; taking the minimum flatters it.)
 */
function metallbOwners(inputs: ElectionInputs, ips: readonly string[]): Map<string, string | undefined> {
  const ctx = new EligibilityContext(inputs, false);
  const members = [...inputs.members].filter((m) => m.state === 'alive' || m.state === 'suspect').map((m) => m.name);
  const out = new Map<string, string | undefined>();
  for (const ip of ips) {
    const plan = ctx.plan(ip)!;
    let best: string | undefined;
    let bestHash: Buffer | undefined;
    for (const m of members) {
      if (!ctx.eligible(plan, m)) continue;
      const h = createHash('sha256').update(`${m}#${ip}`).digest();
      if (!bestHash || Buffer.compare(h, bestHash) < 0) {
        best = m;
        bestHash = h;
      }
    }
    out.set(ip, best);
  }
  return out;
}

interface Row {
  policy: string;
  variant: string;
  medianMs: number;
  minMs: number;
  /** median / median of the full run */
  ratio: number;
  /** IPs decided again (median), for the incremental rows that say */
  decided?: number;
}

const rows: Row[] = [];

for (const policy of ['Cluster', 'Local'] as const) {
  const svcs: ElectionService[] = services(policy === 'Local');
  const inputs: ElectionInputs = { members: live(), nodes, config, services: svcs };
  const election = new Election();
  const result = election.compute(inputs); // warm-up, and the owners to check the baselines against
  for (let i = 0; i < 3; i++) election.compute(inputs);

  const full: number[] = [];
  for (let i = 0; i < RUNS; i++) full.push(time(() => election.compute(inputs, { full: true })));

  const fullChange: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const victim = names[(i * 37) % names.length]!;
    fullChange.push(time(() => election.compute({ ...inputs, members: live(victim) }, { full: true })));
    fullChange.push(time(() => election.compute(inputs, { full: true })));
  }

  // The incremental path: one member dies, then comes back; checked
  // against a full run of the same inputs.
  const death: number[] = [];
  const back: number[] = [];
  const decidedOnDeath: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const victim = names[(i * 37) % names.length]!;
    const without = { ...inputs, members: live(victim) };
    let r = election.compute(inputs);
    death.push(time(() => (r = election.compute(without))));
    decidedOnDeath.push(r.decided);
    if (i === 0 && JSON.stringify([...r.decisions]) !== JSON.stringify([...new Election().compute(without).decisions])) throw new Error('incremental run after a death disagrees with a full run');
    back.push(time(() => (r = election.compute(inputs))));
  }

  // One service replaced (new endpoints object: what an EndpointSlice update brings).
  const svcChange: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const j = (i * 613) % svcs.length;
    const changed = [...svcs];
    changed[j] = { ...svcs[j]!, endpoints: { ...svcs[j]!.endpoints } };
    svcChange.push(time(() => election.compute({ ...inputs, services: changed })));
    election.compute(inputs);
  }
  const steady: number[] = [];
  for (let i = 0; i < RUNS; i++) steady.push(time(() => election.compute(inputs)));

  const cold: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 5); i++) cold.push(time(() => new Election().compute(inputs)));

  const allIps = svcs.map((s) => s.ips[0]!);
  const perRun: number[] = [];
  let naive = new Map<string, string | undefined>();
  for (let i = 0; i < Math.min(RUNS, 5); i++) perRun.push(time(() => (naive = naiveOwners(inputs, allIps, 'run'))));
  for (const ip of allIps) if (naive.get(ip) !== result.decisions.get(ip)?.owner) throw new Error(`hashring/run baseline disagrees at ${ip}`);

  const sample = allIps.slice(0, NAIVE_SAMPLE);
  let perIp = new Map<string, string | undefined>();
  const perIpMs = (time(() => (perIp = naiveOwners(inputs, sample, 'ip'))) * allIps.length) / sample.length;
  for (const ip of sample) if (perIp.get(ip) !== result.decisions.get(ip)?.owner) throw new Error(`hashring/ip baseline disagrees at ${ip}`);

  const hrw: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) hrw.push(time(() => metallbOwners(inputs, allIps)));

  const base = percentile(full, 50);
  const add = (variant: string, values: number[], decided?: number): void => {
    const m = percentile(values, 50);
    rows.push({ policy, variant, medianMs: m, minMs: Math.min(...values), ratio: m / base, ...(decided === undefined ? {} : { decided }) });
  };
  add('full', full);
  add('full after member change', fullChange);
  add('incr: member death', death, percentile(decidedOnDeath, 50));
  add('incr: member return', back);
  add('incr: one service', svcChange);
  add('incr: nothing changed', steady);
  add('cold start', cold);
  add('hashring/run', perRun);
  add(`hashring/ip (${sample.length} IPs scaled)`, [perIpMs]);
  add('metallb sha256(node#ip)', hrw);
}

// Spread of 1,000 VIPs over 10 members.
const vips = Array.from({ length: 1000 }, (_, i) => benchIp(i));
const fixed = Array.from({ length: 10 }, (_, i) => `node-${i + 1}`);
const namingRandom = rng(7);
const namings = Array.from({ length: NAMINGS }, () => Array.from({ length: 10 }, () => `n-${Math.floor(namingRandom() * 2 ** 32).toString(36)}`));
const uniformRandom = rng(11);
const uniform = Array.from({ length: NAMINGS }, () => {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 1000; i++) counts[Math.floor(uniformRandom() * 10)]!++;
  return Math.max(...counts) / 100;
});
interface SpreadRow {
  vnodes: number | string;
  fixedNames: number;
  meanOverNamings: number;
  p95: number;
  max: number;
  /** Ring of --members members from nothing (every member hashed). */
  coldMs: number;
  /** Ring rebuilt after one member left or came back (member points cached). */
  rebuildMs: number;
}
const spreadRows: SpreadRow[] = [];
for (const vnodes of [40, 64, 100, 160, 256]) {
  const ratios = namings.map((n) => ringSpread(n, vips, vnodes).maxOverMean);
  const coldMs = percentile(
    Array.from({ length: 3 }, () => time(() => new MemberRing(vnodes).setMembers(names))),
    50,
  );
  const ring = new MemberRing(vnodes);
  ring.setMembers(names);
  const rebuildMs = percentile(
    Array.from({ length: 10 }, (_, i) => time(() => ring.setMembers(i % 2 === 0 ? names.slice(1) : names))),
    50,
  );
  spreadRows.push({ vnodes, fixedNames: ringSpread(fixed, vips, vnodes).maxOverMean, meanOverNamings: mean(ratios), p95: percentile(ratios, 95), max: Math.max(...ratios), coldMs, rebuildMs });
}
spreadRows.push({ vnodes: 'uniform random', fixedNames: NaN, meanOverNamings: mean(uniform), p95: percentile(uniform, 95), max: Math.max(...uniform), coldMs: NaN, rebuildMs: NaN });

const f = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : '-');
const load = loadavg().map((l) => l.toFixed(1)).join(' ');
const lines: string[] = [];
const say = (line: string): void => {
  console.log(line);
  lines.push(line);
};
say(`election: ${IPS} IPs, ${MEMBERS} live members, vnodes ${DEFAULT_VNODES}; ${RUNS} runs; ${cpus().length} CPUs, load average ${load}`);
say('policy   variant                          median ms   min ms     x full  decided');
for (const r of rows) say(`${r.policy.padEnd(8)} ${r.variant.padEnd(32)} ${f(r.medianMs, 2).padStart(9)} ${f(r.minMs, 2).padStart(8)} ${f(r.ratio, 3).padStart(10)} ${r.decided === undefined ? '' : String(r.decided).padStart(8)}`);
say(`\nspread: 1,000 VIPs on 10 members, max/mean (fixed names node-1..node-10; ${NAMINGS} random namings); ring build for ${MEMBERS} members, cold and after one member change`);
say('vnodes           fixed   mean    p95    max   cold ms  rebuild ms');
for (const s of spreadRows) {
  say(`${String(s.vnodes).padEnd(15)} ${f(s.fixedNames, 3).padStart(6)} ${f(s.meanOverNamings, 3).padStart(6)} ${f(s.p95, 3).padStart(6)} ${f(s.max, 3).padStart(6)} ${f(s.coldMs).padStart(9)} ${f(s.rebuildMs).padStart(11)}`);
}

mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/election.json',
  JSON.stringify({ date: new Date().toISOString(), ips: IPS, members: MEMBERS, vnodes: DEFAULT_VNODES, runs: RUNS, cpus: cpus().length, loadavg: loadavg(), election: rows, spread: spreadRows }, null, 2) + '\n',
);
writeFileSync('bench/results/election.txt', lines.join('\n') + '\n');
console.log('\nwrote bench/results/election.json and election.txt');
