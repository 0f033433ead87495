// bench/failover, mass case: the owner of about 1,000 of 10,000 VIPs (five
// nodes) dies; how long until each of its addresses is announced by its new
// owner at the client, how long the gratuitous burst lasts and whether every
// frame of it arrives, and the client-visible outage of the first and the
// last of them. The baseline in the same run is the same lab and procedure
// with a single VIP. Needs root.
//
//   npm run bench:failover-mass                       # about 20 minutes
//   npm run bench:failover-mass -- --trials 1 --vips 2000
//
// Flags: --trials N (per case, 3), --vips N (10000), --profile fast|lan
// (the speakers' gossip profile, fast), --start stepwise|together (n1 and
// n2, then one at a time, each step once they agree; or all five at once:
// stepwise), --soak S (after settling, watch S seconds and count false
// suspicions; 0), --cases one,mass (both), --settle S
// (seconds the speakers may take to agree at each start step, 300),
// --interval MS / --timeout MS (client request period and timeout, 10 and
// 200), --out PREFIX (bench/results/failover-mass: .json and .txt),
// --speaker-flags=FLAGS (node flags of every speaker, none),
// --compare-flags=FLAGS (run every trial twice, with and without these
// node flags added to the speakers', the order alternating from trial to
// trial, and compare the two: what a node flag costs the failover).
//
// Method (docs/failover.md, "Mass failover"): every trial builds the lab
// afresh (mass-lab.ts), starts the speakers (n1 and n2, then one more at a
// time) and waits after each step until their /metrics agree (every member
// alive and ready, the owned addresses adding up to the file); then their
// /status must name the same owner for every address.
// Half the VIPs may be owned by any node, half only by n2..n5 (a node
// selector), so n1 holds a fifth of the first half: about 1,000 addresses.
// The client sends HTTP requests to the first and the last of them (file
// order) every 10 ms; tcpdump records gratuitous ARP and unsolicited NAs on
// the client's interface; n1's speaker and HTTP server are SIGKILLed at a
// time taken from this process's clock. Each lost address has moved when the
// capture shows its first gratuitous frame from another MAC.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ipKey } from '../../src/net/index.js';
import { netlabUnavailable, waitFor } from '../../test/support/netlab.js';
import { pcapRecords } from '../../test/support/pcap.js';
import { nodeFlagsArg } from '../proc.js';
import { percentile } from '../stats.js';
import { announcementsIn } from './announcements.js';
import { MASS_NODES, MassLab, massNodeMac, type MassNode, type MassVip, type SpeakerReading } from './mass-lab.js';
import { massFigures, moveRank, type MassFigures } from './mass-figures.js';
import { memoryVips } from './memory.js';
import { outageAfter, type Outage } from './probes.js';
import { formatTable } from './report.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const TRIALS = Number(arg('trials', '3'));
const VIPS = Number(arg('vips', '10000'));
const INTERVAL_MS = Number(arg('interval', '10'));
const TIMEOUT_MS = Number(arg('timeout', '200'));
const OUT = arg('out', 'bench/results/failover-mass');
const CASES = arg('cases', 'one,mass').split(',');
/** The speakers' gossip profile (fast, the default, or lan). */
const PROFILE = arg('profile', 'fast');
/** How the speakers start: one step after the other (stepwise, the default), or all five at once (together). */
const START = arg('start', 'stepwise');
if (START !== 'stepwise' && START !== 'together') throw new Error(`--start wants stepwise or together, got ${START}`);
/** Node flags of every speaker. */
const SPEAKER_FLAGS = nodeFlagsArg('speaker-flags');
/** Node flags added to the speakers' in the compared runs; none: no comparison. */
const COMPARE_FLAGS = nodeFlagsArg('compare-flags');
type Variant = 'base' | 'compared';
const VARIANTS: readonly Variant[] = COMPARE_FLAGS.length ? ['base', 'compared'] : ['base'];
const flagsOf = (v: Variant): string[] => (v === 'base' ? SPEAKER_FLAGS : [...SPEAKER_FLAGS, ...COMPARE_FLAGS]);
/** After settling, how long to watch the speakers before the kill (0: not watched): do they stay settled? */
const SOAK_MS = Number(arg('soak', '0')) * 1000;
/** How long the speakers may take to agree after they start. */
const SETTLE_MS = Number(arg('settle', '300')) * 1000;
/** The first round's frames of one address arrive within this of its first (the second ARP round is 250 ms later). */
const ROUND_WINDOW_MS = 100;
/**
 * Between scrapes of the speakers' /metrics while waiting: a scrape of a
 * speaker of 10,000 VIPs is a few ms (bench/metrics), but five curls every
 * second would still be load the failover does not need.
 */
const SCRAPE_EVERY_MS = 5_000;
/** After recovery: the rest of the gratuitous schedule (ARP rounds up to 4 s) and the requests' timeouts. */
const TAIL_MS = 5_000;

const log = (line: string): void => void process.stderr.write(line + '\n');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type CaseName = 'one' | 'mass';

interface Probe {
  /** Which of the lost addresses (file order). */
  role: 'first' | 'last';
  ip: string;
  /** Its place in the order the moves reached the client. */
  rank: number | undefined;
  movedMs: number | undefined;
  outage: Outage | undefined;
}

interface TrialResult {
  case: CaseName;
  trial: number;
  /** Whether the speakers ran with --compare-flags added. */
  variant: Variant;
  nodeFlags: string[];
  vips: number;
  victim: MassNode;
  /** Speakers started until settled, ms. */
  settledMs: number;
  /** False suspicions and deaths the speakers refuted (shoal_gossip_accused_total, summed) until settled. */
  accusedAtStart: number | undefined;
  /** --soak: the false suspicions in that window, and whether every speaker still agreed at its end. */
  soak: { seconds: number; accused: number | undefined; stillSettled: boolean } | undefined;
  figures: Omit<MassFigures, 'moved'> & { moved: [string, number, number][] };
  probes: Probe[];
  /** tcpdump's own count of frames the kernel dropped before it read them. */
  captureDrops: number | undefined;
  /** Dropped-frame counters of the bridge, client and survivors' interfaces, over the failover. */
  interfaceDrops: number;
  /** The survivors' layer-2 counters of frames not sent, over the failover, by name. */
  refused: Record<string, number>;
}

/** The file: memoryVips (IPv4 of 198.51.100.0/24 and 203.0.113.0/24 first, then IPv6), every other one owned by any node. */
function massFile(n: number): MassVip[] {
  const { v4, v6 } = memoryVips(n);
  return [...v4, ...v6].map((address, i) => ({ address, anywhere: i % 2 === 0 }));
}

/** Waits until the started speakers see each other alive and ready and own every address between them. */
async function settle(lab: MassLab, nodes: readonly MassNode[], vips: number): Promise<SpeakerReading[]> {
  let last: (SpeakerReading | undefined)[] = [];
  try {
    return await waitFor(
      async () => {
        for (const n of nodes) {
          const why = lab.speakerExited(n);
          if (why) throw new Error(why);
        }
        const rs = await Promise.all(nodes.map((n) => lab.reading(n)));
        last = rs;
        if (rs.some((r) => !r || r.alive !== nodes.length || !r.ready)) return undefined;
        const owned = rs.reduce((s, r) => s + r!.owned, 0);
        return owned === vips ? (rs as SpeakerReading[]) : undefined;
      },
      SETTLE_MS,
      `${nodes.join(', ')} to agree on ${vips} VIPs`,
      SCRAPE_EVERY_MS,
    );
  } catch (err) {
    for (const [i, n] of nodes.entries()) log(`  ${n}: ${JSON.stringify(last[i] ?? 'no /metrics')}\n${lab.speakerTail(n)}`);
    throw err;
  }
}

/** Refuted accusations summed over the speakers; undefined when one did not answer. */
async function accusations(lab: MassLab): Promise<number | undefined> {
  const rs = await Promise.all(MASS_NODES.map((n) => lab.reading(n)));
  return rs.every((r) => r) ? rs.reduce((s, r) => s + r!.accused, 0) : undefined;
}

async function refusedOf(lab: MassLab, nodes: readonly MassNode[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const n of nodes) for (const [k, v] of Object.entries((await lab.reading(n))?.refused ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}

async function runTrial(kind: CaseName, trial: number, variant: Variant, dir: string): Promise<TrialResult> {
  const nodeFlags = flagsOf(variant);
  const file: MassVip[] = kind === 'mass' ? massFile(VIPS) : [{ address: '198.51.100.1', anywhere: true }];
  const lab = await MassLab.create();
  current = lab;
  const clients: ReturnType<MassLab['startClient']>[] = [];
  try {
    await lab.checkIsolation('198.51.100.1', '2001:db8:1::1');
    await lab.startServers();
    const t0 = Date.now();
    // By default one speaker after the other, each once the ones before
    // agree, so the failover starts from a cluster built as it would grow;
    // n1 and n2 start together: n1 alone may own only half the file.
    // --start together measures exactly that: all five at once, one wait.
    if (START === 'together') {
      for (const n of MASS_NODES) lab.startSpeaker(n, dir, file, PROFILE, nodeFlags);
      await settle(lab, MASS_NODES, file.length);
    } else {
      for (let i = 2; i <= MASS_NODES.length; i++) {
        for (const n of MASS_NODES.slice(i === 2 ? 0 : i - 1, i)) lab.startSpeaker(n, dir, file, PROFILE, nodeFlags);
        await settle(lab, MASS_NODES.slice(0, i), file.length);
      }
    }
    const settledMs = Date.now() - t0;
    // Every speaker names the same owner for every address.
    const views: Map<string, string>[] = [];
    for (const n of MASS_NODES) views.push(await lab.owners(n));
    for (const [i, v] of views.entries()) {
      const differ = [...views[0]!].filter(([ip, o]) => v.get(ip) !== o);
      if (v.size !== file.length || differ.length) throw new Error(`${MASS_NODES[i]}'s /status disagrees with n1's on ${differ.length} of ${file.length} owners`);
    }
    const owners = views[0]!;
    const victim: MassNode = kind === 'mass' ? 'n1' : (owners.get(ipKey(file[0]!.address)) as MassNode);
    const lostIps = file.map((v) => ipKey(v.address)).filter((ip) => owners.get(ip) === victim);
    const survivors = MASS_NODES.filter((n) => n !== victim);
    const accusedAtStart = await accusations(lab);
    const tag = `${kind} #${trial}${variant === 'compared' ? ' +flags' : ''}`;
    log(`  ${tag}: settled after ${settledMs} ms (${accusedAtStart ?? '?'} false suspicions refuted on the way); ${victim} owns ${lostIps.length} of ${file.length}`);
    let soak: TrialResult['soak'];
    if (SOAK_MS > 0) {
      await sleep(SOAK_MS);
      const rs = await Promise.all(MASS_NODES.map((n) => lab.reading(n)));
      const stillSettled = rs.every((r) => r && r.alive === MASS_NODES.length && r.ready) && rs.reduce((s, r) => s + (r?.owned ?? 0), 0) === file.length;
      const after = await accusations(lab);
      soak = { seconds: SOAK_MS / 1000, accused: after !== undefined && accusedAtStart !== undefined ? after - accusedAtStart : undefined, stillSettled };
      log(`  ${tag}: ${soak.seconds} s later: ${soak.accused ?? '?'} false suspicions, ${stillSettled ? 'still settled' : 'NOT settled'}`);
    }
    // The start-up rounds (ARP up to 4 s) are over before the capture starts.
    await sleep(TAIL_MS);

    const roles: Probe['role'][] = ['first', 'last'];
    const probeIps = [lostIps[0]!, lostIps[lostIps.length - 1]!];
    for (const ip of probeIps) clients.push(lab.startClient(ip, INTERVAL_MS, TIMEOUT_MS));
    await waitFor(() => clients.every((c) => c.log.steadyOn(victim, 30)), 60_000, `the client to be served by ${victim}`, 50);

    const pcap = join(dir, `mass-${kind}-${trial}.pcap`);
    const refusedBefore = await refusedOf(lab, survivors);
    const dropsBefore = await lab.interfaceDrops(survivors);
    const capture = await lab.startCapture(pcap);
    // The scrapes above are done with before the failure.
    await sleep(3_000);

    const killAt = Date.now();
    await lab.kill(victim);
    // The client's answers tell recovery without loading the survivors; the
    // capture times every address; /metrics only confirms at the end.
    await waitFor(() => clients.every((c) => c.log.since(killAt).some((r) => r.servedBy !== undefined && r.servedBy !== victim)), 120_000, 'the client to be served by a survivor', 50);
    await sleep(TAIL_MS);
    await waitFor(
      async () => {
        const rs = await Promise.all(survivors.map((n) => lab.reading(n)));
        if (rs.some((r) => !r || r.alive !== survivors.length)) return false;
        return rs.reduce((s, r) => s + r!.owned, 0) === file.length;
      },
      120_000,
      `the survivors to own all ${file.length} addresses`,
      SCRAPE_EVERY_MS,
    );

    const interfaceDrops = (await lab.interfaceDrops(survivors)) - dropsBefore;
    const refusedAfter = await refusedOf(lab, survivors);
    const captureDrops = await lab.stopCapture(capture);
    for (const c of clients) await lab.lab.kill(c.proc, 'SIGTERM');

    const after = await lab.owners(survivors[0]!);
    const lost = new Map<string, string>();
    for (const ip of lostIps) {
      const o = after.get(ip) as MassNode | undefined;
      if (!o || !MASS_NODES.includes(o) || o === victim) throw new Error(`${ip} has no new owner in ${survivors[0]}'s /status (${o ?? 'none'})`);
      lost.set(ip, massNodeMac(o));
    }
    const f = massFigures(announcementsIn(pcapRecords(readFileSync(pcap))), { killAt, victimMac: massNodeMac(victim), lost, roundWindowMs: ROUND_WINDOW_MS });
    rmSync(pcap, { force: true });
    const probes: Probe[] = probeIps.map((ip, i) => ({
      role: roles[i]!,
      ip,
      rank: moveRank(f, ip),
      movedMs: f.moved.find((m) => m.ip === ip)?.ms,
      outage: outageAfter(clients[i]!.log.since(killAt - 1_000), killAt),
    }));
    const refused = Object.fromEntries(Object.entries(refusedAfter).map(([k, v]) => [k, v - (refusedBefore[k] ?? 0)]));
    const r: TrialResult = {
      case: kind,
      trial,
      variant,
      nodeFlags,
      vips: file.length,
      victim,
      settledMs,
      accusedAtStart,
      soak,
      figures: { ...f, moved: f.moved.map((m) => [m.ip, Math.round(m.ms * 10) / 10, m.formsSeen]) },
      probes,
      captureDrops,
      interfaceDrops,
      refused,
    };
    log(`  ${tag}: ${f.moved.length}/${f.lost} moved, p50 ${f.p50Ms.toFixed(0)} ms, last ${f.lastMs.toFixed(0)} ms, burst ${f.burstMs.toFixed(0)} ms, first-round frames ${f.firstRoundFrames.seen}/${f.firstRoundFrames.expected}; outage ${probes.map((p) => `${p.role} ${p.outage?.ms ?? '-'} ms`).join(', ')}`);
    return r;
  } finally {
    current = undefined;
    await lab.destroy();
  }
}

const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : String(Math.round(v)));
const median = (xs: readonly (number | undefined)[]): number => percentile(xs.filter((x): x is number => x !== undefined && Number.isFinite(x)), 50);

function trialRow(r: TrialResult): string[] {
  const f = r.figures;
  const probe = (role: Probe['role']): string => {
    const p = r.probes.find((x) => x.role === role)!;
    return `${ms(p.outage?.ms)} (#${p.rank ?? '-'})`;
  };
  return [
    `${r.case} #${r.trial}${r.variant === 'compared' ? ' +flags' : ''}`,
    `${f.lost} (${f.ipv4}/${f.ipv6})`,
    `${f.moved.length}`,
    ms(f.p50Ms),
    ms(f.p99Ms),
    ms(f.lastMs),
    ms(f.burstMs),
    `${f.firstRoundFrames.seen}/${f.firstRoundFrames.expected}`,
    `${r.captureDrops ?? '?'} / ${r.interfaceDrops} / ${Object.values(r.refused).reduce((a, b) => a + b, 0)}`,
    probe('first'),
    probe('last'),
  ];
}

/** Medians over one way's trials. */
function summarize(trials: readonly TrialResult[]) {
  const one = trials.filter((t) => t.case === 'one');
  const mass = trials.filter((t) => t.case === 'mass');
  return {
    oneMovedMs: median(one.map((t) => t.figures.lastMs)),
    oneOutageMs: median(one.map((t) => t.probes[0]!.outage?.ms)),
    massP50Ms: median(mass.map((t) => t.figures.p50Ms)),
    massP99Ms: median(mass.map((t) => t.figures.p99Ms)),
    massLastMs: median(mass.map((t) => t.figures.lastMs)),
    massBurstMs: median(mass.map((t) => t.figures.burstMs)),
    massOutageFirstMs: median(mass.map((t) => t.probes.find((p) => p.role === 'first')!.outage?.ms)),
    massOutageLastMs: median(mass.map((t) => t.probes.find((p) => p.role === 'last')!.outage?.ms)),
    firstRoundFrames: { seen: mass.reduce((s, t) => s + t.figures.firstRoundFrames.seen, 0), expected: mass.reduce((s, t) => s + t.figures.firstRoundFrames.expected, 0) },
  };
}
type FailoverSummary = ReturnType<typeof summarize>;

async function main(): Promise<void> {
  const why = netlabUnavailable();
  if (why) throw new Error(`bench/failover mass ${why}`);
  const started = Date.now();
  const loadBefore = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'shoal-failover-mass-'));
  const trials: TrialResult[] = [];
  try {
    // With --compare-flags each trial runs both ways, the first way
    // alternating, so that a drift of the machine's load lands on both.
    for (const kind of (['one', 'mass'] as const).filter((c) => CASES.includes(c))) {
      for (let i = 1; i <= TRIALS; i++) for (const v of i % 2 ? VARIANTS : [...VARIANTS].reverse()) trials.push(await runTrial(kind, i, v, dir));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const loadAfter = loadavg();

  const out: string[] = [];
  out.push(
    `bench/failover mass: ${TRIALS} trials per case; ${VIPS} VIPs over ${MASS_NODES.length} nodes (${massFile(VIPS).length} in the file: ${memoryVips(VIPS).v4.length} IPv4 from 198.51.100.0/24 and 203.0.113.0/24, ${memoryVips(VIPS).v6.length} IPv6 from 2001:db8:1::/64), baseline one VIP; gossip profile ${PROFILE};${SPEAKER_FLAGS.length ? ` speakers' node flags [${SPEAKER_FLAGS.join(' ')}];` : ''}${COMPARE_FLAGS.length ? ` every trial also with [${COMPARE_FLAGS.join(' ')}] added (+flags), the order alternating;` : ''} speakers started ${START === 'together' ? 'all at once' : 'n1+n2, then one at a time'}; client request every ${INTERVAL_MS} ms, timeout ${TIMEOUT_MS} ms`,
  );
  out.push(`machine: ${cpus().length} CPUs, load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(1)).join(' ')} after; Node ${process.version}`);
  out.push('');
  out.push('Per trial, ms from the kill (SIGKILL of the owner\'s speaker and HTTP server) to the first gratuitous ARP / unsolicited NA from the new owner at the client, per lost address');
  out.push(
    formatTable(
      ['trial', 'lost (v4/v6)', 'moved', 'p50', 'p99', 'last', 'burst', 'first-round frames seen/expected', 'drops capture/interfaces/speakers', 'outage first (#move)', 'outage last (#move)'],
      trials.map(trialRow),
    ),
  );
  const summary = summarize(trials.filter((t) => t.variant === 'base'));
  const compared = COMPARE_FLAGS.length ? summarize(trials.filter((t) => t.variant === 'compared')) : undefined;
  const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '-');
  out.push('');
  out.push(`Medians over the trials, mass (about 1,000 addresses lost) against the baseline (one address) in the same run${compared ? ', speakers without the compared flags' : ''}`);
  out.push(
    formatTable(
      ['figure', 'mass ms', 'one address ms', 'ratio'],
      [
        ['moved at client, p50', ms(summary.massP50Ms), ms(summary.oneMovedMs), ratio(summary.massP50Ms, summary.oneMovedMs)],
        ['moved at client, p99', ms(summary.massP99Ms), ms(summary.oneMovedMs), ratio(summary.massP99Ms, summary.oneMovedMs)],
        ['moved at client, last address', ms(summary.massLastMs), ms(summary.oneMovedMs), ratio(summary.massLastMs, summary.oneMovedMs)],
        ['client-visible outage, first address', ms(summary.massOutageFirstMs), ms(summary.oneOutageMs), ratio(summary.massOutageFirstMs, summary.oneOutageMs)],
        ['client-visible outage, last address', ms(summary.massOutageLastMs), ms(summary.oneOutageMs), ratio(summary.massOutageLastMs, summary.oneOutageMs)],
        ['gratuitous burst (first to last first frame)', ms(summary.massBurstMs), '-', '-'],
      ],
    ),
  );
  out.push(`first-round frames over the mass trials: ${summary.firstRoundFrames.seen} seen of ${summary.firstRoundFrames.expected} expected (two ARP frames per IPv4 address, one NA per IPv6 address)`);
  if (compared) {
    const rows: [string, keyof FailoverSummary][] = [
      ['one address: moved at client', 'oneMovedMs'],
      ['one address: client-visible outage', 'oneOutageMs'],
      ['mass: moved at client, p50', 'massP50Ms'],
      ['mass: moved at client, p99', 'massP99Ms'],
      ['mass: moved at client, last address', 'massLastMs'],
      ['mass: client-visible outage, first address', 'massOutageFirstMs'],
      ['mass: client-visible outage, last address', 'massOutageLastMs'],
      ['mass: gratuitous burst', 'massBurstMs'],
    ];
    const num = (v: FailoverSummary[keyof FailoverSummary]): number => (typeof v === 'number' ? v : NaN);
    out.push('');
    out.push(`Medians over the trials, the speakers with [${COMPARE_FLAGS.join(' ')}] added to their node flags against without, in the same run`);
    out.push(formatTable(['figure', 'without ms', 'with ms', 'ratio'], rows.map(([label, k]) => [label, ms(num(summary[k])), ms(num(compared[k])), ratio(num(compared[k]), num(summary[k]))])));
    out.push(`first-round frames over the mass trials with the flags: ${compared.firstRoundFrames.seen} seen of ${compared.firstRoundFrames.expected} expected`);
  }
  const text = out.join('\n') + '\n';
  process.stdout.write(text);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(`${OUT}.txt`, text);
  writeFileSync(
    `${OUT}.json`,
    JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadAfter, seconds: Math.round((Date.now() - started) / 1000), vips: VIPS, trialsPerCase: TRIALS, profile: PROFILE, start: START, speakerFlags: SPEAKER_FLAGS, compareFlags: COMPARE_FLAGS, intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS, roundWindowMs: ROUND_WINDOW_MS, summary, ...(compared && { compared }), trials }, null, 1) + '\n',
  );
  log(`wrote ${OUT}.json and ${OUT}.txt`);
}

/** The lab of the trial under way, torn down when the run is interrupted. */
let current: MassLab | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: removing the lab`);
    void (current?.destroy() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
