// `shoal demo` (what `npm start` runs): a local cluster of speakers on
// loopback in file mode, one process per node running the same code as on a
// real host, with status endpoints to curl. Each speaker elects an owner for
// every VIP; kill one and watch the others declare it dead and take its
// VIPs over; the demo restarts it after a while so you can watch it rejoin.
// (On loopback nothing answers ARP: layer 2 is off, the election is real.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_GOSSIP_PORT } from '../cluster/launch.js';
import { DEFAULT_STATUS_PORT } from './gossip.js';

interface DemoFlags {
  members: string;
  host: string;
  gossipPort: string;
  statusPort: string;
  profile: string;
  restartAfter: string;
}

interface DemoMember {
  name: string;
  gossipPort: number;
  statusPort: number;
  child: ChildProcess | undefined;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a local cluster of speakers on loopback (the embedded default of `npm start`)')
    .option('--members <n>', 'number of member processes (3 to 9)', '5')
    .option('--host <ip>', 'loopback address to use', '127.0.0.1')
    .option('--gossip-port <port>', 'gossip port of the first member; the others count up', String(DEFAULT_GOSSIP_PORT))
    .option('--status-port <port>', 'status port of the first member; the others count up', String(DEFAULT_STATUS_PORT))
    .option('--profile <lan|fast>', 'timing profile', 'fast')
    .option('--restart-after <ms>', 'restart a member this long after it dies (0: never)', '15000')
    .action(async (flags: DemoFlags) => runDemo(flags));
}

function say(line: string): void {
  const t = new Date().toISOString().slice(11, 23);
  process.stdout.write(`${t}  ${line}\n`);
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const count = Number(flags.members);
  if (!Number.isInteger(count) || count < 3 || count > 9) throw new Error(`--members ${flags.members}: pick 3 to 9`);
  const gossipBase = Number(flags.gossipPort);
  const statusBase = Number(flags.statusPort);
  const restartAfter = Number(flags.restartAfter);
  const seed = `${flags.host}:${gossipBase}`;
  const members: DemoMember[] = Array.from({ length: count }, (_, i) => ({
    name: `node-${i + 1}`,
    gossipPort: gossipBase + i,
    statusPort: statusBase + i,
    child: undefined,
  }));
  let stopping = false;
  const dir = mkdtempSync(join(tmpdir(), 'shoal-demo-'));
  for (const m of members) writeFileSync(join(dir, `${m.name}.yaml`), speakerConfig(m, flags.host, flags.profile, seed));

  const start = (m: DemoMember): void => {
    const args = [process.argv[1]!, 'speaker', '--config', join(dir, `${m.name}.yaml`), '--layer2', 'off'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    m.child = child;
    let buf = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        report(m, buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    child.on('exit', (code, signal) => {
      m.child = undefined;
      if (stopping) return;
      say(`${m.name} (pid ${child.pid}) exited (${signal ?? `code ${code}`}); the others will detect it`);
      if (restartAfter > 0) {
        setTimeout(() => {
          if (stopping) return;
          say(`restarting ${m.name}`);
          start(m);
        }, restartAfter).unref();
      }
    });
  };

  // Membership changes as the first running member sees them, so the story is told once.
  const narrator = (): DemoMember | undefined => members.find((x) => x.child);
  const report = (m: DemoMember, line: string): void => {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      say(`${m.name}: ${line}`);
      return;
    }
    if (rec['level'] === 'error') say(`${m.name}: error: ${String(rec['msg'])}`);
    if (rec['msg'] === 'announcing' || rec['msg'] === 'stopped announcing') {
      const services = (rec['services'] as string[] | undefined)?.join(', ') ?? '';
      const from = rec['from'] ? `, taking over from ${String(rec['from'])}` : '';
      say(rec['msg'] === 'announcing' ? `${m.name} announces ${String(rec['ip'])} (${services})${from}` : `${m.name} stops announcing ${String(rec['ip'])}`);
    }
    if (rec['msg'] === 'member event' && narrator() === m && rec['node'] !== m.name) {
      say(`${m.name} sees ${String(rec['node'])}: ${String(rec['previous'] ?? 'new')} -> ${String(rec['state'])} (incarnation ${String(rec['incarnation'])})`);
    }
  };

  for (const m of members) start(m);
  const first = members[0]!;
  say(`started ${count} speakers on ${flags.host}, profile ${flags.profile}; VIPs ${DEMO_VIPS.map((v) => v.address).join(', ')}`);
  for (const m of members) say(`  ${m.name}: pid ${m.child?.pid}, gossip ${flags.host}:${m.gossipPort}, status http://${flags.host}:${m.statusPort}/status`);
  say(`look inside:  curl -H 'Accept: text/plain' http://${flags.host}:${first.statusPort}/status   (JSON without the header)`);
  say(`              curl 'http://${flags.host}:${first.statusPort}/status/ip/${DEMO_VIPS[0]!.address}?format=text'   (why that owner)`);
  say(`              curl http://${flags.host}:${first.statusPort}/metrics`);
  say(`try a failure: kill -9 ${members[count - 1]!.child?.pid}   (${members[count - 1]!.name}); Ctrl-C stops the demo`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      say('stopping: every member leaves gracefully');
      const live = members.filter((m) => m.child);
      let left = live.length;
      if (left === 0) resolve();
      for (const m of live) {
        m.child!.once('exit', () => {
          if (--left === 0) resolve();
        });
        m.child!.kill('SIGTERM');
      }
    };
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Documentation-range VIPs: two services, one of them dual-stack, one pinned to odd nodes. */
const DEMO_VIPS = [
  { address: '192.0.2.100', name: 'web' },
  { address: '2001:db8::100', name: 'web' },
  { address: '192.0.2.101', name: 'api' },
  { address: '192.0.2.102', name: 'dns' },
  { address: '192.0.2.103', name: 'db', nodeSelectors: [{ matchLabels: { parity: 'odd' } }] },
];

function speakerConfig(m: DemoMember, host: string, profile: string, seed: string): string {
  const n = Number(m.name.split('-')[1]);
  return JSON.stringify(
    {
      node: m.name,
      labels: { parity: n % 2 ? 'odd' : 'even' },
      gossip: { bind: `${host}:${m.gossipPort}`, join: [seed], profile },
      status: `${host}:${m.statusPort}`,
      vips: DEMO_VIPS,
    },
    null,
    2,
  );
}
