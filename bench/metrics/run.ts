// bench/metrics: what one /metrics scrape of a speaker costs as its
// addresses grow. The text is written in one event-loop turn, so its time is
// how long gossip probes and ARP/NDP requests wait behind a scrape.
//
//   npm run build && node dist/bench/metrics/run.js
//   node dist/bench/metrics/run.js --sizes 1,10000,50000 --runs 15
//
// Per address, the series a layer-2 speaker exposes under MetalLB's names:
// metallb_layer2_gratuitous_sent, _requests_received, _responses_sent {ip}
// and metallb_speaker_announced {ip,node,protocol,service} (kube mode; file
// mode has the first three). Both registries also hold prom-client's default
// process metrics, as the speaker's does. Rows:
//   prom-client   the families as prom-client Counter/Gauge (what the speaker
//                 had), scraped with registry.metrics(): the baseline
//   family        the speaker's SeriesFamily (src/util/series-family.ts),
//                 scraped with metricsText() as /metrics does
// Columns: "changed" is a scrape right after one series of every family
// changed (a gratuitous round or a reconcile since the last scrape), "same"
// a scrape with nothing changed since the last one; median and max of --runs.
// x base is against prom-client at the first size (1 address) in this run;
// x prom is the family against prom-client at the same size. Every run checks
// that both texts hold the same per-address lines.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { L2Metrics } from '../../src/announce/l2/metrics.js';
import { AnnouncedMetric } from '../../src/speaker/announced-metric.js';
import { metricsText } from '../../src/util/series-family.js';
import { percentile } from '../stats.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
}
const SIZES = arg('sizes', '1,10000,50000').split(',').map(Number);
const RUNS = Number(arg('runs', '15'));
const OUT = arg('out', 'metrics');
if (SIZES.some((n) => !Number.isInteger(n) || n < 1) || !(RUNS >= 1)) throw new Error('--sizes wants positive integers, --runs a positive number');

type Labels = { ip: string; node: string; protocol: 'layer2'; service: string };
const address = (i: number): string => (i < 508 ? `${i < 254 ? '198.51.100' : '203.0.113'}.${(i % 254) + 1}` : `2001:db8:1::${i.toString(16)}`);

interface Speaker {
  registry: Registry;
  /** One gratuitous round for address i (the counter the pacer bumps). */
  gratuitous(i: number): void;
  announce(series: Labels[]): void;
  scrape(): Promise<string>;
}

function promClientSpeaker(): Speaker {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['ip'], registers });
  const requests = counter('metallb_layer2_requests_received', 'Number of layer2 requests received for owned IPs');
  const responses = counter('metallb_layer2_responses_sent', 'Number of layer2 responses sent for owned IPs in response to requests');
  const gratuitous = counter('metallb_layer2_gratuitous_sent', 'Number of gratuitous layer2 packets sent for owned IPs as a result of failovers');
  const announced = new Gauge({
    name: 'metallb_speaker_announced',
    help: 'Service addresses this node announces, per protocol: desired state, not a sign that routers or clients took it up',
    labelNames: ['ip', 'node', 'protocol', 'service'],
    registers,
  });
  return {
    registry,
    gratuitous: (i) => {
      const ip = address(i);
      gratuitous.inc({ ip }, 2);
      if (i % 10 === 0) {
        requests.inc({ ip });
        responses.inc({ ip });
      }
    },
    announce: (series) => series.forEach((l) => announced.set(l, 1)),
    scrape: () => registry.metrics(),
  };
}

function familySpeaker(): Speaker {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const l2 = new L2Metrics(registry).metallb;
  const announced = new AnnouncedMetric(registry);
  return {
    registry,
    gratuitous: (i) => {
      const ip = address(i);
      l2.gratuitousSent.inc({ ip }, 2);
      if (i % 10 === 0) {
        l2.requestsReceived.inc({ ip });
        l2.responsesSent.inc({ ip });
      }
    },
    announce: (series) => announced.update(series),
    scrape: () => metricsText(registry),
  };
}

const perAddress = (text: string): string[] => text.split('\n').filter((l) => /^metallb_(layer2_\w+|speaker_announced)\{/.test(l));

interface Row {
  impl: string;
  addresses: number;
  changedMedianMs: number;
  changedMaxMs: number;
  sameMedianMs: number;
  sameMaxMs: number;
  fillMs: number;
  bytes: number;
}

async function measure(impl: string, make: () => Speaker, n: number): Promise<{ row: Row; lines: string[] }> {
  const s = make();
  const series: Labels[] = Array.from({ length: n }, (_, i) => ({ ip: address(i), node: 'node-1', protocol: 'layer2', service: `bench/svc-${i}` }));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) s.gratuitous(i);
  s.announce(series);
  const fillMs = performance.now() - t0;
  await s.scrape(); // warm-up: default metrics' first read, JIT
  const changed: number[] = [];
  const same: number[] = [];
  let text = '';
  for (let r = 0; r < RUNS; r++) {
    s.gratuitous(r % n);
    let t = performance.now();
    text = await s.scrape();
    changed.push(performance.now() - t);
    t = performance.now();
    await s.scrape();
    same.push(performance.now() - t);
  }
  const row: Row = {
    impl,
    addresses: n,
    changedMedianMs: percentile(changed, 50),
    changedMaxMs: Math.max(...changed),
    sameMedianMs: percentile(same, 50),
    sameMaxMs: Math.max(...same),
    fillMs,
    bytes: Buffer.byteLength(text),
  };
  return { row, lines: perAddress(text) };
}

const loadBefore = loadavg();
const rows: Row[] = [];
for (const n of SIZES) {
  const prom = await measure('prom-client', promClientSpeaker, n);
  const fam = await measure('family', familySpeaker, n);
  // Same series, same values: the family must not change what is exposed.
  if (prom.lines.length !== fam.lines.length || prom.lines.some((l, i) => l !== fam.lines[i])) throw new Error(`at ${n} addresses the family's per-address lines differ from prom-client's`);
  rows.push(prom.row, fam.row);
}
const loadAfter = loadavg();

const base = rows[0]!;
const f = (v: number) => v.toFixed(2).padStart(9);
const lines = [
  `metrics scrape: per-address metallb_* series (3 layer-2 counters + speaker_announced) plus default metrics; ${RUNS} runs; ${cpus().length} CPUs, load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(1)).join(' ')} after`,
  'impl          addresses  changed ms   max ms  same ms   max ms   x base  x prom   fill ms      bytes',
];
for (const r of rows) {
  const prom = rows.find((p) => p.impl === 'prom-client' && p.addresses === r.addresses)!;
  lines.push(
    `${r.impl.padEnd(12)} ${String(r.addresses).padStart(10)} ${f(r.changedMedianMs)} ${f(r.changedMaxMs)} ${f(r.sameMedianMs)} ${f(r.sameMaxMs)} ${(r.changedMedianMs / base.changedMedianMs).toFixed(1).padStart(8)} ${(r.changedMedianMs / prom.changedMedianMs).toFixed(3).padStart(7)} ${f(r.fillMs)} ${String(r.bytes).padStart(10)}`,
  );
}
const text = lines.join('\n');
console.log(text);
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/${OUT}.txt`, `${text}\n`);
writeFileSync(`bench/results/${OUT}.json`, `${JSON.stringify({ cpus: cpus().length, loadBefore, loadAfter, runs: RUNS, rows }, null, 2)}\n`);
