// bench/tiers: what the speaker's hot paths cost when node runs with a
// flag that changes V8's compilers, against the image's other flags, in the
// same run. Made to weigh --max-opt=1 (no optimizing compiler: the speaker's
// code stays in V8's interpreter and baseline tier, docs/speaker.md
// "Growth"), and good for any other flag.
//
//   npm run build && node dist/bench/tiers/run.js
//   node dist/bench/tiers/run.js --rounds 7 --compare-flags=--max-opt=1
//
// Every workload is the speaker's own code on realistic input:
//   election full      Election.compute({ full: true }), 10,000 Services
//                      with one address each (Cluster policy) on 5 members
//   election death     compute() right after one of the 5 members died: the
//                      decision a mass failover waits for (about 2,000
//                      addresses move)
//   gossip packets     100 times encodePacket of a ping and three alive
//                      messages and decodePacket of it: what a probe costs
//                      each side
//   ARP decide         decideArp on 1,000 requests for an owned address
//   gratuitous frames  the first frames of a failover of 1,000 addresses
//                      (500 IPv4: two ARP each; 500 IPv6: one NA each)
//   BGP updates        10,000 routes (508 IPv4 /32, 9,492 IPv6 /128) made
//                      into one eBGP session's routes and UPDATE messages:
//                      what a session's start or a mass change costs
//   /metrics 10,000    metricsText of the layer-2 and announced series of
//                      10,000 addresses after one counter changed
// Each workload runs in a process of its own (so one's warm-up does not
// warm the next), once per way per round, the two ways alternating first:
//   first call   its first run in that process, after setup: what a path
//                costs the first time a long-lived speaker takes it
//   warm         the median of 15 samples after about a second of runs:
//                what it costs once node has compiled it as far as it will
// The table gives the medians over the rounds and "with / without" ratios.
// Writes bench/results/tiers.txt and .json (--out NAME for another name).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { Election } from '../../src/announce/election.js';
import type { ElectionInputs, ElectionNode, ElectionService } from '../../src/announce/election-inputs.js';
import { decideArp } from '../../src/announce/l2/arp-responder.js';
import { GratuitousFrames } from '../../src/announce/l2/gratuitous-frames.js';
import { L2Metrics } from '../../src/announce/l2/metrics.js';
import { outRoute, type OutRoute, type SessionView } from '../../src/bgp/advertise/out-route.js';
import { normalizeRoute, type NormalizedRoute } from '../../src/bgp/advertise/route.js';
import { buildAnnouncements } from '../../src/bgp/advertise/updates.js';
import { defaultDecodeContext } from '../../src/bgp/messages/message.js';
import { decodePacket, encodeMessage, encodePacket } from '../../src/cluster/codec.js';
import { parseResources } from '../../src/config/index.js';
import { parseIP } from '../../src/net/index.js';
import { AnnouncedMetric } from '../../src/speaker/announced-metric.js';
import { metricsText } from '../../src/util/series-family.js';
import { packageRoot } from '../../src/util/package-root.js';
import { arpRequestFrame } from '../../test/announce/l2/frames.js';
import { formatTable } from '../failover/report.js';
import { SPEAKER_NODE_FLAGS } from '../memory/system.js';
import { nodeFlagsArg } from '../proc.js';
import { percentile } from '../stats.js';

interface Workload {
  /** What one run is, for the table. */
  label: string;
  /** Untimed, before every timed run (puts the state back). */
  before?: () => void;
  run: () => unknown;
}

const ADDRESSES = 10_000;
const MEMBERS = ['node-1', 'node-2', 'node-3', 'node-4', 'node-5'];
const address = (i: number): string => (i < 508 ? `${i < 254 ? '198.51.100' : '203.0.113'}.${(i % 254) + 1}` : `2001:db8:1::${i.toString(16)}`);

function electionInputs(): ElectionInputs {
  const parsed = parseResources({
    ipAddressPools: [{ metadata: { name: 'bench' }, spec: { addresses: ['198.51.100.0/24', '203.0.113.0/24', '2001:db8:1::/64'] } }],
    l2Advertisements: [{ metadata: { name: 'bench' }, spec: { ipAddressPools: ['bench'] } }],
  });
  if (!parsed.ok) throw new Error('the bench config did not parse');
  const nodes = new Map<string, ElectionNode>(MEMBERS.map((n) => [n, { labels: { 'kubernetes.io/hostname': n }, networkUnavailable: false }]));
  const services: ElectionService[] = Array.from({ length: ADDRESSES }, (_, i) => ({
    namespace: 'bench',
    name: `svc-${i}`,
    labels: {},
    ips: [address(i)],
    externalTrafficPolicy: 'Cluster',
    endpoints: { serving: true, nodes: [] },
  }));
  return { members: MEMBERS.map((name) => ({ name, state: 'alive' as const })), nodes, config: parsed.config, services };
}

const WORKLOADS: Record<string, () => Workload> = {
  'election-full': () => {
    const inputs = electionInputs();
    const election = new Election();
    return { label: 'election: full run, 10,000 addresses on 5 members', run: () => election.compute(inputs, { full: true }) };
  },
  'election-death': () => {
    const inputs = electionInputs();
    const without = { ...inputs, members: inputs.members.filter((m) => m.name !== 'node-3') };
    const election = new Election();
    return { label: 'election: a member of 5 dies, 10,000 addresses', before: () => election.compute(inputs), run: () => election.compute(without) };
  },
  'gossip-packets': () => {
    const ping = encodeMessage({ type: 'ping', seq: 4242, target: 'node-2', sourceHost: '192.0.2.11', sourcePort: 7946, sourceName: 'node-1' });
    const alives = MEMBERS.slice(2).map((node, i) => encodeMessage({ type: 'alive', incarnation: 7 + i, node, host: `192.0.2.${13 + i}`, port: 7946, meta: { 'kubernetes.io/hostname': node, zone: 'a' } }));
    return {
      label: 'gossip: encode and decode 100 pings with 3 alive messages',
      run: () => {
        for (let k = 0; k < 100; k++) {
          const r = decodePacket(encodePacket([ping, ...alives]));
          if (!r.ok) throw new Error('the bench packet did not decode');
        }
      },
    };
  },
  'arp-decide': () => {
    const request = arpRequestFrame({ srcMac: '02:00:00:00:00:99', senderIp: '192.0.2.99', targetIp: '198.51.100.7' });
    const iface = { name: 'eth0', mac: '02:00:00:00:00:11' };
    const lookup = (ip: string): 'announce' | 'not-owned' => (ip === '198.51.100.7' ? 'announce' : 'not-owned');
    return {
      label: 'ARP: decide on 1,000 requests',
      run: () => {
        for (let k = 0; k < 1000; k++) if (!decideArp(request, iface, lookup).reply) throw new Error('the bench request got no reply');
      },
    };
  },
  'gratuitous-frames': () => {
    const frames = new GratuitousFrames();
    const v4 = Array.from({ length: 500 }, (_, i) => address(i));
    const v6 = Array.from({ length: 500 }, (_, i) => address(1000 + i));
    return {
      label: 'gratuitous frames: 500 IPv4 (2 ARP each) and 500 IPv6 (1 NA each)',
      run: () => {
        let bytes = 0;
        for (const ip of v4) for (const k of [0, 1]) bytes += frames.write('arp', '02:00:00:00:00:11', ip, k).length;
        for (const ip of v6) bytes += frames.write('ndp', '02:00:00:00:00:11', ip, 0).length;
        return bytes;
      },
    };
  },
  'bgp-updates': () => {
    const routes: NormalizedRoute[] = Array.from({ length: ADDRESSES }, (_, i) => {
      const r = normalizeRoute({ prefix: `${address(i)}/${i < 508 ? 32 : 128}`, communities: ['65535:65281'] });
      if (!r.ok) throw new Error(`bench route ${address(i)} did not normalize`);
      return r.value;
    });
    const view: SessionView = { ibgp: false, localAsn: 65001, fourOctetAs: true, families: [4, 6], localAddress: parseIP('2001:db8::11') };
    const v4NextHop = parseIP('192.0.2.11');
    return {
      label: 'BGP: 10,000 routes to one eBGP session, as UPDATE messages',
      run: () => {
        const out: OutRoute[] = [];
        for (const r of routes) {
          const o = outRoute(r.prefix.family === 4 ? { ...r, nextHop: v4NextHop } : r, view);
          if ('skip' in o) throw new Error(o.skip);
          out.push(o);
        }
        return buildAnnouncements(out, { ...defaultDecodeContext, fourOctetAs: true });
      },
    };
  },
  'metrics-text': () => {
    const registry = new Registry();
    const l2 = new L2Metrics(registry).metallb;
    const announced = new AnnouncedMetric(registry);
    for (let i = 0; i < ADDRESSES; i++) l2.gratuitousSent.inc({ ip: address(i) }, 2);
    announced.update(Array.from({ length: ADDRESSES }, (_, i) => ({ ip: address(i), node: 'node-1', protocol: 'layer2' as const, service: `bench/svc-${i}` })));
    let k = 0;
    return {
      label: '/metrics text of 10,000 addresses, one counter changed',
      before: () => l2.gratuitousSent.inc({ ip: address(k++ % ADDRESSES) }),
      run: () => metricsText(registry),
    };
  },
};

/** One run of `w`, ms. */
async function timed(w: Workload): Promise<number> {
  w.before?.();
  const t0 = process.hrtime.bigint();
  await w.run();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** In a child: measures one workload and prints { firstMs, warmMs }. */
async function child(name: string): Promise<void> {
  const make = WORKLOADS[name];
  if (!make) throw new Error(`no workload ${name}`);
  const w = make();
  const firstMs = await timed(w);
  // About a second of runs (at least 20), so that a compiler that will
  // optimize the path has had calls enough to do it.
  const end = performance.now() + 1000;
  for (let i = 0; i < 20 || performance.now() < end; i++) await timed(w);
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) samples.push(await timed(w));
  process.stdout.write(`${JSON.stringify({ label: w.label, firstMs, warmMs: percentile(samples, 50) })}\n`);
}

interface Reading {
  label: string;
  firstMs: number;
  warmMs: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '5'));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds wants a positive integer');
  const out = arg('out', 'tiers');
  const compareFlags = nodeFlagsArg('compare-flags');
  if (!compareFlags.length) compareFlags.push('--max-opt=1');
  // "Without" is the image's flags less the compared ones, should the image already have them.
  const imageFlags = SPEAKER_NODE_FLAGS.filter((f) => !compareFlags.includes(f));
  const ways = { without: imageFlags, with: [...imageFlags, ...compareFlags] };
  const script = fileURLToPath(import.meta.url);
  const readings: Record<string, Record<'without' | 'with', Reading[]>> = {};
  const loadBefore = loadavg();
  const started = Date.now();
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(WORKLOADS)) {
      readings[name] ??= { without: [], with: [] };
      for (const way of r % 2 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
        const p = spawnSync(process.execPath, [...ways[way], script, '--child', name], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
        if (p.status !== 0) throw new Error(`${name} (${way} the flags) exited ${p.status}: ${p.stderr}`);
        readings[name]![way].push(JSON.parse(p.stdout.trim().split('\n').at(-1)!) as Reading);
      }
    }
    process.stderr.write(`round ${r + 1} of ${rounds} done\n`);
  }
  const loadAfter = loadavg();
  const med = (rs: Reading[], k: 'firstMs' | 'warmMs'): number => percentile(rs.map((x) => x[k]), 50);
  const fmt = (ms: number): string => (ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(3) : ms.toFixed(5));
  const rows = Object.entries(readings).map(([name, r]) => {
    const w = { firstMs: med(r.without, 'firstMs'), warmMs: med(r.without, 'warmMs') };
    const f = { firstMs: med(r.with, 'firstMs'), warmMs: med(r.with, 'warmMs') };
    return { name, label: r.without[0]!.label, without: w, with: f, firstRatio: f.firstMs / w.firstMs, warmRatio: f.warmMs / w.warmMs };
  });
  const header = ['workload', 'first call ms, without', 'with', 'ratio', 'warm ms, without', 'with', 'ratio'];
  const cells = rows.map((x) => [x.label, fmt(x.without.firstMs), fmt(x.with.firstMs), `${x.firstRatio.toFixed(2)}x`, fmt(x.without.warmMs), fmt(x.with.warmMs), `${x.warmRatio.toFixed(2)}x`]);
  const text = [
    `bench/tiers: the speaker's hot paths with [${compareFlags.join(' ')}] added to the image's other node flags [${imageFlags.join(' ')}] ("with") against without; ${rounds} rounds, one process per workload, way and round; medians over the rounds`,
    `machine: ${cpus().length} CPUs, load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(1)).join(' ')} after; node ${process.version}`,
    '',
    formatTable(header, cells),
  ].join('\n');
  process.stdout.write(`${text}\n`);
  const dir = join(packageRoot() ?? process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${out}.txt`), `${text}\n`);
  writeFileSync(join(dir, `${out}.json`), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadAfter, seconds: Math.round((Date.now() - started) / 1000), rounds, flags: ways, rows, readings }, null, 1)}\n`);
  process.stderr.write(`wrote ${join(dir, out)}.txt and .json\n`);
}

const i = process.argv.indexOf('--child');
if (i >= 0) await child(process.argv[i + 1] ?? '');
else await main();
