// bench/chaos: seconds with two answerers, or none, per VIP while the
// network misbehaves, for shoal with its split-brain safety, shoal without
// it (today's behaviour, MetalLB's too) and keepalived, side by side in one
// run on one lab. Needs root (network namespaces).
//
//   npm run bench:chaos                                  # every fault, 3 repeats, 3 variants: about 50 minutes
//   npm run bench:chaos -- --quick                       # 4 faults, 1 repeat: about 2 minutes per variant
//   npm run bench:chaos -- --variants shoal-unsafe,keepalived --faults partition,kill --repeats 2
//
// Flags: --quick, --repeats N (3; 1 with --quick), --variants LIST
// (shoal-safe,shoal-unsafe,keepalived), --faults LIST (kill, link,
// partition, gossip-block, one-way, loss, stop, flap; --quick: partition,
// kill, gossip-block, stop), --vips N (VIPs per family, 8), --probe-ms MS
// (1000), --settle-s S (seconds watched after each heal, 15; 12 with
// --quick), --loss-s S (length of the loss fault, 60; 20 with --quick),
// --keepalived-advert S (advert_int, 1), --no-fencing-section (write no
// `fencing` section into shoal's files, for a tree whose config does not
// know it: both shoal variants are then today's shoal), --logs DIR (keep
// every daemon's log), --label TEXT (printed above the table and kept in
// the JSON), --rounds FILE (every round, one JSON line each),
// --out PREFIX (bench/results/chaos: .json and .txt).
//
// Method and columns: docs/failover.md, "Chaos benchmark".
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { netlabUnavailable, run, type NetLab } from '../../dev/lab/netlab.js';
import { formatTable } from '../failover/report.js';
import { neighboursByRound, roundSettled, soleAnswerer } from './answers.js';
import { episodeFigures, longestGap } from './episode.js';
import { faultByName, FAULTS, type Fault } from './faults.js';
import { Observer } from './observer.js';
import { HEADERS, markdownTable, rowCells, summarizeRow, type EpisodeResult, type Row } from './report.js';
import { KeepalivedChaos, ShoalChaos, type ChaosSystem } from './systems.js';
import { checkTargets } from './targets.js';
import { buildLab, isV6, NODES, nodeOfMac, vipList, type NodeName } from './topology.js';
import { VARIANTS, variantByName, type Variant } from './variants.js';

function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const QUICK = flag('quick');
const REPEATS = Number(arg('repeats', QUICK ? '1' : '3'));
const VARIANT_NAMES = arg('variants', VARIANTS.map((v) => v.name).join(',')).split(',');
const FAULT_NAMES = arg('faults', QUICK ? 'partition,kill,gossip-block,stop' : FAULTS.map((f) => f.name).join(',')).split(',');
const VIPS_PER_FAMILY = Number(arg('vips', '8'));
const PROBE_MS = Number(arg('probe-ms', '1000'));
const SETTLE_MS = Number(arg('settle-s', QUICK ? '12' : '15')) * 1000;
const LOSS_MS = Number(arg('loss-s', QUICK ? '20' : '60')) * 1000;
const KA_ADVERT = Number(arg('keepalived-advert', '1'));
const WITH_FENCING = !flag('no-fencing-section');
const LOG_DIR = arg('logs', '');
const OUT = arg('out', 'bench/results/chaos');
/** Write every round (answers and the client's neighbour entries) here, to look into an episode afterwards. */
const ROUNDS_FILE = arg('rounds', '');
/** Said at the top of the table and in the JSON, e.g. that a run only validates the harness. */
const LABEL = arg('label', '');
/** Seconds watched before each fault. */
const PRE_MS = 2000;
/** How long to wait for one answerer per VIP and the client pointed at it before a fault. */
const STEADY_TIMEOUT_MS = 60_000;

const log = (line: string): void => void process.stderr.write(line + '\n');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for `rounds` consecutive complete rounds in which every VIP is settled, and every daemon past its warm-up; throws if the system gave up. */
async function waitSteady(obs: Observer, sys: ChaosSystem, vips: readonly string[], rounds: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const failed = sys.failure();
    if (failed) throw new Error(`${sys.name}: ${failed}`);
    const last = obs.book.lastComplete(rounds);
    const neighbours = neighboursByRound(last);
    if (sys.ready() && last.length === rounds && last.every((r, i) => roundSettled(r, neighbours[i], vips))) return true;
    await sleep(PROBE_MS / 4);
  }
  return false;
}

/** Waits until no VIP has been answered for `rounds` rounds: nothing of the last system is left answering. */
async function waitSilent(obs: Observer, rounds: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const last = obs.book.lastComplete(rounds);
    if (last.length === rounds && last.every((r) => r.answers.size === 0)) return true;
    await sleep(PROBE_MS / 4);
  }
  return false;
}

/** The current sole answerer of vips[k], as a node. */
function ownerOf(obs: Observer, vip: string): NodeName | undefined {
  const r = obs.book.lastComplete(1)[0];
  const mac = r && soleAnswerer(r, vip);
  return mac ? nodeOfMac(mac) : undefined;
}

function makeSystem(v: Variant, lab: NetLab, dir: string, vips: readonly string[]): ChaosSystem {
  const logFile = LOG_DIR ? join(LOG_DIR, `${v.name}.log`) : undefined;
  if (v.kind === 'shoal') return new ShoalChaos(v.name, lab, dir, v, vips, WITH_FENCING, logFile);
  return new KeepalivedChaos(v.name, lab, dir, vips, KA_ADVERT, logFile);
}

async function runEpisode(lab: NetLab, obs: Observer, sys: ChaosSystem, vips: readonly string[], fault: Fault, repeat: number, k: number): Promise<EpisodeResult> {
  const steadyBefore = await waitSteady(obs, sys, vips, 2, STEADY_TIMEOUT_MS);
  if (!steadyBefore) log(`  ${sys.name} ${fault.name} #${repeat}: not steady after ${STEADY_TIMEOUT_MS / 1000} s, running the fault anyway`);
  await sleep(PRE_MS);
  // The victim: the owner of one VIP, a different one each episode, so the faults spread over the nodes.
  const pick = vips[k % vips.length]!;
  const victim = fault.targeted ? (ownerOf(obs, pick) ?? NODES[k % NODES.length]!) : undefined;
  const pinged = fault.outage && victim ? pingTargets(obs, vips, victim, pick) : [];
  const pingers = pinged.map((v) => obs.ping(v));
  const { faultAt, healAt } = await fault.act({ lab, sys, victim: victim ?? NODES[0], lossMs: LOSS_MS });
  const endAt = healAt + SETTLE_MS;
  await sleep(endAt - Date.now() + PROBE_MS);
  for (const p of pingers) await obs.stopPing(p);
  const figures = episodeFigures(obs.book.rounds, vips, { faultAt, healAt, endAt });
  const deaths = sys.deaths();
  const result: EpisodeResult = {
    fault: fault.name,
    repeat,
    victim,
    steadyBefore,
    faultAt,
    healAt,
    endAt,
    figures,
    ...(pingers.length ? { outageMs: Object.fromEntries(pingers.map((p) => [p.vip, Math.round(longestGap(p.replies, faultAt, endAt))])) } : {}),
    // A death between the victim and the others is what the fault does; any other is false.
    ...(deaths ? { falseDeaths: deaths.filter((d) => d.at >= faultAt && d.at < endAt && d.member !== victim && d.observer !== victim).length } : {}),
  };
  const conv = figures.convergedMs === null ? 'never settled' : `settled ${Math.round(figures.convergedMs)} ms after the heal`;
  const outage = result.outageMs ? `, outage ${Object.values(result.outageMs).join('/')} ms` : '';
  log(
    `  ${sys.name} ${fault.name} #${repeat}${victim ? ` (${victim})` : ''}: 2+ answerers worst VIP ${figures.doubleWorst} s (${figures.doubleTotal} VIP-s), none worst ${figures.noneWorst} s (${figures.noneTotal} VIP-s), ${conv}${outage}, moves ${figures.moves}${result.falseDeaths !== undefined ? `, false deaths ${result.falseDeaths}` : ''}`,
  );
  return result;
}

/** One IPv4 and one IPv6 VIP the victim answers for (the picked one first). */
function pingTargets(obs: Observer, vips: readonly string[], victim: NodeName, pick: string): string[] {
  const owned = vips.filter((v) => ownerOf(obs, v) === victim);
  const ordered = [pick, ...owned.filter((v) => v !== pick)].filter((v) => owned.includes(v));
  const v4 = ordered.find((v) => !isV6(v));
  const v6 = ordered.find(isV6);
  return [v4, v6].filter((v): v is string => v !== undefined);
}

interface VariantRun {
  variant: string;
  episodes: EpisodeResult[];
  startupSteady: boolean;
}

async function runVariant(lab: NetLab, obs: Observer, v: Variant, dir: string, vips: readonly string[], faults: readonly Fault[]): Promise<VariantRun> {
  const t0 = Date.now();
  const sys = makeSystem(v, lab, dir, vips);
  const episodes: EpisodeResult[] = [];
  await sys.start();
  try {
    const startupSteady = await waitSteady(obs, sys, vips, 3, STEADY_TIMEOUT_MS);
    log(`  ${v.name}: ${startupSteady ? 'steady' : 'NOT steady'} ${((Date.now() - t0) / 1000).toFixed(0)} s after start`);
    let k = 0;
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      for (const f of faults) episodes.push(await runEpisode(lab, obs, sys, vips, f, repeat, k++));
    }
    return { variant: v.name, episodes, startupSteady };
  } finally {
    await sys.stop();
    if (!(await waitSilent(obs, 2, 20_000))) log(`  ${v.name}: VIPs still answered after it stopped`);
    log(`  ${v.name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
}

async function missingTools(tools: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of tools) if ((await run('sh', ['-c', `command -v ${t}`], { allowFail: true })).code !== 0) out.push(t);
  return out;
}

let cleanup: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  const why = netlabUnavailable();
  if (why) {
    console.log(`bench/chaos skipped: it ${why}`);
    return;
  }
  const variants = VARIANT_NAMES.map(variantByName);
  const missing = await missingTools(['tcpdump', 'ping', 'iptables', ...(variants.some((v) => v.kind === 'keepalived') ? ['keepalived'] : [])]);
  if (missing.length) throw new Error(`bench/chaos needs ${missing.join(', ')} on PATH (Debian: tcpdump, iputils-ping, iptables, keepalived)`);
  const faults = FAULT_NAMES.map(faultByName);
  const vips = vipList(VIPS_PER_FAMILY);
  const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavgBefore: loadavg() };
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'shoal-chaos-'));
  if (LOG_DIR) mkdirSync(LOG_DIR, { recursive: true });
  const lab = await buildLab(vips);
  let obs: Observer | undefined;
  cleanup = async () => {
    obs?.stop();
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  const runs: VariantRun[] = [];
  let sendErrors: number;
  try {
    obs = await Observer.start(lab, vips, PROBE_MS);
    // Before any system runs, nothing may answer for a VIP: otherwise the figures measure the kernels.
    if (!(await waitSilent(obs, 2, 10_000))) throw new Error('a VIP is answered with no system running: arp_ignore or the NDP isolation is not in effect');
    for (const v of variants) runs.push(await runVariant(lab, obs, v, dir, vips, faults));
    sendErrors = obs.sendErrors();
  } finally {
    if (ROUNDS_FILE && obs) writeFileSync(ROUNDS_FILE, obs.book.rounds.map((r) => JSON.stringify({ at: r.at, answers: Object.fromEntries([...r.answers].map(([v, s]) => [v, [...s]])), neighbours: r.neighbours && Object.fromEntries(r.neighbours) })).join('\n') + '\n');
    const c = cleanup;
    cleanup = undefined;
    await c();
  }

  const rows: Row[] = runs.flatMap((r) => faults.map((f) => summarizeRow(r.variant, f.name, f.label, r.episodes.filter((e) => e.fault === f.name))));
  const header = [
    ...(LABEL ? [LABEL] : []),
    `bench/chaos${QUICK ? ' --quick' : ''}${WITH_FENCING ? '' : ' --no-fencing-section'}: ${NODES.length} nodes, ${vips.length} VIPs (${VIPS_PER_FAMILY} IPv4, ${VIPS_PER_FAMILY} IPv6), one ARP/NS probe per VIP every ${PROBE_MS} ms, ${REPEATS} repeat(s) per fault, ${SETTLE_MS / 1000} s watched after each heal; keepalived advert_int ${KA_ADVERT}`,
    `machine: ${machine.cpus} CPUs (${machine.model}), load average before ${machine.loadavgBefore.map((l) => l.toFixed(1)).join(' ')}, after ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${((Date.now() - started) / 60_000).toFixed(1)} minutes`,
    ...(sendErrors ? [`warning: the prober failed to send ${sendErrors} probe frames (see "no answer")`] : []),
    ...runs.filter((r) => !r.startupSteady).map((r) => `warning: ${r.variant} never had one answerer per VIP with the client pointed at it after starting`),
  ];
  const table = formatTable(HEADERS, rows.map(rowCells));
  const md = markdownTable(rows);
  const verdicts = runs.map((r) => ({ variant: r.variant, targets: checkTargets(rows.filter((x) => x.variant === r.variant)) }));
  const targetTable = formatTable(
    ['variant', 'target', 'measured (worst episode)', 'verdict'],
    verdicts.flatMap((v) => v.targets.map((t) => [v.variant, t.target, t.measured, t.verdict])),
  );
  const text = [...header, '', table, '', 'Targets of the split-brain issue (they are shoal-safe\'s; the others for comparison):', '', targetTable, '', 'Markdown (for docs/failover.md and the README):', '', md, ''].join('\n');
  console.log(text);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(`${OUT}.txt`, text);
  writeFileSync(
    `${OUT}.json`,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        ...(LABEL ? { label: LABEL } : {}),
        node: process.version,
        machine: { ...machine, loadavgAfter: loadavg() },
        settings: { quick: QUICK, repeats: REPEATS, vips, probeMs: PROBE_MS, settleMs: SETTLE_MS, lossMs: LOSS_MS, keepalivedAdvertInt: KA_ADVERT, fencingSection: WITH_FENCING, variants: variants, faults: faults.map((f) => ({ name: f.name, label: f.label })) },
        probeSendErrors: sendErrors,
        rows,
        targets: verdicts,
        runs,
      },
      null,
      2,
    ) + '\n',
  );
  log(`wrote ${OUT}.json and ${OUT}.txt`);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`bench/chaos: ${sig}, cleaning up`);
    const c = cleanup;
    cleanup = undefined;
    void (c ? c() : Promise.resolve()).finally(() => process.exit(130));
  });
}

main().catch(async (err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
