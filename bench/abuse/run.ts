// bench/abuse: three `shoal gossip` members on loopback (sealed with a key),
// attacked one way at a time by a separate process (attacker.ts) that holds
// the key but is no member: junk UDP, stalled push-pull streams, floods of
// fake members, forged and replayed membership news. Per attack it prints
// false suspicions and deaths, how long the two others take to declare a
// SIGSTOPped member dead (against the same measurement with no attack, in
// the same run), RSS growth and the members' counters, then checks that
// nothing changed for good. Loopback only; bounded in count and time.
//
//   node dist/bench/abuse/run.js [--trials 5] [--junk-pps 10000] [--only junk,streams] [--logs]
//
// Writes bench/results/abuse.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliPath } from '../../test/support/dist.js';
import { freePorts } from '../../test/support/ports.js';
import { rssMiB } from '../proc.js';
import { percentile } from '../stats.js';
import type { AttackConfig, AttackKind, AttackReport } from './attacker.js';

const usage = `usage: node dist/bench/abuse/run.js [options]
  --trials N       detection trials per scenario (default 5)
  --junk-pps N     junk datagrams a second, spread over the three members (default 10000)
  --only a,b       scenarios besides the quiet baseline: junk, streams, fakes, forgery (default all)
  --logs           print the members' logs at the end`;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
if (process.argv.includes('--help')) {
  console.log(usage);
  process.exit(0);
}
const trials = Number(arg('trials') ?? 5);
const junkPps = Number(arg('junk-pps') ?? 10_000);
const allAttacks: AttackKind[] = ['junk', 'streams', 'fakes', 'forgery'];
const attacks = (arg('only')?.split(',') ?? allAttacks) as AttackKind[];
for (const a of attacks) if (!allAttacks.includes(a)) throw new Error(`unknown attack "${a}"\n${usage}`);

const HOST = '127.0.0.1';
const NAMES = ['p0', 'p1', 'p2'] as const;
/** The member stopped in detection trials; p0 and p1 are the observers. */
const STOPPED = 'p2';
const attackerPath = join(dirname(fileURLToPath(import.meta.url)), 'attacker.js');

interface MemberEventLine {
  at: number;
  observer: string;
  subject: string;
  kind: string;
}

interface Member {
  name: string;
  gossip: number;
  status: number;
  child: ChildProcess;
  exited: Promise<void>;
  lines: string[];
}

const events: MemberEventLine[] = [];

function startMember(name: string, gossip: number, status: number, seed: number, keyFile: string): Member {
  // Node flags as the container image starts the speaker (Dockerfile): a
  // 1 MiB young generation, which keeps a burst of garbage (a push-pull of
  // thousands of made-up members, decoded and refused) from growing RSS.
  const child = spawn(
    process.execPath,
    ['--max-semi-space-size=1', cliPath, 'gossip', '--name', name, '--bind', `${HOST}:${gossip}`, '--status', `${HOST}:${status}`, '--join', `${HOST}:${seed}`, '--key-file', keyFile],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const m: Member = { name, gossip, status, child, lines: [], exited: new Promise((r) => child.on('exit', () => r())) };
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      m.lines.push(line);
      if (!line.startsWith('{')) continue;
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        if (rec['msg'] === 'member event') events.push({ at: Date.parse(String(rec['ts'])), observer: name, subject: String(rec['node']), kind: String(rec['event']) });
      } catch {
        // not one of ours
      }
    }
  });
  return m;
}

interface GossipStatus {
  self: { incarnation: number };
  members: Array<{ name: string; state: string; address: string; incarnation: number; verified: boolean }>;
  counters: Record<string, number> & { dropped: Record<string, number> };
  accused: { accusations: Record<string, number> };
  transport: { streams: Record<string, number>; udp: { kernelDrops: number | null; receiveBufferBytes: number | null } } | null;
}

async function statusOf(m: Member): Promise<GossipStatus | undefined> {
  try {
    const res = await fetch(`http://${HOST}:${m.status}/status`, { signal: AbortSignal.timeout(2_000) });
    return ((await res.json()) as { gossip: GossipStatus }).gossip;
  } catch {
    return undefined;
  }
}

const memberRssMiB = (m: Member): number => rssMiB(m.child.pid!) ?? NaN;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, ms: number, every = 20): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await cond()) return true;
    await sleep(every);
  }
  return cond();
}

/**
 * Every member sees the three of us alive at the addresses we started
 * with, and no other live member it holds real (names it was only told of
 * and never heard from are not members: they are forgotten when they do
 * not answer).
 */
async function settled(members: Member[]): Promise<boolean> {
  const docs = await Promise.all(members.map(statusOf));
  return docs.every((d) => {
    const live = d?.members.filter((x) => (x.state === 'alive' || x.state === 'suspect') && x.verified) ?? [];
    return live.length === 3 && members.every((m) => live.some((x) => x.name === m.name && x.state === 'alive' && x.address === `${HOST}:${m.gossip}`));
  });
}

/** Stops p2, times until both observers log it dead, lets it go on and waits until all is well again. */
async function detectStop(members: Member[], downWindows: Array<[number, number]>): Promise<number | undefined> {
  const stopped = members.find((m) => m.name === STOPPED)!;
  const stopAt = Date.now();
  stopped.child.kill('SIGSTOP');
  const deadAt = (observer: string): number | undefined => events.find((e) => e.at >= stopAt && e.observer === observer && e.subject === STOPPED && e.kind === 'dead')?.at;
  await until(() => deadAt('p0') !== undefined && deadAt('p1') !== undefined, 30_000);
  const both = Math.max(deadAt('p0') ?? NaN, deadAt('p1') ?? NaN);
  stopped.child.kill('SIGCONT');
  const contAt = Date.now();
  await until(() => settled(members), 30_000, 100);
  // Suspicions of the stopped member until it has refuted are not false.
  downWindows.push([stopAt, Date.now()]);
  await sleep(1_000);
  return Number.isFinite(both) ? both - stopAt : (void contAt, undefined);
}

function startAttack(kind: AttackKind, members: Member[], keyFile: string): { child: ChildProcess; done: Promise<AttackReport | undefined> } {
  const config: AttackConfig = {
    kind,
    host: HOST,
    ports: members.map((m) => m.gossip),
    members: members.map((m) => ({ name: m.name, port: m.gossip })),
    keyFile,
    junkPps,
    stalledStreams: 20,
    fakesPerPushPull: 9_997,
  };
  const child = spawn(process.execPath, [attackerPath, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const done = new Promise<AttackReport | undefined>((resolve) =>
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out) as AttackReport);
      } catch {
        resolve(undefined);
      }
    }),
  );
  return { child, done };
}

/** Counters worth showing, as differences over a scenario. */
function counterDelta(before: GossipStatus | undefined, after: GossipStatus | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!before || !after) return out;
  for (const [k, v] of Object.entries(after.counters.dropped)) if (v - (before.counters.dropped[k] ?? 0) > 0) out[`dropped.${k}`] = v - (before.counters.dropped[k] ?? 0);
  for (const k of ['refutes', 'fanouts', 'forgotten', 'streamErrors', 'suspicionsRaised']) {
    const d = (after.counters[k] ?? 0) - (before.counters[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  for (const [k, v] of Object.entries(after.transport?.streams ?? {})) {
    if (k === 'active' || k === 'limit') continue;
    const d = v - (before.transport?.streams[k] ?? 0);
    if (d > 0) out[`streams.${k}`] = d;
  }
  const kd = (after.transport?.udp.kernelDrops ?? 0) - (before.transport?.udp.kernelDrops ?? 0);
  if (kd > 0) out['udp.kernelDrops'] = kd;
  for (const [k, v] of Object.entries(after.accused.accusations)) if (v - (before.accused.accusations[k] ?? 0) > 0) out[`accused.${k}`] = v - (before.accused.accusations[k] ?? 0);
  return out;
}

interface ScenarioResult {
  scenario: string;
  detectionMs: number[];
  detectionP50: number;
  ratio: number;
  undetected: number;
  falseSuspicions: number;
  falseDeaths: number;
  rssGrowthMiB: number;
  permanentChange: string | undefined;
  attacker: AttackReport | undefined;
  counters: Record<string, Record<string, number>>;
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'shoal-abuse-'));
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n');
  const ports = await freePorts(6);
  const members = NAMES.map((name, i) => startMember(name, ports[i]!, ports[3 + i]!, ports[0]!, keyFile));
  const cleanup = async (): Promise<void> => {
    for (const m of members) {
      if (m.child.exitCode === null && m.child.signalCode === null) {
        m.child.kill('SIGCONT');
        m.child.kill('SIGKILL');
      }
    }
    await Promise.all(members.map((m) => m.exited));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (!(await until(() => settled(members), 30_000, 200))) throw new Error('the three members did not form a cluster');
    console.log(
      `bench/abuse: 3 gossip members on ${HOST} (fast profile, sealed, node --max-semi-space-size=1 as in the image); ${trials} detection trials per scenario; junk ${junkPps} datagrams/s over the three\n`,
    );
    const results: ScenarioResult[] = [];
    let quietP50 = NaN;
    for (const scenario of ['quiet', ...attacks] as const) {
      const t0 = Date.now();
      const before = await Promise.all(members.map(statusOf));
      const rssBefore = members.map(memberRssMiB);
      let rssPeak = [...rssBefore];
      const sampler = setInterval(() => (rssPeak = members.map((m, i) => Math.max(rssPeak[i]!, memberRssMiB(m)))), 250);
      const attack = scenario === 'quiet' ? undefined : startAttack(scenario, members, keyFile);
      await sleep(2_000);
      const windowStart = Date.now();
      const down: Array<[number, number]> = [];
      const detection: number[] = [];
      let undetected = 0;
      for (let i = 0; i < trials; i++) {
        const ms = await detectStop(members, down);
        if (ms === undefined) undetected++;
        else detection.push(ms);
      }
      const windowEnd = Date.now();
      attack?.child.kill('SIGTERM');
      const attacker = await attack?.done;
      clearInterval(sampler);
      // Recovery: whatever the attack left must go away by itself.
      const recovered = await until(() => settled(members), 30_000, 200);
      const after = await Promise.all(members.map(statusOf));
      const incs = after.map((d) => d?.self.incarnation ?? NaN);
      const permanentChange = !recovered ? 'members do not all see each other alive at their own addresses' : incs.some((x) => !(x < 0x1_0000)) ? `incarnations ${incs.join(', ')}` : undefined;
      const inDown = (e: MemberEventLine): boolean => e.subject === STOPPED && down.some(([a, b]) => e.at >= a && e.at <= b);
      const scenarioEvents = events.filter((e) => e.at >= windowStart && e.at <= windowEnd && (NAMES as readonly string[]).includes(e.subject) && !inDown(e));
      const p50 = percentile(detection, 50);
      if (scenario === 'quiet') quietP50 = p50;
      const counters: Record<string, Record<string, number>> = {};
      members.forEach((m, i) => (counters[m.name] = counterDelta(before[i], after[i])));
      results.push({
        scenario,
        detectionMs: detection,
        detectionP50: p50,
        ratio: p50 / quietP50,
        undetected,
        falseSuspicions: scenarioEvents.filter((e) => e.kind === 'suspect').length,
        falseDeaths: scenarioEvents.filter((e) => e.kind === 'dead' || e.kind === 'left').length,
        rssGrowthMiB: Math.max(...rssPeak.map((p, i) => p - rssBefore[i]!)),
        permanentChange,
        attacker,
        counters,
      });
      process.stderr.write(`  ${scenario}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    }

    const rows = results.map((r) => [
      r.scenario,
      String(r.falseSuspicions),
      String(r.falseDeaths),
      `${Math.round(r.detectionP50)}`,
      `${Math.round(percentile(r.detectionMs, 100))}`,
      r.undetected ? `${r.undetected}` : '0',
      r.scenario === 'quiet' ? '-' : r.ratio.toFixed(2),
      r.rssGrowthMiB.toFixed(1),
      r.permanentChange ?? 'none',
    ]);
    const headers = ['scenario', 'false suspicions', 'false deaths', 'detect p50 ms', 'max ms', 'missed', 'vs quiet', 'RSS growth MiB', 'permanent change'];
    const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]): string => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
    console.log([line(headers), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n'));
    console.log('\nCounters over each scenario (per member, only those that moved):');
    for (const r of results) {
      const a = r.attacker;
      const sent = a ? ` (attacker, ${a.seconds.toFixed(0)} s: ${a.datagrams} datagrams, ${Math.round(a.datagrams / a.seconds)}/s; ${a.connections} connections; ${a.pushPulls} push-pulls)` : '';
      console.log(`  ${r.scenario}${sent}`);
      for (const [name, c] of Object.entries(r.counters)) console.log(`    ${name}: ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`);
    }
    const attacked = results.filter((r) => r.scenario !== 'quiet');
    const targets = {
      noPermanentChange: results.every((r) => r.permanentChange === undefined),
      noFalseDeath: results.every((r) => r.falseDeaths === 0),
      detectionWithin1_5x: attacked.every((r) => r.ratio <= 1.5 && r.undetected === 0),
      rssGrowthUnder20MiB: results.every((r) => r.rssGrowthMiB < 20),
    };
    console.log('\nTargets:');
    for (const [k, ok] of Object.entries(targets)) console.log(`  ${k}: ${ok ? 'met' : 'NOT met'}`);
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(
      'bench/results/abuse.json',
      JSON.stringify({ date: new Date().toISOString(), node: process.version, trials, junkPps, results, targets }, null, 2) + '\n',
    );
    console.log(`\nwrote bench/results/abuse.json (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    if (process.argv.includes('--logs')) for (const m of members) console.log(`--- ${m.name}\n${m.lines.join('\n')}`);
  } finally {
    await cleanup();
  }
}

await main();
