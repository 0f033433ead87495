// bench/memory: what shoal costs in memory in Kubernetes mode. The API
// server double, the controller and speakers run as processes, each started
// as its container image starts it (bench/memory/system.ts), on loopback
// with layer 2 off.
//
//   npm run bench:memory                         # 1, 100 and 1,000 Services (about 5 minutes)
//   npm run bench:memory -- --services 100 --window 60
//   npm run bench:memory -- --soak               # 30 minutes of churn (see below)
//   npm run bench:memory -- --soak --minutes 60
//   npm run bench:memory -- --soak --live-heap   # also heap snapshots: the live heap at the warm-up and the end
//   npm run bench:memory -- --soak --live-heap --keep-snapshots DIR   # and keep them (snapshot-diff.ts compares two)
//   npm run bench:memory -- --services 100 --speaker-flags=--jitless   # try a node flag
//   npm run bench:memory -- --soak --twin-flags=--max-opt=1   # a third speaker with a node flag, measured beside the first
//   npm run bench:memory -- --entry dist/src/cli/main.js   # tsc's output instead of the images' bundle
//
// The controller and speakers run dist/bundle/shoal.js, as the images do
// (--entry names another script; a run with --entry or added flags is an
// experiment and writes memory-flags.* or memory-soak-flags.*; --results
// NAME writes bench/results/NAME.txt and NAME.json instead, so that a
// comparison keeps both of its runs).
//
// Steady state: for each size, N Services with an EndpointSlice each, the
// controller allocates them all, the one speaker owns them all; after
// --settle seconds, RSS (/proc/PID/status VmRSS) is sampled every second
// and the V8 heap (the processes' /metrics) every two seconds for --window
// seconds, and VmHWM, the most each process held at once since it started
// (the Services' arrival included), is read at the end. A bare `node -e`
// process runs alongside as the baseline: what
// node itself costs on this machine at this moment.
//
// Soak (--soak): --soak-services Services, two speakers; every
// --churn-seconds one Service is deleted and a new one created; the second
// speaker is killed (SIGKILL) and restarted every --restart-minutes, so the
// first sees a member die and come back; /status and /metrics of both
// speakers and the controller are scraped every 15 s. The first speaker and
// the controller are measured: RSS and heap used (the lowest reading of each
// 2-minute bucket: see heapFloor) at --warmup-minutes and at the end, and
// the least-squares trend after the warm-up in MiB per hour, and the CPU
// time each used after the warm-up (/proc/PID/stat). Both run with
// V8's --trace-gc, which prints what each full collection leaves: the heap
// used after GC, exactly, where the floor is an upper bound that a process
// collecting its old generation rarely overstates. A process that allocates
// little may not collect in half an hour; with --live-heap both also run
// with --heapsnapshot-signal: halfway through the warm-up and at the end of
// the soak each writes a heap snapshot (which collects fully first), and the
// live heap in each is the heap used after GC at those two moments (the
// first counts the rest of the warm-up's growth as growth, which errs
// against the target). Not by default: writing a snapshot leaves a process
// about 10 MiB larger in RSS for minutes, which would fall in the measured
// RSS. The
// target is judged on the RSS trend and on the live heap's change between
// the two snapshots (else, with at least three full collections after the
// warm-up, on the trend of the heap after them; else on the floor's).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';
import { cpuSeconds, nodeFlagsArg, peakRssMiB, rssMiB } from '../proc.js';
import { heapFloor, heapOf, median, parseFullGc, scrape, slope, snapshotLiveMiB, type FullGc, type HeapReading } from './sample.js';
import { CONTROLLER_NODE_FLAGS, IMAGE_ENTRY, makeScratchDir, removeScratchDir, SPEAKER_NODE_FLAGS, startNode, startSystem, stopProc, until, type Proc, type System } from './system.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
function num(name: string, fallback: number): number {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: expected a non-negative number`);
  return v;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const f1 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(1));
const machine = (): { cpus: number; model: string | undefined; totalMemMiB: number; loadavg: number[] } => ({
  cpus: cpus().length,
  model: cpus()[0]?.model,
  totalMemMiB: Math.round(totalmem() / 1048576),
  loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
});

function table(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(headers), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n');
}

/** The baseline: node with nothing to do, started with the speaker's node flags. */
function startBaseline(): Proc {
  return startNode('baseline', ['--max-semi-space-size=1'], ['-e', 'setInterval(() => {}, 1 << 30)']);
}

async function createServices(sys: System, from: number, to: number): Promise<void> {
  let next = from;
  // A few writers at once: the double applies them in order anyway.
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < to) await sys.createService(next++);
  }));
}

/** How many addresses the speaker announces from its node (/status; layer 2 is off, so no l2 metric counts them). */
async function ownedIps(hostPort: string): Promise<number | undefined> {
  const text = await scrape(hostPort, '/status');
  if (!text) return undefined;
  try {
    const here = (JSON.parse(text) as { announcements?: { announcedHere?: unknown } }).announcements?.announcedHere;
    return typeof here === 'number' ? here : undefined;
  } catch {
    return undefined;
  }
}

const speakerStatus = (sys: System, k: number): string => `${sys.nodes[k]!.address}:${sys.nodes[k]!.statusPort}`;

function assertAlive(sys: System): void {
  for (const p of [sys.apiserver, sys.controller, ...sys.speakers.values()]) {
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited (${p.child.exitCode}):\n${p.tail()}`);
  }
}

interface Row {
  services: number;
  process: string;
  rssMedianMiB: number;
  rssMaxMiB: number;
  /** VmHWM at the end of the window: the peak since start, the Services' arrival included. */
  rssPeakMiB: number | undefined;
  heapUsedFloorMiB: number;
  heapTotalMiB: number;
}

/** Extra node flags to try, e.g. --speaker-flags=--jitless. */
const speakerExtraFlags = nodeFlagsArg('speaker-flags');
const controllerExtraFlags = nodeFlagsArg('controller-flags');
/**
 * Soak: --twin-flags=FLAGS adds a third speaker, node-3, that runs with
 * these node flags added and is measured beside node-1 under the same churn,
 * restarts and scrapes: a flag's cost and gain in one run.
 */
const twinFlags = nodeFlagsArg('twin-flags');
if (twinFlags.length && !process.argv.includes('--soak')) throw new Error('--twin-flags adds a speaker to the soak: give --soak too');
const TWIN = 'speaker +flags';
const root = packageRoot() ?? process.cwd();
/** --entry: the script the controller and speakers run, relative to the package root. */
const entry = resolve(root, arg('entry', relative(root, IMAGE_ENTRY)));
const entryShown = relative(root, entry);
/** A run that differs from the images (added flags, another entry) is an experiment. */
const resultsName = process.argv.includes('--results') ? arg('results', '') : undefined;
if (resultsName !== undefined && !/^[\w.-]+$/.test(resultsName)) throw new Error(`--results: a file name under bench/results without extension, got "${resultsName}"`);
const experiment = speakerExtraFlags.length + controllerExtraFlags.length + twinFlags.length > 0 || entry !== IMAGE_ENTRY;

async function steady(sizes: number[], settleS: number, windowS: number): Promise<void> {
  const started = machine();
  const baseline = startBaseline();
  const rows: Row[] = [];
  const timings: Record<number, number> = {};
  try {
    for (const n of sizes) {
      const t0 = Date.now();
      const sys = await startSystem({ speakers: 1, speakerExtraFlags, controllerExtraFlags, entry });
      try {
        await createServices(sys, 0, n);
        await until(async () => { assertAlive(sys); return (await sys.allocated()) >= n; }, 600_000, `the controller to allocate ${n} Services`, 1000);
        await until(async () => { assertAlive(sys); return (await ownedIps(speakerStatus(sys, 0))) === n; }, 600_000, `the speaker to own ${n} addresses`, 1000);
        timings[n] = Date.now() - t0;
        process.stdout.write(`  ${n} Services: allocated and announced after ${((Date.now() - t0) / 1000).toFixed(1)} s; settling ${settleS} s, measuring ${windowS} s\n`);
        await sleep(settleS * 1000);
        const who: [string, Proc, string | undefined][] = [
          ['speaker', sys.speakers.get(sys.nodes[0]!.name)!, speakerStatus(sys, 0)],
          ['controller', sys.controller, sys.controllerStatus],
          ['apiserver double', sys.apiserver, undefined],
          ['bare node (baseline)', baseline, undefined],
        ];
        const rss = new Map<string, number[]>(who.map(([w]) => [w, []]));
        const heap = new Map<string, HeapReading[]>(who.map(([w]) => [w, []]));
        for (let s = 0; s < windowS; s++) {
          for (const [w, p, status] of who) {
            const r = rssMiB(p.pid);
            if (r !== undefined) rss.get(w)!.push(r);
            if (status && s % 2 === 0) {
              const h = await heapOf(status);
              if (h) heap.get(w)!.push(h);
            }
          }
          await sleep(1000);
        }
        assertAlive(sys);
        const peaks = new Map(who.map(([w, p]) => [w, peakRssMiB(p.pid)]));
        for (const [w] of who) {
          const r = rss.get(w)!;
          const h = heap.get(w)!;
          rows.push({
            services: n,
            process: w,
            rssMedianMiB: median(r),
            rssMaxMiB: Math.max(...r),
            rssPeakMiB: peaks.get(w),
            heapUsedFloorMiB: heapFloor(h),
            heapTotalMiB: median(h.map((x) => x.totalMiB)),
          });
        }
      } finally {
        await sys.stop();
      }
    }
  } finally {
    await stopProc(baseline);
  }
  const ended = machine();
  const targets = [
    { what: 'speaker at 100 Services', process: 'speaker', services: 100, limitMiB: 64 },
    { what: 'speaker at 1,000 Services', process: 'speaker', services: 1000, limitMiB: 96 },
    { what: 'controller at 100 Services', process: 'controller', services: 100, limitMiB: 64 },
  ].flatMap((t) => {
    const row = rows.find((r) => r.process === t.process && r.services === t.services);
    return row ? [{ ...t, rssMedianMiB: row.rssMedianMiB, met: row.rssMedianMiB < t.limitMiB }] : [];
  });
  const text = [
    `bench/memory: steady state in Kubernetes mode (API double, controller, one speaker; loopback, layer 2 off)`,
    `machine: ${started.cpus} cpus (${started.model ?? '?'}), ${started.totalMemMiB} MiB; load ${started.loadavg.join(' ')} at start, ${ended.loadavg.join(' ')} at end; node ${process.version}`,
    `entry: node ${entryShown}`,
    `node flags as the images: speaker ${SPEAKER_NODE_FLAGS.join(' ')}, controller ${CONTROLLER_NODE_FLAGS.join(' ') || 'none'}; NODE_ENV=production${speakerExtraFlags.length + controllerExtraFlags.length ? `; added: speaker [${speakerExtraFlags.join(' ')}], controller [${controllerExtraFlags.join(' ')}]` : ''}`,
    `settle ${settleS} s, then RSS every 1 s and heap every 2 s for ${windowS} s; heap used = lowest reading (nearest after a GC); RSS peak = VmHWM at the end (start and the Services' arrival included)`,
    '',
    table(
      ['services', 'process', 'RSS median MiB', 'RSS max MiB', 'RSS peak since start MiB', 'heap used (floor) MiB', 'heap total MiB'],
      rows.map((r) => [String(r.services), r.process, f1(r.rssMedianMiB), f1(r.rssMaxMiB), f1(r.rssPeakMiB), f1(r.heapUsedFloorMiB), f1(r.heapTotalMiB)]),
    ),
    '',
    ...targets.map((t) => `target ${t.what}: RSS < ${t.limitMiB} MiB: ${t.met ? 'met' : 'NOT met'} (${f1(t.rssMedianMiB)} MiB)`),
  ].join('\n');
  console.log(`\n${text}`);
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // A run with added flags is an experiment: it does not replace the image's figures.
  const base = resultsName ?? (experiment ? 'memory-flags' : 'memory');
  writeFileSync(join(dir, `${base}.txt`), `${text}\n`);
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, machine: { atStart: started, atEnd: ended }, entry: entryShown, speakerExtraFlags, controllerExtraFlags, settleS, windowS, readyMs: timings, rows, targets }, null, 2)}\n`);
}

interface SoakPoint {
  tMin: number;
  process: string;
  rssMiB: number | undefined;
  /** CPU time the process has used since it started, user and system, s. */
  cpuS: number | undefined;
  heapUsedMiB: number | undefined;
  heapTotalMiB: number | undefined;
  externalMiB: number | undefined;
  codeSpaceMiB: number | undefined;
  oldSpaceMiB: number | undefined;
}

/**
 * Makes `p` write a heap snapshot into `dir` (it runs with
 * --heapsnapshot-signal=SIGUSR2) and returns the live heap in it, MiB;
 * undefined when none is complete within 60 s. The file is removed, after
 * a copy to `keepAs` when given (for snapshot-diff.ts).
 */
async function liveHeap(p: Proc, dir: string, keepAs?: string): Promise<number | undefined> {
  const mine = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && f.includes(`.${p.pid}.`));
  const before = new Set(mine());
  p.child.kill('SIGUSR2');
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    await sleep(1000);
    const file = mine().find((f) => !before.has(f));
    if (file === undefined) continue;
    try {
      const live = snapshotLiveMiB(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Parameters<typeof snapshotLiveMiB>[0]);
      if (keepAs !== undefined) copyFileSync(join(dir, file), keepAs);
      rmSync(join(dir, file), { force: true });
      return live;
    } catch {
      // Still being written: not yet whole JSON.
    }
  }
  return undefined;
}

interface GcPoint extends FullGc {
  /** Date.now() of the line; made relative to the start of the soak at the end. */
  at: number;
  process: string;
}

async function soak(services: number, minutes: number, warmupMin: number, churnS: number, restartMin: number): Promise<void> {
  const started = machine();
  const fullGcs: GcPoint[] = [];
  // The first speaker is the one measured (its restarted peer is node-2).
  const measuredName = (p: string): string | undefined => (p === 'controller' ? 'controller' : p === 'node-1' ? 'speaker' : p === 'node-3' && twinFlags.length ? TWIN : undefined);
  const names = ['speaker', ...(twinFlags.length ? [TWIN] : []), 'controller'];
  const onTraceGc = (p: string, line: string): void => {
    const gc = parseFullGc(line);
    const name = measuredName(p);
    if (gc && name) fullGcs.push({ ...gc, at: Date.now(), process: name });
  };
  const snapshotDir = makeScratchDir('shoal-soak-heap-');
  /** Live heap (heap snapshot) per measured process: [at the end of the warm-up, at the end]. */
  const live = new Map<string, [number | undefined, number | undefined]>(names.map((n) => [n, [undefined, undefined]]));
  const sys = await startSystem({
    speakers: twinFlags.length ? 3 : 2,
    speakerExtraFlags,
    controllerExtraFlags,
    nodeExtraFlags: { 'node-3': twinFlags },
    entry,
    onTraceGc,
    ...(liveHeapSnapshots && { heapSnapshotDir: snapshotDir }),
  });
  const points: SoakPoint[] = [];
  let t0 = Date.now();
  const liveAt: [number | undefined, number | undefined] = [undefined, undefined];
  let churned = 0;
  let restarts = 0;
  let scrapes = 0;
  let failedScrapes = 0;
  try {
    await createServices(sys, 0, services);
    await until(async () => { assertAlive(sys); return (await sys.allocated()) >= services; }, 600_000, `the controller to allocate ${services} Services`, 1000);
    console.log(`soak: ${services} Services allocated; running ${minutes} min (churn every ${churnS} s, node-2 restarted every ${restartMin} min, scrapes every 15 s)`);
    t0 = Date.now();
    const tMin = (): number => (Date.now() - t0) / 60_000;
    let oldest = 0;
    let next = services;
    let nextChurn = Date.now() + churnS * 1000;
    let nextRestart = Date.now() + restartMin * 60_000;
    let nextScrape = Date.now();
    const measured: [string, () => Proc | undefined, string][] = [
      ['speaker', () => sys.speakers.get(sys.nodes[0]!.name), speakerStatus(sys, 0)],
      ...(twinFlags.length ? [[TWIN, () => sys.speakers.get(sys.nodes[2]!.name), speakerStatus(sys, 2)] as [string, () => Proc | undefined, string]] : []),
      ['controller', () => sys.controller, sys.controllerStatus],
    ];
    const snapshotAll = async (k: 0 | 1): Promise<void> => {
      liveAt[k] = tMin();
      for (const [name, proc] of measured) {
        const p = proc();
        if (p) live.get(name)![k] = await liveHeap(p, snapshotDir, keepSnapshots === undefined ? undefined : join(keepSnapshots, `${name}-${k === 0 ? 'warm-up' : 'end'}.heapsnapshot`));
      }
      process.stdout.write(`  ${tMin().toFixed(1)} min: live heap (heap snapshot) ${measured.map(([name]) => `${name} ${f1(live.get(name)![k])} MiB`).join(', ')}\n`);
    };
    while (tMin() < minutes) {
      assertAlive(sys);
      if (liveHeapSnapshots && liveAt[0] === undefined && tMin() >= warmupMin / 2) await snapshotAll(0);
      if (Date.now() >= nextChurn) {
        nextChurn += churnS * 1000;
        await sys.deleteService(oldest++);
        await sys.createService(next++);
        churned++;
      }
      if (Date.now() >= nextRestart) {
        nextRestart += restartMin * 60_000;
        const node = sys.nodes[1]!;
        await stopProc(sys.speakers.get(node.name), 'SIGKILL');
        // Down long enough for the first speaker to declare it dead.
        await sleep(10_000);
        sys.startSpeaker(node);
        restarts++;
      }
      if (Date.now() >= nextScrape) {
        nextScrape += 15_000;
        for (const k of sys.nodes.keys()) {
          for (const path of ['/status', '/metrics']) {
            scrapes++;
            if ((await scrape(speakerStatus(sys, k), path)) === undefined && k !== 1) failedScrapes++;
          }
        }
        if ((await scrape(sys.controllerStatus, '/status')) === undefined) failedScrapes++;
        for (const [name, proc, status] of measured) {
          const p = proc();
          const h = await heapOf(status);
          points.push({ tMin: tMin(), process: name, rssMiB: p ? rssMiB(p.pid) : undefined, cpuS: p ? cpuSeconds(p.pid) : undefined, heapUsedMiB: h?.usedMiB, heapTotalMiB: h?.totalMiB, externalMiB: h?.externalMiB, codeSpaceMiB: h?.codeSpaceMiB, oldSpaceMiB: h?.oldSpaceMiB });
        }
        const last = points.slice(-measured.length).map((p) => `${p.process} ${f1(p.rssMiB)} MiB (heap ${f1(p.heapUsedMiB)} of ${f1(p.heapTotalMiB)}, external ${f1(p.externalMiB)})`).join(', ');
        process.stdout.write(`  ${tMin().toFixed(1)} min: ${last}\n`);
      }
      await sleep(250);
    }
    assertAlive(sys);
    if (liveHeapSnapshots) await snapshotAll(1);
  } finally {
    await sys.stop();
    removeScratchDir(snapshotDir);
  }
  const ended = machine();
  const bucketMin = 2;
  const summary = names.map((name) => {
    const mine = points.filter((p) => p.process === name && p.tMin >= warmupMin);
    const buckets = new Map<number, SoakPoint[]>();
    for (const p of mine) {
      const b = Math.floor((p.tMin - warmupMin) / bucketMin);
      buckets.set(b, [...(buckets.get(b) ?? []), p]);
    }
    const values = (ps: SoakPoint[], pick: (p: SoakPoint) => number | undefined): number[] => ps.flatMap((p) => { const v = pick(p); return v === undefined ? [] : [v]; });
    const series = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([b, ps]) => ({
      tMin: warmupMin + (b + 0.5) * bucketMin,
      rss: median(values(ps, (p) => p.rssMiB)),
      heap: Math.min(...values(ps, (p) => p.heapUsedMiB)),
      heapTotal: median(values(ps, (p) => p.heapTotalMiB)),
      external: median(values(ps, (p) => p.externalMiB)),
      codeSpace: median(values(ps, (p) => p.codeSpaceMiB)),
      oldSpace: median(values(ps, (p) => p.oldSpaceMiB)),
      // What V8's heap does not account for: malloc, thread stacks, the binary's touched pages.
      outsideHeap: median(values(ps, (p) => (p.rssMiB === undefined || p.heapTotalMiB === undefined ? undefined : p.rssMiB - p.heapTotalMiB))),
    }));
    const first = series[0];
    const last = series.at(-1);
    const gcs = fullGcs.filter((g) => g.process === name).map(({ at, process: _process, ...gc }) => ({ ...gc, tMin: (at - t0) / 60_000 })).filter((g) => g.tMin >= warmupMin);
    const gcTrend = slope(gcs.map((g) => ({ x: g.tMin / 60, y: g.afterMiB })));
    const [liveStart, liveEnd] = live.get(name)!;
    const liveHours = liveAt[0] !== undefined && liveAt[1] !== undefined ? (liveAt[1] - liveAt[0]) / 60 : NaN;
    const liveChange = liveStart !== undefined && liveEnd !== undefined && liveHours > 0 ? (liveEnd - liveStart) / liveHours : NaN;
    // From the first scrape after the warm-up to the last, both read with the process's RSS.
    const withCpu = mine.filter((p) => p.cpuS !== undefined);
    const [cpuFrom, cpuTo] = [withCpu[0], withCpu.at(-1)];
    const cpuPercent = cpuFrom && cpuTo && cpuTo.tMin > cpuFrom.tMin ? ((cpuTo.cpuS! - cpuFrom.cpuS!) / ((cpuTo.tMin - cpuFrom.tMin) * 60)) * 100 : NaN;
    const heapJudgedBy = Number.isFinite(liveChange) ? 'live heap (snapshots)' : gcs.length >= 3 ? 'after full GC' : 'floor';
    const heapJudged = Number.isFinite(liveChange) ? liveChange : gcs.length >= 3 ? gcTrend : slope(series.map((s) => ({ x: s.tMin / 60, y: s.heap })));
    return {
      process: name,
      startRssMiB: first?.rss,
      endRssMiB: last?.rss,
      startHeapMiB: first?.heap,
      endHeapMiB: last?.heap,
      rssTrendMiBPerHour: slope(series.map((s) => ({ x: s.tMin / 60, y: s.rss }))),
      heapTrendMiBPerHour: slope(series.map((s) => ({ x: s.tMin / 60, y: s.heap }))),
      heapTotalTrendMiBPerHour: slope(series.map((s) => ({ x: s.tMin / 60, y: s.heapTotal }))),
      externalTrendMiBPerHour: slope(series.map((s) => ({ x: s.tMin / 60, y: s.external }))),
      codeSpaceStartMiB: first?.codeSpace,
      codeSpaceEndMiB: last?.codeSpace,
      codeSpaceTrendMiBPerHour: slope(series.map((s) => ({ x: s.tMin / 60, y: s.codeSpace }))),
      oldSpaceTrendMiBPerHour: slope(series.map((s) => ({ x: s.tMin / 60, y: s.oldSpace }))),
      outsideHeapStartMiB: first?.outsideHeap,
      outsideHeapEndMiB: last?.outsideHeap,
      outsideHeapTrendMiBPerHour: slope(series.map((s) => ({ x: s.tMin / 60, y: s.outsideHeap }))),
      /** CPU time used after the warm-up, user and system, in % of one core. */
      cpuPercent,
      fullGcs: gcs.length,
      afterGcFirstMiB: gcs[0]?.afterMiB,
      afterGcLastMiB: gcs.at(-1)?.afterMiB,
      afterGcTrendMiBPerHour: gcTrend,
      reducingGcs: gcs.filter((g) => g.reducing).length,
      committedAfterGcFirstMiB: gcs[0]?.committedMiB,
      committedAfterGcLastMiB: gcs.at(-1)?.committedMiB,
      gcPauseMedianMs: median(gcs.map((g) => g.pauseMs)),
      gcPauseMaxMs: gcs.length ? Math.max(...gcs.map((g) => g.pauseMs)) : NaN,
      liveStartMiB: liveStart,
      liveEndMiB: liveEnd,
      liveChangeMiBPerHour: liveChange,
      /** What the target is judged on for the heap: the snapshots, else full collections when there are three, else the floor. */
      heapJudgedBy,
      heapJudgedTrendMiBPerHour: heapJudged,
      met: last !== undefined && slope(series.map((s) => ({ x: s.tMin / 60, y: s.rss }))) <= 2 && heapJudged <= 2,
      series,
      gcs,
    };
  });
  const text = [
    `bench/memory --soak: ${minutes} min, ${services} Services, churn every ${churnS} s (${churned} replaced), node-2 killed and restarted every ${restartMin} min (${restarts} times), /status and /metrics scraped every 15 s (${scrapes} speaker scrapes, ${failedScrapes} failed on the measured ones)`,
    `machine: ${started.cpus} cpus (${started.model ?? '?'}); load ${started.loadavg.join(' ')} at start, ${ended.loadavg.join(' ')} at end; node ${process.version}`,
    `entry: node ${entryShown}${speakerExtraFlags.length + controllerExtraFlags.length ? `; added node flags: speaker [${speakerExtraFlags.join(' ')}], controller [${controllerExtraFlags.join(' ')}]` : ''}`,
    ...(twinFlags.length ? [`"${TWIN}" is node-3, a third speaker with [${twinFlags.join(' ')}] added to its node flags, measured beside node-1 ("speaker") under the same churn, restarts and scrapes`] : []),
    `measured after a ${warmupMin}-min warm-up, in ${bucketMin}-min buckets: RSS median, heap used floor (lowest reading); trend = least-squares slope`,
    `heap after full GC: what each Mark-Compact after the warm-up left, and what V8 kept committed then (--trace-gc); reducing: run to reduce memory (the heap release's, or V8's memory reducer's); pause: its atomic pause on the main thread${liveHeapSnapshots ? `; live heap: a heap snapshot (--heapsnapshot-signal, after a full collection) at ${f1(liveAt[0])} and ${f1(liveAt[1])} min, its live bytes` : ''}`,
    '',
    table(
      ['process', 'RSS start', 'RSS end', 'RSS trend MiB/h', 'heap used start', 'heap used end', 'heap used trend MiB/h', 'heap total trend MiB/h', 'external trend MiB/h', 'CPU % of a core'],
      summary.map((s) => [s.process, f1(s.startRssMiB), f1(s.endRssMiB), f1(s.rssTrendMiBPerHour), f1(s.startHeapMiB), f1(s.endHeapMiB), f1(s.heapTrendMiBPerHour), f1(s.heapTotalTrendMiBPerHour), f1(s.externalTrendMiBPerHour), f1(s.cpuPercent)]),
    ),
    '',
    table(
      ['process', 'live heap start', 'live heap end', 'live heap change MiB/h', 'full GCs', 'of them reducing', 'heap after GC first', 'heap after GC last', 'heap after GC trend MiB/h', 'committed after GC first', 'committed after GC last', 'pause median ms', 'pause max ms'],
      summary.map((s) => [s.process, f1(s.liveStartMiB), f1(s.liveEndMiB), f1(s.liveChangeMiBPerHour), String(s.fullGcs), String(s.reducingGcs), f1(s.afterGcFirstMiB), f1(s.afterGcLastMiB), f1(s.afterGcTrendMiBPerHour), f1(s.committedAfterGcFirstMiB), f1(s.committedAfterGcLastMiB), f1(s.gcPauseMedianMs), f1(s.gcPauseMaxMs)]),
    ),
    '',
    `where the committed heap and RSS go (2-min bucket medians): V8's code space (compiled machine code) and old space, and RSS less the heap total (malloc, stacks, the binary)`,
    table(
      ['process', 'code space start', 'code space end', 'code space trend MiB/h', 'old space trend MiB/h', 'RSS less heap start', 'RSS less heap end', 'RSS less heap trend MiB/h'],
      summary.map((s) => [s.process, f1(s.codeSpaceStartMiB), f1(s.codeSpaceEndMiB), f1(s.codeSpaceTrendMiBPerHour), f1(s.oldSpaceTrendMiBPerHour), f1(s.outsideHeapStartMiB), f1(s.outsideHeapEndMiB), f1(s.outsideHeapTrendMiBPerHour)]),
    ),
    '',
    `target: no upward trend beyond 2 MiB/h after the warm-up (RSS, and heap ${summary.map((s) => `${s.process}: ${s.heapJudgedBy}`).join(', ')}): ${summary.map((s) => `${s.process} ${s.met ? 'met' : 'NOT met'}`).join(', ')}`,
  ].join('\n');
  console.log(`\n${text}`);
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const base = resultsName ?? (experiment ? 'memory-soak-flags' : 'memory-soak');
  writeFileSync(join(dir, `${base}.txt`), `${text}\n`);
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, machine: { atStart: started, atEnd: ended }, entry: entryShown, speakerExtraFlags, controllerExtraFlags, twinFlags, minutes, warmupMin, services, churnS, restartMin, churned, restarts, liveSnapshotsAtMin: liveAt, summary, points }, null, 2)}\n`);
}

/** Soak: heap snapshots at the warm-up and at the end (see above). */
const liveHeapSnapshots = process.argv.includes('--live-heap');
/** --keep-snapshots DIR (with --live-heap): the snapshots are kept there, as speaker-warm-up.heapsnapshot, speaker-end..., controller-... */
const keepSnapshots = process.argv.includes('--keep-snapshots') ? arg('keep-snapshots', '') : undefined;
if (keepSnapshots !== undefined) {
  if (keepSnapshots === '' || keepSnapshots.startsWith('--')) throw new Error('--keep-snapshots: name the directory to keep the snapshots in');
  if (!liveHeapSnapshots) throw new Error('--keep-snapshots DIR keeps the snapshots --live-heap takes: give --live-heap too');
  mkdirSync(keepSnapshots, { recursive: true });
}

if (process.argv.includes('--soak')) {
  await soak(num('soak-services', 100), num('minutes', 30), num('warmup-minutes', 5), num('churn-seconds', 10), num('restart-minutes', 3));
} else {
  const sizes = arg('services', '1,100,1000').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) throw new Error('--services: sizes from 1 to 1000 (the pools hold 762 IPv4 and many IPv6 addresses)');
  await steady(sizes, num('settle', 20), num('window', 30));
}
