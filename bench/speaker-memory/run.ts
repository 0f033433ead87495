// bench/speaker-memory: resident memory of one file-mode speaker that owns
// many addresses, with the container image's node flags, against the same
// speaker owning one address (the baseline, in the same run). Alone in its
// cluster, the speaker owns every VIP of its file.
//
//   npx tsc -p tsconfig.json && sudo node dist/bench/speaker-memory/run.js
//   node dist/bench/speaker-memory/run.js --sizes 1,10000,50000 --window-ms 5000 [--layer2 on,off] [--heap-snapshot]
//
// Layer 2 on needs root (a namespace with the documentation addresses);
// without root only --layer2 off runs, on loopback. Addresses: all of
// 198.51.100.0/24 and 203.0.113.0/24 as IPv4 (ARP), the rest from
// 2001:db8:1::/64 (NDP): 500 IPv4 and 9,500 IPv6 at 10,000.
//
// Per row: time until /metrics says every address is owned (and, layer 2
// on, announced), RSS peak and end over --window-ms after that, VmHWM (the
// high-water mark since start), the V8 heap from /metrics, and the log
// lines the speaker wrote at info. --heap-snapshot writes one V8 heap
// snapshot per row (SIGUSR2 through --heapsnapshot-signal) under
// bench/results/ for a closer look. Writes bench/results/speaker-memory.json.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { NetLab, netlabUnavailable, waitFor, type LabProcess } from '../../test/support/netlab.js';
import { gauge, memoryVips } from '../failover/memory.js';
import { rssMiB } from '../proc.js';
import { SHOAL_CLI } from '../failover/topology.js';
import { SPEAKER_NODE_FLAGS } from '../memory/system.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const SIZES = arg('sizes', '1,10000,50000').split(',').map(Number);
const WINDOW_MS = Number(arg('window-ms', '5000'));
const SNAPSHOT = process.argv.includes('--heap-snapshot');
/** The speaker image's entrypoint flags (Dockerfile). */
const IMAGE_FLAGS = SPEAKER_NODE_FLAGS;
const unavailable = netlabUnavailable();
const LAYER2 = arg('layer2', unavailable ? 'off' : 'on,off').split(',') as ('on' | 'off')[];
if (unavailable && LAYER2.includes('on')) throw new Error(`--layer2 on needs a namespace lab: ${unavailable}`);

interface Row {
  layer2: 'on' | 'off';
  vips: number;
  ipv4: number;
  ipv6: number;
  ownedAllMs: number;
  rssPeakMiB: number;
  rssEndMiB: number;
  vmHwmMiB: number;
  heapTotalMiB: number;
  heapUsedMiB: number;
  /** Log lines at info from start until the end of the window. */
  logLines: number;
  snapshot?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function hwmMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** The sum of a labelled gauge's (or counter's) series in Prometheus text, of those whose labels hold `label`. */
function sumGauge(metrics: string, name: string, label = ''): number {
  let sum = 0;
  for (const m of metrics.matchAll(new RegExp(`^${name}\\{([^}]*)\\} ([0-9.e+]+)$`, 'gm'))) if (m[1]!.includes(label)) sum += Number(m[2]);
  return sum;
}

/** Addresses the speaker took, from its ownership-change counter; 0 when the page has none (yet). */
function taken(metrics: string): number {
  const m = /^shoal_speaker_ownership_changes_total\{direction="taken"\} ([0-9.e+]+)$/m.exec(metrics);
  return m ? Number(m[1]) : 0;
}

interface Place {
  host: string;
  status: string;
  spawn(args: string[]): Pick<LabProcess, 'pid' | 'child' | 'output'>;
  metrics(): Promise<string>;
}

async function measure(place: Place, dir: string, layer2: 'on' | 'off', n: number): Promise<Row> {
  const { v4, v6 } = memoryVips(n);
  const file = {
    node: 'm1',
    gossip: { bind: `${place.host}:7946`, join: [`${place.host}:7946`] },
    status: place.status,
    ...(layer2 === 'on' ? { layer2: { interfaces: ['eth0'] } } : {}),
    vips: [...v4, ...v6].map((address) => ({ address })),
  };
  const path = join(dir, `speaker-${layer2}-${n}.yaml`);
  writeFileSync(path, JSON.stringify(file));
  const started = Date.now();
  const flags = [...IMAGE_FLAGS, ...(SNAPSHOT ? ['--heapsnapshot-signal=SIGUSR2'] : [])];
  const proc = place.spawn([...flags, SHOAL_CLI, 'speaker', '--config', path, '--layer2', layer2, '--max-vips', String(Math.max(1, n))]);
  let lines = 0;
  proc.child.stderr?.on('data', (chunk: Buffer) => {
    for (const b of chunk) if (b === 10) lines++;
  });
  const owned = async (): Promise<boolean> => {
    if (proc.child.exitCode !== null) throw new Error(`the speaker exited: ${proc.output().slice(-2000)}`);
    const text = await place.metrics().catch(() => '');
    // Alone in its cluster the speaker never releases: every address taken is owned.
    if (taken(text) < n) return false;
    return layer2 === 'off' || sumGauge(text, 'shoal_l2_announced_ips') >= n;
  };
  await waitFor(owned, 300_000, `the speaker to own ${n} VIPs`, 200);
  const ownedAllMs = Date.now() - started;
  let peak = 0;
  let end = 0;
  const until = Date.now() + WINDOW_MS;
  while (Date.now() < until) {
    end = rssMiB(proc.pid) ?? NaN;
    peak = Math.max(peak, end);
    await sleep(250);
  }
  const metrics = await place.metrics();
  const vmHwm = hwmMiB(proc.pid);
  let snapshot: string | undefined;
  if (SNAPSHOT) {
    const before = new Set(readdirSync(dir));
    process.kill(proc.pid, 'SIGUSR2');
    await waitFor(() => readdirSync(dir).some((f) => f.endsWith('.heapsnapshot') && !before.has(f)), 120_000, 'the heap snapshot', 500);
    const made = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f))!;
    // Written in place: done when its size holds still.
    let size = -1;
    await waitFor(
      () => {
        const now = statSync(join(dir, made)).size;
        const still = now > 0 && now === size;
        size = now;
        return still;
      },
      300_000,
      'the heap snapshot to be written',
      2000,
    );
    snapshot = resolve('bench/results', `speaker-memory-${layer2}-${n}.heapsnapshot`);
    renameSync(join(dir, made), snapshot);
  }
  proc.child.kill('SIGKILL');
  await sleep(300);
  const mib = (bytes: number): number => bytes / 1048576;
  return {
    layer2,
    vips: n,
    ipv4: v4.length,
    ipv6: v6.length,
    ownedAllMs,
    rssPeakMiB: peak,
    rssEndMiB: end,
    vmHwmMiB: vmHwm,
    heapTotalMiB: mib(gauge(metrics, 'nodejs_heap_size_total_bytes')),
    heapUsedMiB: mib(gauge(metrics, 'nodejs_heap_size_used_bytes')),
    logLines: lines,
    ...(snapshot ? { snapshot } : {}),
  };
}

async function main(): Promise<void> {
  mkdirSync('bench/results', { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'shoal-speaker-memory-'));
  const rows: Row[] = [];
  let lab: NetLab | undefined;
  try {
    for (const layer2 of LAYER2) {
      let place: Place;
      if (layer2 === 'on' || !unavailable) {
        if (!lab) {
          lab = await NetLab.create('sm');
          await lab.host({ name: 'm1', addrs: ['192.0.2.11/24', '2001:db8::11/64'] });
        }
        const l = lab;
        place = {
          host: '192.0.2.11',
          status: '192.0.2.11:7473',
          spawn: (args) => l.spawn('m1', process.execPath, args, { cwd: dir }),
          metrics: async () => (await l.exec('m1', 'curl', ['-s', '--max-time', '5', 'http://192.0.2.11:7473/metrics'])).stdout,
        };
      } else {
        place = {
          host: '127.0.0.1',
          status: '127.0.0.1:17473',
          spawn: (args) => {
            const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
            return { pid: child.pid!, child, output: () => '' };
          },
          metrics: async () => {
            const r = await fetch('http://127.0.0.1:17473/metrics');
            return r.text();
          },
        };
      }
      for (const n of SIZES) {
        const row = await measure(place, dir, layer2, n);
        rows.push(row);
        console.error(`layer 2 ${layer2}, ${n} VIPs: RSS end ${row.rssEndMiB.toFixed(1)} MiB, VmHWM ${row.vmHwmMiB.toFixed(1)} MiB, ${row.logLines} log lines`);
      }
    }
  } finally {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }

  const f = (v: number): string => v.toFixed(1);
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  const out: string[] = [];
  out.push(`speaker memory: one file-mode speaker owning N VIPs, node ${process.version} ${IMAGE_FLAGS.join(' ')} (the image's flags); ${cpus().length} CPUs, load average ${load}`);
  out.push('layer2  VIPs   (v4/v6)       owned ms  RSS peak  RSS end   VmHWM  heap total  heap used  x 1-VIP RSS  log lines   (MiB)');
  for (const r of rows) {
    const base = rows.find((b) => b.layer2 === r.layer2 && b.vips === Math.min(...SIZES));
    out.push(
      `${r.layer2.padEnd(7)} ${String(r.vips).padStart(6)} ${`(${r.ipv4}/${r.ipv6})`.padEnd(13)} ${String(r.ownedAllMs).padStart(8)} ${f(r.rssPeakMiB).padStart(9)} ${f(r.rssEndMiB).padStart(8)} ${f(r.vmHwmMiB).padStart(7)} ${f(r.heapTotalMiB).padStart(11)} ${f(r.heapUsedMiB).padStart(10)} ${(base ? r.rssEndMiB / base.rssEndMiB : NaN).toFixed(2).padStart(12)} ${String(r.logLines).padStart(10)}`,
    );
  }
  for (const l of out) console.log(l);
  writeFileSync('bench/results/speaker-memory.txt', out.join('\n') + '\n');
  writeFileSync(
    'bench/results/speaker-memory.json',
    JSON.stringify({ date: new Date().toISOString(), node: process.version, nodeFlags: IMAGE_FLAGS, cpus: cpus().length, loadavg: loadavg(), windowMs: WINDOW_MS, rows }, null, 2) + '\n',
  );
  console.log('\nwrote bench/results/speaker-memory.json and speaker-memory.txt');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
