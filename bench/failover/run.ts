// bench/failover: how long a client loses a VIP when its owner dies, shoal
// against keepalived on the same namespaces in the same run, with shoal's
// outage broken down along the failover path; plus the ring's spread, the
// ARP answer latency, and the speaker's memory with 10,000 VIPs. Needs root.
//
//   npm run bench:failover                              # everything, about 12 minutes
//   npm run bench:failover -- --trials 5 --keepalived-trials 3 --memory-vips 2000
//   npm run bench:failover -- --search-gossip           # only the simulator grid of gossip settings
//
// Flags: --trials N (shoal trials per failure mode, default 20),
// --keepalived-trials N (default: --trials), --arp-samples N (100),
// --memory-vips N (10000), --gossip-minutes N (simulated minutes per
// false-death scenario, 10), --idle S (seconds of lab idle per setting
// checked, 30), --interval MS (client request period, 10), --timeout MS
// (client request timeout, 200), --systems LIST (a subset of
// fast,tight,keepalived-1,keepalived-0.1), --no-memory, --no-gossip (no
// simulator runs).
//
// Method (docs/failover.md): three node namespaces on a bridge serve HTTP on
// the VIP (on lo, arp_ignore=1/arp_announce=2, so only the system under test
// answers ARP for it); a client namespace sends a request every 10 ms on a
// fresh connection. Each trial waits until the system is steady and the
// client is served by the owner, then SIGKILLs the owner's daemon and HTTP
// server, or downs its bridge port, and measures from the end of the last
// answered request to the end of the first answered one after. shoal runs
// with the default profile (fast) and with the tightest settings of
// TIGHT_LADDER (gossip-settings.ts) that pass the simulator and a lab idle.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ringSpread } from '../../src/announce/election-ring.js';
import { seededRandom } from '../../dev/gossip-sim/simulation.js';
import { netlabUnavailable } from '../../test/support/netlab.js';
import { mean, percentile } from '../stats.js';
import { measureArpLatency, type ArpLatency } from './arp-latency.js';
import { GarpCapture } from './garp-capture.js';
import { evidence, FAST, profileOf, SEARCH_GRID, simulatorClean, TIGHT_LADDER, type Candidate, type CandidateEvidence } from './gossip-settings.js';
import { KeepalivedSystem } from './keepalived-system.js';
import { measureMemory, type MemoryResult } from './memory.js';
import { ShoalSystem } from './shoal-system.js';
import { CLIENT, FailoverLab, VIP, type NodeName } from './topology.js';
import { runTrial, type FailureMode, type SystemUnderTest, type TrialResult } from './trial.js';
import { breakdownRows, falseDeaths, formatTable, summarize, type Summary } from './report.js';

function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const TRIALS = Number(arg('trials', '20'));
const KA_TRIALS = Number(arg('keepalived-trials', String(TRIALS)));
const ARP_SAMPLES = Number(arg('arp-samples', '100'));
const MEMORY_VIPS = Number(arg('memory-vips', '10000'));
const GOSSIP_MINUTES = Number(arg('gossip-minutes', '10'));
const INTERVAL_MS = Number(arg('interval', '10'));
const TIMEOUT_MS = Number(arg('timeout', '200'));
const SYSTEMS = arg('systems', 'fast,tight,keepalived-1,keepalived-0.1').split(',');
const IDLE_S = Number(arg('idle', '30'));
/** Keep every speaker's log here (one file per system and node), to look into a trial afterwards. */
const LOG_DIR = arg('logs', '');
/** A ladder step to use as the tight settings without walking the ladder ("x0.2 m1"). */
const TIGHT = arg('tight', '');
/** Where the results go; a partial run (`--systems`, `--tight`) should not overwrite the full one. */
const OUT = arg('out', 'bench/results/failover.json');
const MODES: FailureMode[] = ['kill', 'cut'];
/** The lab's cluster size, also used for the simulator's small-cluster runs. */
const LAB_SIZE = 3;

const log = (line: string): void => void process.stderr.write(line + '\n');
const sec = (since: number): string => `${((Date.now() - since) / 1000).toFixed(0)} s`;

function spread(): { fixed: number; namings: { mean: number; p95: number; max: number }; keys: string } {
  const keys = Array.from({ length: 1000 }, (_, i) => `2001:db8:1::${(i + 1).toString(16)}`);
  const fixed = ringSpread(Array.from({ length: 10 }, (_, i) => `node-${i + 1}`), keys).maxOverMean;
  const random = seededRandom(42);
  const ratios = Array.from({ length: 100 }, () => ringSpread(Array.from({ length: 10 }, () => `n-${Math.floor(random() * 2 ** 32).toString(36)}`), keys).maxOverMean);
  return { fixed, namings: { mean: mean(ratios), p95: percentile(ratios, 95), max: Math.max(...ratios) }, keys: '2001:db8:1::1 to 2001:db8:1::3e8' };
}

async function gossipEvidence(candidates: readonly Candidate[]): Promise<CandidateEvidence[]> {
  const out: CandidateEvidence[] = [];
  for (const c of candidates) {
    const t0 = Date.now();
    out.push(await evidence(c, { minutes: GOSSIP_MINUTES, smallSize: LAB_SIZE, detectionTrials: 40 }));
    log(`  gossip ${c.label}: ${sec(t0)}`);
  }
  return out;
}

function printGossip(rows: readonly CandidateEvidence[]): void {
  console.log(`\nGossip settings in the simulator (bench/gossip scenarios): false deaths at 5% loss over ${GOSSIP_MINUTES} simulated minutes, and detection at n=${LAB_SIZE}`);
  console.log(
    formatTable(
      ['settings', 'probe/timeout/gossip ms', 'suspicionMult', 'false deaths n=100', 'refutes n=100', `false deaths n=${LAB_SIZE}`, `dead known to all n=${LAB_SIZE} p50/p99 ms`],
      rows.map((r) => {
        const p = profileOf({ label: r.label, overrides: r.overrides });
        return [
          r.label,
          `${p.probeIntervalMs}/${p.probeTimeoutMs}/${p.gossipIntervalMs}`,
          String(p.suspicionMult),
          String(r.loss5.healthyFalseDeaths),
          String(r.loss5.refutes),
          String(r.loss5Small.healthyFalseDeaths),
          `${Math.round(r.detectionSmall.allMs.p50)}/${Math.round(r.detectionSmall.allMs.p99)}`,
        ];
      }),
    ),
  );
}

interface SystemRun {
  name: string;
  trials: TrialResult[];
  summary: Record<FailureMode, Summary>;
  /** Suspicions and deaths of healthy members while the system idled before its trials. */
  idle?: { seconds: number; suspicions: number; deaths: number };
  falseDeaths?: number;
  repointed: number;
}

interface RunOptions {
  trials: number;
  /** Seconds to idle before the trials, counting suspicions and deaths (shoal only). */
  idleS: number;
  garp: GarpCapture;
  random: () => number;
  /** Runs once the system settled, before the client starts. */
  before?: (owner: NodeName) => Promise<void>;
}

async function runSystem(lab: FailoverLab, sys: SystemUnderTest, o: RunOptions): Promise<SystemRun> {
  const { trials, garp, random } = o;
  const t0 = Date.now();
  await sys.start();
  try {
    const owner = await waitSettled(sys);
    await o.before?.(owner);
    // The client starts after the ARP latency samples (quiet wire for those) and runs to the end.
    lab.startClient(INTERVAL_MS, TIMEOUT_MS);
    let idle: SystemRun['idle'];
    if (sys instanceof ShoalSystem && o.idleS > 0) {
      const from = Date.now();
      await new Promise((r) => setTimeout(r, o.idleS * 1000));
      const count = (kind: string): number => sys.memberEvents(kind).filter((e) => e.at >= from).length;
      idle = { seconds: o.idleS, suspicions: count('suspect'), deaths: count('dead') };
      log(`  ${sys.name} idle ${o.idleS} s: ${idle.suspicions} suspicions, ${idle.deaths} deaths`);
    }
    const results: TrialResult[] = [];
    for (const mode of trials > 0 ? MODES : []) {
      for (let i = 1; i <= trials; i++) {
        const r = await runTrial(lab, sys, mode, i, {
          maxOutageMs: 20_000,
          requestTimeoutMs: TIMEOUT_MS,
          steadyRequests: 30,
          garpFrom: (mac, since) => garp.firstFrom(mac, since)?.at,
          random,
          log,
        });
        results.push(r);
        log(`  ${sys.name} ${mode} #${i}: ${r.victim} -> ${r.outage?.servedBy ?? '?'} ${r.outage ? `${r.outage.ms} ms` : 'no recovery'}${r.repointed ? ' (client re-pointed after restore)' : ''}`);
      }
    }
    const run: SystemRun = {
      name: sys.name,
      trials: results,
      summary: { kill: summarize(results.filter((r) => r.mode === 'kill')), cut: summarize(results.filter((r) => r.mode === 'cut')) },
      repointed: results.filter((r) => r.repointed).length,
      ...(idle ? { idle } : {}),
    };
    if (sys.deaths && trials > 0) {
      const unexplained = falseDeaths(sys.deaths(), results);
      run.falseDeaths = unexplained.length;
      for (const d of unexplained) log(`  ${sys.name}: ${d.observer} declared ${d.member} dead at ${new Date(d.at).toISOString()}, outside any trial`);
    }
    return run;
  } finally {
    await sys.stop();
    await lab.flushClientNeighbour();
    log(`  ${sys.name}: ${sec(t0)}`);
  }
}

interface LadderStep {
  label: string;
  overrides: Candidate['overrides'];
  simulator?: CandidateEvidence;
  idle?: SystemRun['idle'];
  verdict: 'chosen' | 'false deaths in the simulator' | 'suspicions while the lab idled' | 'not tried';
}

/**
 * Walks TIGHT_LADDER from the tightest step and takes the first that has
 * zero false deaths in the simulator and no healthy member suspected while
 * the lab idles with its settings.
 */
async function chooseTight(lab: FailoverLab, dir: string, o: Omit<RunOptions, 'trials'>, useSimulator: boolean): Promise<{ chosen: Candidate | undefined; steps: LadderStep[] }> {
  const steps: LadderStep[] = TIGHT_LADDER.map((c) => ({ label: c.label, overrides: c.overrides, verdict: 'not tried' }));
  for (const [i, c] of TIGHT_LADDER.entries()) {
    const step = steps[i]!;
    if (useSimulator) {
      step.simulator = (await gossipEvidence([c]))[0]!;
      if (!simulatorClean(step.simulator)) {
        step.verdict = 'false deaths in the simulator';
        continue;
      }
    }
    const run = await runSystem(lab, new ShoalSystem(`shoal ${c.label} (idle check)`, lab, dir, c.overrides, LOG_DIR || undefined), { ...o, trials: 0 });
    step.idle = run.idle;
    if (run.idle && run.idle.suspicions + run.idle.deaths > 0) {
      step.verdict = 'suspicions while the lab idled';
      continue;
    }
    step.verdict = 'chosen';
    return { chosen: c, steps };
  }
  return { chosen: undefined, steps };
}

async function main(): Promise<void> {
  const started = Date.now();
  const random = seededRandom(20_240_601);
  if (flag('search-gossip')) {
    printGossip(await gossipEvidence([FAST, ...SEARCH_GRID]));
    return;
  }
  const why = netlabUnavailable();
  if (why) throw new Error(`bench/failover ${why}`);
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavgBefore: loadavg(), trials: TRIALS, keepalivedTrials: KA_TRIALS, intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS };

  const sp = spread();
  results['spread'] = sp;

  const useSimulator = !flag('no-gossip');
  const fastEvidence = useSimulator ? await gossipEvidence([FAST]) : [];
  let ladder: LadderStep[] = [];
  let tight: Candidate | undefined;

  const dir = mkdtempSync(join(tmpdir(), 'shoal-failover-'));
  if (LOG_DIR) mkdirSync(LOG_DIR, { recursive: true });
  const runs: SystemRun[] = [];
  let arp: ArpLatency | undefined;
  const lab = await FailoverLab.create();
  try {
    await lab.checkArpIsolation();
    const garp = await GarpCapture.start(lab.lab, CLIENT, VIP);
    const common = { garp, random, idleS: IDLE_S };
    if (SYSTEMS.includes('fast')) {
      // The ARP latency is measured against its owner, before the client starts.
      const before = ARP_SAMPLES > 0 ? async (owner: NodeName): Promise<void> => void (arp = await measureArpLatency(lab, owner, ARP_SAMPLES)) : undefined;
      runs.push(await runSystem(lab, new ShoalSystem('shoal fast', lab, dir, FAST.overrides, LOG_DIR || undefined), { ...common, trials: TRIALS, ...(before ? { before } : {}) }));
    }
    if (SYSTEMS.includes('tight')) {
      if (TIGHT) {
        tight = TIGHT_LADDER.find((c) => c.label === TIGHT);
        if (!tight) throw new Error(`--tight ${TIGHT}: no such ladder step; the steps are ${TIGHT_LADDER.map((c) => `"${c.label}"`).join(', ')}`);
      } else ({ chosen: tight, steps: ladder } = await chooseTight(lab, dir, common, useSimulator));
      if (tight) runs.push(await runSystem(lab, new ShoalSystem(`shoal tight (${tight.label})`, lab, dir, tight.overrides, LOG_DIR || undefined), { ...common, trials: TRIALS, idleS: 0 }));
      else log('  no step of the ladder qualified as tight settings');
    }
    for (const advertInt of [1, 0.1]) {
      if (SYSTEMS.includes(`keepalived-${advertInt}`)) runs.push(await runSystem(lab, new KeepalivedSystem(lab, dir, advertInt), { ...common, trials: KA_TRIALS }));
    }
    await lab.stopClient();
    await garp.stop(lab.lab);
  } finally {
    await lab.destroy();
  }

  let memory: MemoryResult | undefined;
  if (!flag('no-memory') && MEMORY_VIPS > 0) {
    const t0 = Date.now();
    memory = await measureMemory(dir, MEMORY_VIPS, 5_000);
    log(`  memory: ${sec(t0)}`);
  }
  rmSync(dir, { recursive: true, force: true });

  // ---------------------------------------------------------------- report
  console.log(`bench/failover: ${TRIALS} shoal and ${KA_TRIALS} keepalived trials per failure mode; client request every ${INTERVAL_MS} ms, timeout ${TIMEOUT_MS} ms; ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const gossip = [...fastEvidence, ...ladder.flatMap((l) => (l.simulator ? [l.simulator] : []))];
  results['gossip'] = gossip;
  if (gossip.length) printGossip(gossip);
  if (ladder.length) {
    console.log(`\nTight settings: the first step, tightest first, with zero false deaths in the simulator and no healthy member suspected in ${IDLE_S} s of lab idle`);
    console.log(
      formatTable(
        ['settings', 'probe/timeout/gossip ms', 'suspicionMult', 'simulator false deaths n=100 / n=3', 'lab idle suspicions / deaths', 'verdict'],
        ladder.map((l) => {
          const p = profileOf(l);
          return [
            l.label,
            `${p.probeIntervalMs}/${p.probeTimeoutMs}/${p.gossipIntervalMs}`,
            String(p.suspicionMult),
            l.simulator ? `${l.simulator.loss5.healthyFalseDeaths} / ${l.simulator.loss5Small.healthyFalseDeaths}` : '-',
            l.idle ? `${l.idle.suspicions} / ${l.idle.deaths}` : '-',
            l.verdict,
          ];
        }),
      ),
    );
  }

  console.log('\nClient-visible outage (ms, end of the last answered request to the end of the first answered one after)');
  const outageRows = runs.filter((r) => r.trials.length > 0).flatMap((r) => MODES.map((m) => [r.name, m === 'kill' ? 'SIGKILL daemon + server' : 'link cut', ...summaryCells(r.summary[m])]));
  console.log(formatTable(['system', 'failure', 'trials', 'recovered', 'p50', 'p95', 'p99', 'max', 'failed requests p50'], outageRows));

  const byName = new Map(runs.map((r) => [r.name, r]));
  const ka = [byName.get('keepalived advert_int 1'), byName.get('keepalived advert_int 0.1')].filter((x): x is SystemRun => x !== undefined);
  const shoal = runs.filter((r) => r.name.startsWith('shoal') && r.trials.length > 0);
  const ratios: { shoal: string; keepalived: string; mode: FailureMode; p50: number; p95: number; max: number }[] = [];
  for (const s of shoal) for (const k of ka) for (const m of MODES) ratios.push({ shoal: s.name, keepalived: k.name, mode: m, p50: s.summary[m].p50 / k.summary[m].p50, p95: s.summary[m].p95 / k.summary[m].p95, max: s.summary[m].max / k.summary[m].max });
  if (ratios.length) {
    console.log('\nshoal / keepalived (outage ratios, same failure mode; below 1 means shoal is faster)');
    console.log(formatTable(['shoal', 'keepalived', 'failure', 'p50', 'p95', 'max'], ratios.map((r) => [r.shoal, r.keepalived, r.mode, r.p50.toFixed(2), r.p95.toFixed(2), r.max.toFixed(2)])));
  }

  const idled = runs.filter((r) => r.idle);
  if (idled.length) {
    console.log(`\nHealthy members suspected or declared dead while the lab idled (${IDLE_S} s per setting, client running)`);
    console.log(formatTable(['settings', 'suspicions', 'deaths'], idled.map((r) => [r.name, String(r.idle!.suspicions), String(r.idle!.deaths)])));
  }

  for (const s of shoal) {
    console.log(`\n${s.name}: failover path, ms after the last answered request before the failure (p50 / p95 over the trials)`);
    console.log(formatTable(['failure', 'suspect', 'dead (first)', 'dead (all survivors)', 'elected (announcing)', 'first GARP logged', 'first GARP at client', 'first answer'], breakdownRows(s.trials, MODES)));
    console.log(`  deaths of running members declared during the run: ${s.falseDeaths ?? '-'}; trials where the client stayed with a node that no longer announced after the restore: ${s.repointed}`);
  }

  console.log(`\nSpread of 1,000 VIPs (${sp.keys}) over 10 members, max/mean: ${sp.fixed.toFixed(3)} for node-1..node-10; over 100 random namings mean ${sp.namings.mean.toFixed(3)}, p95 ${sp.namings.p95.toFixed(3)}, max ${sp.namings.max.toFixed(3)}`);
  if (arp) {
    console.log(`\nARP answer latency at the client (arping, ms, ${ARP_SAMPLES} samples each, interleaved; owner ${arp.owner})`);
    console.log(
      formatTable(
        ['answered by', 'target', 'samples', 'lost', 'p50', 'p95', 'max'],
        [
          ['shoal responder', arp.vip.target, String(arp.vip.samples), String(arp.vip.lost), arp.vip.p50.toFixed(3), arp.vip.p95.toFixed(3), arp.vip.max.toFixed(3)],
          ['Linux kernel', arp.kernel.target, String(arp.kernel.samples), String(arp.kernel.lost), arp.kernel.p50.toFixed(3), arp.kernel.p95.toFixed(3), arp.kernel.max.toFixed(3)],
        ],
      ),
    );
    console.log(`ratio shoal/kernel: p50 ${arp.ratioP50.toFixed(2)}x, p95 ${arp.ratioP95.toFixed(2)}x`);
  }
  if (memory) {
    console.log(`\nSpeaker memory owning ${memory.vips} VIPs (${memory.ipv4} IPv4, ${memory.ipv6} IPv6), layer 2 on, MiB (RSS from /proc over 5 s once all are announced; V8 heap from its /metrics, garbage included)`);
    const f = (v: number): string => v.toFixed(1);
    console.log(
      formatTable(
        ['started with', 'RSS peak', 'RSS end', 'heap committed', 'heap in use', 'RSS with one VIP', 'all announced after ms'],
        memory.rows.map((r) => [r.variant, f(r.rssPeakMiB), f(r.rssEndMiB), f(r.heapTotalMiB), f(r.heapUsedMiB), f(r.rssOneVipMiB), String(r.announcedAllMs)]),
      ),
    );
  }

  const targets = evaluateTargets(byName, arp, memory);
  console.log('\nTargets');
  for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'NOT MET'}  ${t.what}: ${t.measured}`);

  Object.assign(results, { loadavgAfter: loadavg(), seconds: Math.round((Date.now() - started) / 1000), tight: tight ?? null, ladder: ladder.map(({ simulator: _s, ...rest }) => rest), systems: runs, ratios, arp, memory, targets });
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwrote ${OUT} (${sec(started)})`);
}

function summaryCells(s: Summary): string[] {
  const f = (v: number): string => (Number.isFinite(v) ? String(Math.round(v)) : '-');
  return [String(s.trials), String(s.recovered), f(s.p50), f(s.p95), f(s.p99), f(s.max), f(s.failedRequestsP50)];
}

async function waitSettled(sys: SystemUnderTest): Promise<NodeName> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const owner = sys.settled();
    if (owner) return owner;
    if (Date.now() > deadline) throw new Error(`${sys.name} did not settle`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Target {
  what: string;
  measured: string;
  met: boolean;
}

function evaluateTargets(byName: Map<string, SystemRun>, arp: ArpLatency | undefined, memory: MemoryResult | undefined): Target[] {
  const out: Target[] = [];
  const fast = byName.get('shoal fast');
  if (fast) {
    const all = fast.trials.map((t) => t.outage?.ms ?? Infinity);
    const p99 = percentile(all, 99);
    out.push({ what: 'default profile (fast): outage p99 under 1 s, both failure modes together', measured: `p99 ${Math.round(p99)} ms over ${all.length} trials (nearest rank: with fewer than 100 trials this is the maximum)`, met: p99 < 1000 });
  }
  const tight = [...byName.values()].find((r) => r.name.startsWith('shoal tight ('));
  const ka01 = byName.get('keepalived advert_int 0.1');
  if (tight && ka01) {
    for (const m of MODES) {
      const r50 = tight.summary[m].p50 / ka01.summary[m].p50;
      const r95 = tight.summary[m].p95 / ka01.summary[m].p95;
      out.push({ what: `tight settings within 1.5x of keepalived advert_int 0.1 (${m})`, measured: `p50 ${r50.toFixed(2)}x, p95 ${r95.toFixed(2)}x`, met: r50 <= 1.5 && r95 <= 1.5 });
    }
  }
  if (arp) out.push({ what: 'ARP answer for a VIP within 2x of the kernel', measured: `p50 ${arp.ratioP50.toFixed(2)}x, p95 ${arp.ratioP95.toFixed(2)}x`, met: arp.ratioP50 <= 2 && arp.ratioP95 <= 2 });
  for (const r of memory?.rows ?? []) {
    const mb = r.rssPeakMiB * 1.048576;
    out.push({ what: `speaker RSS under 120 MB owning ${memory!.vips} VIPs, ${r.variant}`, measured: `peak ${r.rssPeakMiB.toFixed(1)} MiB (${mb.toFixed(1)} MB)`, met: mb < 120 });
  }
  return out;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
